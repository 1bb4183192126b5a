// The live room's rules, feature by feature, with in-memory ports (fakes.ts) and the real join
// policy: admission, presence batching, chat, hands, reactions, the quiz session, the end.
// Each test is milliseconds; the process-level tests (live.test.ts, cluster.test.ts) keep the wire.
import { afterEach, beforeAll, expect, test } from "bun:test";
import { CLOSE, PROTOCOL_VERSION, type ClientMessage } from "@edgeclass/client/protocol";
import type { ClassSession, Course, Role } from "../../src/domain/model.ts";
import { LiveRoom } from "../../src/live/room.ts";
import { createLiveMetrics } from "../../src/live/metrics.ts";
import { REACTION_WINDOW_MS } from "../../src/live/reactions.ts";
import { REMOVED_UNENROLLED } from "../../src/live/removal.ts";
import { createLogging } from "../../src/obs/logger.ts";
import { Registry } from "../../src/obs/prom.ts";
import { DecisionLog } from "../../src/policy/decision-log.ts";
import { JoinPolicy } from "../../src/policy/join-policy.ts";
import { policySources } from "../../src/policy/sources.ts";
import { MemoryShared, MemoryStore, RecordingFanout } from "./fakes.ts";

const T0 = 1_700_000_000_000;
const { logger } = createLogging("silent");
let policy: JoinPolicy;
const rooms: LiveRoom[] = [];

beforeAll(async () => {
  policy = new JoinPolicy(policySources(undefined)); // the real education.rego
  await policy.load();
});

afterEach(() => {
  for (const r of rooms.splice(0)) r.detach(); // grace timers
});

type Cmd = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, "rid"> : never) : never;

