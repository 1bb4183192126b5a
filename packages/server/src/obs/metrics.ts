// The server's Prometheus metrics, on one registry.
import { takeLoopDelay } from "./event-loop.ts";
import { Registry, type Gauge, type Histogram, type Counter } from "./prom.ts";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface Metrics {
  registry: Registry;
  httpRequests: Counter;
  httpDuration: Histogram;
  ready: Gauge;
}

export function createMetrics(version: string): Metrics {
  const registry = new Registry();
  const httpRequests = registry.counter({
    name: "edgeclass_http_requests_total",
    help: "HTTP requests served, by method, route template and status code.",
    labelNames: ["method", "route", "status"],
  });
  const httpDuration = registry.histogram({
    name: "edgeclass_http_request_duration_seconds",
    help: "Time from request received to response ready, by method and route template.",
    labelNames: ["method", "route"],
    buckets: LATENCY_BUCKETS,
  });
  const ready = registry.gauge({ name: "edgeclass_ready", help: "1 when the instance accepts traffic, 0 while starting or draining." });
  registry
    .gauge({ name: "edgeclass_build_info", help: "Build information; the value is always 1.", labelNames: ["version", "runtime"] })
    .labels(version, `bun ${typeof Bun === "undefined" ? "none" : Bun.version}`)
    .set(1);
  registry.gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    collect: (g) => g.set(process.memoryUsage.rss()),
  });
  registry.gauge({
    name: "process_heap_bytes",
    help: "JavaScript heap in use, in bytes.",
    collect: (g) => g.set(process.memoryUsage().heapUsed),
  });
  registry.gauge({
    name: "edgeclass_event_loop_delay_seconds",
    help: "Event-loop delay since the previous scrape (then a fresh window), by statistic: p50, p99, max.",
    labelNames: ["stat"],
    collect: (g) => {
      const d = takeLoopDelay();
      g.labels("p50").set(d.p50);
      g.labels("p99").set(d.p99);
      g.labels("max").set(d.max);
    },
  });
  registry
    .gauge({ name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds." })
    .set(Math.round(Date.now() / 1000 - process.uptime()));
  registry.counterFrom({
    name: "process_cpu_seconds_total",
    help: "User and system CPU time spent, in seconds.",
    read: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
  });
  return { registry, httpRequests, httpDuration, ready };
}
