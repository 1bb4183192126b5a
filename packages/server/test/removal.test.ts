// Taking a student out of a live class on one instance: unenrolment, archiving and the staff
// command participant.remove close the student's socket with 4013 at once, release the seat
// without the reconnect grace period, and refuse a rejoin (participant.remove survives a restart).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { CLOSE } from "@edgeclass/client/protocol";
import { EdgeClassClient } from "@edgeclass/client";
import { startTestServer, tempDir, type TestServer } from "./support/server.ts";
import { join, type Peer } from "./support/ws.ts";

// A long grace period: a student who merely dropped would keep the seat for the whole test.
const GRACE = { RECONNECT_GRACE_MS: "30000", DEMO: "false" };
let t: TestServer;
let teacherToken: string;
const peers: Peer[] = [];
const dataDir = tempDir("edgeclass-removal-");

beforeAll(async () => {
  t = await startTestServer(GRACE, dataDir);
  teacherToken = await t.token("teacher", "t-rm");
});
afterAll(async () => {
  for (const p of peers) p.close();
  await t.server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh active course with students s0..s(n-1) enrolled and a live class. */
async function liveClass(n: number) {
  const course = await t.call("POST", "/api/courses", { token: teacherToken, body: { title: "Removal", status: "active" } });
  const ids = Array.from({ length: n }, (_, i) => `${course.body.id.slice(-6)}-s${i}`);
  expect(
    (await t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: teacherToken, body: { studentIds: ids } })).status,
  ).toBe(201);
  const cls = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: teacherToken,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  expect((await t.call("POST", `/api/classes/${cls.body.id}/start`, { token: teacherToken })).status).toBe(200);
  return { courseId: course.body.id as string, classId: cls.body.id as string, ids };
}

async function enter(classId: string, tok: string) {
  const r = await join(t.base, classId, tok);
  peers.push(r.peer);
  return r;
}

/** Resolves with the close, or rejects when the socket is still open after `ms` (the grace period is 30 s). */
function closedWithin(p: Peer, ms = 5000) {
  return Promise.race([p.closed, Bun.sleep(ms).then(() => Promise.reject(new Error(`socket still open after ${ms} ms`)))]);
}

describe("unenrolment", () => {
  test("closes the student's socket with 4013 at once, releases the seat, and refuses a rejoin", async () => {
    const { courseId, classId, ids } = await liveClass(2);
    const teacher = await enter(classId, teacherToken);
    const gone = await enter(classId, await t.token("student", ids[0]));
    await enter(classId, await t.token("student", ids[1]));
    await teacher.peer.next("presence", (m) => m.count === 3);

    const started = Date.now();
    expect((await t.call("DELETE", `/api/courses/${courseId}/enrollments/${ids[0]}`, { token: teacherToken })).status).toBe(200);
    expect(await closedWithin(gone.peer)).toEqual({ code: CLOSE.removed, reason: "removed: no longer enrolled in this course" });
    // The seat went at once, not after the 30 s grace period: staff see it released.
    const presence = await teacher.peer.next("presence", (m) => m.count === 2 && (m.removed ?? []).includes(ids[0]));
    expect(presence.count).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);

    const again = await join(t.base, classId, await t.token("student", ids[0])).catch((e) => e);
    expect(again).toMatchObject({ code: CLOSE.removed, reason: "removed: no longer enrolled in this course" });
    // Enrolled again: welcome back.
    await t.call("PUT", `/api/courses/${courseId}/enrollments/${ids[0]}`, { token: teacherToken });
    const back = await enter(classId, await t.token("student", ids[0]));
    expect(back.welcome.state.participants).toBe(3);
  }, 30_000);

  test("a student who dropped and is within the grace period cannot come back after being unenrolled", async () => {
    const { courseId, classId, ids } = await liveClass(1);
    const teacher = await enter(classId, teacherToken);
    const s = await enter(classId, await t.token("student", ids[0]));
    await teacher.peer.next("presence", (m) => m.count === 2);
    s.peer.close();
    await teacher.peer.next("presence", (m) => (m.joined ?? []).some((p) => p.id === ids[0] && !p.connected));
    await t.call("DELETE", `/api/courses/${courseId}/enrollments/${ids[0]}`, { token: teacherToken });
    await teacher.peer.next("presence", (m) => m.count === 1);
    const again = await join(t.base, classId, await t.token("student", ids[0])).catch((e) => e);
    expect(again).toMatchObject({ code: CLOSE.removed });
  }, 30_000);
});

describe("archiving", () => {
  test("closes every student with 4013; staff stay; students cannot rejoin", async () => {
    const { courseId, classId, ids } = await liveClass(2);
    const teacher = await enter(classId, teacherToken);
    const students = [await enter(classId, await t.token("student", ids[0])), await enter(classId, await t.token("student", ids[1]))];
    await teacher.peer.next("presence", (m) => m.count === 3);
    expect((await t.call("POST", `/api/courses/${courseId}/archive`, { token: teacherToken })).status).toBe(200);
    for (const s of students)
      expect(await closedWithin(s.peer)).toEqual({ code: CLOSE.removed, reason: "removed: the course was archived" });
    await teacher.peer.next("presence", (m) => m.count === 1);
    expect(await teacher.peer.request({ type: "reaction", reaction: "clap" })).toBeUndefined(); // the teacher is still in
    const again = await join(t.base, classId, await t.token("student", ids[1])).catch((e) => e);
    expect(again).toMatchObject({ code: CLOSE.removed, reason: "removed: the course was archived" });
  }, 30_000);
});

