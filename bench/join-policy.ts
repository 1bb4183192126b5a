// node_modules/.bin/bun run bench/join-policy.ts [--ms 2000] [--baseline-dir DIR] [--json]
// The join path's policy cost: JoinPolicy.decide (allow and deny_reasons, as the server
// evaluates them on every join) on the server's own input, per join kind, in decisions/s and
// µs per decision. The class holds 999 students, so input.course.students is as long as it gets
// under the default capacity. --baseline-dir measures another policy (e.g. an older education.rego,
// which may not know every fact) on the same inputs, alternating with this one five times and
// keeping each one's best, so a loaded machine slows both alike.
import { JoinPolicy, type JoinInput } from "../packages/server/src/policy/join-policy.ts";
import { policySources } from "../packages/server/src/policy/sources.ts";
import { parseFlags, round } from "./lib/process.ts";

const { json, values } = parseFlags(process.argv.slice(2));
const ms = Number(values.ms ?? 2000);
const policy = new JoinPolicy(policySources(undefined));
const baseline = values["baseline-dir"] === undefined ? null : new JoinPolicy(policySources(values["baseline-dir"]));
await policy.load();
await baseline?.load();

const students = Array.from({ length: 999 }, (_, i) => `s${i}`);
const base: JoinInput = {
  action: "join",
  user: { id: "s-new", role: "student", school: "default", enrolled: true },
  course: { id: "c1", status: "active", capacity: 1000, teacher_id: "t1", students, school: "default" },
  class: { id: "k1", status: "live", seats_taken: students.length },
};
const CASES: { name: string; input: JoinInput; allow: boolean }[] = [
  { name: "student admitted (999 seated)", input: base, allow: true },
  { name: "student refused: class full", input: { ...base, class: { ...base.class, seats_taken: 1000 } }, allow: false },
  { name: "student refused: not enrolled", input: { ...base, user: { ...base.user, enrolled: false } }, allow: false },
  { name: "teacher admitted", input: { ...base, user: { id: "t1", role: "teacher", school: "default", enrolled: false } }, allow: true },
];

function measure(fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  let batch = 100;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    now = performance.now();
    if (batch < 100_000) batch *= 2;
  }
  return (n / (now - start)) * 1000;
}

const out: Record<string, { per_s: number; us: number; baseline_per_s?: number }> = {};
for (const c of CASES) {
  const d = policy.decide(c.input);
  if (d.allow !== c.allow) throw new Error(`${c.name}: expected allow=${c.allow}, got ${JSON.stringify(d)}`);
  let best = 0;
  let bestBase = 0;
  for (let round = 0; round < (baseline ? 5 : 1); round++) {
    best = Math.max(
      best,
      measure(() => policy.decide(c.input)),
    );
    if (baseline)
      bestBase = Math.max(
        bestBase,
        measure(() => baseline.decide(c.input)),
      );
  }
  out[c.name] = { per_s: Math.round(best), us: round(1e6 / best, 2), ...(baseline ? { baseline_per_s: Math.round(bestBase) } : {}) };
  const fmt = (n: number) => `${Math.round(n).toLocaleString("en-US")} decisions/s (${round(1e6 / n, 2)} µs)`;
  if (!json) console.log(`${c.name}: ${fmt(best)}${baseline ? `; baseline ${fmt(bestBase)}` : ""}`);
}
if (json) console.log(JSON.stringify(out));
