// npm run faults -- [--json] [--runs N] [--only name[,name]] [--short]
// Runs each fault against real processes on this machine (redis-server, redis-sentinel, the
// server) and prints one line per fault: JSON with --json, else a table. Faults that involve
// timing run 10 times in a row by default. Exits 1 when any fault misses its aim or loses an answer.
import { FAULTS } from "./index.ts";
import { runFault, type FaultSummary } from "./lib/fault.ts";
import { SHORT_AIM_MS } from "./lib/quiz-fault.ts";

function parseArgs(argv: string[]) {
  const o = { json: false, runs: null as number | null, only: null as string[] | null, short: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") o.json = true;
    else if (a === "--short") o.short = true;
    else if (a === "--runs") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) usage(`--runs takes a whole number of runs, got ${JSON.stringify(argv[i])}`);
      o.runs = n;
    } else if (a === "--only") {
      o.only = (argv[++i] ?? "").split(",").filter(Boolean);
      const unknown = o.only.filter((n) => !FAULTS.some((f) => f.name === n));
      if (unknown.length || !o.only.length)
        usage(`--only takes fault names (${FAULTS.map((f) => f.name).join(", ")}), got ${JSON.stringify(argv[i])}`);
    } else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  return o;
}

function usage(why: string): never {
  console.error(`${why}\nusage: npm run faults -- [--json] [--runs N] [--only ${FAULTS.map((f) => f.name).join(",")}] [--short]`);
  process.exit(2);
}

const args = parseArgs(process.argv.slice(2));
const selected = FAULTS.filter((f) => !args.only || args.only.includes(f.name));
const summaries: FaultSummary[] = [];
const cell = (v: number | null) => (v === null ? "-" : String(v));
if (args.short && !args.json)
  console.log(`--short: a quiz fault's recovery is judged against the case's ${SHORT_AIM_MS / 1000} s, not the aim its line names`);
if (!args.json) console.log(["fault".padEnd(22), "runs", "acked", "lost", "first ack p50/max ms".padEnd(21), "pass", "aim"].join("  "));
for (const f of selected) {
  const runs = args.runs ?? (f.timing ? 10 : 1);
  const s = await runFault(f, runs, { size: args.short ? "short" : "full" }, (i, r) => {
    if (!args.json)
      console.error(
        `  ${f.name} run ${i + 1}/${runs}: acked ${r.ackedBefore}, lost ${r.answersLost}, first ack ` +
          `${cell(r.firstAckAfterFaultMs)} ms${r.ok ? "" : " FAILED"}${r.notes.length ? ` (${r.notes.join("; ")})` : ""}`,
      );
  });
  summaries.push(s);
  if (args.json) console.log(JSON.stringify(s));
  else {
    console.log(
      [
        s.fault.padEnd(22),
        String(s.runs).padStart(4),
        String(s.ackedBefore).padStart(5),
        String(s.answersLost).padStart(4),
        `${cell(s.firstAckAfterFaultMs.p50)}/${cell(s.firstAckAfterFaultMs.max)}`.padEnd(21),
        s.pass ? "yes " : "NO  ",
        s.aim,
      ].join("  "),
    );
    if (s.figures)
      console.log(
        `${"".padEnd(24)}${Object.entries(s.figures)
          .map(([k, v]) => `${k}=${v}`)
          .join("  ")}`,
      );
    for (const n of s.notes) console.log(`${"".padEnd(24)}${n}`);
  }
}
const passed = summaries.filter((s) => s.pass).length;
console.log(`${passed} passed, ${summaries.length - passed} failed`);
process.exit(passed === summaries.length ? 0 : 1);