describe("participant.remove", () => {
  test("staff take a student out with a reason: 4013, seat released, no rejoin, even after a restart", async () => {
    const { classId, ids } = await liveClass(3);
    const teacher = await enter(classId, teacherToken);
    const [s0, s1] = [await enter(classId, await t.token("student", ids[0])), await enter(classId, await t.token("student", ids[1]))];
    // The staff copy too: with Bun's WebSocket client and server in one process, a socket that sends
    // while the tick's second frame is arriving is sometimes closed 1002 (not seen across processes).
    await teacher.peer.next("presence", (m) => m.count === 3 && m.joined !== undefined);

    // Not staff: refused, nothing changes.
    await expect(s0.peer.request({ type: "participant.remove", userId: ids[1] })).rejects.toMatchObject({ code: "forbidden" });
    // Bad input: refused with a clear error.
    await expect(teacher.peer.request({ type: "participant.remove", userId: ids[1], reason: "x".repeat(81) })).rejects.toMatchObject({
      code: "bad-message",
    });
    await expect(teacher.peer.request({ type: "participant.remove", userId: "nobody-here" })).rejects.toMatchObject({ code: "not-found" });
    await expect(teacher.peer.request({ type: "participant.remove", userId: "t-rm" })).rejects.toMatchObject({ code: "invalid-state" });
    expect(await s1.peer.request({ type: "reaction", reaction: "clap" })).toBeUndefined();

    const ack = await teacher.peer.request({ type: "participant.remove", userId: ids[1], reason: "spamming\tthe chat" });
    expect(ack).toEqual({ userId: ids[1], removed: true });
    expect(await closedWithin(s1.peer)).toEqual({ code: CLOSE.removed, reason: "removed by the teacher: spamming the chat" });
    await teacher.peer.next("presence", (m) => m.count === 2 && (m.removed ?? []).includes(ids[1]));
    // A retry gets the same ack.
    expect(await teacher.peer.request({ type: "participant.remove", userId: ids[1] })).toEqual({ userId: ids[1], removed: true });
    const again = await join(t.base, classId, await t.token("student", ids[1])).catch((e) => e);
    expect(again).toMatchObject({ code: CLOSE.removed, reason: "removed by the teacher: spamming the chat" });
    // Others are unaffected.
    expect(await s0.peer.request({ type: "chat.send", text: "still here" })).toMatchObject({ messageId: expect.any(String) });

    // Counted by cause (the unenrolment and archive tests above ran on this server too).
    const metrics = await (await fetch(`${t.base}/metrics`)).text();
    expect(metrics).toMatch(/edgeclass_participants_removed_total\{cause="staff"\} 1\n/);
    expect(metrics).toMatch(/edgeclass_participants_removed_total\{cause="unenrolled"\} [1-9]/);
    expect(metrics).toMatch(/edgeclass_participants_removed_total\{cause="archived"\} [1-9]/);

    // The removal is stored with the class: a restart on the same data folder still refuses them.
    await t.server.stop();
    t = await startTestServer(GRACE, dataDir);
    const afterRestart = await join(t.base, classId, await t.token("student", ids[1])).catch((e) => e);
    expect(afterRestart).toMatchObject({ code: CLOSE.removed, reason: "removed by the teacher: spamming the chat" });
    const other = await enter(classId, await t.token("student", ids[2]));
    expect(other.welcome.state.status).toBe("live");
  }, 60_000);

  test("a long reason in any script is cut to fit a close reason (at most 123 bytes of whole UTF-8 characters)", async () => {
    const { classId, ids } = await liveClass(1);
    const teacher = await enter(classId, teacherToken);
    const s = await enter(classId, await t.token("student", ids[0]));
    await teacher.peer.next("presence", (m) => m.count === 2 && m.joined !== undefined);
    const reason = "😀é".repeat(26); // 78 UTF-16 units (the schema counts those), 156 bytes
    expect(await teacher.peer.request({ type: "participant.remove", userId: ids[0], reason })).toEqual({ userId: ids[0], removed: true });
    const closed = await closedWithin(s.peer);
    expect(closed.code).toBe(CLOSE.removed);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(closed.reason.startsWith("removed by the teacher: 😀é😀é")).toBe(true);
    expect(("removed by the teacher: " + reason).startsWith(closed.reason)).toBe(true);
  }, 30_000);

  test("the SDK: removeParticipant resolves with the ack; the removed client stops with 4013 and does not reconnect", async () => {
    const { classId, ids } = await liveClass(1);
    const opts = { baseUrl: t.base, classId, reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, requestTimeoutMs: 10_000 };
    const teacher = new EdgeClassClient({ ...opts, token: teacherToken });
    const student = new EdgeClassClient({ ...opts, token: await t.token("student", ids[0]) });
    try {
      await teacher.connect();
      await student.connect();
      const statuses: string[] = [];
      student.on("status", (c) => statuses.push(c.status));
      expect(await teacher.removeParticipant(ids[0])).toEqual({ userId: ids[0], removed: true });
      for (let i = 0; i < 100 && student.status !== "closed"; i++) await Bun.sleep(50);
      expect(student.connection).toMatchObject({
        status: "closed",
        closeCode: CLOSE.removed,
        closeReason: "removed from the class by the teacher",
      });
      await Bun.sleep(300);
      expect(statuses).not.toContain("reconnecting");
    } finally {
      teacher.close();
      student.close();
    }
  }, 30_000);
});
