// Prometheus metrics of the media service, fed from the workers' periodic stats.
// Names follow promtool's lint: counters end in _total, units in names.

import { Counter, Gauge, type Registry } from "prom-client";
import type { WorkerStats } from "./protocol.ts";

export interface MediaMetrics {
  observe(worker: number, s: WorkerStats): void;
  setCounts(c: { publishers: number; subscribers: number; workers: number }): void;
  sessionClosed(kind: "publisher" | "subscriber", reason: string): void;
}

const NOOP: MediaMetrics = { observe() {}, setCounts() {}, sessionClosed() {} };

export function createMediaMetrics(registry: Registry | undefined): MediaMetrics {
  if (!registry) return NOOP;
  const reg = [registry];
  const publishers = new Gauge({ name: "edgeclass_media_publishers", help: "Publishing media sessions (teachers on air).", registers: reg });
  const subscribers = new Gauge({ name: "edgeclass_media_subscribers", help: "Watching media sessions (students).", registers: reg });
  const workers = new Gauge({ name: "edgeclass_media_workers", help: "Media worker processes running.", registers: reg });
  const workerSubscribers = new Gauge({ name: "edgeclass_media_worker_subscribers", help: "Watching sessions per media worker.", labelNames: ["worker"], registers: reg });
  const pkIn = new Counter({ name: "edgeclass_media_received_packets_total", help: "RTP packets received from publishers, per worker.", labelNames: ["worker"], registers: reg });
  const pkOut = new Counter({ name: "edgeclass_media_forwarded_packets_total", help: "RTP packets forwarded to subscribers, per worker.", labelNames: ["worker"], registers: reg });
  const bytesOut = new Counter({ name: "edgeclass_media_forwarded_bytes_total", help: "RTP bytes forwarded to subscribers, per worker.", labelNames: ["worker"], registers: reg });
  const kf = new Counter({ name: "edgeclass_media_keyframe_requests_total", help: "Keyframe requests (PLI) raised towards publishers, per worker.", labelNames: ["worker"], registers: reg });
  const nack = new Counter({ name: "edgeclass_media_nack_retransmits_total", help: "Packets retransmitted to subscribers on NACK, per worker.", labelNames: ["worker"], registers: reg });
  const upNack = new Counter({ name: "edgeclass_media_upstream_nacked_packets_total", help: "Packets requested again from publishers after loss on their uplink, per worker.", labelNames: ["worker"], registers: reg });
  const cpu = new Counter({ name: "edgeclass_media_worker_cpu_seconds_total", help: "CPU time used by each media worker process.", labelNames: ["worker"], registers: reg });
  const delay = new Gauge({ name: "edgeclass_media_forward_delay_p99_seconds", help: "p99 time to fan one packet out inside a worker, last interval.", labelNames: ["worker"], registers: reg });
  const closed = new Counter({ name: "edgeclass_media_sessions_closed_total", help: "Media sessions closed, by kind and reason.", labelNames: ["kind", "reason"], registers: reg });
  const last = new Map<number, WorkerStats>();
  const delta = (prev: number | undefined, cur: number) => (prev === undefined || cur < prev ? cur : cur - prev);
  return {
    observe(worker, s) {
      const w = String(worker);
      const p = last.get(worker);
      pkIn.inc({ worker: w }, delta(p?.packetsIn, s.packetsIn));
      pkOut.inc({ worker: w }, delta(p?.packetsOut, s.packetsOut));
      bytesOut.inc({ worker: w }, delta(p?.bytesOut, s.bytesOut));
      kf.inc({ worker: w }, delta(p?.keyframeRequests, s.keyframeRequests));
      nack.inc({ worker: w }, delta(p?.nackRetransmits, s.nackRetransmits));
      upNack.inc({ worker: w }, delta(p?.upstreamNacks, s.upstreamNacks));
      cpu.inc({ worker: w }, delta(p ? p.cpuUserUs + p.cpuSystemUs : undefined, s.cpuUserUs + s.cpuSystemUs) / 1e6);
      delay.set({ worker: w }, s.forwardP99Us / 1e6);
      workerSubscribers.set({ worker: w }, s.subscribers);
      last.set(worker, s);
    },
    setCounts(c) {
      publishers.set(c.publishers);
      subscribers.set(c.subscribers);
      workers.set(c.workers);
    },
    sessionClosed(kind, reason) {
      const r = reason.startsWith("peer connection") ? "peer" : reason.replace(/[^a-z]+/g, "_").slice(0, 32);
      closed.inc({ kind, reason: r });
    },
  };
}
