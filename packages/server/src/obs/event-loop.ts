// Event-loop delay, sampled by the runtime's own monitor: a long synchronous task (a big
// JSON parse, a slow loop) shows up here before it shows up as slow replies.
// node:perf_hooks is loaded when the monitor starts, after the server listens (server.ts, issue 19).
import type * as PerfHooks from "node:perf_hooks";
import type { ELDHistogram } from "node:perf_hooks";

const RESOLUTION_MS = 20;
let monitor: ELDHistogram | null = null;

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Starts the monitor (once per process: servers started in one test process share it). */
function watch(): ELDHistogram {
  if (monitor === null) {
    monitor = (import.meta.require("node:perf_hooks") as typeof PerfHooks).monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    monitor.enable();
  }
  return monitor;
}

/** Starts watching now (soon after the server is ready), so the first scrape already covers the time since. */
export const watchEventLoop = (): void => void watch();

/** Delay (seconds) since the previous call, then a fresh window; zeros when nothing was sampled. */
export function takeLoopDelay(): LoopDelay {
  const h = watch();
  // Bun's monitor records lateness beyond its own timer (about 0.1 ms when idle), in nanoseconds.
  const s = (ns: number) => (h.count === 0 || !Number.isFinite(ns) ? 0 : ns / 1e9);
  const out = { p50: s(h.percentile(50)), p99: s(h.percentile(99)), max: s(h.max) };
  h.reset();
  return out;
}
