// The join decision: the project's Rego policy (policies/education.rego, or every .rego
// file in POLICY_DIR), compiled once and evaluated on every join. The engine is loaded
// after the server listens: importing it takes longer than the rest of start-up.
import type { Role } from "../domain/model.ts";

export interface JoinInput {
  action: "join";
  /** `school`: the user's school (the token's claim); `enrolled`: whether the user is enrolled in the course. */
  user: { id: string; role: Role; school: string; enrolled: boolean };
  /** `school`: the school the course belongs to; `students`: the students seated in the class here. */
  course: { id: string; status: string; capacity: number; teacher_id: string; students: readonly string[]; school: string };
  /** `seats_taken`: seats other students hold (in a cluster, the shared count, which may exceed `students`). */
  class: { id: string; status: string; seats_taken: number };
}

/** Said when a policy (one of POLICY_DIR's, say) allows a join across schools: the server refuses it anyway. */
export const CROSS_SCHOOL_REASON = "class of another school: only that school's users may join";

export interface Decision {
  allow: boolean;
  /** Readable reasons when denied (from the policy's deny_reasons). */
  reasons: string[];
}

export interface PolicySource {
  path: string;
  source: string;
}

interface Prepared {
  evaluate(input: unknown): unknown;
}

export class JoinPolicy {
  private prepared: { allow: Prepared; reasons: Prepared; toJSON(v: unknown): unknown } | null = null;
  private loading: Promise<void> | null = null;

  constructor(private readonly sources: readonly PolicySource[]) {}

  get ready(): boolean {
    return this.prepared !== null;
  }

  /** Imports the engine and compiles the policy; rejects with the compile error. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const rego = await import("../../../rego/src/index.ts");
      const policy = rego.compile([...this.sources]);
      const allow = policy.prepare("data.education.allow");
      const reasons = policy.prepare("data.education.deny_reasons");
      this.prepared = {
        allow: { evaluate: (i) => allow.evaluate(i as never) },
        reasons: { evaluate: (i) => reasons.evaluate(i as never) },
        toJSON: (v) => rego.toJSON(v as never),
      };
    })();
    return this.loading;
  }

  /**
   * Allowed when `allow` holds and `deny_reasons` is empty: a reason to refuse overrides any allow
   * rule (education.rego's cross-school rule works so, beside the seed's allow rules it leaves as
   * they are). Schools are kept apart here too, whatever policy is loaded.
   */
  decide(input: JoinInput): Decision {
    const p = this.prepared;
    if (p === null) return { allow: false, reasons: ["the join policy is still loading; try again in a moment"] };
    const allowed = p.allow.evaluate(input) === true;
    const raw = p.toJSON(p.reasons.evaluate(input) ?? []);
    const reasons = Array.isArray(raw) ? raw.map(String) : [];
    if (allowed && reasons.length === 0) {
      const crossSchool = input.user.role !== "admin" && input.user.school !== input.course.school;
      return crossSchool ? { allow: false, reasons: [CROSS_SCHOOL_REASON] } : { allow: true, reasons: [] };
    }
    return { allow: false, reasons: reasons.length > 0 ? reasons : ["denied by policy"] };
  }
}
