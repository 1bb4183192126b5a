// One live class, owned by one server instance: admission through the join policy,
// presence, chat, hands, reactions and quizzes. Every change that must survive a
// restart is written through the store's group commit and acknowledged after it.
import {
  CLOSE,
  STAFF_MESSAGES,
  type ChatMessage,
  type ChatSettings,
  type ClassSnapshot,
  type ClientMessage,
  type ErrorCode,
  type Hand,
  type LeaderboardEntry,
  type OpenQuestion,
  type Participant,
  type Reaction,
  type ServerMessage,
} from "../../../client/src/protocol.ts";
import type { ClassSession, Course, Principal } from "../domain/model.ts";
import * as quiz from "../domain/live/quiz.ts";
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import type { Logger } from "../obs/logger.ts";
import type { DecisionLog } from "../policy/decision-log.ts";
import type { JoinPolicy } from "../policy/join-policy.ts";
import type { Removal } from "../store/live-types.ts";
import type { Store } from "../store/types.ts";
import { AppError } from "../domain/errors.ts";
import type { Fanout } from "./fanout.ts";
import type { ModerationState, SharedClassState } from "./shared-state.ts";
import type { LiveMetrics } from "./metrics.ts";
import { TokenBucket } from "./rate-limit.ts";
import { causeOf, REMOVED_ARCHIVED, REMOVED_UNENROLLED, staffRemovalReason } from "./removal.ts";
import type { ClassVideo } from "../../../client/src/protocol.ts";

export interface RoomDeps {
  store: Store;
  fanout: Fanout;
  policy: JoinPolicy;
  decisions: DecisionLog;
  metrics: LiveMetrics;
  logger: Logger;
  now(): number;
  newId(): string;
  graceMs: number;
  /** Set when instances share classes through Redis. */
  shared?: SharedClassState;
  /** Called once the class has ended and the room let go of everything. */
  onEnded(classId: string): void;
  /** The teacher's video state, for the welcome (kept by the media side, video-board.ts). */
  video?(classId: string): ClassVideo | undefined;
}

const CHAT_HISTORY = 50;
const CHAT_BURST = 5;
const CHAT_PER_SECOND = 0.5;
const LEADERBOARD_SIZE = 10;
/** A student's reaction of one kind counts once in this window; repeats are dropped (issue 16 defect 15). */
const REACTION_WINDOW_MS = 3000;

interface Member extends Participant {
  joinedAt: number;
  graceTimer: ReturnType<typeof setTimeout> | null;
  chatBucket: TokenBucket;
  lastChatAt: number;
}

interface OpenQuiz {
  q: LaunchedQuestion;
  answers: Map<string, GradedAnswer>;
  /** Answers being committed, so a retry with the same answerId waits for the same outcome. */
  pending: Map<string, { answerId: string; done: Promise<GradedAnswer> }>;
  counts: Record<string, number>;
}

/** A refusal names its catalogue code; the gateway closes with the code's close code. */
export type AdmitResult = { ok: true; welcome: ServerMessage } | { ok: false; code: ErrorCode; reason: string };

/** The stable code of a policy denial: "class-full" when that is the only reason, so a UI can say so. */
export function denialCode(reasons: readonly string[]): ErrorCode {
  return reasons.length === 1 && reasons[0] === "class is full" ? "class-full" : "policy-denied";
}

export class LiveRoom {
  readonly classId: string;
  private course: Course;
  private cls: ClassSession;
  private seq = 0;
  private readonly members = new Map<string, Member>();
  /** Ids of admitted students (connected or within their grace period): the policy's input.course.students. */
  private readonly students: string[] = [];
  private readonly chat: ChatMessage[];
  private chatSettings: ChatSettings = { enabled: true, slowModeSeconds: 0 };
  private readonly muted = new Set<string>();
  private readonly hands = new Map<string, Hand>();
  private reactions: Partial<Record<Reaction, number>> = {};
  /** When each "userId reaction" last counted (pruned at the ticks). */
  private reacted = new Map<string, number>();
  private current: OpenQuiz | null = null;
  private reveal: ReturnType<LiveRoom["revealPayload"]> | null = null;
  private readonly scores = new Map<string, number>();
  private leaderboardShown = false;
  private ended = false;
  /** Removed by staff: refused for the rest of this live class (stored, and shared in a cluster). */
  private readonly removed = new Map<string, Removal>();
  /** Students taken out because they lost access (unenrolled, course archived), with the reason:
   *  refused until this instance's catalogue gives them access again. */
  private readonly revoked = new Map<string, string>();
  // Batched broadcasts, flushed by tick().
  /** Roster changes since the last tick, latest state per user: who joined, reconnected or dropped. */
  private rosterChanges = new Map<string, Member>();
  /** Users whose seat was released (grace period over) since the last tick. */
  private removedSinceTick = new Set<string>();
  private presenceDirty = false;
  private handsDirty = false;
  private distributionDirty = false;

