// Quiz flow rules (issue 16 build 2), in the quiz session with in-memory ports: a run with
// auto-reveal reveals by itself at time-up, auto-leaderboard shows the board after each reveal, the
// flow (its place in a set) travels with the question; a free-text reveal shows students only the
// accepted answers (defect 10); partial credit for multiple choice.
import { afterEach, beforeAll, expect, test } from "bun:test";
import type { ClientMessage, QuestionDraft } from "@edgeclass/client/protocol";
import type { ClassSession, Course, Role } from "../../src/domain/model.ts";
import * as quiz from "../../src/domain/live/quiz.ts";
import { LiveRoom } from "../../src/live/room.ts";
import { createLiveMetrics } from "../../src/live/metrics.ts";
import { createLogging } from "../../src/obs/logger.ts";
import { Registry } from "../../src/obs/prom.ts";
import { DecisionLog } from "../../src/policy/decision-log.ts";
import { JoinPolicy } from "../../src/policy/join-policy.ts";
import { policySources } from "../../src/policy/sources.ts";
import { MemoryStore, RecordingFanout } from "./fakes.ts";

const T0 = 1_700_000_000_000;
const { logger } = createLogging("silent");
let policy: JoinPolicy;
const rooms: LiveRoom[] = [];
beforeAll(async () => {
  policy = new JoinPolicy(policySources(undefined));
  await policy.load();
});
afterEach(() => {
  for (const r of rooms.splice(0)) r.detach();
});

type Cmd = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, "rid"> : never) : never;

async function room3() {
  const store = new MemoryStore();
  const course: Course = {
    id: "co1",
    title: "Physics",
    description: "",
    status: "active",
    capacity: 30,
    teacherId: "t1",
    createdAt: 0,
    updatedAt: 0,
    schoolId: "default",
  };
  const cls: ClassSession = {
    id: "cl1",
    courseId: "co1",
    title: "Lesson",
    startsAt: T0,
    durationMinutes: 60,
    status: "live",
    createdAt: 0,
    startedAt: T0,
    endedAt: null,
    schoolId: "default",
  };
  store.courseRows.set(course.id, course);
  store.classRows.set(cls.id, cls);
  for (const s of ["s1", "s2", "s3"]) store.enrolled.add(`co1 ${s}`);
  const fanout = new RecordingFanout();
  const clock = { now: T0 };
  let ids = 0;
  const room = new LiveRoom(
    {
      store,
      fanout,
      policy,
      decisions: new DecisionLog(),
      metrics: createLiveMetrics(new Registry(), () => ({ participants: 0, classes: 0 })),
      logger,
      now: () => clock.now,
      newId: () => `id${++ids}`,
      graceMs: 30_000,
      onEnded: () => {},
    },
    cls,
    course,
  );
  rooms.push(room);
  const join = (id: string, role: Role = "student") => room.admit({ id, role, name: id.toUpperCase(), school: "default" }, true);
  await join("t1", "teacher");
  for (const s of ["s1", "s2", "s3"]) await join(s);
  const send = (id: string, msg: Cmd) => room.handle(id, msg as ClientMessage);
  return { room, fanout, clock, send };
}

const single: QuestionDraft = {
  kind: "single",
  prompt: "2+2?",
  options: [
    { id: "a", text: "4" },
    { id: "b", text: "5" },
  ],
  correct: "a",
};

test("auto-reveal at time-up, then the leaderboard by itself; the set's place travels with the question", async () => {
  const { room, fanout, clock, send } = await room3();
  const flow = { autoReveal: true, autoLeaderboard: true, set: { id: "set1", title: "Warm-up", index: 1, total: 3 } };
  const { questionId } = (await send("t1", { type: "quiz.launch", question: single, timeLimitSeconds: 10, flow })) as {
    questionId: string;
  };
  expect(fanout.of("quiz.question").at(-1)!.msg.quiz).toMatchObject({ flow });
  await send("s1", { type: "quiz.answer", questionId, answerId: "x1", response: { choice: "a" } });
  await send("s2", { type: "quiz.answer", questionId, answerId: "x2", response: { choice: "b" } });
  clock.now += 9_000;
  room.tick(clock.now);
  await Bun.sleep(0);
  expect(fanout.of("quiz.reveal")).toHaveLength(0); // not before time is up
  clock.now += 1_001;
  room.tick(clock.now);
  room.tick(clock.now + 10); // a second tick while the reveal is being written: still one reveal
  await Bun.sleep(5);
  expect(fanout.of("quiz.reveal").map((r) => (r.msg.reveal as { questionId: string }).questionId)).toEqual([questionId]);
  expect(fanout.of("quiz.closed").map((r) => r.msg.questionId)).toEqual([questionId]);
  expect(fanout.of("quiz.result").map((r) => [r.to, (r.msg.result as { correct: boolean }).correct])).toEqual([
    ["s1", true],
    ["s2", false],
  ]);
  // The board came after the reveal, to everyone, with every student (s3 with 0).
  const kinds = fanout.sent
    .map((s) => ("raw" in s.msg ? JSON.parse(s.msg.raw).type : s.msg.type))
    .filter((t) => t === "quiz.reveal" || t === "leaderboard");
  expect(kinds[0]).toBe("quiz.reveal");
  const board = fanout.of("leaderboard").find((b) => b.to === "s3")!.msg as {
    top: { userId: string; rank: number }[];
    me: { score: number };
  };
  expect(board.top.map((e) => e.userId)).toEqual(["s1", "s2", "s3"]);
  expect(board.me.score).toBe(0);
});