function setup(o: { capacity?: number; shared?: boolean | MemoryShared; graceMs?: number; students?: string[]; policy?: JoinPolicy } = {}) {
  const store = new MemoryStore();
  const course: Course = {
    id: "co1",
    title: "Physics",
    description: "",
    status: "active",
    capacity: o.capacity ?? 30,
    teacherId: "t1",
    createdAt: 0,
    updatedAt: 0,
    schoolId: "default",
  };
  const cls: ClassSession = {
    id: "cl1",
    courseId: "co1",
    title: "Lesson 1",
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
  for (const s of o.students ?? ["s1", "s2", "s3", "s4"]) store.enrolled.add(`co1 ${s}`);
  const fanout = new RecordingFanout();
  const clock = { now: T0 };
  const shared = o.shared instanceof MemoryShared ? o.shared : o.shared ? new MemoryShared() : undefined;
  const decisions = new DecisionLog();
  const ended: string[] = [];
  let ids = 0;
  const room = new LiveRoom(
    {
      store,
      fanout,
      policy: o.policy ?? policy,
      decisions,
      metrics: createLiveMetrics(new Registry(), () => ({ participants: 0, classes: 0 })),
      logger,
      now: () => clock.now,
      newId: () => `id${++ids}`,
      graceMs: o.graceMs ?? 30_000,
      shared,
      onEnded: (id) => ended.push(id),
    },
    cls,
    course,
  );
  rooms.push(room);
  const join = (id: string, role: Role = "student") =>
    room.admit({ id, role, name: id.toUpperCase(), school: "default" }, role !== "student" || store.enrollments.isEnrolled("co1", id));
  const send = (id: string, msg: Cmd) => room.handle(id, msg as ClientMessage);
  const refused = (id: string, msg: Cmd) =>
    send(id, msg).then(
      () => "accepted",
      (e: { code?: string }) => e.code,
    );
  return { room, store, fanout, clock, shared, decisions, ended, join, send, refused };
}

// ---- Admission --------------------------------------------------------------------

test("admission: an enrolled student gets a welcome; a stranger is refused as not-enrolled; both decisions are logged", async () => {
  const { join, decisions } = setup();
  const ok = await join("s1");
  expect(ok.ok && ok.welcome.type === "welcome" && ok.welcome.protocol).toBe(PROTOCOL_VERSION);
  expect(await join("x9")).toEqual({ ok: false, code: "not-enrolled", reason: "not enrolled in this course" });
  expect(decisions.recent({ limit: 5 }).map((d) => [d.userId, d.decision])).toEqual([
    ["x9", "deny"],
    ["s1", "allow"],
  ]);
});

test("admission: the policy's capacity holds (class-full), staff still join, a reconnect takes no new seat", async () => {
  const { join, room } = setup({ capacity: 2 });
  expect((await join("s1")).ok).toBe(true);
  expect((await join("s2")).ok).toBe(true);
  expect(await join("s3")).toMatchObject({ ok: false, code: "class-full", reason: "class is full" });
  expect((await join("t1", "teacher")).ok).toBe(true);
  room.disconnected("s1");
  expect((await join("s1")).ok).toBe(true); // back within the grace period: the same seat
  expect(room.participantCount).toBe(3);
  expect(await join("t2", "teacher")).toMatchObject({ ok: false, code: "policy-denied" }); // not the course's teacher
});

test("admission in a cluster: the shared seat count decides, and a seat released goes back to it", async () => {
  const { join, shared, room } = setup({ capacity: 1, shared: true });
  shared!.seats.add("elsewhere"); // taken through another instance
  expect(await join("s1")).toMatchObject({ ok: false, code: "class-full" });
  shared!.seats.clear();
  expect((await join("s1")).ok).toBe(true);
  expect([...shared!.seats]).toEqual(["s1"]);
  room.revokeAccess(null); // nothing changed: nobody leaves
  expect(room.isAdmitted("s1")).toBe(true);
});

test("admission: every refusal is the policy's, logged with its reason: not enrolled, full, ended", async () => {
  const { join, decisions, send } = setup({ capacity: 1 });
  await join("t1", "teacher");
  expect(await join("x9")).toMatchObject({ ok: false, code: "not-enrolled" });
  await join("s1");
  expect(await join("s2")).toMatchObject({ ok: false, code: "class-full", reason: "class is full" });
  await send("t1", { type: "class.end" });
  expect(await join("s3")).toEqual({ ok: false, code: "class-ended", reason: "class has ended" });
  expect(decisions.recent({ decision: "deny", limit: 5 }).map((d) => [d.userId, d.reasons])).toEqual([
    ["s3", ["class has ended"]],
    ["s2", ["class is full"]],
    ["x9", ["not enrolled in this course"]],
  ]);
});

test("admission: an operator's policy (POLICY_DIR) decides enrolment and words the refusals", async () => {
  // education.rego with the enrolment rule taken out and "class is full" said otherwise.
  const base = policySources(undefined)[0].source;
  const enrolmentRule = /deny_reasons\[reason\] \{\n\tinput\.user\.role == "student"\n\tinput\.user\.enrolled == false[^}]*\}\n/;
  expect(base).toMatch(enrolmentRule);
  const source = base.replace(enrolmentRule, "").replaceAll('"class is full"', '"no seats left, sorry"');
  const operator = new JoinPolicy([{ path: "ops/education.rego", source }]);
  await operator.load();
  const { join, decisions } = setup({ capacity: 1, policy: operator });
  expect((await join("x9")).ok).toBe(true); // not enrolled, admitted by this policy
  expect(await join("s1")).toEqual({ ok: false, code: "policy-denied", reason: "no seats left, sorry" });
  expect(decisions.recent({ limit: 2 }).map((d) => [d.userId, d.decision, d.reasons])).toEqual([
    ["s1", "deny", ["no seats left, sorry"]],
    ["x9", "allow", []],
  ]);
});

