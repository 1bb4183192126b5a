// The live fuzz across two instances sharing a class through a real Redis: the teacher is on
// the owner (A); admins and students are on B, so their well-formed frames are forwarded to
// the owner and its refusals come back. Every frame gets the same documented error as on one
// instance, and nothing changes: the REST view on both instances and every welcome after a
// reconnect. More cases: FUZZ_RUNS=2000 or `npm run fuzz -- --runs 2000 --only cluster`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join as joinPath } from "node:path";
import fc from "fast-check";
import Redis from "ioredis";
import { mintToken } from "../../src/auth/tokens.ts";
import type { Role } from "../../src/domain/model.ts";
import { privateRedis, spawned, startInstance, uniquePrefix, type Instance } from "../support/instances.ts";
import { tempDir, type TestServer } from "../support/server.ts";
import { params, timeLimit } from "./arbitraries.ts";
import { expected, FuzzSocket, type Frame } from "./live-harness.ts";
import { badFrameArb, refusals } from "./refusals.ts";
import { restSnapshot } from "./snapshot.ts";

const BAD_RUNS = 20;
const REFUSED_RUNS = 15;
const STUDENTS = 8;
const STAFF = 3;
const teacherId = "fz-c-teacher";
const staffIds = [teacherId, ...Array.from({ length: STAFF - 1 }, (_, i) => `fz-c-admin${i}`)];
const studentIds = Array.from({ length: STUDENTS }, (_, i) => `fz-c-s${i}`);
const allIds = [...staffIds, ...studentIds];
const roleOf = (id: string): Role => (id === teacherId ? "teacher" : id.startsWith("fz-c-admin") ? "admin" : "student");

let dataDir = "";
let redisUrl = "";
let a: Instance;
let b: Instance;
let secret = "";
let classId = "";
let chatId = "";
let bankQuestionId = "";
let sockets: FuzzSocket[] = [];
const initial = new Map<string, unknown>();

/** The REST side of an instance, in the shape restSnapshot takes. */
function restOf(base: string): Pick<TestServer, "call" | "token"> {
  return {
    token: (role, sub, ttlSeconds = 600) => mintToken(secret, { role, sub, ttlSeconds }),
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(base + path, { method, headers, body: opts.body !== undefined ? JSON.stringify(opts.body) : opts.raw });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: res.status, body, headers: res.headers };
    },
  };
}
let restA: Pick<TestServer, "call" | "token">;
let restB: Pick<TestServer, "call" | "token">;

/** The teacher (socket 0) on A, everyone else on B. */
const baseOf = (i: number) => (i === 0 ? a.base : b.base);
const urlOf = async (i: number) =>
  `${baseOf(i).replace(/^http/, "ws")}/api/classes/${classId}/live?token=` +
  `${await mintToken(secret, { role: roleOf(allIds[i]), sub: allIds[i], ttlSeconds: 3600 })}`;
const openAll = async () => {
  const teacher = await FuzzSocket.open(await urlOf(0)); // first, so A takes the class
  return [teacher, ...(await Promise.all(allIds.slice(1).map(async (_, j) => FuzzSocket.open(await urlOf(j + 1)))))];
};

beforeAll(async () => {
  const redis = await privateRedis();
  redisUrl = redis.url;
  dataDir = tempDir("edgeclass-fuzz-cluster-");
  const env = {
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: uniquePrefix(),
    RECONNECT_GRACE_MS: "120000",
    RATE_AUTH_FAILURES_PER_MINUTE: "100000",
    DEMO: "false",
  };
  a = await startInstance({ ...env, INSTANCE_ID: "fz-a" });
  b = await startInstance({ ...env, INSTANCE_ID: "fz-b" });
  secret = readFileSync(joinPath(dataDir, "jwt-secret"), "utf8").trim();
  restA = restOf(a.base);
  restB = restOf(b.base);
  const tok = await restA.token("teacher", teacherId);
  const course = await restA.call("POST", "/api/courses", { token: tok, body: { title: "Cluster fuzz", status: "active" } });
  await restA.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: tok, body: { studentIds } });
  bankQuestionId = (
    await restA.call("POST", `/api/courses/${course.body.id}/questions`, {
      token: tok,
      body: { kind: "true_false", prompt: "p", correct: true },
    })
  ).body.id;
  classId = (
    await restA.call("POST", `/api/courses/${course.body.id}/classes`, {
      token: tok,
      body: { startsAt: "2030-01-01T10:00:00Z", durationMinutes: 60 },
    })
  ).body.id;
  expect((await restA.call("POST", `/api/classes/${classId}/start`, { token: tok })).status).toBe(200);
  sockets = await openAll();
  const chat = await sockets[0].send({ kind: "text", data: JSON.stringify({ type: "chat.send", rid: "c", text: "hello" }) });
  chatId = (chat as { result: { messageId: string } }).result.messageId;
  expect((await sockets[STAFF].send({ kind: "text", data: JSON.stringify({ type: "hand.raise", rid: "h" }) })).type).toBe("ack");
  await Bun.sleep(800);
  await reconnectAll();
  allIds.forEach((id, i) => initial.set(id, sockets[i].welcome!.state));
}, 90_000);

