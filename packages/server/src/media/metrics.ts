// Prometheus metrics of the media service, fed from the workers' periodic stats.
// Names follow promtool's lint: counters end in _total, units in names.

import type { Registry } from "../obs/prom.ts";
import type { WorkerStats } from "./protocol.ts";

export interface MediaMetrics {
  observe(worker: number, s: WorkerStats): void;
  /** The UDP port a worker takes cascade datagrams on (what a firewall between instances must let through). */
  cascadePort(worker: number, port: number): void;
  setCounts(c: { publishers: number; subscribers: number; workers: number }): void;
  sessionClosed(kind: "publisher" | "subscriber", reason: string): void;
}

const NOOP: MediaMetrics = { observe() {}, cascadePort() {}, setCounts() {}, sessionClosed() {} };

export function createMediaMetrics(registry: Registry | undefined): MediaMetrics {
  if (!registry) return NOOP;
  const gauge = (name: string, help: string, labelNames: string[] = []) => registry.gauge({ name, help, labelNames });
  const counter = (name: string, help: string, labelNames: string[] = ["worker"]) => registry.counter({ name, help, labelNames });
  const publishers = gauge("edgeclass_media_publishers", "Publishing media sessions (teachers on air).");
  const subscribers = gauge("edgeclass_media_subscribers", "Watching media sessions (students).");
  const workers = gauge("edgeclass_media_workers", "Media worker processes running.");
  const workerSubscribers = gauge("edgeclass_media_worker_subscribers", "Watching sessions per media worker.", ["worker"]);
  const pkIn = counter("edgeclass_media_received_packets_total", "RTP packets received from publishers, per worker.");
  const pkOut = counter("edgeclass_media_forwarded_packets_total", "RTP packets forwarded to subscribers, per worker.");
  const bytesOut = counter("edgeclass_media_forwarded_bytes_total", "RTP bytes forwarded to subscribers, per worker.");
  const kf = counter("edgeclass_media_keyframe_requests_total", "Keyframe requests (PLI) raised towards publishers, per worker.");
  const nack = counter("edgeclass_media_nack_retransmits_total", "Packets retransmitted to subscribers on NACK, per worker.");
  const upNack = counter(
    "edgeclass_media_upstream_nacked_packets_total",
    "Packets requested again from publishers after loss on their uplink, per worker.",
  );
  const cpu = counter("edgeclass_media_worker_cpu_seconds_total", "CPU time used by each media worker process.");
  const delay = gauge("edgeclass_media_forward_delay_p99_seconds", "p99 time to fan one packet out inside a worker, last interval.", [
    "worker",
  ]);
  const cascadeSent = counter(
    "edgeclass_media_cascade_sent_packets_total",
    "Packets relayed to workers of other instances (cascade), per worker.",
  );
  const cascadeReceived = counter(
    "edgeclass_media_cascade_received_packets_total",
    "Cascade packets accepted from other instances, per worker.",
  );
  const relayRejected = counter(
    "edgeclass_media_relay_rejected_packets_total",
    "Datagrams refused on the loopback relay between a node's workers (not from a worker routed for the class), per worker.",
  );
  const cascadeRejected = counter(
    "edgeclass_media_cascade_rejected_packets_total",
    "Datagrams refused on the cascade port (no valid HMAC, or an unknown class), per worker.",
  );
  const closed = counter("edgeclass_media_sessions_closed_total", "Media sessions closed, by kind and reason.", ["kind", "reason"]);
  const last = new Map<number, WorkerStats>();
  const delta = (prev: number | undefined, cur: number) => (prev === undefined || cur < prev ? cur : cur - prev);
  const cascadePortGauge = gauge("edgeclass_media_worker_cascade_port", "UDP port each media worker takes cascade datagrams on.", [
    "worker",
  ]);
  return {
    cascadePort(worker, port) {
      cascadePortGauge.labels(String(worker)).set(port);
    },
    observe(worker, s) {
      const w = String(worker);
      const p = last.get(worker);
      pkIn.labels(w).inc(delta(p?.packetsIn, s.packetsIn));
      pkOut.labels(w).inc(delta(p?.packetsOut, s.packetsOut));
      bytesOut.labels(w).inc(delta(p?.bytesOut, s.bytesOut));
      kf.labels(w).inc(delta(p?.keyframeRequests, s.keyframeRequests));
      nack.labels(w).inc(delta(p?.nackRetransmits, s.nackRetransmits));
      upNack.labels(w).inc(delta(p?.upstreamNacks, s.upstreamNacks));
      cascadeSent.labels(w).inc(delta(p?.cascadeSent, s.cascadeSent));
      cascadeReceived.labels(w).inc(delta(p?.cascadeReceived, s.cascadeReceived));
      cascadeRejected.labels(w).inc(delta(p?.cascadeRejected, s.cascadeRejected));
      relayRejected.labels(w).inc(delta(p?.relayRejected, s.relayRejected));
      cpu.labels(w).inc(delta(p ? p.cpuUserUs + p.cpuSystemUs : undefined, s.cpuUserUs + s.cpuSystemUs) / 1e6);
      delay.labels(w).set(s.forwardP99Us / 1e6);
      workerSubscribers.labels(w).set(s.subscribers);
      last.set(worker, s);
    },
    setCounts(c) {
      publishers.set(c.publishers);
      subscribers.set(c.subscribers);
      workers.set(c.workers);
    },
    sessionClosed(kind, reason) {
      const r = reason.startsWith("peer connection") ? "peer" : reason.replace(/[^a-z]+/g, "_").slice(0, 32);
      closed.labels(kind, r).inc();
    },
  };
}
