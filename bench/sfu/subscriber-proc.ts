// A process holding many benchmark subscribers (real node-datachannel peer connections),
// driven over IPC by bench/sfu.ts.

import { CountingSubscriber } from "./ndc-peer.ts";

export type ToSubProc = { t: "add"; n: number; url: string } | { t: "reset" } | { t: "report" } | { t: "close" };
export type FromSubProc =
  | { t: "ready" }
  | { t: "added"; ok: number; failed: number; error?: string }
  | {
      t: "report";
      subscribers: number;
      probes: number;
      videoPackets: number;
      audioPackets: number;
      gaps: number;
      minVideoPackets: number;
      /** Smallest byte count received by a sink subscriber in the window. */
      minSinkBytes: number;
      sinkBytes: number;
      delays: number[];
      cpuSeconds: number;
    };

const subs: CountingSubscriber[] = [];
let seq = 0;
let sinkBase = new Map<CountingSubscriber, number>();
// Every 8th subscriber of a process is a probe that inspects each packet; the rest are sinks.
const PROBE_EVERY = Number(process.env.SFU_BENCH_PROBE_EVERY ?? 8);

function send(m: FromSubProc): void {
  process.send?.(m);
}

process.on("message", async (m: ToSubProc) => {
  if (m.t === "add") {
    let ok = 0;
    let failed = 0;
    let error: string | undefined;
    const batch = 10;
    for (let i = 0; i < m.n; i += batch) {
      const group = Array.from({ length: Math.min(batch, m.n - i) }, () => new CountingSubscriber(`b${process.pid}-${seq}`, seq++ % PROBE_EVERY === 0));
      const res = await Promise.allSettled(group.map((s) => s.connect(m.url)));
      res.forEach((r, j) => {
        if (r.status === "fulfilled") {
          ok++;
          subs.push(group[j]);
        } else {
          failed++;
          error = String(r.reason);
          group[j].close();
        }
      });
    }
    send({ t: "added", ok, failed, error });
  } else if (m.t === "reset") {
    for (const s of subs) {
      s.videoPackets = 0;
      s.audioPackets = 0;
      s.gaps = 0;
      s.delays.length = 0;
    }
    sinkBase = new Map(subs.filter((s) => !s.probe).map((s) => [s, s.bytesReceived()]));
  } else if (m.t === "report") {
    let videoPackets = 0;
    let audioPackets = 0;
    let gaps = 0;
    let minVideoPackets = Infinity;
    let minSinkBytes = Infinity;
    let sinkBytes = 0;
    const delays: number[] = [];
    const probes = subs.filter((s) => s.probe);
    for (const s of probes) {
      videoPackets += s.videoPackets;
      audioPackets += s.audioPackets;
      gaps += s.gaps;
      minVideoPackets = Math.min(minVideoPackets, s.videoPackets);
      for (const d of s.delays) delays.push(d);
    }
    for (const [s, b0] of sinkBase) {
      const b = s.bytesReceived() - b0;
      sinkBytes += b;
      minSinkBytes = Math.min(minSinkBytes, b);
    }
    const cpu = process.cpuUsage();
    send({
      t: "report",
      subscribers: subs.length,
      probes: probes.length,
      videoPackets,
      audioPackets,
      gaps,
      minVideoPackets: probes.length ? minVideoPackets : 0,
      minSinkBytes: sinkBase.size ? minSinkBytes : 0,
      sinkBytes,
      delays,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
  } else if (m.t === "close") {
    for (const s of subs) s.close();
    subs.length = 0;
    setTimeout(() => process.exit(0), 200);
  }
});
process.on("disconnect", () => process.exit(0));
send({ t: "ready" });
