// In-memory fakes of a room's ports (fan-out, store, shared class state), as LiveKit's
// room_test.go fakes its participants: the room's rules run in microseconds, no sockets.
import type { ChatMessage, ChatSettings, Hand } from "@edgeclass/client/protocol";
import type { GradedAnswer, LaunchedQuestion } from "../../src/domain/live/quiz.ts";
import type { ClassSession, Course, User } from "../../src/domain/model.ts";
import type { RoomStore } from "../../src/live/context.ts";
import type { Fanout, Outgoing } from "../../src/live/fanout.ts";
import type { SharedClassState } from "../../src/live/shared-state.ts";
import type { AttendanceSession, BankQuestion, Removal } from "../../src/store/live-types.ts";

type Sent = { to: "all" | "staff" | string; msg: Outgoing };

/** Records every message by audience, and every close. */
export class RecordingFanout implements Fanout {
  readonly sent: Sent[] = [];
  readonly closed: { userId: string | "*"; code: number; reason: string }[] = [];
  all(_c: string, msg: Outgoing): void {
    this.sent.push({ to: "all", msg });
  }
  staff(_c: string, msg: Outgoing): void {
    this.sent.push({ to: "staff", msg });
  }
  user(_c: string, userId: string, msg: Outgoing): void {
    this.sent.push({ to: userId, msg });
  }
  closeUser(_c: string, userId: string, code: number, reason: string): void {
    this.closed.push({ userId, code, reason });
  }
  closeAll(_c: string, code: number, reason: string): void {
    this.closed.push({ userId: "*", code, reason });
  }
  /** Messages of one type (parsed when raw), with their audience. */
  of(type: string): { to: string; msg: Record<string, unknown> }[] {
    return this.sent
      .map((s) => ({ to: s.to, msg: ("raw" in s.msg ? JSON.parse(s.msg.raw) : s.msg) as Record<string, unknown> }))
      .filter((s) => s.msg.type === type);
  }
  /** Every seq sent, in order (one message may go to several audiences with one seq). */
  seqs(): number[] {
    const out: number[] = [];
    for (const s of this.sent) {
      const m = ("raw" in s.msg ? JSON.parse(s.msg.raw) : s.msg) as { seq?: number };
      if (typeof m.seq === "number" && out.at(-1) !== m.seq) out.push(m.seq);
    }
    return out;
  }
}

/** The part of the store a room uses, in memory. `failWrites` makes group-commit writes fail as a full disk does. */
export class MemoryStore implements RoomStore {
  failWrites = false;
  readonly userRows = new Map<string, User>();
  readonly courseRows = new Map<string, Course>();
  readonly classRows = new Map<string, ClassSession>();
  readonly enrolled = new Set<string>(); // "courseId userId"
  readonly chat: ChatMessage[] = [];
  readonly bank = new Map<string, BankQuestion>();
  readonly launched: LaunchedQuestion[] = [];
  readonly answerRows = new Map<string, GradedAnswer[]>();
  readonly removalRows: Removal[] = [];
  readonly attendanceRows: { userId: string; joinedAt: number; leftAt: number | null }[] = [];
  private readonly deleted = new Set<string>();

  readonly users = { get: (id: string) => this.userRows.get(id), upsert: (u: User) => void this.userRows.set(u.id, { ...u }) };
  readonly courses = { get: (id: string) => this.courseRows.get(id) };
  readonly enrollments = { isEnrolled: (courseId: string, userId: string) => this.enrolled.has(`${courseId} ${userId}`) };
  readonly classes = { get: (id: string) => this.classRows.get(id), update: (c: ClassSession) => void this.classRows.set(c.id, { ...c }) };
  readonly live = {
    recentChat: (_c: string, limit: number) => this.chat.filter((m) => !this.deleted.has(m.id)).slice(-limit),
    insertChat: (_c: string, m: ChatMessage) => void this.chat.push(m),
    deleteChat: (_c: string, id: string) => {
      if (!this.chat.some((m) => m.id === id) || this.deleted.has(id)) return false;
      this.deleted.add(id);
      return true;
    },
    attendanceJoin: (_c: string, userId: string, _r: string, at: number) =>
      void this.attendanceRows.push({ userId, joinedAt: at, leftAt: null }),
    attendanceLeave: (_c: string, userId: string, at: number) => {
      for (const r of this.attendanceRows) if (r.userId === userId && r.leftAt === null) r.leftAt = at;
    },
    attendanceCloseAll: (_c: string, at: number) => {
      for (const r of this.attendanceRows) if (r.leftAt === null) r.leftAt = at;
    },
    getQuestion: (id: string) => this.bank.get(id),
    launchedQuestions: () => this.launched.map((q) => ({ ...q })),
    insertLaunched: (q: LaunchedQuestion) => void this.launched.push({ ...q }),
    markClosed: (id: string, at: number) => this.patch(id, { closedAt: at }),
    markRevealed: (id: string, at: number) => this.patch(id, { revealedAt: at }),
    answers: (questionId: string) => [...(this.answerRows.get(questionId) ?? [])],
    insertAnswer: (questionId: string, a: GradedAnswer) => {
      const list = this.answerRows.get(questionId) ?? [];
      if (list.some((x) => x.userId === a.userId)) throw new Error("UNIQUE constraint failed: answers");
      this.answerRows.set(questionId, [...list, a]);
    },
    removals: () => [...this.removalRows],
    insertRemoval: (_c: string, r: Removal) => {
      if (!this.removalRows.some((x) => x.userId === r.userId)) this.removalRows.push(r);
    },
  };