  constructor(
    private readonly deps: RoomDeps,
    cls: ClassSession,
    course: Course,
  ) {
    this.classId = cls.id;
    this.cls = cls;
    this.course = course;
    const { store } = deps;
    // Recover what a restart must not lose: chat, the open question, answers, scores.
    this.chat = store.live.recentChat(cls.id, CHAT_HISTORY);
    store.transaction(() => store.live.attendanceCloseAll(cls.id, deps.now()));
    for (const q of store.live.launchedQuestions(cls.id)) {
      const answers = store.live.answers(q.id);
      for (const a of answers) this.scores.set(a.userId, (this.scores.get(a.userId) ?? 0) + a.points);
      if (q.revealedAt === null) this.current = this.openQuiz(q, answers);
    }
    for (const r of store.live.removals(cls.id)) this.removed.set(r.userId, r);
  }

  private openQuiz(q: LaunchedQuestion, answers: GradedAnswer[] = []): OpenQuiz {
    const counts = quiz.emptyCounts(q.draft);
    for (const a of answers) quiz.countResponse(counts, q.draft, a.response);
    return { q, answers: new Map(answers.map((a) => [a.userId, a])), pending: new Map(), counts };
  }

  /** Whether the user holds a seat in this class (connected, or within their reconnect grace). */
  isAdmitted(userId: string): boolean {
    return this.members.has(userId);
  }

  get courseId(): string {
    return this.course.id;
  }

  get participantCount(): number {
    return this.members.size;
  }

  private isStaff(p: { id: string; role: string }): boolean {
    // A school admin is admitted only to their own school's classes (the policy), so is staff there.
    return p.role === "admin" || p.role === "school-admin" || (p.role === "teacher" && p.id === this.course.teacherId);
  }

  private nextSeq(): number {
    return ++this.seq;
  }

  // ---- Admission and presence ------------------------------------------------

  /** Admits a participant or says why not. On one instance nothing awaits before the seat is taken,
   *  so concurrent joins cannot overfill the class; in a cluster the shared seat count decides. */
  async admit(p: Principal, enrolled: boolean): Promise<AdmitResult> {
    const now = this.deps.now();
    if (this.ended) return { ok: false, code: "class-ended", reason: "class has ended" };
    const refusal = this.removalOf(p, enrolled);
    if (refusal !== null) {
      // Also a participant still holding a seat (within the grace period) whose access went meanwhile.
      if (this.members.has(p.id)) this.takeOut(p.id, refusal);
      return { ok: false, code: "removed", reason: refusal };
    }
    const existing = this.members.get(p.id);
    if (existing) {
      // Back within the grace period, or a second tab: the same participant, no new seat.
      if (existing.graceTimer) clearTimeout(existing.graceTimer);
      existing.graceTimer = null;
      if (!existing.connected) {
        existing.connected = true;
        this.rosterChanges.set(existing.id, existing);
        this.presenceDirty = true;
      }
      return { ok: true, welcome: this.welcome(existing) };
    }
    // The course may have changed since the room opened (archived, capacity); the store caches it.
    this.course = this.deps.store.courses.get(this.course.id) ?? this.course;
    const record = (allow: boolean, reasons: string[]) => {
      this.deps.metrics.policyDecisions.labels(allow ? "allow" : "deny").inc();
      const entry = { at: now, classId: this.classId, courseId: this.course.id, schoolId: this.course.schoolId, userId: p.id, role: p.role, decision: allow ? ("allow" as const) : ("deny" as const), reasons };
      this.deps.decisions.record(entry);
      this.deps.logger.info({ ...entry, students: this.students.length }, "join decision");
    };
    // Another school's student is never enrolled here: the policy's cross-school rule says so instead.
    if (p.role === "student" && !enrolled && p.school === this.course.schoolId) {
      record(false, ["not enrolled in this course"]);
      return { ok: false, code: "not-enrolled", reason: "not enrolled in this course" };
    }
    const decision = this.deps.policy.decide({
      action: "join",
      user: { id: p.id, role: p.role, school: p.school },
      course: { id: this.course.id, status: this.course.status, capacity: this.course.capacity, teacher_id: this.course.teacherId, students: this.students, school: this.course.schoolId },
      class: { id: this.classId, status: this.cls.status },
    });
    if (decision.allow && p.role === "student" && this.deps.shared && !(await this.deps.shared.takeSeat(p.id, this.course.capacity))) {
      decision.allow = false;
      decision.reasons = ["class is full"];
    }
    // Removed, unenrolled or archived while the shared seat was being taken: give it back.
    let late: string | null = null;
    if (decision.allow && p.role === "student") {
      late = this.removalOf(p, enrolled);
      this.course = this.deps.store.courses.get(this.course.id) ?? this.course;
      if (late === null && this.course.status === "archived") late = REMOVED_ARCHIVED;
    }
    if (late !== null) {
      this.deps.shared?.releaseSeat(p.id);
      return { ok: false, code: "removed", reason: late };
    }
    record(decision.allow, decision.reasons);
    if (!decision.allow) return { ok: false, code: denialCode(decision.reasons), reason: decision.reasons.join("; ") };
    if (this.members.has(p.id)) return { ok: true, welcome: this.welcome(this.members.get(p.id)!) }; // admitted meanwhile (cluster)

    const member: Member = {
      id: p.id,
      name: p.name,
      role: p.role,
      connected: true,
      joinedAt: now,
      graceTimer: null,
      chatBucket: new TokenBucket(CHAT_BURST, CHAT_PER_SECOND, now),
      lastChatAt: 0,
    };
    this.members.set(p.id, member);
    if (p.role === "student") {
      this.students.push(p.id);
      this.ranked = null;
    }
    this.rosterChanges.set(member.id, member);
    this.removedSinceTick.delete(member.id);
    this.presenceDirty = true;
    this.persist(() => {
      // The name the token gives, so results and attendance show it (a no-op when unchanged).
      this.deps.store.users.upsert({ id: p.id, name: p.name, role: p.role, createdAt: now, schoolId: p.school });
      this.deps.store.live.attendanceJoin(this.classId, p.id, p.role, now);
    });
    this.deps.shared?.saveAttendance({ userId: p.id, role: p.role, joinedAt: now, leftAt: null });
    return { ok: true, welcome: this.welcome(member) };
  }

