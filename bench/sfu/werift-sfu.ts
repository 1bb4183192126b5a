// The peer baseline for `npm run bench:sfu`: the same WHIP/WHEP forwarding done with werift
// (pure TypeScript WebRTC), in its own process. One publisher per run; its packets are written
// to one shared track per kind, which every subscriber's sender rewrites and encrypts.

import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from "werift";

const codecs = {
  audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 })],
  video: [
    new RTCRtpCodecParameters({
      mimeType: "video/VP8",
      clockRate: 90000,
      payloadType: 96,
      rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }, { type: "goog-remb" }],
    }),
  ],
};

const video = new MediaStreamTrack({ kind: "video" });
const audio = new MediaStreamTrack({ kind: "audio" });
const peers = new Set<RTCPeerConnection>();
let publisher: RTCPeerConnection | null = null;

async function answer(pc: RTCPeerConnection, offer: string): Promise<string> {
  await pc.setRemoteDescription({ type: "offer", sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  // werift gathers before resolving setLocalDescription with its default (non-trickle) behaviour.
  return pc.localDescription?.sdp ?? "";
}

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method !== "POST") return new Response(null, { status: 200 });
    const offer = await req.text();
    const pc = new RTCPeerConnection({ codecs });
    peers.add(pc);
    if (url.pathname.endsWith("/whip")) {
      publisher?.close();
      publisher = pc;
      pc.onTrack.subscribe((track) => {
        const out = track.kind === "video" ? video : audio;
        track.onReceiveRtp.subscribe((rtp) => out.writeRtp(rtp));
      });
    } else {
      pc.addTransceiver(video, { direction: "sendonly" });
      pc.addTransceiver(audio, { direction: "sendonly" });
    }
    const sdp = await answer(pc, offer);
    return new Response(sdp, { status: 201, headers: { "Content-Type": "application/sdp", Location: `/r/${peers.size}` } });
  },
});

// werift's UDP sockets throw ECONNREFUSED when a peer goes away; keep serving the others.
process.on("uncaughtException", (e) => {
  if (!String(e).includes("ECONNREFUSED")) console.error("werift sfu:", String(e));
});
process.on("unhandledRejection", (e) => console.error("werift sfu:", String(e)));

process.send?.({ t: "ready", port: server.port });
process.on("disconnect", async () => {
  for (const pc of peers) await pc.close().catch(() => {});
  process.exit(0);
});
