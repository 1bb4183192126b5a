// Who may hold a seat: the join decision (the join policy, on enrolment, the class's status and the
// seat count, shared in a cluster; then the seat taken), each decision logged and counted; and who
// may no longer: students removed by staff, unenrolled or whose course was archived are taken out
// at once and refused until access returns.
import { CLOSE, type AckResults, type ErrorCode, type ServerMessage } from "@edgeclass/client/protocol";
import { AppError } from "../domain/errors.ts";
import type { Principal } from "../domain/model.ts";
import type { Removal } from "../store/live-types.ts";
import { denialCode, joinInput, REASON, recordJoin } from "../policy/judge.ts";
import { persist, type Member, type RoomCore } from "./context.ts";
import { causeOf, REMOVED_ARCHIVED, REMOVED_UNENROLLED, staffRemovalReason } from "./removal.ts";

/** A refusal names its catalogue code; the gateway closes with the code's close code. */
export type AdmitResult = { ok: true; welcome: ServerMessage } | { ok: false; code: ErrorCode; reason: string };

/** What admission needs of its room beyond the core: taking and releasing seats. */
export interface Seats extends RoomCore {
  /** A new seat (presence, attendance); the caller decided it may be taken. */
  seat(p: Principal, now: number): Member;
  /** The member's socket is back (within the grace period, or a second tab). */
  reconnected(m: Member): void;
  /** Releases the seat at once (no grace period). */
  release(userId: string): void;
  welcome(m: Member): ServerMessage;
}

export class Admission {
  /** Removed by staff: refused for the rest of this live class (stored, and shared in a cluster). */
  private readonly removed = new Map<string, Removal>();
  /** Students taken out because they lost access (unenrolled, course archived), with the reason:
   *  refused until this instance's catalogue gives them access again. */
  private readonly revoked = new Map<string, string>();

  constructor(private readonly room: Seats) {
    for (const r of room.deps.store.live.removals(room.classId)) this.removed.set(r.userId, r);
  }

  /**
   * Admits a participant or says why not. The join policy decides every join (enrolment, the class's
   * status, capacity and the seats held across instances are its input) and each decision is logged.
   * On one instance nothing awaits before the seat is taken, so concurrent joins cannot overfill the
   * class; in a cluster the policy sees a snapshot of the shared seat count, and the seat is then
   * taken atomically: a join that loses that race is refused as full, and logged so.
   */
  async admit(p: Principal, enrolled: boolean): Promise<AdmitResult> {
    const { room } = this;
    const { deps, classId } = room;
    const now = deps.now();
    if (!room.ended) {
      const refusal = this.removalOf(p, enrolled);
      if (refusal !== null) {
        // Also a participant still holding a seat (within the grace period) whose access went meanwhile.
        if (room.members.has(p.id)) this.takeOut(p.id, refusal);
        return this.refusedAsRemoved(p, enrolled, refusal, now);
      }
      const existing = room.members.get(p.id);
      if (existing) {
        // Back within the grace period, or a second tab: the same participant, no new seat.
        room.reconnected(existing);
        return { ok: true, welcome: room.welcome(existing) };
      }
    }
    const student = p.role === "student";
    // The shared count (null: the shared engine is unreachable and this room's own count stands in).
    const shared = student && deps.shared && !room.ended ? await deps.shared.seatsTaken(p.id) : null;
    let course = room.refreshCourse();
    const cls = { id: classId, status: room.ended ? "ended" : room.cls.status };
    const input = joinInput(p, enrolled, course, cls, room.students, shared ?? room.students.length);
    let decision = deps.policy.decide(input);
    // A room that ended has no seat to give, whatever an operator's policy says.
    if (decision.allow && room.ended) decision = { allow: false, reasons: [REASON.ended] };
    if (decision.allow && student && deps.shared && !(await deps.shared.takeSeat(p.id, course.capacity))) {
      decision = { allow: false, reasons: [REASON.full] }; // the last seats went to faster joins meanwhile
    }
    // Removed, unenrolled or archived while the shared seat was being taken: give it back.
    let late: string | null = null;
    if (decision.allow && student) {
      late = this.removalOf(p, enrolled);
      course = room.refreshCourse();
      if (late === null && course.status === "archived") late = REMOVED_ARCHIVED;
    }
    if (late !== null) {
      deps.shared?.releaseSeat(p.id);
      return this.refusedAsRemoved(p, enrolled, late, now);
    }
    recordJoin(deps, input, decision, now);
    if (!decision.allow) return { ok: false, code: denialCode(decision.reasons), reason: decision.reasons.join("; ") };
    const meanwhile = room.members.get(p.id);
    if (meanwhile) return { ok: true, welcome: room.welcome(meanwhile) }; // admitted meanwhile (cluster)
    return { ok: true, welcome: room.welcome(room.seat(p, now)) };
  }

