// The catalogue across instances that do NOT share a data folder (separate nodes, or pods
// with their own volume): each keeps its own SQLite copy, kept in step through a real Redis.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { tempDir } from "./support/server.ts";
import { join } from "./support/ws.ts";
import { apiClient, eventually, privateRedis, spawned, startInstance, uniquePrefix, type Instance } from "./support/instances.ts";

const secret = "catalogue-test-secret-0123456789-abcdefghijklmnop";
const { token, api } = apiClient(secret);
const dirs: string[] = [];
const closers: (() => void)[] = [];
afterAll(() => {
  for (const c of closers) c();
  for (const p of spawned) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An instance on a data folder of its own (a new one unless given). */
async function node(
  redisUrl: string,
  prefix: string,
  name: string,
  dataDir = tempDir("edgeclass-node-"),
): Promise<Instance & { dataDir: string }> {
  dirs.push(dataDir);
  const i = await startInstance({
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    INSTANCE_ID: name,
    JWT_SECRET: secret,
    RECONNECT_GRACE_MS: "10000",
  });
  return { ...i, dataDir };
}

const SINGLE = {
  kind: "single",
  prompt: "2 + 2 = ?",
  options: [
    { id: "a", text: "3" },
    { id: "b", text: "4" },
  ],
  correct: "b",
} as const;

describe("three instances with separate data folders", () => {
  test("a course made on one is taught on all: enrolments, classes, a live quiz and its results everywhere", async () => {
    const prefix = uniquePrefix();
    const redis = "redis://127.0.0.1:6379";
    const [a, b, c] = [await node(redis, prefix, "a"), await node(redis, prefix, "b"), await node(redis, prefix, "c")];
    const teacher = await token("teacher", "t-cat", "Tess Teacher");
    const admin = await token("admin", "admin");

    const created = await api(a.base, "POST", "/api/courses", teacher, { title: "Optics", capacity: 50, status: "active" });
    expect(created.status).toBe(201);
    const courseId: string = created.body.id;
    // Enrol on b, schedule on c: each instance must already know the course.
    await eventually(async () => expect((await api(b.base, "GET", `/api/courses/${courseId}`, teacher)).status).toBe(200));
    expect(
      (await api(b.base, "POST", `/api/courses/${courseId}/enrollments`, teacher, { studentIds: ["s-a", "s-b", "s-c", "s-quiet"] })).body
        .enrolled,
    ).toBe(4);
    await eventually(async () => expect((await api(c.base, "GET", `/api/courses/${courseId}`, teacher)).body.enrolled).toBe(4));
    const scheduled = await api(c.base, "POST", `/api/courses/${courseId}/classes`, teacher, {
      title: "Lenses",
      startsAt: new Date().toISOString(),
      durationMinutes: 60,
    });
    expect(scheduled.status).toBe(201);
    const classId: string = scheduled.body.id;
    for (const i of [a, b, c]) {
      await eventually(async () => {
        const r = await api(i.base, "GET", `/api/courses/${courseId}/enrollments`, admin);
        expect(r.body.items.map((e: { studentId: string }) => e.studentId)).toEqual(["s-a", "s-b", "s-c", "s-quiet"]);
        expect((await api(i.base, "GET", `/api/classes/${classId}`, teacher)).status).toBe(200);
      });
    }

    // Started on a; students join on every instance; a quiz is answered everywhere.
    expect((await api(a.base, "POST", `/api/classes/${classId}/start`, teacher)).status).toBe(200);
    await eventually(async () => expect((await api(c.base, "GET", `/api/classes/${classId}`, teacher)).body.status).toBe("live"));
    const tp = await join(a.base, classId, teacher);
    const students = [
      await join(a.base, classId, await token("student", "s-a")),
      await join(b.base, classId, await token("student", "s-b")),
      await join(c.base, classId, await token("student", "s-c")),
    ];
    const quiet = await join(c.base, classId, await token("student", "s-quiet", "Quinn Quiet")); // attends, never answers
    closers.push(() => [tp, quiet, ...students].forEach((s) => s.peer.close()));
    await tp.peer.next("presence", (m) => m.count === 5);
    const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 60 })) as {
      questionId: string;
    };
    for (const [i, s] of students.entries())
      await s.peer.request({ type: "quiz.answer", questionId, answerId: `ans-${i}`, response: { choice: i === 0 ? "a" : "b" } });
    // An instance that is not the owner reads complete results (copied from Redis first).
    const mid = await api(c.base, "GET", `/api/classes/${classId}/results?format=json`, teacher);
    expect(mid.body.questions[0].answers.map((x: { userId: string }) => x.userId).sort()).toEqual(["s-a", "s-b", "s-c"]);
    expect(mid.body.students.find((x: { userId: string }) => x.userId === "s-quiet")).toMatchObject({
      name: "Quinn Quiet",
      score: 0,
      answered: 0,
    });
    const attendance = await api(b.base, "GET", `/api/classes/${classId}/attendance`, teacher);
    expect(attendance.body.items.map((r: { userId: string }) => r.userId).sort()).toEqual(["s-a", "s-b", "s-c", "s-quiet", "t-cat"]);

    // Ended on b: every instance keeps the results, the class is ended everywhere.
    expect((await api(b.base, "POST", `/api/classes/${classId}/end`, teacher)).body.status).toBe("ended");
    // c copies the results when it learns the class ended, so they outlive Redis's copy (kept a day).
    await eventually(async () => expect((await api(c.base, "GET", `/api/classes/${classId}`, teacher)).body.status).toBe("ended"));
    await Bun.sleep(500);
    const { default: Redis } = await import("ioredis");
    const probe = new Redis(redis);
    const classKeys = await probe.keys(`${prefix}{${classId}}:*`);
    expect(classKeys.length).toBeGreaterThan(0);
    await probe.del(...classKeys);
    probe.disconnect();
    for (const i of [a, b, c]) {
      await eventually(async () => {
        expect((await api(i.base, "GET", `/api/classes/${classId}`, teacher)).body.status).toBe("ended");
        const r = await api(i.base, "GET", `/api/classes/${classId}/results?format=json`, teacher);
        expect(r.body.questions[0].distribution).toEqual({ a: 1, b: 2 });
        expect(r.body.students.map((x: { userId: string }) => x.userId).sort()).toEqual(["s-a", "s-b", "s-c", "s-quiet"]);
        const att = await api(i.base, "GET", `/api/classes/${classId}/attendance`, teacher);
        expect(att.body.items.every((x: { leftAt: string | null }) => x.leftAt !== null)).toBe(true);
      });
    }
    const metrics = await (await fetch(`${c.base}/metrics`)).text();
    expect(metrics).toMatch(/edgeclass_catalogue_changes_total\{direction="received"\} [1-9]/);
    expect(metrics).toMatch(/edgeclass_catalogue_outbox_changes 0/);
  }, 90_000);

  test("concurrent edits of one course converge to the same version everywhere; a removed enrolment stays removed", async () => {
    const prefix = uniquePrefix();
    const redis = "redis://127.0.0.1:6379";
    const [a, b, c] = [await node(redis, prefix, "a"), await node(redis, prefix, "b"), await node(redis, prefix, "c")];
    const teacher = await token("teacher", "t-conc");
    const courseId: string = (await api(a.base, "POST", "/api/courses", teacher, { title: "Draft", capacity: 10 })).body.id;
    await eventually(async () => {
      for (const i of [b, c]) expect((await api(i.base, "GET", `/api/courses/${courseId}`, teacher)).status).toBe(200);
    });
    await Promise.all([
      ...Array.from({ length: 5 }, (_, k) => api(a.base, "PATCH", `/api/courses/${courseId}`, teacher, { title: `from a ${k}` })),
      ...Array.from({ length: 5 }, (_, k) => api(b.base, "PATCH", `/api/courses/${courseId}`, teacher, { title: `from b ${k}` })),
      api(c.base, "POST", `/api/courses/${courseId}/enrollments`, teacher, { studentIds: ["s-x"] }),
    ]);
    await eventually(async () => {
      const titles = await Promise.all(
        [a, b, c].map(async (i) => (await api(i.base, "GET", `/api/courses/${courseId}`, teacher)).body.title),
      );
      expect(new Set(titles).size).toBe(1);
      expect(titles[0]).toMatch(/^from [ab] 4$/);
    });
    // Enrolled on c, removed on a: removed everywhere, also where the removal arrives first.
    await eventually(async () => expect((await api(a.base, "GET", `/api/courses/${courseId}`, teacher)).body.enrolled).toBe(1));
    expect((await api(a.base, "DELETE", `/api/courses/${courseId}/enrollments/s-x`, teacher)).body.removed).toBe(true);
    await eventually(async () => {
      const counts = await Promise.all(
        [a, b, c].map(async (i) => (await api(i.base, "GET", `/api/courses/${courseId}`, teacher)).body.enrolled),
      );
      expect(counts).toEqual([0, 0, 0]);
    });
    // A damaged entry in the stream is left out (counted), and the changes after it still arrive.
    const { default: Redis } = await import("ioredis");
    const probe = new Redis(redis);
    await probe.xadd(`${prefix}{catalogue}:log`, "*", "c", "{not json");
    probe.disconnect();
    const after: string = (await api(a.base, "POST", "/api/courses", teacher, { title: "After the damage" })).body.id;
    await eventually(async () => expect((await api(b.base, "GET", `/api/courses/${after}`, teacher)).status).toBe(200));
    expect(await (await fetch(`${b.base}/metrics`)).text()).toMatch(/edgeclass_catalogue_changes_total\{direction="rejected"\} 1/);
  }, 60_000);
});

