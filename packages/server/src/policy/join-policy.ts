// The join decision: the project's Rego policy (policies/education.rego, or every .rego
// file in POLICY_DIR), compiled once and evaluated on every join. The engine is loaded
// after the server listens: importing it takes longer than the rest of start-up.
import type { Role } from "../domain/model.ts";

export interface JoinInput {
  action: "join";
  user: { id: string; role: Role };
  course: { id: string; status: string; capacity: number; teacher_id: string; students: readonly string[] };
  class: { id: string; status: string };
}

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

  decide(input: JoinInput): Decision {
    const p = this.prepared;
    if (p === null) return { allow: false, reasons: ["the join policy is still loading; try again in a moment"] };
    if (p.allow.evaluate(input) === true) return { allow: true, reasons: [] };
    const reasons = p.toJSON(p.reasons.evaluate(input) ?? []);
    return { allow: false, reasons: Array.isArray(reasons) && reasons.length > 0 ? reasons.map(String) : ["denied by policy"] };
  }
}
