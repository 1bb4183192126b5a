// A process holding many benchmark subscribers (real node-datachannel peer connections),
// driven over IPC by bench/sfu.ts.

import { CountingSubscriber } from "./ndc-peer.ts";

export type ToSubProc =
  | { t: "add"; n: number; url: string }
  | { t: "direct" }
  | { t: "answer"; sdp: string }
  /** Starts a window; a probe that receives less than `minBytesPerSecond` of video in any second of it counts as frozen. */
  | { t: "reset"; minBytesPerSecond: number }
  | { t: "report" }
  | { t: "close" };
export type FromSubProc =
  | { t: "ready" }
  | { t: "offer"; sdp: string }
  | { t: "direct"; ok: boolean; error?: string }
  | { t: "added"; ok: number; failed: number; retried: number; error?: string }
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
      /** Delays seen by the direct (no SFU) probe, if this process has it. */
      directDelays: number[];
      cpuSeconds: number;
      /** Probes whose video stalled for a second or more in the window (sinks cannot be watched:
       *  node-datachannel's bytesReceived() counts data channels only, and a per-packet callback
       *  on every sink would cost the clients more CPU than the SFU; SFU_BENCH_PROBE_EVERY=1 makes every viewer a probe). */
      frozen: number;
      /** What the probes received on the wire in the window (RTP + SRTP/UDP/IPv4 overhead), bytes. */
      probeWireBytes: number;
    };

const subs: CountingSubscriber[] = [];
let direct: CountingSubscriber | null = null;
let answerWaiter: ((sdp: string) => void) | null = null;
let seq = 0;
let retried = 0;
let sinkBase = new Map<CountingSubscriber, number>();
/** Frozen-player watch: video bytes each probe had at the last one-second sample, and who stalled. */
let sampler: ReturnType<typeof setInterval> | null = null;
const lastBytes = new Map<CountingSubscriber, number>();
const stalled = new Set<CountingSubscriber>();
// Every 8th subscriber of a process is a probe that inspects each packet; the rest are sinks.
const PROBE_EVERY = Number(process.env.SFU_BENCH_PROBE_EVERY ?? 8);

function send(m: FromSubProc): void {
  process.send?.(m);
}

process.on("message", async (m: ToSubProc) => {
  if (m.t === "answer") {
    answerWaiter?.(m.sdp);
    answerWaiter = null;
  } else if (m.t === "direct") {
    // A probe connected straight to the publisher, signalled through the orchestrator.
    direct = new CountingSubscriber(`direct-${process.pid}`, true);
    try {
      await direct.connect("direct", {
        post: (_url, sdp) =>
          new Promise((resolve) => {
            answerWaiter = (answer) => resolve({ sdp: answer, location: "" });
            send({ t: "offer", sdp });
          }),
        remove: async () => {}, // the publisher holds no resource for a direct peer
      });
      send({ t: "direct", ok: true });
    } catch (e) {
      send({ t: "direct", ok: false, error: String(e) });
    }
  } else if (m.t === "add") {
    let ok = 0;
    let failed = 0;
    let error: string | undefined;
    retried = 0;
    const batch = 10;
    for (let i = 0; i < m.n; i += batch) {
      const n = Math.min(batch, m.n - i);
      const res = await Promise.all(
        Array.from({ length: n }, async () => {
          const probe = seq % PROBE_EVERY === 0;
          // A client-side race in libdatachannel occasionally fails a connect: retry twice with a fresh peer.
          for (let attempt = 0; attempt < 3; attempt++) {
            const s = new CountingSubscriber(`b${process.pid}-${seq++}`, probe);
            try {
              await s.connect(m.url);
              if (attempt > 0) retried++;
              return s;
            } catch (e) {
              error = String(e);
              s.close();
            }
          }
          return null;
        }),
      );
      for (const s of res) {
        if (s) {
          ok++;
          subs.push(s);
        } else failed++;
      }
    }
    send({ t: "added", ok, failed, retried, error: failed > 0 || retried > 0 ? error : undefined });
  } else if (m.t === "reset") {
    for (const s of subs) {
      s.videoPackets = 0;
      s.audioPackets = 0;
      s.gaps = 0;
      s.videoBytes = 0;
      s.delays.length = 0;
    }
    sinkBase = new Map(subs.filter((s) => !s.probe).map((s) => [s, s.bytesReceived()]));
    if (direct) direct.delays.length = 0;
    if (sampler) clearInterval(sampler);
    stalled.clear();
    const probes = subs.filter((s) => s.probe);
    for (const s of probes) lastBytes.set(s, s.videoBytes);
    const min = m.minBytesPerSecond;
    sampler = setInterval(() => {
      for (const s of probes) {
        const b = s.videoBytes;
        if (b - (lastBytes.get(s) ?? b) < min) stalled.add(s);
        lastBytes.set(s, b);
      }
    }, 1000);
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
    if (sampler) clearInterval(sampler);
    sampler = null;
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
      directDelays: direct ? [...direct.delays] : [],
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      frozen: stalled.size,
      // 38 bytes a packet on the wire beyond RTP: SRTP tag 10, UDP 8, IPv4 20; audio RTP packets are 132 bytes here.
      probeWireBytes: probes.reduce((a, s) => a + s.videoBytes + s.audioPackets * 132 + (s.videoPackets + s.audioPackets) * 38, 0),
    });
  } else if (m.t === "close") {
    for (const s of subs) s.close();
    direct?.close();
    subs.length = 0;
    setTimeout(() => process.exit(0), 200);
  }
});
process.on("disconnect", () => process.exit(0));
send({ t: "ready" });
