// Where the policies come from: the project's education policy, bundled into the
// build, or every .rego file of POLICY_DIR when an operator supplies their own.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import educationPolicy from "../../../../policies/education.rego" with { type: "text" };
import type { PolicySource } from "./join-policy.ts";

export function policySources(dir: string | undefined): PolicySource[] {
  if (dir === undefined) return [{ path: "policies/education.rego", source: educationPolicy }];
  const files = readdirSync(dir).filter((f) => f.endsWith(".rego") && !f.endsWith("_test.rego"));
  if (files.length === 0) throw new Error(`POLICY_DIR ${dir} holds no .rego files`);
  return files.map((f) => ({ path: join(dir, f), source: readFileSync(join(dir, f), "utf8") }));
}
