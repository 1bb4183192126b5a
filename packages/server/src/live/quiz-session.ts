// The class's quiz: one open question at a time, answers graded and stored (and shared, in a
// cluster) before they are acknowledged, the distribution batched to staff at the ticks, the
// reveal with each student's result, and the standings behind the leaderboard.
import type { AckResults, ClassSnapshot, ClientMessageOf, LeaderboardEntry, OpenQuestion, RevealPayload } from "@edgeclass/client/protocol";
import { AppError } from "../domain/errors.ts";
import * as quiz from "../domain/live/quiz.ts";
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import type { Member, RoomCore } from "./context.ts";

const LEADERBOARD_SIZE = 10;

interface OpenQuiz {
  q: LaunchedQuestion;
  answers: Map<string, GradedAnswer>;
  /** Answers being committed, so a retry with the same answerId waits for the same outcome. */
  pending: Map<string, { answerId: string; done: Promise<GradedAnswer> }>;
  counts: Record<string, number>;
}

type Standings = { entries: LeaderboardEntry[]; byUser: Map<string, LeaderboardEntry> };

export class QuizSession {
  private current: OpenQuiz | null = null;
  private reveal: RevealPayload | null = null;
  private readonly scores = new Map<string, number>();
  private leaderboardShown = false;
  private autoRevealing = false;
  private distributionDirty = false;
  /** The standings, sorted once and kept until a score or the set of students changes:
   *  every welcome carries the leaderboard once it is shown, and a join burst is many welcomes. */
  private ranked: Standings | null = null;

  constructor(private readonly room: RoomCore) {
    // Recover what a restart must not lose: the open question, answers, scores.
    const { store } = room.deps;
    for (const q of store.live.launchedQuestions(room.classId)) {
      const answers = store.live.answers(q.id);
      for (const a of answers) this.scores.set(a.userId, (this.scores.get(a.userId) ?? 0) + a.points);
      if (q.revealedAt === null) this.current = open(q, answers);
    }
  }

  async launch(msg: ClientMessageOf<"quiz.launch">, now: number): Promise<AckResults["quiz.launch"]> {
    if (this.current && this.current.q.revealedAt === null && this.current.q.closedAt === null) {
      throw new AppError("invalid-state", "a question is already open; close or reveal it first");
    }
    if ((msg.questionId === undefined) === (msg.question === undefined)) {
      throw new AppError("bad-message", "send either questionId (from the course's bank) or question");
    }
    const { classId, deps } = this.room;
    let draft = msg.question;
    let bankQuestionId: string | null = null;
    if (msg.questionId !== undefined) {
      const bank = deps.store.live.getQuestion(msg.questionId);
      if (!bank || bank.courseId !== this.room.course.id)
        throw new AppError("not-found", `no question ${msg.questionId} in this course's bank`);
      draft = bank.draft;
      bankQuestionId = bank.id;
    }
    const problem = quiz.draftProblem(draft!);
    if (problem) throw new AppError("bad-message", problem);
    const q: LaunchedQuestion = {
      id: deps.newId(),
      classId,
      bankQuestionId,
      draft: draft!,
      launchedAt: now,
      deadline: now + msg.timeLimitSeconds * 1000,
      closedAt: null,
      revealedAt: null,
      eligible: this.room.students.length,
      ...(msg.flow ? { flow: msg.flow } : {}),
    };
    await deps.shared?.saveQuestion(q);
    // Its own commit, now (writeNow): every student waits for this one event.
    await deps.store.writeNow(() => deps.store.live.insertLaunched(q));
    this.current = open(q);
    this.reveal = null;
    // The board shown for an earlier question is stale now (issue 16 defect 2): welcomes stop carrying it.
    this.leaderboardShown = false;
    deps.fanout.all(classId, { type: "quiz.question", seq: this.room.nextSeq(), quiz: view(this.current) });
    // Staff see "0 of N answered" from launch, not "0 of 0" until the first answer (defect 1).
    this.distributionDirty = true;
    return { questionId: q.id, deadline: q.deadline };
  }

