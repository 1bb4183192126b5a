// Live classes over real WebSockets against a running server with a real SQLite file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CLOSE } from "@edgeclass/client/protocol";
import { startTestServer, type TestServer } from "./support/server.ts";
import { join, type Peer } from "./support/ws.ts";

let t: TestServer;
let teacherToken: string;
const peers: Peer[] = [];

beforeAll(async () => {
  t = await startTestServer({ MAX_STUDENTS: "1000", RECONNECT_GRACE_MS: "3000" });
  teacherToken = await t.token("teacher", "t-live");
});
afterAll(async () => {
  for (const p of peers) p.close();
  await t.close();
});

/** A fresh active course with `n` enrolled students and a live class. */
async function liveClass(n: number, opts: { capacity?: number } = {}) {
  const course = await t.call("POST", "/api/courses", {
    token: teacherToken,
    body: { title: "Live", status: "active", ...(opts.capacity ? { capacity: opts.capacity } : {}) },
  });
  const ids = Array.from({ length: n }, (_, i) => `${course.body.id.slice(-6)}-s${i}`);
  for (let i = 0; i < ids.length; i += 1000) {
    expect(
      (
        await t.call("POST", `/api/courses/${course.body.id}/enrollments`, {
          token: teacherToken,
          body: { studentIds: ids.slice(i, i + 1000) },
        })
      ).status,
    ).toBe(201);
  }
  const cls = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: teacherToken,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  expect((await t.call("POST", `/api/classes/${cls.body.id}/start`, { token: teacherToken })).status).toBe(200);
  return { courseId: course.body.id as string, classId: cls.body.id as string, studentIds: ids };
}

