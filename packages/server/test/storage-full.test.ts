// Issue 14, defect 6: a full disk under DATA_DIR gives a clear 507 `storage-full` problem (not
// `internal`), /readyz says 503 while it lasts, and both recover once a write goes through.
// The disk is real: a 3 MiB tmpfs mounted for the test (the test runs as root, as in CI).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken } from "../src/auth/tokens.ts";
import { parseConfig } from "../src/config/config.ts";
import { createLogging } from "../src/obs/logger.ts";
import { startServer, type RunningServer } from "../src/server.ts";

const PROBLEM = "https://edgeclass.dev/problems/";
const dir = mkdtempSync(join(tmpdir(), "edgeclass-full-"));
let server: RunningServer;
let base: string;
let teacher: string;
const logLines: string[] = [];

beforeAll(async () => {
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", dir], { encoding: "utf8" });
  if (m.status !== 0) throw new Error(`this test mounts a small tmpfs and needs root: ${m.stderr}`);
  server = await startServer(
    parseConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, DEMO: "true" }),
    createLogging("info", (l) => logLines.push(l)),
  );
  await server.whenReady;
  base = server.url.href.replace(/\/$/, "");
  teacher = await mintToken(server.secret, { sub: "t1", role: "teacher", ttlSeconds: 600 });
});
afterAll(async () => {
  rmSync(join(dir, "filler"), { force: true }); // room for the final checkpoint, even after a failure
  await server?.stop().catch(() => {});
  // Lazy: SQLite keeps the file open until its cached statements are collected.
  spawnSync("umount", ["-l", dir]);
  rmdirSync(dir);
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${teacher}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

test("full disk: 507 storage-full, /readyz 503, both recover when space returns", async () => {
  expect((await fetch(base + "/readyz")).status).toBe(200);
  try {
    writeFileSync(join(dir, "filler"), new Uint8Array(8 * 1024 * 1024)); // more than the disk: fills it
  } catch (e) {
    expect((e as { code?: string }).code).toBe("ENOSPC");
  }
  let refused: Response | undefined;
  for (let i = 0; i < 300 && refused === undefined; i++) {
    const r = await call("POST", "/api/courses", { title: `Course ${i}`, description: "x".repeat(5000) });
    if (r.status !== 201) refused = r;
    else await r.arrayBuffer();
  }
  expect(refused?.status).toBe(507);
  expect(refused?.headers.get("content-type")).toBe("application/problem+json");
  expect(await refused?.json()).toMatchObject({ type: PROBLEM + "storage-full", status: 507 });
  // The group-committed path (enrolments, live answers) says the same.
  const enrol = await call("POST", "/api/courses/demo-physics-101/enrollments", {
    studentIds: Array.from({ length: 500 }, (_, i) => `full-${i}-${"y".repeat(100)}`),
  });
  expect(enrol.status).toBe(507);
  const ready = await fetch(base + "/readyz");
  expect(ready.status).toBe(503);
  expect((await ready.json()).reason).toContain("storage full");
  expect(logLines.some((l) => l.includes("write refused: storage full"))).toBe(true);
  expect(logLines.some((l) => l.includes("unhandled error"))).toBe(false);

  rmSync(join(dir, "filler"));
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    await Bun.sleep(200);
    status = (await fetch(base + "/readyz")).status;
  }
  expect(status).toBe(200);
  expect((await call("POST", "/api/courses", { title: "After the disk was freed" })).status).toBe(201);
});