  /** The participant's last socket closed: keep their seat for the grace period. */
  disconnected(userId: string): void {
    const m = this.members.get(userId);
    if (!m || !m.connected || this.ended) return;
    m.connected = false;
    this.rosterChanges.set(userId, m);
    this.presenceDirty = true;
    m.graceTimer = setTimeout(() => this.remove(userId), this.deps.graceMs);
  }

  /** Why this user may not be in the class any more (close 4013), or null. */
  private removalOf(p: Principal, enrolled: boolean): string | null {
    const banned = this.removed.get(p.id);
    if (banned) return banned.reason;
    if (p.role !== "student") return null;
    const revoked = this.revoked.get(p.id);
    const seated = this.members.has(p.id);
    if (revoked === undefined && !seated) return null; // a new join: the enrolment check and the policy decide
    this.course = this.deps.store.courses.get(this.course.id) ?? this.course;
    if (this.course.status === "archived") return REMOVED_ARCHIVED;
    // The joining instance's catalogue says "enrolled"; this one must agree before a revoked student is back.
    const access = enrolled && (revoked === undefined || this.deps.store.enrollments.isEnrolled(this.course.id, p.id));
    if (!access) return revoked ?? REMOVED_UNENROLLED;
    this.revoked.delete(p.id); // enrolled again
    return null;
  }

  /** Takes a participant out at once: seat released (no grace period), sockets closed with 4013 everywhere. */
  private takeOut(userId: string, reason: string): void {
    if (!this.members.has(userId)) return;
    this.remove(userId);
    this.deps.metrics.removals.labels(causeOf(reason)).inc();
    this.deps.logger.info({ classId: this.classId, userId, reason }, "participant removed");
    this.deps.fanout.closeUser(this.classId, userId, CLOSE.removed, reason);
  }

  /**
   * The catalogue changed: a student was unenrolled (userId), or the course may have been archived
   * (userId null). Students who lost access leave at once; the store, as changed, decides.
   */
  revokeAccess(userId: string | null): void {
    if (this.ended) return;
    this.course = this.deps.store.courses.get(this.course.id) ?? this.course;
    const archived = this.course.status === "archived";
    const targets = userId === null ? [...this.students] : [userId];
    for (const id of targets) {
      const m = this.members.get(id);
      if (m !== undefined && m.role !== "student") continue;
      const reason = archived ? REMOVED_ARCHIVED : !this.deps.store.enrollments.isEnrolled(this.course.id, id) ? REMOVED_UNENROLLED : null;
      if (reason === null) continue;
      this.revoked.set(id, reason); // also when not seated: a join in flight is refused when it lands
      this.takeOut(id, reason); // a no-op when not seated
    }
  }

