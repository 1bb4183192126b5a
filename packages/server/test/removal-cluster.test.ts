// Removal across instances: three server processes with data folders of their own (each its own
// catalogue copy) and a private real Redis. The unenrolment is made on A while B owns the class and
// the student's socket is on C; a participant.remove survives the owner's kill -9 (the next owner
// refuses the student too); archiving on A takes the remaining students out.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { CLOSE } from "@edgeclass/client/protocol";
import { apiClient, eventually, privateRedis, spawned, startInstance, uniquePrefix, type Instance } from "./support/instances.ts";
import { tempDir } from "./support/server.ts";
import { join, setReplyTimeout, type Peer } from "./support/ws.ts";

// Three processes on two shared, busy cores: generous waits.
setReplyTimeout(20_000);

const secret = "removal-cluster-secret-0123456789-abcdefghijklmnop";
const { token, api } = apiClient(secret);
const dirs: string[] = [];
const peers: Peer[] = [];
let stopRedis: (() => Promise<void>) | null = null;
afterAll(async () => {
  for (const p of peers) p.close();
  for (const p of spawned) p.kill("SIGKILL");
  await stopRedis?.();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function node(redisUrl: string, prefix: string, name: string): Promise<Instance> {
  const dataDir = tempDir("edgeclass-removal-node-");
  dirs.push(dataDir);
  return startInstance({
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    INSTANCE_ID: name,
    JWT_SECRET: secret,
    RECONNECT_GRACE_MS: "30000",
    DEMO: "false",
  });
}

async function enter(base: string, classId: string, tok: string) {
  const r = await join(base, classId, tok);
  peers.push(r.peer);
  return r;
}

/** The close, or a failure when the socket is still open after `ms` (the grace period is 30 s). */
function closedWithin(p: Peer, ms = 10_000) {
  return Promise.race([p.closed, Bun.sleep(ms).then(() => Promise.reject(new Error(`socket still open after ${ms} ms`)))]);
}

describe("three instances, separate catalogue copies", () => {
  test("unenrolled on A, owned by B, socket on C: 4013 at once, seat released, no rejoin; remove survives a takeover; " +
    "archive", async () => {
    const redis = await privateRedis();
    stopRedis = redis.kill;
    const prefix = uniquePrefix();
    const [a, b, c] = [await node(redis.url, prefix, "a"), await node(redis.url, prefix, "b"), await node(redis.url, prefix, "c")];
    const teacher = await token("teacher", "t-rmc");
    const students = ["s-gone", "s-banned", "s-stays"];
    const course = await api(a.base, "POST", "/api/courses", teacher, { title: "Cluster removal", status: "active" });
    expect(course.status).toBe(201);
    const courseId: string = course.body.id;
    expect((await api(a.base, "POST", `/api/courses/${courseId}/enrollments`, teacher, { studentIds: students })).status).toBe(201);
    const cls = await api(a.base, "POST", `/api/courses/${courseId}/classes`, teacher, {
      startsAt: new Date().toISOString(),
      durationMinutes: 60,
    });
    const classId: string = cls.body.id;
    expect((await api(a.base, "POST", `/api/classes/${classId}/start`, teacher)).status).toBe(200);
    for (const i of [b, c]) {
      await eventually(async () => {
        expect((await api(i.base, "GET", `/api/classes/${classId}`, teacher)).body.status).toBe("live");
        expect((await api(i.base, "GET", `/api/courses/${courseId}`, teacher)).body.enrolled).toBe(3);
      });
    }

    // The teacher's join on B makes B the owner; the students are on C.
    const tp = await enter(b.base, classId, teacher);
    const [gone, banned, stays] = [
      await enter(c.base, classId, await token("student", "s-gone")),
      await enter(c.base, classId, await token("student", "s-banned")),
      await enter(c.base, classId, await token("student", "s-stays")),
    ];
    await tp.peer.next("presence", (m) => m.count === 4 && m.joined !== undefined, 20_000);

    // Unenrolled on A: the change reaches B through the catalogue stream; B's room closes C's socket.
    const started = Date.now();
    expect((await api(a.base, "DELETE", `/api/courses/${courseId}/enrollments/s-gone`, teacher)).status).toBe(200);
    expect(await closedWithin(gone.peer)).toEqual({ code: CLOSE.removed, reason: "removed: no longer enrolled in this course" });
    const tookMs = Date.now() - started;
    await tp.peer.next("presence", (m) => m.count === 3 && (m.removed ?? []).includes("s-gone"), 10_000);
    for (const i of [c, a]) {
      const again = await join(i.base, classId, await token("student", "s-gone")).catch((e) => e);
      expect(again).toMatchObject({ code: CLOSE.removed });
    }
    console.log(JSON.stringify({ unenrolOnAToCloseOnCMs: tookMs }));

    // participant.remove from the teacher on B, the student on C.
    expect(await tp.peer.request({ type: "participant.remove", userId: "s-banned", reason: "cheating" })).toEqual({
      userId: "s-banned",
      removed: true,
    });
    expect(await closedWithin(banned.peer)).toEqual({ code: CLOSE.removed, reason: "removed by the teacher: cheating" });

    // The owner dies: the next owner (C, on the rejoin) restores the removal from Redis and refuses them.
    b.proc.kill("SIGKILL");
    await b.proc.exited;
    const afterTakeover = await join(c.base, classId, await token("student", "s-banned")).catch((e) => e);
    expect(afterTakeover).toMatchObject({ code: CLOSE.removed, reason: "removed by the teacher: cheating" });
    // The student who stayed is admitted again by the new owner and can chat.
    await stays.peer.next("welcome", undefined, 20_000);
    expect(await stays.peer.request({ type: "chat.send", text: "still here" })).toMatchObject({ messageId: expect.any(String) });

    // Archived on A: the remaining student (on C, owned by C now) is taken out.
    expect((await api(a.base, "POST", `/api/courses/${courseId}/archive`, teacher)).status).toBe(200);
    expect(await closedWithin(stays.peer)).toEqual({ code: CLOSE.removed, reason: "removed: the course was archived" });
  }, 120_000);
});

test("a removal outlives Redis restarted empty: the owner shares it again, and the next owner still refuses the student", async () => {
  const redis = await privateRedis();
  const prefix = uniquePrefix();
  const [a, b] = [await node(redis.url, prefix, "ra"), await node(redis.url, prefix, "rb")];
  const teacher = await token("teacher", "t-rme");
  const course = await api(a.base, "POST", "/api/courses", teacher, { title: "Removal and Redis", status: "active" });
  const courseId: string = course.body.id;
  await api(a.base, "POST", `/api/courses/${courseId}/enrollments`, teacher, { studentIds: ["s-out", "s-in"] });
  const cls = await api(a.base, "POST", `/api/courses/${courseId}/classes`, teacher, {
    startsAt: new Date().toISOString(),
    durationMinutes: 60,
  });
  const classId: string = cls.body.id;
  await api(a.base, "POST", `/api/classes/${classId}/start`, teacher);
  await eventually(async () => expect((await api(b.base, "GET", `/api/classes/${classId}`, teacher)).body.status).toBe("live"));
  const tp = await enter(a.base, classId, teacher); // a owns the class
  const out = await enter(b.base, classId, await token("student", "s-out"));
  const stays = await enter(b.base, classId, await token("student", "s-in"));
  await tp.peer.next("presence", (m) => m.count === 3 && m.joined !== undefined, 20_000);
  await tp.peer.request({ type: "participant.remove", userId: "s-out", reason: "left the room" });
  expect(await closedWithin(out.peer)).toMatchObject({ code: CLOSE.removed });

  await redis.kill();
  await Bun.sleep(500);
  await redis.start(); // empty: it keeps nothing on disk
  const { default: Redis } = await import("ioredis");
  const probe = new Redis(redis.url);
  try {
    // The owner shares its removals again after the reconnect.
    const key = `${prefix}{${classId}}:removed`;
    await eventually(async () => expect(Object.keys(await probe.hgetall(key))).toEqual(["s-out"]), 20_000);
  } finally {
    probe.disconnect();
  }
  // The owner dies; b takes the class over on the rejoin, from Redis alone (its SQLite never held the removal).
  a.proc.kill("SIGKILL");
  await a.proc.exited;
  const again = await join(b.base, classId, await token("student", "s-out")).catch((e) => e);
  expect(again).toMatchObject({ code: CLOSE.removed, reason: "removed by the teacher: left the room" });
  // The other student goes on with the new owner.
  await stays.peer.next("welcome", undefined, 20_000);
  expect(await stays.peer.request({ type: "chat.send", text: "still here" })).toMatchObject({ messageId: expect.any(String) });
}, 120_000);