async function enter(classId: string, role: "student" | "teacher", sub: string) {
  const r = await join(t.base, classId, role === "teacher" ? teacherToken : await t.token(role, sub));
  peers.push(r.peer);
  return r;
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

describe("join", () => {
  test("1,500 students racing for 1,000 seats leaves exactly 1,000 in", async () => {
    const { classId, studentIds } = await liveClass(1500);
    const tokens = await Promise.all(studentIds.map((id) => t.token("student", id)));
    const outcomes = await Promise.allSettled(tokens.map((tok) => join(t.base, classId, tok)));
    const admitted = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(admitted).toHaveLength(1000);
    expect(refused).toHaveLength(500);
    expect(
      refused.every(
        (r) => r.reason.code === CLOSE.policyDenied && r.reason.reason === "class is full" && r.reason.serverCode === "class-full",
      ),
    ).toBe(true);
    const teacher = await enter(classId, "teacher", "t-live");
    expect(teacher.welcome.state.participants).toBe(1001);
    const metrics = await (await fetch(`${t.base}/metrics`)).text();
    expect(metrics).toMatch(/edgeclass_policy_decisions_total\{decision="deny"\} (\d+)/);
    for (const o of admitted) (o as PromiseFulfilledResult<{ peer: Peer }>).value.peer.close();
  }, 60_000);

  test("denied joins say why: archived course, not enrolled, class not started", async () => {
    const { courseId, classId } = await liveClass(1);
    const stranger = await join(t.base, classId, await t.token("student", "not-enrolled")).catch((e) => e);
    expect(stranger.code).toBe(CLOSE.policyDenied);
    expect(stranger.reason).toBe("not enrolled in this course");
    expect(stranger.serverCode).toBe("not-enrolled");
    await t.call("POST", `/api/courses/${courseId}/archive`, { token: teacherToken });
    const archived = await join(t.base, classId, await t.token("student", `${courseId.slice(-6)}-s0`)).catch((e) => e);
    expect(archived.code).toBe(CLOSE.policyDenied);
    expect(archived.reason).toContain("course is not active");
    expect(archived.serverCode).toBe("policy-denied");
    const scheduled = await t.call("POST", "/api/courses", { token: teacherToken, body: { title: "Later", status: "active" } });
    const later = await t.call("POST", `/api/courses/${scheduled.body.id}/classes`, {
      token: teacherToken,
      body: { startsAt: "2030-01-01T00:00:00Z", durationMinutes: 30 },
    });
    const notStarted = await join(t.base, later.body.id, teacherToken).catch((e) => e);
    expect(notStarted).toMatchObject({ code: CLOSE.notStarted, reason: "class has not started", serverCode: "class-not-started" });
    const admin = await t.token("admin", "root");
    const denies = await t.call("GET", "/api/admin/decisions?decision=deny&limit=5", { token: admin });
    // Every refusal is a policy decision in the log, the class not started too (newest first).
    type Item = { classId: string; role: string; reasons: string[] };
    expect(denies.body.items[0]).toMatchObject({
      classId: later.body.id,
      decision: "deny",
      role: "teacher",
      reasons: ["class has not started"],
    });
    const ours = denies.body.items.filter((d: Item) => d.classId === classId);
    expect(ours[0]).toMatchObject({ decision: "deny", role: "student" });
    expect(ours[0].reasons.join()).toContain("course is not active");
    expect(ours.some((d: Item) => d.reasons.includes("not enrolled in this course"))).toBe(true);
    expect((await t.call("GET", "/api/admin/decisions", { token: teacherToken })).status).toBe(403);
  });

  test("a bad token or an unknown class is refused with a close code and reason", async () => {
    const { classId } = await liveClass(1);
    const forged = await join(t.base, classId, "aaa.bbb.ccc").catch((e) => e);
    expect(forged.code).toBe(CLOSE.unauthorized);
    expect(forged.reason).toContain("token");
    const unknown = await join(t.base, "no-such-class", teacherToken).catch((e) => e);
    expect(unknown).toMatchObject({ code: CLOSE.notFound, reason: "class no-such-class does not exist" });
    const plain = await fetch(`${t.base}/api/classes/${classId}/live`);
    expect(plain.status).toBe(400); // not a WebSocket request
  });

  test("the upgrade goes through the route wrapper: problem documents with a request id, metrics with status 101", async () => {
    const { classId } = await liveClass(1);
    const plain = await fetch(`${t.base}/api/classes/${classId}/live`, { headers: { "x-request-id": "plain-1" } });
    expect([plain.status, plain.headers.get("content-type"), plain.headers.get("x-request-id")]).toEqual([
      400,
      "application/problem+json",
      "plain-1",
    ]);
    expect(await plain.json()).toMatchObject({
      type: "https://edgeclass.dev/problems/bad-request",
      detail: "this endpoint speaks WebSocket",
    });
    const peer = await enter(classId, "teacher", "t-live");
    peer.peer.close();
    const metrics = await (await fetch(`${t.base}/metrics`)).text();
    expect(metrics).toMatch(/edgeclass_http_requests_total\{method="GET",route="\/api\/classes\/:id\/live",status="101"\} [1-9]/);
    expect(metrics).toMatch(/edgeclass_http_requests_total\{method="GET",route="\/api\/classes\/:id\/live",status="400"\} [1-9]/);
  });
});

describe("presence and reconnect", () => {
  test("joins are batched; the teacher sees the roster, students a count", async () => {
    const { classId, studentIds } = await liveClass(40);
    const teacher = await enter(classId, "teacher", "t-live");
    await Promise.all(studentIds.map((id) => enter(classId, "student", id)));
    const joined = new Set<string>();
    while (joined.size < 40)
      for (const p of (await teacher.peer.next("presence", (m) => m.joined !== undefined)).joined!)
        if (p.role === "student") joined.add(p.id);
    const presence = teacher.peer.messages.filter((m) => m.type === "presence");
    expect(presence.length).toBeLessThan(12); // a few ticks, not one message per join
    expect(presence.at(-1)).toMatchObject({ count: 41 });
    const student = await enter(classId, "student", studentIds[0]); // second connection replaces the first
    expect(student.welcome.state.roster).toBeUndefined();
    expect(student.welcome.state.participants).toBe(41);
  });

  test("a student who drops and returns resumes as the same participant with what they missed", async () => {
    const { classId, studentIds } = await liveClass(2);
    const teacher = await enter(classId, "teacher", "t-live");
    const first = await enter(classId, "student", studentIds[0]);
    await enter(classId, "student", studentIds[1]);
    const launched = (await teacher.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 60 })) as {
      questionId: string;
    };
    await first.peer.request({ type: "quiz.answer", questionId: launched.questionId, answerId: "ans-1", response: { choice: "b" } });
    await first.peer.request({ type: "hand.raise" });
    first.peer.close();
    await first.peer.closed;
    await teacher.peer.request({ type: "chat.send", text: "while you were away" });
    const back = await enter(classId, "student", studentIds[0]);
    const s = back.welcome.state;
    expect(s.participants).toBe(3);
    expect(s.quiz?.question.id).toBe(launched.questionId);
    expect(s.myAnswer).toMatchObject({ questionId: launched.questionId, answerId: "ans-1" });
    expect(s.handRaised).toBe(true);
    expect(s.chat.map((c) => c.text)).toContain("while you were away");
    const roster = (await enter(classId, "teacher", "t-live")).welcome.state.roster!;
    expect(roster.filter((p) => p.id === studentIds[0])).toHaveLength(1);
  });

  test("attendance records joins and leaves", async () => {
    const { classId, studentIds } = await liveClass(1);
    const teacher = await enter(classId, "teacher", "t-live");
    const s = await enter(classId, "student", studentIds[0]);
    s.peer.close();
    const dropped = await teacher.peer.next("presence", (m) => (m.joined ?? []).some((p) => p.id === studentIds[0] && !p.connected));
    expect(dropped.count).toBe(2); // the seat is held during the grace period
    // the grace period in this server is 3 s
    const removed = await teacher.peer.next("presence", (m) => (m.removed ?? []).includes(studentIds[0]), 5000);
    expect(removed.count).toBe(1);
    const r = await t.call("GET", `/api/classes/${classId}/attendance`, { token: teacherToken });
    const row = r.body.items.find((i: { userId: string }) => i.userId === studentIds[0]);
    expect(row.joinedAt).toBeString();
    expect(row.leftAt).toBeString();
  }, 10_000);
});

