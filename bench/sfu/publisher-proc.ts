// The benchmark's synthetic publisher in its own process: ~1.9 Mbps of VP8-shaped RTP at
// 30 fps plus 50 audio packets per second, sent over WHIP to the SFU under test.

import { SyntheticPublisher } from "./ndc-peer.ts";

export type ToPubProc = { t: "start"; url: string; kbps: number } | { t: "count" } | { t: "direct"; offer: string } | { t: "close" };
export type FromPubProc =
  | { t: "ready" }
  | { t: "started"; error?: string }
  | { t: "count"; videoPackets: number }
  | { t: "direct"; answer: string };

let pub: SyntheticPublisher | null = null;

process.on("message", async (m: ToPubProc) => {
  if (m.t === "start") {
    try {
      pub = new SyntheticPublisher({ bitrateKbps: m.kbps, fps: 30, keyframeEveryS: 2, packetBytes: 1100 });
      await pub.connect(m.url);
      pub.start();
      process.send?.({ t: "started" } satisfies FromPubProc);
    } catch (e) {
      process.send?.({ t: "started", error: String(e) } satisfies FromPubProc);
    }
  } else if (m.t === "direct") {
    process.send?.({ t: "direct", answer: pub ? await pub.answerDirect(m.offer) : "" } satisfies FromPubProc);
  } else if (m.t === "count") {
    process.send?.({ t: "count", videoPackets: pub?.packetsSent ?? 0 } satisfies FromPubProc);
  } else if (m.t === "close") {
    pub?.close();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.({ t: "ready" } satisfies FromPubProc);
