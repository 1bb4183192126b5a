// The AGS grade outbox against the jose test platform: a post the LMS rejects is retried with
// backoff, then reported (failed, with the LMS's answer, counted), never dropped; the teacher's
// retry sends it; a restart resumes what was pending.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { SqliteKeys } from "../src/auth/keys.ts";
import { Records } from "../src/auth/records.ts";
import { deriveKey } from "../src/auth/seal.ts";
import { backoff, GradeOutbox, type GradeOptions } from "../src/lti/grades.ts";
import { PlatformClient } from "../src/lti/platform-client.ts";
import { LtiRegistry } from "../src/lti/registry.ts";
import { ToolKeys } from "../src/lti/tool-key.ts";
import { createLogging } from "../src/obs/logger.ts";
import { Registry } from "../src/obs/prom.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { startLtiPlatform, type TestPlatform } from "./support/lti-platform.ts";
import { tempDir } from "./support/server.ts";

let lms: TestPlatform;
let dir: string;
let jwks: ReturnType<typeof Bun.serve>;
const fast: GradeOptions = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 40 };
const sealKey = deriveKey("a-test-secret-that-is-long-enough-0123456789", "sealed-secrets");
const { logger } = createLogging("silent");

function open() {
  const db = openDatabase(join(dir, "edgeclass.db"));
  const registry = new LtiRegistry(new Records(db, null));
  const toolKeys = new ToolKeys(new SqliteKeys(db), sealKey);
  const metrics = new Registry();
  const outbox = new GradeOutbox(db, registry, new PlatformClient(toolKeys), logger, metrics, Date.now, fast);
  return { db, registry, toolKeys, metrics, outbox };
}

async function until(cond: () => boolean, ms = 3000) {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(10);
  }
}

beforeAll(async () => {
  dir = tempDir();
  lms = await startLtiPlatform();
  const { db, registry, toolKeys } = open();
  registry.insert({ id: "p1", schoolId: "s", name: "LMS", ...lms.registration }, 0);
  registry.putLink({ platformId: "p1", resourceLinkId: "rl", classId: "c1", lineitemUrl: lms.lineitem("li-1") });
  registry.putUser("s:ana", "p1", "lms-ana");
  registry.putUser("s:ben", "p1", "lms-ben");
  // The LMS checks the tool's assertions against the tool's JWKS, served here for this test.
  const keys = await toolKeys.jwks();
  jwks = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json(keys) });
  lms.toolJwksUrl = `http://127.0.0.1:${jwks.port}/`;
  db.close();
});

afterAll(() => {
  lms?.close();
  jwks?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("backoff doubles from the base, is capped, and is jittered by at most a fifth", () => {
  const o = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 10_000 };
  expect([1, 2, 3, 4, 5, 6].map((a) => backoff(a, o, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  expect(backoff(1, o, () => 0)).toBe(800);
  expect(backoff(1, o, () => 1)).toBe(1200);
});

test("a grade the LMS rejects is retried with backoff, then reported as failed; the teacher's retry sends it", async () => {
  const { db, outbox, metrics } = open();
  lms.failScores = { status: 400, times: 100 };
  expect(
    outbox.enqueue("c1", [
      { userId: "s:ana", scoreGiven: 7, scoreMaximum: 10 },
      { userId: "s:nobody", scoreGiven: 1, scoreMaximum: 10 },
    ]),
  ).toBe(1); // the LMS does not know s:nobody
  const started = Date.now();
  await until(() => outbox.rows("c1")[0]?.status === "failed");
  expect(Date.now() - started).toBeGreaterThanOrEqual(fast.baseDelayMs * 0.8 + fast.baseDelayMs * 2 * 0.8 - 5); // waited between attempts
  const [row] = outbox.rows("c1");
  expect(row).toMatchObject({ userId: "s:ana", status: "failed", attempts: 3, scoreGiven: 7 });
  expect(row.lastError).toContain("400");
  expect(lms.scores).toHaveLength(0);
  const exposed = metrics.expose();
  expect(exposed).toContain('edgeclass_lti_grades_total{outcome="failed"} 1');
  expect(exposed).toContain('edgeclass_lti_grades_total{outcome="retry"} 2');
  expect(exposed).toContain('edgeclass_lti_grades_waiting{status="failed"} 1');
  // Nothing more happens on its own: a failed grade waits for a person.
  await Bun.sleep(100);
  expect(outbox.rows("c1")[0].attempts).toBe(3);
  lms.failScores = { status: 400, times: 0 };
  expect(outbox.retryFailed("c1")).toBe(1);
  await until(() => outbox.rows("c1")[0].status === "sent");
  expect(lms.scores.at(-1)!.body).toMatchObject({ userId: "lms-ana", scoreGiven: 7, scoreMaximum: 10 });
  outbox.close();
  db.close();
});

test("a 5xx then success: sent on a later attempt; a pending grade survives a restart", async () => {
  const first = open();
  lms.failScores = { status: 503, times: 1 };
  first.outbox.enqueue("c1", [{ userId: "s:ben", scoreGiven: 3, scoreMaximum: 10 }]);
  await until(() => first.outbox.rows("c1").find((r) => r.userId === "s:ben")?.attempts === 1);
  first.outbox.close(); // "crash" with the grade pending
  first.db.close();
  const before = lms.scores.length;
  const second = open();
  expect(second.outbox.rows("c1").find((r) => r.userId === "s:ben")).toMatchObject({ status: "pending", attempts: 1 });
  second.outbox.start();
  await until(() => second.outbox.rows("c1").find((r) => r.userId === "s:ben")?.status === "sent");
  expect(lms.scores.slice(before).map((s) => s.body.userId)).toEqual(["lms-ben"]);
  second.outbox.close();
  second.db.close();
});

test("every POST to the LMS (token, scores) goes on a connection of its own: none meets a kept one the LMS is closing", async () => {
  const { db, outbox } = open();
  const before = lms.toolPostPorts.length;
  outbox.enqueue("c1", [
    { userId: "s:ana", scoreGiven: 9, scoreMaximum: 10 },
    { userId: "s:ben", scoreGiven: 8, scoreMaximum: 10 },
  ]);
  outbox.start();
  await until(() => outbox.rows("c1").every((r) => r.status === "sent"));
  outbox.close();
  db.close();
  const ports = lms.toolPostPorts.slice(before);
  expect(ports.length).toBeGreaterThanOrEqual(2);
  expect(new Set(ports).size).toBe(ports.length);
});
