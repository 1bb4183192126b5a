// The server as a process: start, drain on SIGTERM, restart with its data, promtool-clean metrics.
import { afterAll, expect, test } from "bun:test";
import { spawn, spawnSync, type Subprocess } from "bun";
import { rmSync } from "node:fs";
import { tempDir } from "./support/server.ts";
import { join } from "./support/ws.ts";

const dataDir = tempDir();
const procs: Subprocess[] = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

async function launch(
  env: Record<string, string> = {},
): Promise<{ proc: Subprocess<"ignore", "pipe", "pipe">; base: string; lines: string[] }> {
  const proc = spawn([process.execPath, "packages/server/src/main.ts"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  procs.push(proc);
  const lines: string[] = [];
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let base = "";
  const deadline = Date.now() + 10_000;
  while (!base && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value);
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      const rec = JSON.parse(line);
      if (rec.msg === "listening") base = String(rec.url).replace(/\/$/, "");
    }
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      lines.push(...decoder.decode(value).split("\n").filter(Boolean));
    }
  })();
  expect(base).not.toBe("");
  return { proc, base, lines };
}

function token(role: string, sub: string): string {
  const r = spawnSync([process.execPath, "packages/server/src/cli/token.ts", "--role", role, "--sub", sub], {
    env: { ...process.env, DATA_DIR: dataDir },
  });
  expect(r.exitCode).toBe(0);
  return r.stdout.toString().trim();
}

test("drains on SIGTERM, keeps its data and secret across a restart", async () => {
  const first = await launch({ DRAIN_DELAY_MS: "400" });
  const auth = { authorization: `Bearer ${token("teacher", "t1")}`, "content-type": "application/json" };
  const created = await fetch(`${first.base}/api/courses`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ title: "Persisted", status: "active" }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect(
    (
      await fetch(`${first.base}/api/courses/${id}/enrollments`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ studentIds: ["a", "b"] }),
      })
    ).status,
  ).toBe(201);
  // the join policy compiles after listening
  for (let i = 0; i < 100 && (await fetch(`${first.base}/readyz`)).status !== 200; i++) await Bun.sleep(20);
  expect((await fetch(`${first.base}/readyz`)).status).toBe(200);

  const sent = Date.now();
  first.proc.kill("SIGTERM");
  await Bun.sleep(100);
  const draining = await fetch(`${first.base}/readyz`);
  expect(draining.status).toBe(503);
  expect(((await draining.json()) as { reason: string }).reason).toBe("draining");
  expect(await first.proc.exited).toBe(0);
  expect(Date.now() - sent).toBeLessThan(10_000);
  await Bun.sleep(50);
  const logged = first.lines.map((l) => JSON.parse(l));
  expect(logged.some((r) => r.msg === "request" && r.route === "/api/courses" && r.status === 201 && typeof r.reqId === "string")).toBe(
    true,
  );
  expect(logged.some((r) => r.msg === "stopped")).toBe(true);

  const second = await launch();
  const read = await fetch(`${second.base}/api/courses/${id}`, { headers: auth }); // same token: the secret was kept
  expect(read.status).toBe(200);
  expect(await read.json()).toMatchObject({ id, title: "Persisted", enrolled: 2 });
  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
}, 30_000);

test("/metrics passes promtool check metrics", async () => {
  const promtool = Bun.which("promtool");
  if (!promtool) throw new Error("promtool is missing: install Debian's `prometheus` package (.ci/run does)");
  const s = await launch();
  await fetch(`${s.base}/api/courses`); // one 401, so request metrics have samples
  // A chat in a live class, so the class-event histograms have samples with labels.
  const teacher = token("teacher", "t-metrics");
  const auth = { authorization: `Bearer ${teacher}`, "content-type": "application/json" };
  const post = async (path: string, body: unknown) =>
    (await fetch(`${s.base}${path}`, { method: "POST", headers: auth, body: JSON.stringify(body) })).json() as Promise<{ id: string }>;
  const course = await post("/api/courses", { title: "Metrics", status: "active" });
  await post(`/api/courses/${course.id}/enrollments`, { studentIds: ["s-metrics"] });
  const cls = await post(`/api/courses/${course.id}/classes`, { startsAt: new Date().toISOString(), durationMinutes: 60 });
  await post(`/api/classes/${cls.id}/start`, {});
  const { peer } = await join(s.base, cls.id, teacher);
  const student = await join(s.base, cls.id, token("student", "s-metrics"));
  await peer.request({ type: "chat.send", text: "hello" });
  await student.peer.next("chat.message");
  peer.close();
  student.peer.close();
  const text = await (await fetch(`${s.base}/metrics`)).text();
  // The chat's way from the teacher's frame to the publish, and its stages (it waited for one commit).
  expect(text).toMatch(/edgeclass_event_fanout_seconds_count\{type="chat\.message"\} 1\n/);
  expect(text).toMatch(/edgeclass_event_stage_seconds_count\{type="chat\.message",stage="commit"\} 1\n/);
  const sum = (name: string) => Number(new RegExp(`${name}_sum\\{type="chat\\.message"\\} (\\S+)`).exec(text)?.[1]);
  expect(sum("edgeclass_event_fanout_seconds")).toBeGreaterThan(0);
  const check = spawnSync([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text) });
  expect(check.stdout.toString() + check.stderr.toString()).toBe("");
  expect(check.exitCode).toBe(0);
  s.proc.kill("SIGTERM");
  await s.proc.exited;
}, 20_000);

test("an invalid setting stops start-up with a message naming it", () => {
  const r = spawnSync([process.execPath, "packages/server/src/main.ts"], {
    env: { ...process.env, DATA_DIR: dataDir, VIDEO_QUALITY: "8k" },
  });
  expect(r.exitCode).toBe(78);
  expect(r.stderr.toString()).toContain("VIDEO_QUALITY: expected one of 360p, 480p, 720p, 1080p");
});