describe("chat, hands and reactions", () => {
  test("chat with moderation: delete, mute, slow mode, chat off", async () => {
    const { classId, studentIds } = await liveClass(2);
    const teacher = await enter(classId, "teacher", "t-live");
    const a = await enter(classId, "student", studentIds[0]);
    const b = await enter(classId, "student", studentIds[1]);
    const sent = (await a.peer.request({ type: "chat.send", text: "  hello <b>class</b>  " })) as { messageId: string };
    const seen = await b.peer.next("chat.message");
    expect(seen.message).toMatchObject({ text: "hello <b>class</b>", userId: studentIds[0] }); // plain text, trimmed, delivered as is
    await expect(b.peer.request({ type: "chat.delete", messageId: sent.messageId })).rejects.toMatchObject({ code: "forbidden" });
    await teacher.peer.request({ type: "chat.delete", messageId: sent.messageId });
    expect((await b.peer.next("chat.deleted")).messageId).toBe(sent.messageId);
    await teacher.peer.request({ type: "chat.mute", userId: studentIds[0], muted: true });
    await expect(a.peer.request({ type: "chat.send", text: "hi" })).rejects.toMatchObject({ code: "muted" });
    await teacher.peer.request({ type: "chat.settings", slowModeSeconds: 30 });
    await b.peer.request({ type: "chat.send", text: "one" });
    await expect(b.peer.request({ type: "chat.send", text: "two" })).rejects.toMatchObject({ code: "slow-mode" });
    await teacher.peer.request({ type: "chat.settings", enabled: false, slowModeSeconds: 0 });
    await expect(b.peer.request({ type: "chat.send", text: "three" })).rejects.toMatchObject({ code: "chat-disabled" });
    await expect(b.peer.request({ type: "chat.send", text: "x".repeat(501) })).rejects.toMatchObject({ code: "bad-message" });
    const history = (await enter(classId, "teacher", "t-live")).welcome.state.chat.map((c) => c.text);
    expect(history).toEqual(["one"]);
  });

  test("a student is rate-limited in chat", async () => {
    const { classId, studentIds } = await liveClass(1);
    const a = await enter(classId, "student", studentIds[0]);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => a.peer.request({ type: "chat.send", text: `m${i}` })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason.code === "rate-limited")).toBe(
      true,
    );
  });

  test("raised hands queue in order; the teacher answers one and clears the rest", async () => {
    const { classId, studentIds } = await liveClass(3);
    const teacher = await enter(classId, "teacher", "t-live");
    const students = [];
    for (const id of studentIds) students.push(await enter(classId, "student", id));
    for (const s of students) await s.peer.request({ type: "hand.raise" });
    const queue = await teacher.peer.next("hands", (m) => m.queue.length === 3);
    expect(queue.queue.map((h) => h.userId)).toEqual(studentIds);
    await teacher.peer.request({ type: "hand.answer", userId: studentIds[1] });
    expect((await students[0].peer.next("hand.answered")).userId).toBe(studentIds[1]);
    expect((await teacher.peer.next("hands", (m) => m.queue.length === 2)).queue.map((h) => h.userId)).toEqual([
      studentIds[0],
      studentIds[2],
    ]);
    await teacher.peer.request({ type: "hand.clear" });
    await teacher.peer.next("hands", (m) => m.queue.length === 0);
    await expect(students[0].peer.request({ type: "hand.answer", userId: studentIds[1] })).rejects.toMatchObject({ code: "forbidden" });
  });

  test("reactions arrive as aggregated counts", async () => {
    const { classId, studentIds } = await liveClass(5);
    const teacher = await enter(classId, "teacher", "t-live");
    const students = await Promise.all(studentIds.map((id) => enter(classId, "student", id)));
    for (const s of students) s.peer.sendRaw(JSON.stringify({ type: "reaction", reaction: "clap" }));
    students[0].peer.sendRaw(JSON.stringify({ type: "reaction", reaction: "heart" }));
    let claps = 0;
    while (claps < 5) claps += (await teacher.peer.next("reactions")).counts.clap ?? 0;
    expect(claps).toBe(5);
    expect(teacher.peer.messages.filter((m) => m.type === "reactions").length).toBeLessThanOrEqual(3);
  });
});

