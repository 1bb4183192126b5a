// The join decision: the project's Rego policy (policies/education.rego, or every .rego
// file in POLICY_DIR), compiled once on first use and evaluated on every join.
import { compile, toJSON, type Value } from "../../../rego/src/index.ts";
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

export class JoinPolicy {
  private prepared: { allow: ReturnType<ReturnType<typeof compile>["prepare"]>; reasons: ReturnType<ReturnType<typeof compile>["prepare"]> } | null = null;

  constructor(private readonly sources: readonly PolicySource[]) {}

  /** Compiles now (start-up calls it after listening, so a broken policy is reported early). */
  load(): void {
    if (this.prepared) return;
    const policy = compile([...this.sources]);
    this.prepared = { allow: policy.prepare("data.education.allow"), reasons: policy.prepare("data.education.deny_reasons") };
  }

  decide(input: JoinInput): Decision {
    this.load();
    const p = this.prepared!;
    const value = input as unknown as Value;
    if (p.allow.evaluate(value) === true) return { allow: true, reasons: [] };
    const reasons = toJSON(p.reasons.evaluate(value) ?? []) as unknown;
    return { allow: false, reasons: Array.isArray(reasons) && reasons.length > 0 ? reasons.map(String) : ["denied by policy"] };
  }
}
