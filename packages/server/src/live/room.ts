// One live class, owned by one server instance. The room owns its members, the class's event
// sequence and the fan-out; each feature keeps its own state and rules in its own module:
// admission.ts (who may hold a seat), presence.ts (batched roster changes), chat.ts, hands.ts,
// reactions.ts and quiz-session.ts. A client message runs through the typed table in
// commands.ts. Every change that must survive a restart is written through the store's group
// commit and acknowledged after it. docs/architecture.md shows a join and an answer end to end.
import {
  PROTOCOL_VERSION,
  STAFF_MESSAGES,
  CLOSE,
  type AckResult,
  type ClassSnapshot,
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  type ServerMessage,
} from "@edgeclass/client/protocol";
import { AppError } from "../domain/errors.ts";
import type { LaunchedQuestion } from "../domain/live/quiz.ts";
import type { ClassSession, Course, Principal } from "../domain/model.ts";
import type { Removal } from "../store/live-types.ts";
import { Admission, type AdmitResult, type Seats } from "./admission.ts";
import { Chat } from "./chat.ts";
import { COMMANDS, type Command } from "./commands.ts";
import { newMember, participantView, persist, type Member, type RoomDeps } from "./context.ts";
import { Hands } from "./hands.ts";
import { PresenceBatch } from "./presence.ts";
import { QuizSession } from "./quiz-session.ts";
import { Reactions } from "./reactions.ts";
import type { ModerationState } from "./shared-state.ts";

export type { AdmitResult } from "./admission.ts";
export type { RoomDeps } from "./context.ts";

export class LiveRoom implements Seats {
  readonly classId: string;
  readonly cls: ClassSession;
  private currentCourse: Course;
  private seq = 0;
  private isEnded = false;
  readonly members = new Map<string, Member>();
  /** Ids of admitted students (connected or within their grace period): the policy's input.course.students. */
  readonly students: string[] = [];

  readonly presence: PresenceBatch;
  readonly chat: Chat;
  readonly hands: Hands;
  readonly reactions: Reactions;
  readonly quiz: QuizSession;
  readonly admission: Admission;

  constructor(
    readonly deps: RoomDeps,
    cls: ClassSession,
    course: Course,
  ) {
    this.classId = cls.id;
    this.cls = cls;
    this.currentCourse = course;
    // Recover what a restart must not lose (chat, the open question, answers, scores, removals);
    // sessions left open by a crash are closed.
    this.chat = new Chat(this);
    deps.store.transaction(() => deps.store.live.attendanceCloseAll(cls.id, deps.now()));
    this.quiz = new QuizSession(this);
    this.admission = new Admission(this);
    this.presence = new PresenceBatch(this);
    this.hands = new Hands(this);
    this.reactions = new Reactions(this);
  }

  get course(): Course {
    return this.currentCourse;
  }

