// Request counts and latency histograms per route, recorded with plain arithmetic on
// the request path and exposed through the prom-client registry at scrape time.
// (prom-client hashes the label object on every observe, which showed up in profiles.)
import type { Registry } from "prom-client";

export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class RouteRecorder {
  readonly statusCounts = new Map<number, number>();
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length);
  sum = 0;
  count = 0;

  constructor(
    readonly method: string,
    readonly route: string,
  ) {}

  record(status: number, seconds: number): void {
    this.statusCounts.set(status, (this.statusCounts.get(status) ?? 0) + 1);
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) {
        this.buckets[i]++;
        break;
      }
    }
  }
}

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

export class HttpStats {
  private readonly recorders = new Map<string, RouteRecorder>();

  constructor(registry: Registry) {
    const metric = (name: string, help: string, type: string, values: () => Sample[]) => ({ name, help, type, aggregator: "sum", get: async () => ({ name, help, type, aggregator: "sum", values: values() }) });
    registry.registerMetric(
      metric("edgeclass_http_requests_total", "HTTP requests served, by method, route template and status code.", "counter", () =>
        [...this.recorders.values()].flatMap((r) => [...r.statusCounts].map(([status, value]) => ({ value, labels: { method: r.method, route: r.route, status } }))),
      ) as never,
    );
    registry.registerMetric(
      metric("edgeclass_http_request_duration_seconds", "Time from request received to response ready, by method and route template.", "histogram", () =>
        [...this.recorders.values()].filter((r) => r.count > 0).flatMap((r) => histogramSamples("edgeclass_http_request_duration_seconds", r)),
      ) as never,
    );
  }

  /** The recorder for one method and route template; create once, record on every request. */
  route(method: string, route: string): RouteRecorder {
    const key = `${method} ${route}`;
    let r = this.recorders.get(key);
    if (r === undefined) this.recorders.set(key, (r = new RouteRecorder(method, route)));
    return r;
  }
}

function histogramSamples(name: string, r: RouteRecorder): Sample[] {
  const labels = { method: r.method, route: r.route };
  const out: Sample[] = [];
  let cumulative = 0;
  LATENCY_BUCKETS.forEach((le, i) => {
    cumulative += r.buckets[i];
    out.push({ metricName: `${name}_bucket`, value: cumulative, labels: { le, ...labels } });
  });
  out.push({ metricName: `${name}_bucket`, value: r.count, labels: { le: "+Inf", ...labels } });
  out.push({ metricName: `${name}_sum`, value: r.sum, labels });
  out.push({ metricName: `${name}_count`, value: r.count, labels });
  return out;
}