  /** Staff: participant.remove. Recorded (and shared) before the ack, so a restart or a new owner refuses them too. */
  private async removeParticipant(by: Member, userId: string, reason: string | undefined, now: number): Promise<unknown> {
    const result = { userId, removed: true as const };
    if (this.removed.has(userId)) return result; // a retry
    const target = this.members.get(userId);
    if (!target) throw new AppError("not-found", `${userId} is not in this class`);
    if (this.isStaff(target)) throw new AppError("invalid-state", "staff cannot be removed");
    const removal: Removal = { userId, reason: staffRemovalReason(by.role, reason), at: now };
    this.removed.set(userId, removal); // refused from now on, also while the writes below are in flight
    try {
      await this.deps.shared?.saveRemoval(removal);
      await this.deps.store.write(() => this.deps.store.live.insertRemoval(this.classId, removal));
    } catch (e) {
      this.removed.delete(userId); // not stored: a retry must try again, not ack
      throw e;
    }
    this.takeOut(userId, removal.reason);
    return result;
  }

  /** Removals to share again (the shared engine may have restarted empty). */
  removals(): Removal[] {
    return [...this.removed.values()];
  }

  /** After a takeover: the previous owner's removals; kept here too, and anyone removed who still holds a seat leaves. */
  restoreRemovals(list: readonly Removal[]): void {
    const fresh = list.filter((r) => !this.removed.has(r.userId));
    if (fresh.length === 0) return;
    for (const r of fresh) this.removed.set(r.userId, r);
    this.persist(() => {
      for (const r of fresh) this.deps.store.live.insertRemoval(this.classId, r);
    });
    for (const r of fresh) this.takeOut(r.userId, r.reason);
  }

  private remove(userId: string): void {
    const m = this.members.get(userId);
    if (!m) return;
    if (m.graceTimer) clearTimeout(m.graceTimer);
    this.members.delete(userId);
    this.rosterChanges.delete(userId);
    this.removedSinceTick.add(userId);
    const i = this.students.indexOf(userId);
    if (i >= 0) this.students.splice(i, 1);
    this.ranked = null;
    if (this.hands.delete(userId)) {
      this.handsDirty = true;
      this.deps.shared?.saveHand(userId, null).catch(() => {});
    }
    this.presenceDirty = true;
    const leftAt = this.deps.now();
    this.persist(() => this.deps.store.live.attendanceLeave(this.classId, userId, leftAt));
    this.deps.shared?.saveAttendance({ userId, role: m.role, joinedAt: m.joinedAt, leftAt });
    if (m.role === "student") this.deps.shared?.releaseSeat(userId);
  }

  /** Students holding a seat (to re-share after the shared engine comes back). */
  seatHolders(): readonly string[] {
    return this.students;
  }

  /** Current question and chat settings, for re-sharing. */
  openQuestion(): LaunchedQuestion | null {
    return this.current?.q ?? null;
  }

  /** Chat settings, mutes and hands (to re-share after the shared engine comes back). */
  moderation(): ModerationState {
    return { chatSettings: { ...this.chatSettings }, muted: [...this.muted], hands: [...this.hands.values()] };
  }

  /** After a takeover: the previous owner's chat settings, mutes and raised hands (of students still seated). */
  restoreModeration(state: ModerationState): void {
    this.chatSettings = { ...state.chatSettings };
    for (const id of state.muted) this.muted.add(id);
    for (const h of state.hands) if (this.members.has(h.userId) && !this.hands.has(h.userId)) this.hands.set(h.userId, h);
    if (this.hands.size > 0) this.handsDirty = true;
  }

  /** Stops timers without ending the class: another instance now owns it. */
  detach(): void {
    this.ended = true;
    for (const m of this.members.values()) if (m.graceTimer) clearTimeout(m.graceTimer);
    this.members.clear();
  }

  /** After a takeover: seats held under the previous owner stay reserved for the grace period. */
  restoreSeats(userIds: readonly string[]): void {
    const now = this.deps.now();
    for (const id of userIds) {
      if (this.members.has(id)) continue;
      if (this.removed.has(id) || !this.deps.store.enrollments.isEnrolled(this.course.id, id)) {
        this.deps.shared?.releaseSeat(id); // removed, or unenrolled meanwhile: the seat is not kept
        continue;
      }
      const name = this.deps.store.users.get(id)?.name ?? id;
      const member: Member = { id, name, role: "student", connected: false, joinedAt: now, graceTimer: null, chatBucket: new TokenBucket(CHAT_BURST, CHAT_PER_SECOND, now), lastChatAt: 0 };
      member.graceTimer = setTimeout(() => this.remove(id), this.deps.graceMs);
      this.members.set(id, member);
      this.rosterChanges.set(id, member);
      this.students.push(id);
    }
    this.ranked = null;
    this.presenceDirty = true;
  }

