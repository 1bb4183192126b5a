// `npm run fuzz -- --runs N [--seed S] [--only live|rest|cluster]`: the fuzz tests with more cases.
// `npm test` runs them with their default counts (a few thousand cases, under 30 s a file);
// N is fast-check's runs per property (each run is a batch of up to 40 frames or 30 bodies).
import { parseFlags } from "../bench/lib/process.ts";

const { values } = parseFlags(process.argv.slice(2));
const runs = Number(values.runs ?? 1000);
const only = values.only;
if (!Number.isInteger(runs) || runs < 1 || (only !== undefined && !["live", "rest", "cluster"].includes(only))) {
  console.error("usage: npm run fuzz -- --runs N [--seed S] [--only live|rest|cluster]");
  process.exit(2);
}
const files = only ? [`packages/server/test/fuzz/${only}.fuzz.test.ts`] : ["packages/server/test/fuzz/"];
const env: Record<string, string> = { ...(process.env as Record<string, string>), FUZZ_RUNS: String(runs) };
if (values.seed !== undefined) env.FUZZ_SEED = values.seed;
console.error(`fuzz: ${runs} runs per property${values.seed !== undefined ? `, seed ${values.seed}` : ""} (${files.join(" ")})`);
const proc = Bun.spawn([process.execPath, "test", "--timeout", "86400000", ...files], { env, stdio: ["inherit", "inherit", "inherit"] });
process.exit(await proc.exited);