  async answer(m: Member, msg: ClientMessageOf<"quiz.answer">, now: number): Promise<AckResults["quiz.answer"]> {
    const cur = this.current;
    if (m.role !== "student") throw new AppError("forbidden", "only students answer questions");
    if (!cur) throw new AppError("no-open-question", "no question is open");
    if (msg.questionId !== cur.q.id) throw new AppError("wrong-question", `question ${msg.questionId} is not the open question`);
    const ack = (a: GradedAnswer) => ({ questionId: cur.q.id, answerId: a.answerId, acceptedAt: a.answeredAt });
    // Idempotency comes first: a retry of an accepted answer gets the same reply, even after the deadline.
    const done = cur.answers.get(m.id);
    if (done) {
      if (done.answerId === msg.answerId) return ack(done);
      throw new AppError("already-answered", "you have already answered this question");
    }
    const inFlight = cur.pending.get(m.id);
    if (inFlight) {
      if (inFlight.answerId === msg.answerId) return ack(await inFlight.done);
      throw new AppError("already-answered", "you have already answered this question");
    }
    if (cur.q.closedAt !== null || now > cur.q.deadline) throw new AppError("deadline-passed", "time is up for this question");
    const problem = quiz.responseProblem(cur.q.draft, msg.response);
    if (problem) throw new AppError("bad-message", problem);
    const graded = quiz.grade(cur.q, m.id, msg.answerId, msg.response, now);
    const { shared, store, metrics } = this.room.deps;
    // Shared first (once-only across instances), then the local store; acknowledged after both.
    const write = (async () => {
      if (shared && (await shared.saveAnswer(cur.q.id, graded)) === "exists")
        throw new AppError("already-answered", "you have already answered this question");
      await store.write(() => store.live.insertAnswer(cur.q.id, graded));
      return graded;
    })();
    cur.pending.set(m.id, { answerId: msg.answerId, done: write });
    try {
      await write;
    } finally {
      cur.pending.delete(m.id);
    }
    // Durable: now it counts.
    cur.answers.set(m.id, graded);
    quiz.countResponse(cur.counts, graded.response);
    this.scores.set(m.id, (this.scores.get(m.id) ?? 0) + graded.points);
    this.ranked = null;
    this.distributionDirty = true;
    metrics.answerAck.observe((this.room.deps.now() - now) / 1000);
    return ack(graded);
  }

  async close(now: number): Promise<AckResults["quiz.close"]> {
    const cur = this.current;
    if (!cur) throw new AppError("no-open-question", "no question is open");
    if (cur.q.closedAt === null) {
      const { classId, deps } = this.room;
      cur.q.closedAt = now;
      await deps.shared?.saveQuestion(cur.q);
      await deps.store.writeNow(() => deps.store.live.markClosed(cur.q.id, now));
      deps.fanout.all(classId, { type: "quiz.closed", seq: this.room.nextSeq(), questionId: cur.q.id });
    }
    return { questionId: cur.q.id, closedAt: cur.q.closedAt };
  }

  async revealAnswer(now: number): Promise<AckResults["quiz.reveal"]> {
    const cur = this.current;
    if (!cur) throw new AppError("no-open-question", "no question is open");
    // Answers still being committed get their outcome before the reveal goes out.
    await Promise.allSettled([...cur.pending.values()].map((p) => p.done));
    if (cur.q.revealedAt === null) {
      const { classId, deps } = this.room;
      const wasClosed = cur.q.closedAt !== null;
      cur.q.closedAt ??= now;
      cur.q.revealedAt = now;
      await deps.shared?.saveQuestion(cur.q);
      await deps.store.writeNow(() => deps.store.live.markRevealed(cur.q.id, now));
      if (!wasClosed) deps.fanout.all(classId, { type: "quiz.closed", seq: this.room.nextSeq(), questionId: cur.q.id });
      const full = quiz.distribution(cur.q, cur.answers.size, cur.counts);
      this.reveal = {
        questionId: cur.q.id,
        correct: quiz.correctAnswer(cur.q.draft),
        distribution: quiz.publicDistribution(cur.q.draft, full),
      };
      // Staff keep every answer's row (students see the accepted ones and "other").
      if (this.reveal.distribution !== full)
        deps.fanout.staff(classId, { type: "quiz.distribution", seq: this.room.nextSeq(), distribution: full });
      deps.fanout.all(classId, { type: "quiz.reveal", seq: this.room.nextSeq(), reveal: this.reveal });
      const { byUser } = this.standings();
      for (const [userId, a] of cur.answers) {
        deps.fanout.user(classId, userId, {
          type: "quiz.result",
          result: {
            questionId: cur.q.id,
            correct: a.correct,
            points: a.points,
            totalScore: this.scores.get(userId) ?? 0,
            rank: byUser.get(userId)?.rank ?? 0,
          },
        });
      }
      // A quiz run with auto-leaderboard shows the standings between questions by itself.
      if (cur.q.flow?.autoLeaderboard) this.showLeaderboard();
    }
    return { questionId: cur.q.id, correct: quiz.correctAnswer(cur.q.draft) };
  }

  showLeaderboard(): AckResults["leaderboard.show"] {
    this.leaderboardShown = true;
    this.sendLeaderboard();
    return { shown: true };
  }

  /** The set of students changed: every admitted student is on the board, with 0 until they score. */
  studentsChanged(): void {
    this.ranked = null;
  }

  /** The open (not yet revealed) question, for re-sharing. */
  openQuestion(): LaunchedQuestion | null {
    return this.current?.q ?? null;
  }

