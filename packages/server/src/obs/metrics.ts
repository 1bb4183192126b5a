// Prometheus metrics on one registry. Process gauges are our own (prom-client's
// default Node metrics fail `promtool check metrics` lints).
import { Counter, Gauge, Registry } from "prom-client";
import { HttpStats } from "./http-stats.ts";

export interface Metrics {
  registry: Registry;
  http: HttpStats;
  ready: Gauge;
}

export function createMetrics(version: string): Metrics {
  const registry = new Registry();
  const http = new HttpStats(registry);
  const ready = new Gauge({ name: "edgeclass_ready", help: "1 when the instance accepts traffic, 0 while starting or draining.", registers: [registry] });
  new Gauge({
    name: "edgeclass_build_info",
    help: "Build information; the value is always 1.",
    labelNames: ["version", "runtime"] as const,
    registers: [registry],
  }).set({ version, runtime: `bun ${typeof Bun === "undefined" ? "none" : Bun.version}` }, 1);
  registerProcessMetrics(registry);
  return { registry, http, ready };
}

function registerProcessMetrics(registry: Registry): void {
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: "process_heap_bytes",
    help: "JavaScript heap in use, in bytes.",
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since the Unix epoch, in seconds.",
    registers: [registry],
  }).set(Math.round(Date.now() / 1000 - process.uptime()));
  let lastCpuSeconds = 0;
  new Counter({
    name: "process_cpu_seconds_total",
    help: "User and system CPU time spent, in seconds.",
    registers: [registry],
    collect() {
      const u = process.cpuUsage();
      const total = (u.user + u.system) / 1e6;
      if (total > lastCpuSeconds) this.inc(total - lastCpuSeconds);
      lastCpuSeconds = total;
    },
  });
}
