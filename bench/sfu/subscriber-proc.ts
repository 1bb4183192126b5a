// A process holding many benchmark subscribers (real node-datachannel peer connections),
// driven over IPC by bench/sfu.ts.

import { CountingSubscriber } from "./ndc-peer.ts";

export type ToSubProc = { t: "add"; n: number; url: string } | { t: "reset" } | { t: "report" } | { t: "close" };
export type FromSubProc =
  | { t: "ready" }
  | { t: "added"; ok: number; failed: number; error?: string }
  | { t: "report"; subscribers: number; videoPackets: number; audioPackets: number; gaps: number; minVideoPackets: number; delays: number[] };

const subs: CountingSubscriber[] = [];
let seq = 0;

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
      const group = Array.from({ length: Math.min(batch, m.n - i) }, () => new CountingSubscriber(`b${process.pid}-${seq++}`));
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
  } else if (m.t === "report") {
    let videoPackets = 0;
    let audioPackets = 0;
    let gaps = 0;
    let minVideoPackets = Infinity;
    const delays: number[] = [];
    const stride = Math.max(1, Math.ceil(subs.length / 20)); // delay samples from ~20 subscribers per process
    subs.forEach((s, i) => {
      videoPackets += s.videoPackets;
      audioPackets += s.audioPackets;
      gaps += s.gaps;
      minVideoPackets = Math.min(minVideoPackets, s.videoPackets);
      if (i % stride === 0) for (const d of s.delays) delays.push(d);
    });
    send({ t: "report", subscribers: subs.length, videoPackets, audioPackets, gaps, minVideoPackets: subs.length ? minVideoPackets : 0, delays });
  } else if (m.t === "close") {
    for (const s of subs) s.close();
    subs.length = 0;
    setTimeout(() => process.exit(0), 200);
  }
});
process.on("disconnect", () => process.exit(0));
send({ t: "ready" });