afterAll(() => {
  for (const s of sockets) s.close();
  for (const p of spawned) p.kill("SIGKILL");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function reconnectAll(): Promise<void> {
  const next = await openAll();
  for (const s of sockets) s.close();
  sockets = next;
}

async function snapshot() {
  const [x, y] = [await restSnapshot(restA, { classes: [classId] }), await restSnapshot(restB, { classes: [classId] })];
  return { a: x, b: y };
}

async function sendBatch<C extends { sender: number; frame: Frame }>(cases: C[]) {
  const bySocket = new Map<number, C[]>();
  for (const c of cases) bySocket.set(c.sender % sockets.length, [...(bySocket.get(c.sender % sockets.length) ?? []), c]);
  const out: { c: C; reply: Awaited<ReturnType<FuzzSocket["send"]>> }[] = [];
  await Promise.all(
    [...bySocket].map(async ([i, cs]) => {
      for (const c of cs) out.push({ c, reply: await sockets[i].send(c.frame) });
    }),
  );
  return out;
}

async function expectNothingChanged(before: Awaited<ReturnType<typeof snapshot>>) {
  for (const s of sockets) {
    expect(s.closed).toBeNull();
    expect(s.events).toEqual([]);
  }
  expect(await snapshot()).toEqual(before);
}

test("A owns the class, B forwards", async () => {
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`*{${classId}}:owner`);
  const owner = keys.length ? await redis.get(keys[0]) : null;
  redis.disconnect();
  expect(owner).toContain("fz-a");
});

test(
  "across instances: bad frames and well-formed refusals get their documented error and change nothing",
  async () => {
    const staff = fc.nat({ max: STAFF - 1 });
    const student = fc.integer({ min: STAFF, max: STAFF + STUDENTS - 1 });
    const refused = refusals({
      staff,
      student,
      staffIds,
      participants: new Set(allIds),
      chatId: () => chatId,
      bankQuestionId: () => bankQuestionId,
    });
    const bad = fc.record({ sender: fc.nat({ max: allIds.length - 1 }), frame: badFrameArb }).filter((c) => expected(c.frame) !== "valid");
    const counts = { bad: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(bad, { minLength: 1, maxLength: 30, size: "max" }), async (batch) => {
        const before = await snapshot();
        for (const { c, reply } of await sendBatch(batch)) {
          const want = expected(c.frame);
          if (want === "valid") throw new Error("unreachable");
          expect({ type: reply.type, code: "code" in reply ? reply.code : undefined, rid: (reply as { rid?: string }).rid }).toEqual({
            type: "error",
            code: want.code,
            rid: want.rid,
          });
        }
        counts.bad += batch.length;
        await expectNothingChanged(before);
      }),
      params(BAD_RUNS),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(refused, { minLength: 1, maxLength: 30, size: "max" }), async (batch) => {
        const before = await snapshot();
        for (const { c, reply } of await sendBatch(batch)) {
          const frame = (c.frame as { data: string }).data.slice(0, 300);
          expect({
            frame,
            sender: allIds[c.sender % allIds.length],
            type: reply.type,
            code: "code" in reply ? reply.code : undefined,
          }).toEqual({ frame, sender: allIds[c.sender % allIds.length], type: "error", code: c.code });
        }
        counts.refused += batch.length;
        await expectNothingChanged(before);
      }),
      params(REFUSED_RUNS),
    );
    await reconnectAll();
    allIds.forEach((id, i) => expect({ id, state: sockets[i].welcome!.state as unknown }).toEqual({ id, state: initial.get(id) }));
    console.log(`cluster fuzz: ${counts.bad} bad frames, ${counts.refused} forwarded refusals`);
  },
  timeLimit(BAD_RUNS + REFUSED_RUNS) + 30_000,
);