  private participantView(m: Member): Participant {
    return { id: m.id, name: m.name, role: m.role, connected: m.connected };
  }

  private welcome(m: Member): ServerMessage {
    return { type: "welcome", protocol: 1, you: { id: m.id, name: m.name, role: m.role }, serverTime: this.deps.now(), state: { ...this.snapshot(m), video: this.deps.video?.(this.classId) } };
  }

  snapshot(m: Member): ClassSnapshot {
    const staff = this.isStaff(m);
    const cur = this.current;
    const mine = cur?.answers.get(m.id);
    return {
      classId: this.classId,
      courseId: this.course.id,
      title: this.cls.title,
      status: this.ended ? "ended" : "live",
      participants: this.members.size,
      roster: staff ? [...this.members.values()].map((x) => this.participantView(x)) : undefined,
      chat: [...this.chat],
      chatSettings: { ...this.chatSettings },
      muted: this.muted.has(m.id),
      hands: staff ? [...this.hands.values()] : undefined,
      handRaised: this.hands.has(m.id),
      quiz: cur ? this.openQuestionView(cur) : null,
      myAnswer: cur && mine ? { questionId: cur.q.id, answerId: mine.answerId, acceptedAt: mine.answeredAt } : null,
      distribution: staff && cur ? quiz.distribution(cur.q, cur.answers.size, cur.counts) : undefined,
      reveal: this.reveal ?? undefined,
      // After a reveal a reloaded page still shows the student's own result (defect 4).
      result: cur && mine && cur.q.revealedAt !== null ? { questionId: cur.q.id, correct: mine.correct, points: mine.points, totalScore: this.scores.get(m.id) ?? 0, rank: this.standings().byUser.get(m.id)?.rank ?? 0 } : undefined,
      leaderboard: this.leaderboardShown ? this.leaderboardFor(m.id) : null,
      seq: this.seq,
    };
  }

  // ---- Commands --------------------------------------------------------------

  /** Applies one client message; resolves with the ack's result or rejects with an AppError.
   *  (Async cases are awaited, not returned: Bun reports a returned, already-rejected promise as unhandled.) */
  async handle(userId: string, msg: ClientMessage): Promise<unknown> {
    const m = this.members.get(userId);
    if (!m) throw new AppError("forbidden", "you are not in this class");
    if (this.ended) throw new AppError("invalid-state", "class has ended");
    if (STAFF_MESSAGES.has(msg.type) && !this.isStaff(m)) throw new AppError("forbidden", `only the class's teacher may send ${msg.type}`);
    const now = this.deps.now();
    switch (msg.type) {
      case "ping":
        return { serverTime: now };
      case "chat.send":
        return await this.sendChat(m, msg.text, now);
      case "chat.delete":
        return await this.deleteChat(msg.messageId, now);
      case "chat.mute":
        return await this.mute(msg.userId, msg.muted);
      case "chat.settings": {
        const settings = { enabled: msg.enabled ?? this.chatSettings.enabled, slowModeSeconds: msg.slowModeSeconds ?? this.chatSettings.slowModeSeconds };
        this.chatSettings = settings;
        this.deps.fanout.all(this.classId, { type: "chat.settings", seq: this.nextSeq(), settings: { ...settings } });
        await this.deps.shared?.saveChatSettings(settings);
        return { settings };
      }
      case "hand.raise":
      case "hand.lower":
        return await this.setHand(m, msg.type === "hand.raise", now);
      case "hand.answer":
        return await this.answerHand(msg.userId);
      case "hand.clear":
        for (const id of this.hands.keys()) this.deps.fanout.user(this.classId, id, { type: "hand.state", raised: false });
        this.hands.clear();
        this.handsDirty = true;
        await this.deps.shared?.clearHands();
        return { cleared: true };
      case "reaction": {
        const key = `${m.id} ${msg.reaction}`;
        const last = this.reacted.get(key);
        if (last !== undefined && now - last < REACTION_WINDOW_MS) return undefined; // clicking again does not inflate the count
        this.reacted.set(key, now);
        this.reactions[msg.reaction] = (this.reactions[msg.reaction] ?? 0) + 1;
        return undefined;
      }
      case "quiz.launch":
        return await this.launch(msg, now);
      case "quiz.answer":
        return await this.answer(m, msg, now);
      case "quiz.close":
        return await this.closeQuiz(now);
      case "quiz.reveal":
        return await this.revealQuiz(now);
      case "leaderboard.show":
        this.leaderboardShown = true;
        this.sendLeaderboard();
        return { shown: true };
      case "class.end":
        await this.end();
        return { ended: true };
      case "participant.remove":
        return await this.removeParticipant(m, msg.userId, msg.reason, now);
    }
  }