test(
  "admission in a cluster: the policy sees the shared count; a join that loses the seat after the allow is refused as full, " +
    "and logged",
  async () => {
    // Another instance's join takes the last seat between this join's snapshot and its reservation.
    class Racing extends MemoryShared {
      override async seatsTaken(userId: string): Promise<number | null> {
        const n = await super.seatsTaken(userId);
        this.seats.add("elsewhere");
        return n;
      }
    }
    const shared = new Racing();
    const { join, decisions, room } = setup({ capacity: 1, shared });
    expect(await join("s1")).toEqual({ ok: false, code: "class-full", reason: "class is full" });
    expect(room.isAdmitted("s1")).toBe(false);
    expect(decisions.recent({ limit: 1 })).toMatchObject([{ userId: "s1", decision: "deny", reasons: ["class is full"] }]);
    // The snapshot alone refuses too: the policy's seats_taken rule, though no student is seated here.
    expect(await join("s2")).toEqual({ ok: false, code: "class-full", reason: "class is full" });
    expect(room.students).toEqual([]);
  },
);

test("admission: unenrolled during the class, a student is taken out (4013) and refused until enrolled again", async () => {
  const { join, room, store, fanout } = setup();
  await join("s1");
  store.enrolled.delete("co1 s1");
  room.revokeAccess("s1");
  expect(room.isAdmitted("s1")).toBe(false);
  expect(fanout.closed).toEqual([{ userId: "s1", code: CLOSE.removed, reason: REMOVED_UNENROLLED }]);
  expect(await join("s1")).toEqual({ ok: false, code: "removed", reason: REMOVED_UNENROLLED });
  // The joining instance says "enrolled" but this one's catalogue does not agree yet: still out.
  expect(await room.admit({ id: "s1", role: "student", name: "S1", school: "default" }, true)).toEqual({
    ok: false,
    code: "removed",
    reason: REMOVED_UNENROLLED,
  });
  store.enrolled.add("co1 s1");
  expect((await join("s1")).ok).toBe(true);
});

test(
  "participant.remove: refused for the rest of the class; stored before the ack; a failed write is not acked and a retry " + "stores it",
  async () => {
    const { join, send, refused, store, fanout, decisions } = setup();
    await join("t1", "teacher");
    await join("s1");
    await join("s2");
    expect(await refused("t1", { type: "participant.remove", userId: "t1" })).toBe("invalid-state");
    expect(await refused("t1", { type: "participant.remove", userId: "nobody" })).toBe("not-found");
    store.failWrites = true;
    await expect(send("t1", { type: "participant.remove", userId: "s1", reason: "spam" })).rejects.toThrow("disk is full");
    expect(fanout.closed).toEqual([]);
    expect((await join("s1")).ok).toBe(true); // not removed: the removal was never stored
    store.failWrites = false;
    expect(await send("t1", { type: "participant.remove", userId: "s1", reason: "spam" })).toEqual({ userId: "s1", removed: true });
    expect(store.removalRows.map((r) => r.reason)).toEqual(["removed by the teacher: spam"]);
    expect(fanout.closed).toEqual([{ userId: "s1", code: CLOSE.removed, reason: "removed by the teacher: spam" }]);
    expect(await join("s1")).toEqual({ ok: false, code: "removed", reason: "removed by the teacher: spam" });
    // logged too
    expect(decisions.recent({ limit: 1 })).toMatchObject([{ userId: "s1", decision: "deny", reasons: ["removed by the teacher: spam"] }]);
    expect(await send("t1", { type: "participant.remove", userId: "s1" })).toEqual({ userId: "s1", removed: true }); // a retry
    expect(await refused("s2", { type: "participant.remove", userId: "s1" })).toBe("forbidden");
  },
);

// ---- Presence ---------------------------------------------------------------------

