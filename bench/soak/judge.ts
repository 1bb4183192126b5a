// The soak's verdict: pure functions over the samples, so the bounds are tested on their own.

export interface Sample {
  /** Seconds since the churn started. */
  t: number;
  rssMb: number;
  fds: number;
  udpSockets: number;
  /** Event-loop delay p99 over the sample interval, ms (the server's own monitor). */
  loopP99Ms: number;
  loopMaxMs: number;
}

export interface Bounds {
  /** Fraction of the run treated as warm-up (allocators, JIT, caches fill). */
  warmupFraction: number;
  /** Largest RSS slope after warm-up, MB per hour (least squares over the samples). */
  maxRssSlopeMbPerHour: number;
  /** Largest RSS rise from the end of warm-up to the end of the run, MB (covers short runs, where a slope says little). */
  maxRssRiseMb: number;
  /** Descriptors allowed above the baseline once the churn has stopped and seats are released. */
  fdSlack: number;
  /** UDP sockets allowed above the baseline once media sessions are closed. */
  udpSlack: number;
  /** Event-loop delay p99 of the median interval, ms: how responsive the server is as a rule. */
  medianLoopP99Ms: number;
  /** Largest event-loop delay p99 in any one interval, ms: no stall (a shared machine's scheduler adds some). */
  maxLoopP99Ms: number;
}

export const DEFAULT_BOUNDS: Bounds = {
  warmupFraction: 0.2,
  maxRssSlopeMbPerHour: 60,
  maxRssRiseMb: 64,
  fdSlack: 4,
  udpSlack: 0,
  medianLoopP99Ms: 100,
  maxLoopP99Ms: 1000,
};

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface Verdict {
  ok: boolean;
  failures: string[];
  rssSlopeMbPerHour: number;
  rssRiseMb: number;
  rssAfterWarmupMb: number;
  rssEndMb: number;
  loopP99MaxMs: number;
  loopP99MedianMs: number;
}

export interface Settled {
  baseline: { fds: number; udpSockets: number };
  after: { fds: number; udpSockets: number };
}

export function judge(samples: Sample[], settled: Settled, b: Bounds, extra: string[] = []): Verdict {
  const failures = [...extra];
  const end = samples.at(-1)?.t ?? 0;
  const warm = samples.filter((s) => s.t >= end * b.warmupFraction);
  // A slope needs a run long enough to mean something: at least ten samples after warm-up.
  const rssSlopeMbPerHour = warm.length >= 10 ? slope(warm.map((s) => ({ x: s.t / 3600, y: s.rssMb }))) : 0;
  const rssAfterWarmupMb = warm[0]?.rssMb ?? 0;
  const rssEndMb = samples.at(-1)?.rssMb ?? 0;
  const rssRiseMb = rssEndMb - rssAfterWarmupMb;
  const loopP99MaxMs = Math.max(0, ...samples.map((s) => s.loopP99Ms));
  const sorted = samples.map((s) => s.loopP99Ms).sort((a, b) => a - b);
  const loopP99MedianMs = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  if (rssSlopeMbPerHour > b.maxRssSlopeMbPerHour)
    failures.push(`RSS grows ${rssSlopeMbPerHour.toFixed(1)} MB/h after warm-up (bound ${b.maxRssSlopeMbPerHour})`);
  if (rssRiseMb > b.maxRssRiseMb) failures.push(`RSS rose ${rssRiseMb.toFixed(1)} MB after warm-up (bound ${b.maxRssRiseMb})`);
  if (settled.after.fds > settled.baseline.fds + b.fdSlack)
    failures.push(`file descriptors ${settled.after.fds} after the churn, baseline ${settled.baseline.fds} (+${b.fdSlack} allowed)`);
  if (settled.after.udpSockets > settled.baseline.udpSockets + b.udpSlack)
    failures.push(`UDP sockets ${settled.after.udpSockets} after the churn, baseline ${settled.baseline.udpSockets}`);
  if (loopP99MedianMs > b.medianLoopP99Ms)
    failures.push(`event-loop delay p99 is ${loopP99MedianMs.toFixed(0)} ms in the median interval (bound ${b.medianLoopP99Ms})`);
  if (loopP99MaxMs > b.maxLoopP99Ms)
    failures.push(`event-loop delay p99 reached ${loopP99MaxMs.toFixed(0)} ms in one interval (bound ${b.maxLoopP99Ms})`);
  return { ok: failures.length === 0, failures, rssSlopeMbPerHour, rssRiseMb, rssAfterWarmupMb, rssEndMb, loopP99MaxMs, loopP99MedianMs };
}
