// What a fault module is and how its runs are summed up into one line per fault.

export interface FaultOptions {
  /** Students in the class (quiz faults), or the load's size (slow consumers, WHEP flood), scaled by each fault. */
  size: "short" | "full";
}

/** One run of a fault against fresh processes. */
export interface RunResult {
  /** Answers acknowledged before the fault was injected. */
  ackedBefore: number;
  /** Acknowledged answers (before, during or after the fault) missing from the results read afterwards. */
  answersLost: number;
  /** From the fault (or, for an outage, its end) to the first acknowledged answer sent after it; null if none came. */
  firstAckAfterFaultMs: number | null;
  /** Whether this run met the fault's aim. */
  ok: boolean;
  /** Why not, when it did not; and anything worth reading. */
  notes: string[];
  /** Fault-specific figures (RSS, latencies, status codes). */
  figures?: Record<string, number | string>;
}

export interface Fault {
  name: string;
  /** The aim, in words, printed with the result. */
  aim: string;
  /** Involves timing (a failover, a lease): repeated 10 times by default. */
  timing: boolean;
  run(o: FaultOptions): Promise<RunResult>;
}

export interface FaultSummary {
  fault: string;
  runs: number;
  ackedBefore: number;
  answersLost: number;
  firstAckAfterFaultMs: { p50: number | null; max: number | null };
  aim: string;
  pass: boolean;
  failedRuns: number;
  notes: string[];
  figures?: Record<string, number | string>;
}

/** Nearest-rank percentile (p50 of ten runs is the fifth smallest). */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const a = [...values].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil(a.length * p) - 1))];
}

/** Runs a fault `runs` times in a row (a crashed run counts as failed) and sums it up. */
export async function runFault(f: Fault, runs: number, o: FaultOptions, onRun?: (i: number, r: RunResult) => void): Promise<FaultSummary> {
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    let r: RunResult;
    try {
      r = await f.run(o);
    } catch (e) {
      r = { ackedBefore: 0, answersLost: 0, firstAckAfterFaultMs: null, ok: false, notes: [`run failed: ${(e as Error).message}`] };
    }
    results.push(r);
    onRun?.(i, r);
  }
  const firsts = results.map((r) => r.firstAckAfterFaultMs).filter((x): x is number => x !== null);
  // Fault-specific figures: the worst of each numeric one over the runs (they are all "lower is better").
  const figures: Record<string, number | string> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.figures ?? {}))
      figures[k] = typeof v === "number" && typeof figures[k] === "number" ? Math.max(figures[k] as number, v) : v;
  return {
    fault: f.name,
    runs,
    ackedBefore: results.reduce((n, r) => n + r.ackedBefore, 0),
    answersLost: results.reduce((n, r) => n + r.answersLost, 0),
    firstAckAfterFaultMs: { p50: percentile(firsts, 0.5), max: firsts.length ? Math.max(...firsts) : null },
    aim: f.aim,
    pass: results.every((r) => r.ok && r.answersLost === 0),
    failedRuns: results.filter((r) => !r.ok || r.answersLost > 0).length,
    notes: [...new Set(results.flatMap((r) => r.notes))].slice(0, 10),
    ...(Object.keys(figures).length ? { figures } : {}),
  };
}