  private patch(id: string, change: Partial<LaunchedQuestion>): void {
    const i = this.launched.findIndex((q) => q.id === id);
    if (i >= 0) this.launched[i] = { ...this.launched[i], ...change };
  }

  transaction<T>(fn: () => T): T {
    return fn();
  }

  /** Commits made (writeNow's: each is one). */
  commits = 0;
  /** write() settles at the end of the event-loop turn, as the SQLite group commit does (setImmediate). */
  settleAtTurnEnd = false;

  async write<T>(fn: () => T): Promise<T> {
    // A group commit settles later, never in the caller's turn.
    await (this.settleAtTurnEnd ? new Promise((r) => setImmediate(r)) : Promise.resolve());
    if (this.failWrites) throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    this.commits++;
    return fn();
  }

  /** Committed in the caller's turn; settles after it, like the group commit's writeNow. */
  async writeNow<T>(fn: () => T): Promise<T> {
    if (this.failWrites) throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    this.commits++;
    return fn();
  }
}

/** The shared class state of a cluster, in memory: an exact seat count and once-only answers. */
export class MemoryShared implements SharedClassState {
  readonly seats = new Set<string>();
  readonly answers = new Set<string>(); // "questionId userId"
  readonly removals: Removal[] = [];
  readonly hands = new Map<string, Hand>();
  readonly attendance: AttendanceSession[] = [];
  settings: ChatSettings | null = null;
  /** When set, every awaited call rejects (the shared engine is unreachable). */
  down = false;

  private async reach(): Promise<void> {
    await Promise.resolve();
    if (this.down) throw new Error("redis unreachable");
  }
  async seatsTaken(userId: string): Promise<number | null> {
    await this.reach();
    return this.seats.size - (this.seats.has(userId) ? 1 : 0);
  }
  async takeSeat(userId: string, capacity: number): Promise<boolean> {
    await this.reach();
    if (this.seats.has(userId)) return true;
    if (this.seats.size >= capacity) return false;
    this.seats.add(userId);
    return true;
  }
  releaseSeat(userId: string): void {
    this.seats.delete(userId);
  }
  async saveQuestion(): Promise<void> {
    await this.reach();
  }
  async saveAnswer(questionId: string, a: GradedAnswer): Promise<"saved" | "exists"> {
    await this.reach();
    const key = `${questionId} ${a.userId}`;
    if (this.answers.has(key)) return "exists";
    this.answers.add(key);
    return "saved";
  }
  async saveChat(): Promise<void> {
    await this.reach();
  }
  async deleteChat(): Promise<void> {
    await this.reach();
  }
  async saveChatSettings(s: ChatSettings): Promise<void> {
    await this.reach();
    this.settings = s;
  }
  async saveMute(): Promise<void> {
    await this.reach();
  }
  async saveHand(userId: string, hand: Hand | null): Promise<void> {
    await this.reach();
    if (hand) this.hands.set(userId, hand);
    else this.hands.delete(userId);
  }
  async clearHands(): Promise<void> {
    await this.reach();
    this.hands.clear();
  }
  saveAttendance(s: AttendanceSession): void {
    this.attendance.push(s);
  }
  async saveRemoval(r: Removal): Promise<void> {
    await this.reach();
    this.removals.push(r);
  }
}