test("Redis away: writes are accepted and kept, sent when it returns (even empty), and a new instance loads everything", async () => {
  const redis = await privateRedis();
  const prefix = uniquePrefix();
  const a = await node(redis.url, prefix, "a");
  const b = await node(redis.url, prefix, "b");
  const teacher = await token("teacher", "t-away");
  const before: string = (await api(a.base, "POST", "/api/courses", teacher, { title: "Before the outage" })).body.id;
  await eventually(async () => expect((await api(b.base, "GET", `/api/courses/${before}`, teacher)).status).toBe(200));

  await redis.kill();
  await Bun.sleep(300);
  const during = await api(a.base, "POST", "/api/courses", teacher, { title: "During the outage" });
  expect(during.status).toBe(201);
  const duringId: string = during.body.id;
  expect((await api(a.base, "PATCH", `/api/courses/${before}`, teacher, { title: "Renamed during the outage" })).status).toBe(200);
  // a crashes before Redis returns: the changes wait in its SQLite outbox.
  a.proc.kill("SIGKILL");
  await a.proc.exited;

  await redis.start(); // empty: it keeps nothing on disk
  const a2 = await node(redis.url, prefix, "a-again", a.dataDir);
  for (const i of [a2, b]) {
    await eventually(async () => {
      expect((await api(i.base, "GET", `/api/courses/${duringId}`, teacher)).body.title).toBe("During the outage");
      expect((await api(i.base, "GET", `/api/courses/${before}`, teacher)).body.title).toBe("Renamed during the outage");
    }, 15_000);
  }
  // A brand-new instance (empty data folder) loads the whole catalogue from Redis before it is ready.
  const fresh = await node(redis.url, prefix, "fresh");
  expect((await api(fresh.base, "GET", `/api/courses/${duringId}`, teacher)).status).toBe(200);
  expect((await api(fresh.base, "GET", `/api/courses/${before}`, teacher)).body.title).toBe("Renamed during the outage");
  expect((await api(fresh.base, "GET", "/api/courses/demo-physics-101", await token("admin", "admin"))).status).toBe(200);
}, 90_000);