  private async sendChat(m: Member, text: string, now: number): Promise<unknown> {
    if (!this.isStaff(m)) {
      if (!this.chatSettings.enabled) throw new AppError("chat-disabled", "the teacher has turned chat off");
      if (this.muted.has(m.id)) throw new AppError("muted", "the teacher has muted you");
      const slow = this.chatSettings.slowModeSeconds * 1000;
      if (slow > 0 && now - m.lastChatAt < slow) {
        throw new AppError("slow-mode", `slow mode: wait ${Math.ceil((slow - (now - m.lastChatAt)) / 1000)} s between messages`);
      }
      if (!m.chatBucket.take(now)) throw new AppError("rate-limited", `at most ${CHAT_BURST} messages in a row, then one every ${1 / CHAT_PER_SECOND} s`);
      m.lastChatAt = now;
    }
    const message: ChatMessage = { id: this.deps.newId(), userId: m.id, name: m.name, role: m.role, text, at: now };
    await this.deps.shared?.saveChat(message);
    await this.deps.store.write(() => this.deps.store.live.insertChat(this.classId, message));
    this.chat.push(message);
    if (this.chat.length > CHAT_HISTORY) this.chat.shift();
    this.deps.fanout.all(this.classId, { type: "chat.message", seq: this.nextSeq(), message });
    return { messageId: message.id };
  }

  private async deleteChat(messageId: string, now: number): Promise<unknown> {
    const deleted = await this.deps.store.write(() => this.deps.store.live.deleteChat(this.classId, messageId, now));
    if (!deleted) throw new AppError("not-found", `no message ${messageId} in this class`);
    await this.deps.shared?.deleteChat(messageId);
    const i = this.chat.findIndex((c) => c.id === messageId);
    if (i >= 0) this.chat.splice(i, 1);
    this.deps.fanout.all(this.classId, { type: "chat.deleted", seq: this.nextSeq(), messageId });
    return { deleted: messageId };
  }

  // Moderation changes apply in memory at once (in the order they arrive) and are
  // acknowledged once shared (in a cluster), so a new owner finds them.
  private async mute(userId: string, muted: boolean): Promise<unknown> {
    const target = this.members.get(userId);
    if (!target) throw new AppError("not-found", `${userId} is not in this class`);
    if (this.isStaff(target)) throw new AppError("invalid-state", "staff cannot be muted");
    if (muted) this.muted.add(userId);
    else this.muted.delete(userId);
    const event: ServerMessage = { type: "chat.muted", seq: this.nextSeq(), userId, muted };
    this.deps.fanout.user(this.classId, userId, event);
    this.deps.fanout.staff(this.classId, event);
    await this.deps.shared?.saveMute(userId, muted);
    return { userId, muted };
  }

  private async setHand(m: Member, raised: boolean, now: number): Promise<unknown> {
    if (m.role !== "student") throw new AppError("forbidden", "only students raise hands");
    const had = this.hands.has(m.id);
    if (raised && !had) this.hands.set(m.id, { userId: m.id, name: m.name, raisedAt: now });
    if (!raised && had) this.hands.delete(m.id);
    if (had !== raised) this.handsDirty = true;
    this.deps.fanout.user(this.classId, m.id, { type: "hand.state", raised });
    const position = raised ? [...this.hands.keys()].indexOf(m.id) + 1 : null;
    if (had !== raised) await this.deps.shared?.saveHand(m.id, raised ? this.hands.get(m.id)! : null);
    return { raised, position };
  }

  private async answerHand(userId: string): Promise<unknown> {
    const hand = this.hands.get(userId);
    if (!hand) throw new AppError("not-found", `${userId} has no hand raised`);
    this.hands.delete(userId);
    this.handsDirty = true;
    this.deps.fanout.user(this.classId, userId, { type: "hand.state", raised: false });
    this.deps.fanout.all(this.classId, { type: "hand.answered", seq: this.nextSeq(), userId, name: hand.name });
    await this.deps.shared?.saveHand(userId, null);
    return { answered: userId };
  }

  // ---- Quiz ------------------------------------------------------------------

  private openQuestionView(cur: OpenQuiz): OpenQuestion {
    return { question: quiz.publicQuestion(cur.q), launchedAt: cur.q.launchedAt, deadline: cur.q.deadline, closed: cur.q.closedAt !== null, revealed: cur.q.revealedAt !== null };
  }