  /** A removal is moderation, not the policy's to overrule; it is logged with the join decisions all the same. */
  private refusedAsRemoved(p: Principal, enrolled: boolean, reason: string, now: number): AdmitResult {
    const { room } = this;
    const input = joinInput(p, enrolled, room.course, { id: room.classId, status: room.cls.status }, room.students, room.students.length);
    recordJoin(room.deps, input, { allow: false, reasons: [reason] }, now);
    return { ok: false, code: "removed", reason };
  }

  /** Why this user may not be in the class any more (close 4013), or null. */
  private removalOf(p: Principal, enrolled: boolean): string | null {
    const banned = this.removed.get(p.id);
    if (banned) return banned.reason;
    if (p.role !== "student") return null;
    const revoked = this.revoked.get(p.id);
    const seated = this.room.members.has(p.id);
    if (revoked === undefined && !seated) return null; // a new join: the enrolment check and the policy decide
    const course = this.room.refreshCourse();
    if (course.status === "archived") return REMOVED_ARCHIVED;
    // The joining instance's catalogue says "enrolled"; this one must agree before a revoked student is back.
    const access = enrolled && (revoked === undefined || this.room.deps.store.enrollments.isEnrolled(course.id, p.id));
    if (!access) return revoked ?? REMOVED_UNENROLLED;
    this.revoked.delete(p.id); // enrolled again
    return null;
  }

  /** Takes a participant out at once: seat released (no grace period), sockets closed with 4013 everywhere. */
  private takeOut(userId: string, reason: string): void {
    const { room } = this;
    if (!room.members.has(userId)) return;
    room.release(userId);
    room.deps.metrics.removals.labels(causeOf(reason)).inc();
    room.deps.logger.info({ classId: room.classId, userId, reason }, "participant removed");
    room.deps.fanout.closeUser(room.classId, userId, CLOSE.removed, reason);
  }

  /**
   * The catalogue changed: a student was unenrolled (userId), or the course may have been archived
   * (userId null). Students who lost access leave at once; the store, as changed, decides.
   */
  revokeAccess(userId: string | null): void {
    const { room } = this;
    if (room.ended) return;
    const course = room.refreshCourse();
    const archived = course.status === "archived";
    const targets = userId === null ? [...room.students] : [userId];
    for (const id of targets) {
      const m = room.members.get(id);
      if (m !== undefined && m.role !== "student") continue;
      const reason = archived ? REMOVED_ARCHIVED : !room.deps.store.enrollments.isEnrolled(course.id, id) ? REMOVED_UNENROLLED : null;
      if (reason === null) continue;
      this.revoked.set(id, reason); // also when not seated: a join in flight is refused when it lands
      this.takeOut(id, reason); // a no-op when not seated
    }
  }

  /** Staff: participant.remove. Recorded (and shared) before the ack, so a restart or a new owner refuses them too. */
  async remove(by: Member, userId: string, reason: string | undefined, now: number): Promise<AckResults["participant.remove"]> {
    const result = { userId, removed: true as const };
    if (this.removed.has(userId)) return result; // a retry
    const { room } = this;
    const target = room.members.get(userId);
    if (!target) throw new AppError("not-found", `${userId} is not in this class`);
    if (room.isStaff(target)) throw new AppError("invalid-state", "staff cannot be removed");
    const removal: Removal = { userId, reason: staffRemovalReason(by.role, reason), at: now };
    this.removed.set(userId, removal); // refused from now on, also while the writes below are in flight
    try {
      await room.deps.shared?.saveRemoval(removal);
      await room.deps.store.write(() => room.deps.store.live.insertRemoval(room.classId, removal));
    } catch (e) {
      this.removed.delete(userId); // not stored: a retry must try again, not ack
      throw e;
    }
    this.takeOut(userId, removal.reason);
    return result;
  }

  isRemoved(userId: string): boolean {
    return this.removed.has(userId);
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
    persist(this.room, () => {
      for (const r of fresh) this.room.deps.store.live.insertRemoval(this.room.classId, r);
    });
    for (const r of fresh) this.takeOut(r.userId, r.reason);
  }
}