test("presence: a burst of joins is one presence message per tick; staff see who changed, drops included", async () => {
  const { join, room, fanout, clock } = setup({ graceMs: 5 });
  await join("t1", "teacher");
  for (const s of ["s1", "s2", "s3"]) await join(s);
  room.tick(clock.now);
  expect(fanout.of("presence").map((p) => [p.to, p.msg.count, (p.msg.joined as { id: string }[] | undefined)?.map((j) => j.id)])).toEqual([
    ["all", 4, undefined],
    ["staff", 4, ["t1", "s1", "s2", "s3"]],
  ]);
  room.tick(clock.now);
  expect(fanout.of("presence")).toHaveLength(2); // nothing changed: nothing sent
  room.disconnected("s2");
  room.tick(clock.now);
  expect(fanout.of("presence").at(-1)!.msg).toMatchObject({ count: 4, joined: [{ id: "s2", connected: false }], removed: [] });
  await Bun.sleep(15); // past the grace period: the seat goes
  expect(room.isAdmitted("s2")).toBe(false);
  room.tick(clock.now);
  expect(fanout.of("presence").at(-1)!.msg).toMatchObject({ count: 3, joined: [], removed: ["s2"] });
});

// ---- Chat -------------------------------------------------------------------------

test("chat: stored before it is sent; off, muted, slow mode and the burst limit refuse a student but not the teacher", async () => {
  const { join, send, refused, store, fanout, clock } = setup();
  await join("t1", "teacher");
  await join("s1");
  expect(await send("s1", { type: "chat.send", text: "hi" })).toEqual({ messageId: "id1" });
  expect(store.chat.map((m) => m.text)).toEqual(["hi"]);
  expect(fanout.of("chat.message")).toHaveLength(1);
  await send("t1", { type: "chat.settings", enabled: false });
  expect(await refused("s1", { type: "chat.send", text: "x" })).toBe("chat-disabled");
  expect(await send("t1", { type: "chat.send", text: "teacher speaks" })).toEqual({ messageId: "id2" });
  await send("t1", { type: "chat.settings", enabled: true, slowModeSeconds: 10 });
  clock.now += 2_000;
  expect(await refused("s1", { type: "chat.send", text: "x" })).toBe("slow-mode");
  clock.now += 10_000;
  await send("t1", { type: "chat.settings", slowModeSeconds: 0 });
  await send("t1", { type: "chat.mute", userId: "s1", muted: true });
  expect(await refused("s1", { type: "chat.send", text: "x" })).toBe("muted");
  expect(await refused("t1", { type: "chat.mute", userId: "t1", muted: true })).toBe("invalid-state");
  await send("t1", { type: "chat.mute", userId: "s1", muted: false });
  clock.now += 60_000; // the bucket is full again
  const outcomes = [];
  for (let i = 0; i < 6; i++) outcomes.push(await refused("s1", { type: "chat.send", text: `m${i}` }));
  expect(outcomes).toEqual(["accepted", "accepted", "accepted", "accepted", "accepted", "rate-limited"]);
  expect(await send("t1", { type: "chat.delete", messageId: "id1" })).toEqual({ deleted: "id1" });
  expect(await refused("t1", { type: "chat.delete", messageId: "id1" })).toBe("not-found");
});

test("chat: a failed write is neither sent nor acked", async () => {
  const { join, send, store, fanout } = setup();
  await join("s1");
  store.failWrites = true;
  await expect(send("s1", { type: "chat.send", text: "lost?" })).rejects.toThrow("disk is full");
  expect(fanout.of("chat.message")).toEqual([]);
});

// ---- Hands and reactions -----------------------------------------------------------