  get courseId(): string {
    return this.currentCourse.id;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  get participantCount(): number {
    return this.members.size;
  }

  /** Whether the user holds a seat in this class (connected, or within their reconnect grace). */
  isAdmitted(userId: string): boolean {
    return this.members.has(userId);
  }

  refreshCourse(): Course {
    this.currentCourse = this.deps.store.courses.get(this.currentCourse.id) ?? this.currentCourse;
    return this.currentCourse;
  }

  isStaff(p: { id: string; role: string }): boolean {
    // A school admin is admitted only to their own school's classes (the policy), so is staff there.
    return p.role === "admin" || p.role === "school-admin" || (p.role === "teacher" && p.id === this.currentCourse.teacherId);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  // ---- Seats -----------------------------------------------------------------

  admit(p: Principal, enrolled: boolean): Promise<AdmitResult> {
    return this.admission.admit(p, enrolled);
  }

  seat(p: Principal, now: number): Member {
    const member = newMember(p, true, now);
    this.members.set(p.id, member);
    if (p.role === "student") {
      this.students.push(p.id);
      this.quiz.studentsChanged();
    }
    this.presence.seated(member);
    persist(this, () => {
      // The name the token gives, so results and attendance show it (a no-op when unchanged).
      this.deps.store.users.upsert({ id: p.id, name: p.name, role: p.role, createdAt: now, schoolId: p.school });
      this.deps.store.live.attendanceJoin(this.classId, p.id, p.role, now);
    });
    this.deps.shared?.saveAttendance({ userId: p.id, role: p.role, joinedAt: now, leftAt: null });
    return member;
  }

  reconnected(m: Member): void {
    if (m.graceTimer) clearTimeout(m.graceTimer);
    m.graceTimer = null;
    if (!m.connected) {
      m.connected = true;
      this.presence.changed(m);
    }
  }

  /** The participant's last socket closed: keep their seat for the grace period. */
  disconnected(userId: string): void {
    const m = this.members.get(userId);
    if (!m || !m.connected || this.isEnded) return;
    m.connected = false;
    this.presence.changed(m);
    m.graceTimer = setTimeout(() => this.release(userId), this.deps.graceMs);
  }

  release(userId: string): void {
    const m = this.members.get(userId);
    if (!m) return;
    if (m.graceTimer) clearTimeout(m.graceTimer);
    this.members.delete(userId);
    this.presence.left(userId);
    const i = this.students.indexOf(userId);
    if (i >= 0) this.students.splice(i, 1);
    this.quiz.studentsChanged();
    this.hands.forget(userId);
    const leftAt = this.deps.now();
    persist(this, () => this.deps.store.live.attendanceLeave(this.classId, userId, leftAt));
    this.deps.shared?.saveAttendance({ userId, role: m.role, joinedAt: m.joinedAt, leftAt });
    if (m.role === "student") this.deps.shared?.releaseSeat(userId);
  }

  /** A student lost access (unenrolled; userId null: maybe the course archived): see Admission. */
  revokeAccess(userId: string | null): void {
    this.admission.revokeAccess(userId);
  }

  // ---- Cluster: what a new owner restores, and what is shared again ---------------

  /** Students holding a seat (to re-share after the shared engine comes back). */
  seatHolders(): readonly string[] {
    return this.students;
  }

  /** The open question, for re-sharing. */
  openQuestion(): LaunchedQuestion | null {
    return this.quiz.openQuestion();
  }

  /** Chat settings, mutes and hands (to re-share after the shared engine comes back). */
  moderation(): ModerationState {
    return { chatSettings: this.chat.currentSettings(), muted: this.chat.mutedUsers(), hands: this.hands.list() };
  }

  /** After a takeover: the previous owner's chat settings, mutes and raised hands (of students still seated). */
  restoreModeration(state: ModerationState): void {
    this.chat.restore(state.chatSettings, state.muted);
    this.hands.restore(state.hands);
  }

  removals(): Removal[] {
    return this.admission.removals();
  }

  restoreRemovals(list: readonly Removal[]): void {
    this.admission.restoreRemovals(list);
  }

  /** After a takeover: seats held under the previous owner stay reserved for the grace period. */
  restoreSeats(userIds: readonly string[]): void {
    const now = this.deps.now();
    for (const id of userIds) {
      if (this.members.has(id)) continue;
      if (this.admission.isRemoved(id) || !this.deps.store.enrollments.isEnrolled(this.currentCourse.id, id)) {
        this.deps.shared?.releaseSeat(id); // removed, or unenrolled meanwhile: the seat is not kept
        continue;
      }
      const member = newMember({ id, name: this.deps.store.users.get(id)?.name ?? id, role: "student" }, false, now);
      member.graceTimer = setTimeout(() => this.release(id), this.deps.graceMs);
      this.members.set(id, member);
      this.presence.changed(member);
      this.students.push(id);
    }
    this.quiz.studentsChanged();
    this.presence.touch();
  }

  /** Stops timers without ending the class: another instance now owns it. */
  detach(): void {
    this.isEnded = true;
    for (const m of this.members.values()) if (m.graceTimer) clearTimeout(m.graceTimer);
    this.members.clear();
  }

  // ---- The welcome -------------------------------------------------------------

  welcome(m: Member): ServerMessage {
    return {
      type: "welcome",
      protocol: PROTOCOL_VERSION,
      you: { id: m.id, name: m.name, role: m.role },
      serverTime: this.deps.now(),
      state: { ...this.snapshot(m), video: this.deps.video?.(this.classId) },
    };
  }

  snapshot(m: Member): ClassSnapshot {
    const staff = this.isStaff(m);
    return {
      classId: this.classId,
      courseId: this.currentCourse.id,
      title: this.cls.title,
      status: this.isEnded ? "ended" : "live",
      participants: this.members.size,
      roster: staff ? [...this.members.values()].map(participantView) : undefined,
      chat: this.chat.recent(),
      chatSettings: this.chat.currentSettings(),
      muted: this.chat.isMuted(m.id),
      hands: staff ? this.hands.list() : undefined,
      handRaised: this.hands.isRaised(m.id),
      ...this.quiz.snapshot(m, staff),
      seq: this.seq,
    };
  }

  // ---- Commands, ticks and the end -------------------------------------------------

  /** Applies one client message; resolves with the ack's result or rejects with an AppError.
   *  (Commands are awaited, not returned: Bun reports a returned, already-rejected promise as unhandled.) */
  async handle(userId: string, msg: ClientMessage): Promise<AckResult> {
    const m = this.members.get(userId);
    if (!m) throw new AppError("forbidden", "you are not in this class");
    if (this.isEnded) throw new AppError("invalid-state", "class has ended");
    if (STAFF_MESSAGES.has(msg.type) && !this.isStaff(m)) throw new AppError("forbidden", `only the class's teacher may send ${msg.type}`);
    return await run(this, m, msg, this.deps.now());
  }

  /** Flushes batched presence, hands, distribution and reactions; closes a question at its deadline. */
  tick(now: number): void {
    if (this.isEnded) return;
    this.presence.flush();
    this.hands.flush();
    this.quiz.flush(now);
    this.reactions.flush(now);
  }

  /** Ends the class: everyone is told, sockets close, attendance is closed. Idempotent. */
  async end(): Promise<void> {
    if (this.isEnded) return;
    this.isEnded = true;
    const now = this.deps.now();
    for (const m of this.members.values()) if (m.graceTimer) clearTimeout(m.graceTimer);
    const { store } = this.deps;
    await store.write(() => {
      const cls = store.classes.get(this.classId);
      if (cls && cls.status === "live") store.classes.update({ ...cls, status: "ended", endedAt: now });
      store.live.attendanceCloseAll(this.classId, now);
      this.quiz.closeWithClass(now);
    });
    this.quiz.sendFinalStandings();
    this.deps.fanout.all(this.classId, { type: "class.ended", seq: this.nextSeq() });
    // Closed on the next turn, so the ack of a class.end command still reaches the teacher.
    setTimeout(() => this.deps.fanout.closeAll(this.classId, CLOSE.classEnded, "class has ended"), 0);
    this.members.clear();
    this.students.length = 0;
    this.deps.onEnded(this.classId);
  }
}

/** One message through its entry in the command table, typed by the message's type. */
function run<K extends ClientMessageType>(room: LiveRoom, m: Member, msg: ClientMessageOf<K>, now: number) {
  const command: Command<K> = COMMANDS[msg.type as K];
  return command(room, m, msg, now);
}
