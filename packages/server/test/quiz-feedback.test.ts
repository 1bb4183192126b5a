// What the live quiz tells people (issue 16 defects 1, 2, 4): staff see "0 of N answered" from
// launch; a reloaded student page still has its own result for a revealed question; a leaderboard
// shown for an earlier question is not carried into the next one (server snapshot and SDK state).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { applyEvent, applyWelcome, emptyState } from "@edgeclass/client/state";
import { startTestServer, type TestServer } from "./support/server.ts";
import { join, type Peer } from "./support/ws.ts";

let t: TestServer;
let teacherToken: string;
const peers: Peer[] = [];
beforeAll(async () => {
  t = await startTestServer({});
  teacherToken = await t.token("teacher", "t-fb");
});
afterAll(async () => {
  for (const p of peers) p.close();
  await t.close();
});

const SINGLE = {
  kind: "single",
  prompt: "2 + 2 = ?",
  options: [
    { id: "a", text: "3" },
    { id: "b", text: "4" },
  ],
  correct: "b",
};

async function enter(classId: string, token: string) {
  const r = await join(t.base, classId, token);
  peers.push(r.peer);
  return r;
}

test("distribution from launch, own result after a reload, no stale leaderboard on the next question", async () => {
  const course = await t.call("POST", "/api/courses", { token: teacherToken, body: { title: "Feedback", status: "active" } });
  await t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: teacherToken, body: { studentIds: ["fb1", "fb2"] } });
  const cls = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: teacherToken,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  const classId = cls.body.id as string;
  await t.call("POST", `/api/classes/${classId}/start`, { token: teacherToken });
  const teacher = await enter(classId, teacherToken);
  const tok1 = await t.token("student", "fb1");
  const s1 = await enter(classId, tok1);
  await enter(classId, await t.token("student", "fb2"));

  // Defect 1: before anyone answers, the teacher is told 0 of 2.
  const q1 = (await teacher.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 60 })) as { questionId: string };
  const d0 = await teacher.peer.next("quiz.distribution", (m) => m.distribution.questionId === q1.questionId);
  expect(d0.distribution).toMatchObject({ answered: 0, eligible: 2 });

  await s1.peer.request({ type: "quiz.answer", questionId: q1.questionId, answerId: "x1", response: { choice: "b" } });
  await teacher.peer.request({ type: "quiz.reveal" });
  const live = (await s1.peer.next("quiz.result")).result;
  await teacher.peer.request({ type: "leaderboard.show" });
  await s1.peer.next("leaderboard");

  // Defect 4: the student reloads; the welcome carries the same result.
  s1.peer.close();
  const again = await enter(classId, tok1);
  expect(again.welcome.state.result).toEqual(live);
  expect(again.welcome.state.leaderboard?.me?.score).toBe(live.totalScore);
  const mirror = emptyState(classId);
  applyWelcome(mirror, again.welcome);
  expect(mirror.result).toEqual(live);

  // Defect 2: the next question drops the board, in a fresh welcome and in the SDK's state.
  await teacher.peer.request({ type: "quiz.launch", question: { ...SINGLE, prompt: "3 + 3 = ?" }, timeLimitSeconds: 60 });
  const q2 = await again.peer.next("quiz.question", (m) => m.quiz.question.prompt === "3 + 3 = ?");
  expect(mirror.leaderboard).not.toBeNull();
  applyEvent(mirror, q2);
  expect(mirror.leaderboard).toBeNull();
  expect(mirror.result).toBeNull();
  const late = await enter(classId, await t.token("student", "fb2"));
  expect(late.welcome.state.leaderboard).toBeNull();
  expect(late.welcome.state.result).toBeUndefined();
}, 30_000);

test("a class ended without a reveal sends final standings equal to the results export (defect 3)", async () => {
  const course = await t.call("POST", "/api/courses", { token: teacherToken, body: { title: "Ends", status: "active" } });
  await t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: teacherToken, body: { studentIds: ["en1", "en2", "en3"] } });
  const cls = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: teacherToken,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  const classId = cls.body.id as string;
  await t.call("POST", `/api/classes/${classId}/start`, { token: teacherToken });
  const teacher = await enter(classId, teacherToken);
  const s = await Promise.all(["en1", "en2", "en3"].map(async (id) => enter(classId, await t.token("student", id))));
  // A board shown before any answer (all 0), then a question answered and never revealed.
  const q1 = (await teacher.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 60 })) as { questionId: string };
  await teacher.peer.request({ type: "leaderboard.show" });
  await s[2].peer.next("leaderboard");
  await s[0].peer.request({ type: "quiz.answer", questionId: q1.questionId, answerId: "e1", response: { choice: "b" } });
  await s[2].peer.request({ type: "quiz.answer", questionId: q1.questionId, answerId: "e3", response: { choice: "b" } });
  await teacher.peer.request({ type: "class.end" });
  await s[2].peer.next("class.ended");
  const boards = s[2].peer.messages.filter((m) => m.type === "leaderboard");
  const final = boards[boards.length - 1] as Extract<(typeof boards)[number], { type: "leaderboard" }>;
  const results = await t.call("GET", `/api/classes/${classId}/results`, { token: teacherToken });
  const row = results.body.students.find((r: { userId: string }) => r.userId === "en3");
  expect(row.score).toBeGreaterThan(0);
  expect(final.me).toMatchObject({ userId: "en3", score: row.score, rank: row.rank });
  for (const r of results.body.students)
    expect(final.top.find((e) => e.userId === r.userId)).toMatchObject({ score: r.score, rank: r.rank });
}, 30_000);