test("hands: a queue in raise order; the raiser hears at once, staff at the tick; answered hands go down", async () => {
  const { join, send, refused, room, fanout, clock } = setup();
  await join("t1", "teacher");
  await join("s1");
  await join("s2");
  expect(await send("s2", { type: "hand.raise" })).toEqual({ raised: true, position: 1 });
  expect(await send("s1", { type: "hand.raise" })).toEqual({ raised: true, position: 2 });
  expect(fanout.of("hand.state").map((h) => h.to)).toEqual(["s2", "s1"]);
  expect(fanout.of("hands")).toEqual([]);
  room.tick(clock.now);
  expect(fanout.of("hands").map((h) => [h.to, (h.msg.queue as { userId: string }[]).map((q) => q.userId)])).toEqual([
    ["staff", ["s2", "s1"]],
  ]);
  expect(await send("t1", { type: "hand.answer", userId: "s2" })).toEqual({ answered: "s2" });
  expect(fanout.of("hand.answered").map((h) => h.to)).toEqual(["all"]);
  expect(await refused("t1", { type: "hand.answer", userId: "s2" })).toBe("not-found");
  expect(await refused("t1", { type: "hand.raise" })).toBe("forbidden");
  expect(await refused("s1", { type: "hand.clear" })).toBe("forbidden");
  expect(await send("t1", { type: "hand.clear" })).toEqual({ cleared: true });
  room.tick(clock.now);
  expect(fanout.of("hands").at(-1)!.msg.queue).toEqual([]);
});

test("reactions: one per student and kind in the window, batched at the tick", async () => {
  const { join, send, room, fanout, clock } = setup();
  await join("s1");
  await join("s2");
  for (let i = 0; i < 5; i++) await send("s1", { type: "reaction", reaction: "clap" });
  await send("s2", { type: "reaction", reaction: "clap" });
  await send("s2", { type: "reaction", reaction: "heart" });
  room.tick(clock.now);
  expect(fanout.of("reactions").map((r) => r.msg.counts)).toEqual([{ clap: 2, heart: 1 }]);
  clock.now += REACTION_WINDOW_MS;
  room.tick(clock.now); // nothing new: nothing sent, and the window is pruned
  await send("s1", { type: "reaction", reaction: "clap" });
  room.tick(clock.now);
  expect(fanout.of("reactions").map((r) => r.msg.counts)).toEqual([{ clap: 2, heart: 1 }, { clap: 1 }]);
});

// ---- Quiz -------------------------------------------------------------------------

const question = {
  kind: "single" as const,
  prompt: "Largest planet?",
  options: [
    { id: "a", text: "Jupiter" },
    { id: "b", text: "Mars" },
  ],
  correct: "a",
};