  private async launch(msg: Extract<ClientMessage, { type: "quiz.launch" }>, now: number): Promise<unknown> {
    if (this.current && this.current.q.revealedAt === null && this.current.q.closedAt === null) {
      throw new AppError("invalid-state", "a question is already open; close or reveal it first");
    }
    if ((msg.questionId === undefined) === (msg.question === undefined)) {
      throw new AppError("bad-message", "send either questionId (from the course's bank) or question");
    }
    let draft = msg.question;
    let bankQuestionId: string | null = null;
    if (msg.questionId !== undefined) {
      const bank = this.deps.store.live.getQuestion(msg.questionId);
      if (!bank || bank.courseId !== this.course.id) throw new AppError("not-found", `no question ${msg.questionId} in this course's bank`);
      draft = bank.draft;
      bankQuestionId = bank.id;
    }
    const problem = quiz.draftProblem(draft!);
    if (problem) throw new AppError("bad-message", problem);
    const q: LaunchedQuestion = {
      id: this.deps.newId(),
      classId: this.classId,
      bankQuestionId,
      draft: draft!,
      launchedAt: now,
      deadline: now + msg.timeLimitSeconds * 1000,
      closedAt: null,
      revealedAt: null,
      eligible: this.students.length,
    };
    await this.deps.shared?.saveQuestion(q);
    await this.deps.store.write(() => this.deps.store.live.insertLaunched(q));
    this.current = this.openQuiz(q);
    this.reveal = null;
    // The board shown for an earlier question is stale now (issue 16 defect 2): welcomes stop carrying it.
    this.leaderboardShown = false;
    this.deps.fanout.all(this.classId, { type: "quiz.question", seq: this.nextSeq(), quiz: this.openQuestionView(this.current) });
    // Staff see "0 of N answered" from launch, not "0 of 0" until the first answer (defect 1).
    this.distributionDirty = true;
    return { questionId: q.id, deadline: q.deadline };
  }