describe("quizzes", () => {
  test("launch, answer once, live distribution, reveal, results and leaderboard", async () => {
    const { courseId, classId, studentIds } = await liveClass(3);
    const bank = await t.call("POST", `/api/courses/${courseId}/questions`, { token: teacherToken, body: SINGLE });
    expect(bank.status).toBe(201);
    const teacher = await enter(classId, "teacher", "t-live");
    const s = await Promise.all(studentIds.map((id) => enter(classId, "student", id)));
    const launched = (await teacher.peer.request({ type: "quiz.launch", questionId: bank.body.id, timeLimitSeconds: 30 })) as {
      questionId: string;
    };
    const q = await s[0].peer.next("quiz.question");
    expect(q.quiz.question).toMatchObject({ id: launched.questionId, prompt: "2 + 2 = ?", kind: "single" });
    expect(JSON.stringify(q)).not.toContain('"correct"'); // students never see the answer before the reveal
    const first = await s[0].peer.request({
      type: "quiz.answer",
      questionId: launched.questionId,
      answerId: "k1",
      response: { choice: "b" },
    });
    expect(
      await s[0].peer.request({ type: "quiz.answer", questionId: launched.questionId, answerId: "k1", response: { choice: "b" } }),
    ).toEqual(first);
    await expect(
      s[0].peer.request({ type: "quiz.answer", questionId: launched.questionId, answerId: "k2", response: { choice: "a" } }),
    ).rejects.toMatchObject({
      code: "already-answered",
    });
    await s[1].peer.request({ type: "quiz.answer", questionId: launched.questionId, answerId: "k3", response: { choice: "a" } });
    await expect(
      s[2].peer.request({ type: "quiz.answer", questionId: launched.questionId, answerId: "k4", response: { choice: "z" } }),
    ).rejects.toMatchObject({ code: "bad-message" });
    await expect(
      teacher.peer.request({ type: "quiz.answer", questionId: launched.questionId, answerId: "k5", response: { choice: "a" } }),
    ).rejects.toMatchObject({ code: "forbidden" });
    const dist = await teacher.peer.next("quiz.distribution", (m) => m.distribution.answered === 2);
    expect(dist.distribution).toMatchObject({ eligible: 3, counts: { a: 1, b: 1 } });
    await teacher.peer.request({ type: "quiz.reveal" });
    const reveal = await s[2].peer.next("quiz.reveal");
    expect(reveal.reveal).toMatchObject({ correct: "b", distribution: { answered: 2, counts: { a: 1, b: 1 } } });
    const r0 = await s[0].peer.next("quiz.result");
    expect(r0.result).toMatchObject({ correct: true, rank: 1 });
    expect(r0.result.points).toBeGreaterThan(500);
    expect((await s[1].peer.next("quiz.result")).result).toMatchObject({ correct: false, points: 0, rank: 2 });
    await expect(
      s[2].peer.request({ type: "quiz.answer", questionId: launched.questionId, answerId: "k6", response: { choice: "b" } }),
    ).rejects.toMatchObject({ code: "deadline-passed" });
    await teacher.peer.request({ type: "leaderboard.show" });
    const board = await s[1].peer.next("leaderboard");
    expect(board.top[0].userId).toBe(studentIds[0]);
    expect(board.me).toMatchObject({ userId: studentIds[1], rank: 2, score: 0 });
    const json = await t.call("GET", `/api/classes/${classId}/results`, { token: teacherToken });
    expect(json.body.questions[0]).toMatchObject({ answered: 2, correctCount: 1, distribution: { a: 1, b: 1 } });
    expect(json.body.students[0]).toMatchObject({ userId: studentIds[0], rank: 1 });
    const csv = await fetch(`${t.base}/api/classes/${classId}/results?format=csv`, {
      headers: { authorization: `Bearer ${teacherToken}` },
    });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).split("\r\n");
    expect(lines[0]).toBe("question,prompt,kind,student_id,name,answer,correct_answer,correct,points,answered_at (UTC)");
    expect(lines.filter((l) => l.startsWith("1,"))).toHaveLength(2);
    const get = (q: string) => fetch(`${t.base}/api/classes/${classId}/${q}`, { headers: { authorization: `Bearer ${teacherToken}` } });
    expect((await (await get("results?format=csv&table=standings")).text()).split("\r\n")[0]).toBe(
      "rank,student_id,name,score,answered,correct",
    );
    const badZone = await get("results?format=csv&tz=Nowhere%2FZone");
    expect(badZone.status).toBe(400);
    expect((await badZone.json()).issues[0].path).toBe("tz");
    const att = await get("attendance?format=csv&tz=Asia%2FShanghai");
    expect(att.headers.get("content-disposition")).toContain(`class-${classId}-attendance.csv`);
    expect((await att.text()).split("\r\n")[0]).toBe(
      "date,user_id,name,role,joined (Asia/Shanghai),left (Asia/Shanghai),sessions,minutes_present",
    );
    expect((await (await get("attendance")).json()).people.length).toBeGreaterThan(0);
    expect((await t.call("GET", `/api/classes/${classId}/results`, { token: await t.token("student", studentIds[0]) })).status).toBe(403);
  });

  test("answers after the deadline are refused", async () => {
    const { classId, studentIds } = await liveClass(1);
    const teacher = await enter(classId, "teacher", "t-live");
    const s = await enter(classId, "student", studentIds[0]);
    const { questionId } = (await teacher.peer.request({
      type: "quiz.launch",
      question: { kind: "true_false", prompt: "Sky is blue", correct: true },
      timeLimitSeconds: 5,
    })) as {
      questionId: string;
    };
    await s.peer.next("quiz.closed", undefined, 7000);
    await expect(s.peer.request({ type: "quiz.answer", questionId, answerId: "late", response: { value: true } })).rejects.toMatchObject({
      code: "deadline-passed",
    });
    const results = await t.call("GET", `/api/classes/${classId}/results`, { token: teacherToken });
    expect(results.body.questions[0].answered).toBe(0);
  }, 10_000);

  test("every question kind is graded", async () => {
    const { classId, studentIds } = await liveClass(1);
    const teacher = await enter(classId, "teacher", "t-live");
    const s = await enter(classId, "student", studentIds[0]);
    const cases = [
      {
        question: {
          kind: "multiple",
          prompt: "Primes",
          options: [
            { id: "2", text: "2" },
            { id: "4", text: "4" },
            { id: "5", text: "5" },
          ],
          correct: ["2", "5"],
        },
        response: { choices: ["5", "2"] },
      },
      { question: { kind: "numeric", prompt: "pi", correct: 3.14159, tolerance: 0.01 }, response: { number: 3.14 } },
      { question: { kind: "text", prompt: "Capital of France", correct: ["Paris"] }, response: { text: "  paris " } },
    ];
    let i = 0;
    for (const c of cases) {
      const { questionId } = (await teacher.peer.request({ type: "quiz.launch", question: c.question, timeLimitSeconds: 30 })) as {
        questionId: string;
      };
      await s.peer.request({ type: "quiz.answer", questionId, answerId: `g${i++}`, response: c.response });
      await teacher.peer.request({ type: "quiz.reveal" });
      expect((await s.peer.next("quiz.result", (m) => m.result.questionId === questionId)).result.correct).toBe(true);
    }
    await expect(
      teacher.peer.request({ type: "quiz.launch", question: { ...SINGLE, correct: "q" }, timeLimitSeconds: 30 }),
    ).rejects.toMatchObject({ code: "bad-message" });
  });
});

