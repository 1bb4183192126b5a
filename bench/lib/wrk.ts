// Runs wrk (a C load generator) with a Lua script that reports exact percentiles as JSON.
import { spawnSync } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  non2xx: number;
}

const REPORT =
  `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKJSON ` +
  `{\\"requests\\":%d,\\"durationUs\\":%d,\\"p50\\":%d,\\"p99\\":%d,\\"p999\\":%d,\\"errors\\":%d,\\"non2xx\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

export function requireWrk(): string {
  const wrk = Bun.which("wrk");
  if (!wrk) throw new Error("wrk is missing: apt-get install -y wrk");
  return wrk;
}

/** `requestLua` is Lua that sets up wrk.method/body/headers or defines request(); the report is appended. */
export function runWrk(
  url: string,
  o: { seconds: number; connections: number; threads?: number; lua?: string; core?: number | null; rate?: number },
): LoadResult {
  const dir = mkdtempSync(join(tmpdir(), "wrk-"));
  const script = join(dir, "script.lua");
  writeFileSync(script, (o.lua ?? "") + REPORT);
  const argv = [requireWrk(), `-t${o.threads ?? 1}`, `-c${o.connections}`, `-d${o.seconds}s`, "-s", script, url];
  const cmd = o.core !== undefined && o.core !== null && Bun.which("taskset") ? ["taskset", "-c", String(o.core), ...argv] : argv;
  const r = spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  const out = r.stdout.toString();
  const line = out.split("\n").find((l) => l.startsWith("WRKJSON "));
  if (!line) throw new Error(`wrk failed: ${out}\n${r.stderr.toString()}`);
  const j = JSON.parse(line.slice(8));
  return {
    requestsPerSec: Math.round(j.requests / (j.durationUs / 1e6)),
    p50Ms: j.p50 / 1000,
    p99Ms: j.p99 / 1000,
    p999Ms: j.p999 / 1000,
    errors: j.errors,
    non2xx: j.non2xx,
  };
}
