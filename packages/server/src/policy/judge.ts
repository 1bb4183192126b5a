// Every join decision goes through here: the policy evaluated on the join's facts, then counted,
// kept for the admin page and logged with its reasons. Refusals the server adds after the policy
// allowed (the shared seat lost to a faster join, a class that ended meanwhile) are recorded too.
import type { ErrorCode } from "@edgeclass/client/protocol";
import type { Course, Principal } from "../domain/model.ts";
import type { Logger } from "../obs/logger.ts";
import type { DecisionLog } from "./decision-log.ts";
import type { Decision, JoinInput, JoinPolicy } from "./join-policy.ts";

/** The reasons education.rego gives that map to a code of their own (a POLICY_DIR policy may word them otherwise). */
export const REASON = {
  full: "class is full",
  notEnrolled: "not enrolled in this course",
  notStarted: "class has not started",
  ended: "class has ended",
  cancelled: "class was cancelled",
} as const;

/**
 * The stable code of a denial, so a client knows what to do: a class that is over or not started
 * first (stop, or wait), then enrolment, then "class-full" when that is the only reason. Any other
 * reason, or a reason worded otherwise by an operator's policy, is "policy-denied".
 */
export function denialCode(reasons: readonly string[]): ErrorCode {
  if (reasons.includes(REASON.ended) || reasons.includes(REASON.cancelled)) return "class-ended";
  if (reasons.includes(REASON.notStarted)) return "class-not-started";
  if (reasons.includes(REASON.notEnrolled)) return "not-enrolled";
  return reasons.length === 1 && reasons[0] === REASON.full ? "class-full" : "policy-denied";
}

export interface JudgeDeps {
  policy: JoinPolicy;
  decisions: DecisionLog;
  metrics: { policyDecisions: { labels(decision: string): { inc(): void } } };
  logger: Logger;
}

/** The policy's input for a join: who, the course, the class with its status and the seats others hold. */
export function joinInput(
  p: Principal,
  enrolled: boolean,
  course: Course,
  cls: { id: string; status: string },
  students: readonly string[],
  seatsTaken: number,
): JoinInput {
  return {
    action: "join",
    user: { id: p.id, role: p.role, school: p.school, enrolled },
    course: {
      id: course.id,
      status: course.status,
      capacity: course.capacity,
      teacher_id: course.teacherId,
      students,
      school: course.schoolId,
    },
    class: { id: cls.id, status: cls.status, seats_taken: seatsTaken },
  };
}

/** Counts, keeps and logs one final join decision. */
export function recordJoin(deps: JudgeDeps, input: JoinInput, d: Decision, at: number): void {
  deps.metrics.policyDecisions.labels(d.allow ? "allow" : "deny").inc();
  const decision = d.allow ? ("allow" as const) : ("deny" as const);
  const entry = {
    at,
    classId: input.class.id,
    courseId: input.course.id,
    schoolId: input.course.school,
    userId: input.user.id,
    role: input.user.role,
    decision,
    reasons: d.reasons,
  };
  deps.decisions.record(entry);
  deps.logger.info({ ...entry, students: input.course.students.length, seatsTaken: input.class.seats_taken }, "join decision");
}