describe("robustness", () => {
  test("bad frames get an error and change nothing", async () => {
    const { classId, studentIds } = await liveClass(1);
    await enter(classId, "teacher", "t-live"); // the class has its teacher while a student misbehaves
    const s = await enter(classId, "student", studentIds[0]);
    const errorsBefore = s.peer.messages.filter((m) => m.type === "error").length;
    s.peer.sendRaw("{not json");
    s.peer.sendRaw(JSON.stringify({ type: "teleport" }));
    s.peer.sendRaw(JSON.stringify({ type: "chat.send", text: 42 }));
    s.peer.sendRaw(JSON.stringify({ type: "chat.send", text: "x".repeat(5000) }));
    s.peer.sendRaw(JSON.stringify({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 30 }));
    s.peer.sendRaw(JSON.stringify({ type: "class.end" }));
    s.peer.sendBinary(new TextEncoder().encode(JSON.stringify({ type: "chat.send", text: "sent as binary" })));
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) codes.push((await s.peer.next("error")).code);
    expect(codes).toEqual(["bad-message", "bad-message", "bad-message", "too-large", "forbidden", "forbidden", "bad-message"]);
    expect(errorsBefore).toBe(0);
    // Nothing changed: no chat, no question, the class is still live.
    const state = (await enter(classId, "teacher", "t-live")).welcome.state;
    expect(state).toMatchObject({ status: "live", quiz: null, chat: [] });
  });

  test("the class ends for everyone", async () => {
    const { classId, studentIds } = await liveClass(1);
    const teacher = await enter(classId, "teacher", "t-live");
    const s = await enter(classId, "student", studentIds[0]);
    await teacher.peer.request({ type: "class.end" });
    await s.peer.next("class.ended");
    expect((await s.peer.closed).code).toBe(CLOSE.classEnded);
    const cls = await t.call("GET", `/api/classes/${classId}`, { token: teacherToken });
    expect(cls.body.status).toBe("ended");
  });
});