test(
  "quiz: an answer is acked once durable; a retry with the same answerId gets the same ack, another answerId is " + "already-answered",
  async () => {
    const { join, send, refused, store } = setup();
    await join("t1", "teacher");
    await join("s1");
    const { questionId } = (await send("t1", { type: "quiz.launch", question, timeLimitSeconds: 30 })) as { questionId: string };
    expect(await refused("t1", { type: "quiz.launch", question, timeLimitSeconds: 30 })).toBe("invalid-state");
    expect(await refused("s1", { type: "quiz.answer", questionId: "other", answerId: "a1", response: { choice: "a" } })).toBe(
      "wrong-question",
    );
    expect(await refused("t1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "a" } })).toBe("forbidden");
    const ack = await send("s1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "a" } });
    expect(ack).toEqual({ questionId, answerId: "a1", acceptedAt: T0 });
    expect(store.answerRows.get(questionId)!.map((a) => [a.userId, a.correct])).toEqual([["s1", true]]);
    expect(await send("s1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "b" } })).toEqual(ack);
    expect(await refused("s1", { type: "quiz.answer", questionId, answerId: "a2", response: { choice: "b" } })).toBe("already-answered");
  },
);

test("quiz launch, close, reveal and chat: each published after its own commit, in its frame's turn, not at the turn's end", async () => {
  const { join, send, store, fanout } = setup();
  await join("t1", "teacher");
  await join("s1");
  store.settleAtTurnEnd = true; // queued writes (answers, attendance) settle at the end of the turn, as in SQLite
  let turnEnded = false;
  const seen: { type: string; turnEnded: boolean; commits: number; stored: number }[] = [];
  const all = fanout.all.bind(fanout);
  fanout.all = (classId, msg) => {
    const type = "raw" in msg ? "raw" : msg.type;
    seen.push({ type, turnEnded, commits: store.commits, stored: store.launched.length + store.chat.length });
    all(classId, msg);
  };
  const commits0 = store.commits;
  setImmediate(() => (turnEnded = true));
  const { questionId } = (await send("t1", { type: "quiz.launch", question, timeLimitSeconds: 30 })) as { questionId: string };
  // One commit (the launch's own), stored before it is published, and no wait for the rest of the turn.
  expect(seen).toEqual([{ type: "quiz.question", turnEnded: false, commits: commits0 + 1, stored: 1 }]);
  turnEnded = false;
  setImmediate(() => (turnEnded = true));
  await send("t1", { type: "chat.send", text: "now" });
  expect(seen[1]).toEqual({ type: "chat.message", turnEnded: false, commits: commits0 + 2, stored: 2 });
  // An answer still takes the group commit: acked at the end of its turn, with the others of that turn.
  turnEnded = false;
  setImmediate(() => (turnEnded = true));
  await send("s1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "a" } });
  expect(turnEnded).toBe(true);
  turnEnded = false;
  setImmediate(() => (turnEnded = true));
  await send("t1", { type: "quiz.reveal" });
  expect(seen.slice(2).map((x) => [x.type, x.turnEnded])).toEqual([
    ["quiz.closed", false],
    ["quiz.reveal", false],
  ]);
  expect(store.launched[0]).toMatchObject({ id: questionId });
  expect(store.launched[0].revealedAt).not.toBeNull();
});

test("quiz: a failed write is not acked and not counted; the retry is", async () => {
  const { join, send, room, store, fanout, clock } = setup();
  await join("t1", "teacher");
  await join("s1");
  const { questionId } = (await send("t1", { type: "quiz.launch", question, timeLimitSeconds: 30 })) as { questionId: string };
  store.failWrites = true;
  await expect(send("s1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "a" } })).rejects.toThrow("disk is full");
  room.tick(clock.now);
  expect(fanout.of("quiz.distribution").at(-1)!.msg.distribution).toMatchObject({ answered: 0, eligible: 1 });
  store.failWrites = false;
  expect(await send("s1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "a" } })).toMatchObject({
    answerId: "a1",
  });
  room.tick(clock.now);
  expect(fanout.of("quiz.distribution").at(-1)!.msg.distribution).toMatchObject({ answered: 1, counts: { a: 1 } });
});

test("quiz in a cluster: an answer another owner already recorded is already-answered, not counted twice", async () => {
  const { join, send, refused, shared } = setup({ shared: true });
  await join("t1", "teacher");
  await join("s1");
  const { questionId } = (await send("t1", { type: "quiz.launch", question, timeLimitSeconds: 30 })) as { questionId: string };
  shared!.answers.add(`${questionId} s1`);
  expect(await refused("s1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "a" } })).toBe("already-answered");
});

test(
  "quiz: closed at the deadline by the tick; late answers are deadline-passed; the reveal sends each answerer their " + "result",
  async () => {
    const { join, send, refused, room, fanout, clock } = setup();
    await join("t1", "teacher");
    await join("s1");
    await join("s2");
    const { questionId } = (await send("t1", { type: "quiz.launch", question, timeLimitSeconds: 5 })) as { questionId: string };
    await send("s1", { type: "quiz.answer", questionId, answerId: "a1", response: { choice: "a" } });
    clock.now += 5_001;
    room.tick(clock.now);
    await Bun.sleep(0); // the close's write
    expect(fanout.of("quiz.closed").map((c) => c.msg.questionId)).toEqual([questionId]);
    expect(await refused("s2", { type: "quiz.answer", questionId, answerId: "b1", response: { choice: "a" } })).toBe("deadline-passed");
    expect(await send("t1", { type: "quiz.reveal" })).toEqual({ questionId, correct: "a" });
    expect(
      fanout
        .of("quiz.result")
        .map((r) => [r.to, (r.msg.result as { correct: boolean; rank: number }).correct, (r.msg.result as { rank: number }).rank]),
    ).toEqual([["s1", true, 1]]);
    expect(await send("t1", { type: "leaderboard.show" })).toEqual({ shown: true });
    const boards = fanout.of("leaderboard");
    expect(boards.map((b) => [b.to, (b.msg.me as { score: number } | null)?.score ?? null])).toEqual([
      ["t1", null],
      ["s1", (boards[1].msg.me as { score: number }).score],
      ["s2", 0],
    ]);
    expect((boards[1].msg.me as { score: number }).score).toBeGreaterThan(0);
  },
);

// ---- The room ----------------------------------------------------------------------

test("the room: only members send, only staff send staff messages, and every class event has the next seq", async () => {
  const { join, send, refused, room, fanout, clock } = setup();
  expect(await refused("s1", { type: "chat.send", text: "x" })).toBe("forbidden"); // not in the class
  await join("t1", "teacher");
  await join("s1");
  expect(await refused("s1", { type: "quiz.close" })).toBe("forbidden");
  await send("s1", { type: "chat.send", text: "a" });
  await send("s1", { type: "hand.raise" });
  await send("t1", { type: "chat.settings", slowModeSeconds: 1 });
  room.tick(clock.now);
  const seqs = fanout.seqs();
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  const welcome = await join("s1");
  expect(welcome.ok && welcome.welcome.type === "welcome" && welcome.welcome.state.seq).toBe(seqs.length);
});

test("the end: final standings, class.ended, sockets closed with 4010 on the next turn, the class stored as ended", async () => {
  const { join, send, refused, store, fanout, ended } = setup();
  await join("t1", "teacher");
  await join("s1");
  expect(await send("t1", { type: "class.end" })).toEqual({ ended: true });
  expect(store.classRows.get("cl1")).toMatchObject({ status: "ended", endedAt: T0 });
  expect(fanout.of("class.ended")).toHaveLength(1);
  expect(ended).toEqual(["cl1"]);
  expect(fanout.closed).toEqual([]);
  await Bun.sleep(2);
  expect(fanout.closed).toEqual([{ userId: "*", code: CLOSE.classEnded, reason: "class has ended" }]);
  expect(await join("s2")).toEqual({ ok: false, code: "class-ended", reason: "class has ended" });
  expect(await refused("t1", { type: "chat.send", text: "x" })).toBe("forbidden");
});

test("a new owner restores seats (grace), moderation and removals; a removed student still seated leaves", async () => {
  const { room, fanout, clock } = setup();
  room.restoreSeats(["s1", "s2", "x9"]); // x9 is not enrolled: not kept
  expect([room.isAdmitted("s1"), room.isAdmitted("s2"), room.isAdmitted("x9")]).toEqual([true, true, false]);
  room.restoreModeration({
    chatSettings: { enabled: false, slowModeSeconds: 0 },
    muted: ["s1"],
    hands: [
      { userId: "s2", name: "S2", raisedAt: T0 },
      { userId: "gone", name: "G", raisedAt: T0 },
    ],
  });
  expect(room.moderation()).toEqual({
    chatSettings: { enabled: false, slowModeSeconds: 0 },
    muted: ["s1"],
    hands: [{ userId: "s2", name: "S2", raisedAt: T0 }],
  });
  room.restoreRemovals([{ userId: "s2", reason: "removed by the teacher", at: T0 }]);
  expect(room.isAdmitted("s2")).toBe(false);
  expect(fanout.closed).toEqual([{ userId: "s2", code: CLOSE.removed, reason: "removed by the teacher" }]);
  expect(room.moderation().hands).toEqual([]);
  room.tick(clock.now);
  expect(fanout.of("presence").at(-1)!.msg).toMatchObject({ count: 1, removed: ["s2"] });
});