  private async answer(m: Member, msg: Extract<ClientMessage, { type: "quiz.answer" }>, now: number): Promise<unknown> {
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
    const { shared, store } = this.deps;
    // Shared first (once-only across instances), then the local store; acknowledged after both.
    const write = (async () => {
      if (shared && (await shared.saveAnswer(cur.q.id, graded)) === "exists") throw new AppError("already-answered", "you have already answered this question");
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
    quiz.countResponse(cur.counts, cur.q.draft, graded.response);
    this.scores.set(m.id, (this.scores.get(m.id) ?? 0) + graded.points);
    this.ranked = null;
    this.distributionDirty = true;
    this.deps.metrics.answerAck.observe((this.deps.now() - now) / 1000);
    return ack(graded);
  }

  private async closeQuiz(now: number): Promise<unknown> {
    const cur = this.current;
    if (!cur) throw new AppError("no-open-question", "no question is open");
    if (cur.q.closedAt === null) {
      cur.q.closedAt = now;
      await this.deps.shared?.saveQuestion(cur.q);
      await this.deps.store.write(() => this.deps.store.live.markClosed(cur.q.id, now));
      this.deps.fanout.all(this.classId, { type: "quiz.closed", seq: this.nextSeq(), questionId: cur.q.id });
    }
    return { questionId: cur.q.id, closedAt: cur.q.closedAt };
  }

  private revealPayload(cur: OpenQuiz) {
    return { questionId: cur.q.id, correct: quiz.correctAnswer(cur.q.draft), distribution: quiz.distribution(cur.q, cur.answers.size, cur.counts) };
  }

  private async revealQuiz(now: number): Promise<unknown> {
    const cur = this.current;
    if (!cur) throw new AppError("no-open-question", "no question is open");
    // Answers still being committed get their outcome before the reveal goes out.
    await Promise.allSettled([...cur.pending.values()].map((p) => p.done));
    if (cur.q.revealedAt === null) {
      const wasClosed = cur.q.closedAt !== null;
      cur.q.closedAt ??= now;
      cur.q.revealedAt = now;
      await this.deps.shared?.saveQuestion(cur.q);
      await this.deps.store.write(() => this.deps.store.live.markRevealed(cur.q.id, now));
      if (!wasClosed) this.deps.fanout.all(this.classId, { type: "quiz.closed", seq: this.nextSeq(), questionId: cur.q.id });
      this.reveal = this.revealPayload(cur);
      this.deps.fanout.all(this.classId, { type: "quiz.reveal", seq: this.nextSeq(), reveal: this.reveal });
      const { byUser } = this.standings();
      for (const [userId, a] of cur.answers) {
        this.deps.fanout.user(this.classId, userId, {
          type: "quiz.result",
          result: { questionId: cur.q.id, correct: a.correct, points: a.points, totalScore: this.scores.get(userId) ?? 0, rank: byUser.get(userId)?.rank ?? 0 },
        });
      }
    }
    return { questionId: cur.q.id, correct: quiz.correctAnswer(cur.q.draft) };
  }

  /** The standings, sorted once and kept until a score or the set of students changes:
   *  every welcome carries the leaderboard once it is shown, and a join burst is many welcomes. */
  private ranked: { entries: LeaderboardEntry[]; byUser: Map<string, LeaderboardEntry> } | null = null;

  private standings() {
    if (this.ranked === null) {
      // Every admitted student is on the board, with 0 until they score.
      const all = new Map(this.scores);
      for (const id of this.students) if (!all.has(id)) all.set(id, 0);
      const entries = quiz.rankScores(all, (id) => this.members.get(id)?.name ?? this.deps.store.users.get(id)?.name ?? id);
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
    const seq = this.nextSeq();
    const head = `{"type":"leaderboard","seq":${seq},"top":${JSON.stringify(entries.slice(0, LEADERBOARD_SIZE))},"me":`;
    // The top ten is serialised once; each participant's own entry is appended.
    for (const id of this.members.keys()) this.deps.fanout.user(this.classId, id, { raw: head + JSON.stringify(byUser.get(id) ?? null) + "}" });
  }

  // ---- Ticks and the end -----------------------------------------------------

  /** Flushes batched presence, hands, distribution and reactions; closes a question at its deadline. */
  tick(now: number): void {
    if (this.ended) return;
    const { fanout } = this.deps;
    if (this.presenceDirty) {
      this.presenceDirty = false;
      const seq = this.nextSeq();
      fanout.all(this.classId, { type: "presence", seq, count: this.members.size });
      if (this.rosterChanges.size || this.removedSinceTick.size) {
        // joined: each changed participant once, with `connected` as it is now; removed: seats released.
        const joined = [...this.rosterChanges.values()].map((m) => this.participantView(m));
        fanout.staff(this.classId, { type: "presence", seq, count: this.members.size, joined, removed: [...this.removedSinceTick] });
      }
      this.rosterChanges = new Map();
      this.removedSinceTick = new Set();
    }
    if (this.handsDirty) {
      this.handsDirty = false;
      fanout.staff(this.classId, { type: "hands", seq: this.nextSeq(), queue: [...this.hands.values()] });
    }
    const cur = this.current;
    if (cur && this.distributionDirty) {
      this.distributionDirty = false;
      fanout.staff(this.classId, { type: "quiz.distribution", seq: this.nextSeq(), distribution: quiz.distribution(cur.q, cur.answers.size, cur.counts) });
    }
    if (cur && cur.q.closedAt === null && now > cur.q.deadline) {
      this.closeQuiz(now).catch((e) => this.deps.logger.error({ err: e, classId: this.classId }, "closing a question at its deadline failed"));
    }
    if (this.reacted.size > 0) for (const [k, at] of this.reacted) if (now - at >= REACTION_WINDOW_MS) this.reacted.delete(k);
    let any = false;
    for (const _ in this.reactions) any = true;
    if (any) {
      fanout.all(this.classId, { type: "reactions", seq: this.nextSeq(), counts: this.reactions });
      this.reactions = {};
    }
  }

  /** Ends the class: everyone is told, sockets close, attendance is closed. Idempotent. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const now = this.deps.now();
    for (const m of this.members.values()) if (m.graceTimer) clearTimeout(m.graceTimer);
    const { store } = this.deps;
    await store.write(() => {
      const cls = store.classes.get(this.classId);
      if (cls && cls.status === "live") store.classes.update({ ...cls, status: "ended", endedAt: now });
      store.live.attendanceCloseAll(this.classId, now);
      if (this.current && this.current.q.closedAt === null) store.live.markClosed(this.current.q.id, now);
    });
    // Final standings for the ended page, from the same graded answers as the results export
    // (issue 16 defect 3: the page kept the last board shown, 0 points where the CSV said 48).
    if (this.current !== null || this.scores.size > 0) {
      this.leaderboardShown = true;
      this.ranked = null;
      this.sendLeaderboard();
    }
    this.deps.fanout.all(this.classId, { type: "class.ended", seq: this.nextSeq() });
    // Closed on the next turn, so the ack of a class.end command still reaches the teacher.
    setTimeout(() => this.deps.fanout.closeAll(this.classId, CLOSE.classEnded, "class has ended"), 0);
    this.members.clear();
    this.students.length = 0;
    this.deps.onEnded(this.classId);
  }

  /** Fire-and-forget durable write (attendance): failures are logged, never thrown at a socket. */
  private persist(fn: () => void): void {
    this.deps.store.write(fn).catch((e) => this.deps.logger.error({ err: e, classId: this.classId }, "attendance write failed"));
  }
}