test("without auto-reveal the deadline only closes; no board unless asked", async () => {
  const { room, fanout, clock, send } = await room3();
  await send("t1", { type: "quiz.launch", question: single, timeLimitSeconds: 5, flow: { autoLeaderboard: false } });
  clock.now += 5_001;
  room.tick(clock.now);
  await Bun.sleep(0);
  expect(fanout.of("quiz.closed")).toHaveLength(1);
  expect(fanout.of("quiz.reveal")).toHaveLength(0);
  await send("t1", { type: "quiz.reveal" });
  expect(fanout.of("leaderboard")).toHaveLength(0);
});

test("a free-text reveal shows students the accepted answers and a count of the others; staff keep every row (defect 10)", async () => {
  const { fanout, send } = await room3();
  const text: QuestionDraft = { kind: "text", prompt: "Capital of France?", correct: ["Paris"] };
  const { questionId } = (await send("t1", { type: "quiz.launch", question: text, timeLimitSeconds: 30 })) as { questionId: string };
  await send("s1", { type: "quiz.answer", questionId, answerId: "x1", response: { text: " paris " } });
  await send("s2", { type: "quiz.answer", questionId, answerId: "x2", response: { text: "my phone number is 555" } });
  await send("s3", { type: "quiz.answer", questionId, answerId: "x3", response: { text: "Lyon" } });
  await send("t1", { type: "quiz.reveal" });
  const reveal = fanout.of("quiz.reveal").at(-1)!;
  expect(reveal.to).toBe("all");
  expect((reveal.msg.reveal as { distribution: { counts: object; answered: number } }).distribution).toMatchObject({
    counts: { paris: 1, other: 2 },
    answered: 3,
  });
  expect(JSON.stringify(reveal.msg)).not.toContain("555");
  const staff = fanout.of("quiz.distribution").at(-1)!;
  expect(staff.to).toBe("staff");
  expect((staff.msg.distribution as { counts: object }).counts).toEqual({ paris: 1, "my phone number is 555": 1, lyon: 1 });
});

test("partial credit for multiple choice: right picks minus wrong picks over the right options, speed on top", () => {
  const d: QuestionDraft = {
    kind: "multiple",
    prompt: "Primes?",
    options: ["2", "3", "4", "5"].map((t, i) => ({ id: "abcd"[i], text: t })),
    correct: ["a", "b", "d"],
    points: 300,
    partialCredit: true,
  };
  expect(quiz.credit(d, { choices: ["a", "b", "d"] })).toBe(1);
  expect(quiz.credit(d, { choices: ["a", "b"] })).toBeCloseTo(2 / 3);
  expect(quiz.credit(d, { choices: ["a", "b", "c"] })).toBeCloseTo(1 / 3);
  expect(quiz.credit(d, { choices: ["c"] })).toBe(0);
  expect(quiz.credit({ ...d, partialCredit: false }, { choices: ["a", "b"] })).toBe(0);
  const q = {
    id: "q",
    classId: "k",
    bankQuestionId: null,
    draft: d,
    launchedAt: 0,
    deadline: 10_000,
    closedAt: null,
    revealedAt: null,
    eligible: 3,
  };
  // At the deadline a full answer gets half the points (the speed half is gone); two of three right, two thirds of that.
  expect(quiz.grade(q, "s1", "x", { choices: ["a", "b", "d"] }, 10_000)).toMatchObject({ correct: true, points: 150 });
  expect(quiz.grade(q, "s1", "x", { choices: ["a", "b"] }, 10_000)).toMatchObject({ correct: false, points: 100 });
  expect(quiz.grade(q, "s1", "x", { choices: ["a", "b"] }, 0)).toMatchObject({ correct: false, points: 200 });
  expect(quiz.publicQuestion(q).partialCredit).toBe(true);
});