  /** Staff's distribution (batched), and the question's close at its deadline. */
  flush(now: number): void {
    const cur = this.current;
    if (!cur) return;
    const { classId, deps } = this.room;
    if (this.distributionDirty) {
      this.distributionDirty = false;
      deps.fanout.staff(classId, {
        type: "quiz.distribution",
        seq: this.room.nextSeq(),
        distribution: quiz.distribution(cur.q, cur.answers.size, cur.counts),
      });
    }
    if (cur.q.closedAt === null && now > cur.q.deadline && !this.autoRevealing) {
      if (cur.q.flow?.autoReveal) {
        // Time is up in an auto-reveal run: the reveal closes it too (once, however many ticks pass meanwhile).
        this.autoRevealing = true;
        this.revealAnswer(now)
          .catch((e) => deps.logger.error({ err: e, classId }, "revealing a question at its deadline failed"))
          .finally(() => (this.autoRevealing = false));
      } else this.close(now).catch((e) => deps.logger.error({ err: e, classId }, "closing a question at its deadline failed"));
    }
  }

  /** In the class's final write: an open question closes with it. */
  closeWithClass(now: number): void {
    if (this.current && this.current.q.closedAt === null) this.room.deps.store.live.markClosed(this.current.q.id, now);
  }

  /** Final standings for the ended page, from the same graded answers as the results export
   *  (issue 16 defect 3: the page kept the last board shown, 0 points where the CSV said 48). */
  sendFinalStandings(): void {
    if (this.current === null && this.scores.size === 0) return;
    this.leaderboardShown = true;
    this.ranked = null;
    this.sendLeaderboard();
  }

  /** The quiz's part of a member's welcome. */
  snapshot(m: Member, staff: boolean): Pick<ClassSnapshot, "quiz" | "myAnswer" | "distribution" | "reveal" | "result" | "leaderboard"> {
    const cur = this.current;
    const mine = cur?.answers.get(m.id);
    return {
      quiz: cur ? view(cur) : null,
      myAnswer: cur && mine ? { questionId: cur.q.id, answerId: mine.answerId, acceptedAt: mine.answeredAt } : null,
      distribution: staff && cur ? quiz.distribution(cur.q, cur.answers.size, cur.counts) : undefined,
      reveal: this.reveal ?? undefined,
      // After a reveal a reloaded page still shows the student's own result (defect 4).
      result:
        cur && mine && cur.q.revealedAt !== null
          ? {
              questionId: cur.q.id,
              correct: mine.correct,
              points: mine.points,
              totalScore: this.scores.get(m.id) ?? 0,
              rank: this.standings().byUser.get(m.id)?.rank ?? 0,
            }
          : undefined,
      leaderboard: this.leaderboardShown ? this.leaderboardFor(m.id) : null,
    };
  }

  private standings(): Standings {
    if (this.ranked === null) {
      const { members, students, deps } = this.room;
      const all = new Map(this.scores);
      for (const id of students) if (!all.has(id)) all.set(id, 0);
      const entries = quiz.rankScores(all, (id) => members.get(id)?.name ?? deps.store.users.get(id)?.name ?? id);
      this.ranked = { entries, byUser: new Map(entries.map((e) => [e.userId, e])) };
    }
    return this.ranked;
  }

  private leaderboardFor(userId: string): { top: LeaderboardEntry[]; me: LeaderboardEntry | null } {
    const { entries, byUser } = this.standings();
    return { top: entries.slice(0, LEADERBOARD_SIZE), me: byUser.get(userId) ?? null };
  }

  private sendLeaderboard(): void {
    const { entries, byUser } = this.standings();
    const { classId, members, deps } = this.room;
    const seq = this.room.nextSeq();
    const head = `{"type":"leaderboard","seq":${seq},"top":${JSON.stringify(entries.slice(0, LEADERBOARD_SIZE))},"me":`;
    // The top ten is serialised once; each participant's own entry is appended.
    for (const id of members.keys()) deps.fanout.user(classId, id, { raw: head + JSON.stringify(byUser.get(id) ?? null) + "}" });
  }
}

function open(q: LaunchedQuestion, answers: GradedAnswer[] = []): OpenQuiz {
  const counts = quiz.emptyCounts(q.draft);
  for (const a of answers) quiz.countResponse(counts, a.response);
  return { q, answers: new Map(answers.map((a) => [a.userId, a])), pending: new Map(), counts };
}

function view(cur: OpenQuiz): OpenQuestion {
  return {
    question: quiz.publicQuestion(cur.q),
    launchedAt: cur.q.launchedAt,
    deadline: cur.q.deadline,
    closed: cur.q.closedAt !== null,
    revealed: cur.q.revealedAt !== null,
    ...(cur.q.flow ? { flow: cur.q.flow } : {}),
  };
}
