// Prometheus metrics on one registry. Process gauges are our own (prom-client's
// default Node metrics fail `promtool check metrics` lints).
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
  ready: Gauge;
}

export function createMetrics(version: string): Metrics {
  const registry = new Registry();
  const httpRequests = new Counter({
    name: "edgeclass_http_requests_total",
    help: "HTTP requests served, by method, route template and status code.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "edgeclass_http_request_duration_seconds",
    help: "Time from request received to response ready, by method and route template.",
    labelNames: ["method", "route"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const ready = new Gauge({ name: "edgeclass_ready", help: "1 when the instance accepts traffic, 0 while starting or draining.", registers: [registry] });
  new Gauge({
    name: "edgeclass_build_info",
    help: "Build information; the value is always 1.",
    labelNames: ["version", "runtime"] as const,
    registers: [registry],
  }).set({ version, runtime: `bun ${typeof Bun === "undefined" ? "none" : Bun.version}` }, 1);
  registerProcessMetrics(registry);
  return { registry, httpRequests, httpDuration, ready };
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