test("a restart mid-class loses no accepted answer and the open question goes on", async () => {
  const dataDir = (await import("./support/server.ts")).tempDir();
  let srv = await startTestServer({}, dataDir);
  const teacher = await srv.token("teacher", "t1");
  await srv.call("POST", "/api/classes/demo-class-1/start", { token: teacher });
  const tp = await join(srv.base, "demo-class-1", teacher);
  const students = await Promise.all(
    ["s1", "s2", "s3"].map(async (id) => (await join(srv.base, "demo-class-1", await srv.token("student", id))).peer),
  );
  const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as {
    questionId: string;
  };
  await Promise.all(
    students.slice(0, 2).map((p, i) => p.request({ type: "quiz.answer", questionId, answerId: `pre-${i}`, response: { choice: "b" } })),
  );
  // Stop keeps the data folder; start again on it.
  await srv.server.stop();
  srv = await startTestServer({}, dataDir);
  const back = await join(srv.base, "demo-class-1", await srv.token("student", "s1"));
  expect(back.welcome.state.quiz?.question.id).toBe(questionId);
  expect(back.welcome.state.myAnswer?.answerId).toBe("pre-0");
  const s3 = await join(srv.base, "demo-class-1", await srv.token("student", "s3"));
  await s3.peer.request({ type: "quiz.answer", questionId, answerId: "post-0", response: { choice: "a" } });
  const results = await srv.call("GET", "/api/classes/demo-class-1/results", { token: await srv.token("teacher", "t1") });
  expect(results.body.questions[0].answers.map((a: { answerId: string }) => a.answerId).sort()).toEqual(["post-0", "pre-0", "pre-1"]);
  back.peer.close();
  s3.peer.close();
  await srv.close();
}, 20_000);
