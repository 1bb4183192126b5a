// Unit tests of the forwarding core and the RTP/RTCP helpers, no network.

import { expect, test } from "bun:test";
import { Room, Subscriber, type ForwarderCounters, type Sink } from "../../src/media/forwarder.ts";
import {
  buildNack,
  buildPli,
  buildRemb,
  buildSr,
  isKeyframeStart,
  parseRtcp,
  rtpSeq,
  rtpSsrc,
  rtpTimestamp,
  stripHeaderExtension,
  vp8KeyframeSize,
  type RtcpEvent,
} from "../../src/media/rtp.ts";
import { decorateAnswer, parseOffer, pickVideo, SdpError } from "../../src/media/sdp.ts";

function vp8(seq: number, ts: number, ssrc: number, opts: { start?: boolean; key?: boolean; ext?: boolean } = {}): Buffer {
  const ext = opts.ext ? 8 : 0;
  const b = Buffer.alloc(12 + ext + 20);
  b[0] = 0x80 | (opts.ext ? 0x10 : 0);
  b[1] = 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  if (opts.ext) {
    b.writeUInt16BE(0xbede, 12);
    b.writeUInt16BE(1, 14);
    b[16] = 0x10; // id 1, len 1
  }
  const p = 12 + ext;
  b[p] = opts.start ? 0x10 : 0x00;
  b[p + 1] = opts.key ? 0x00 : 0x01;
  if (opts.key) {
    b[p + 4] = 0x9d;
    b[p + 5] = 0x01;
    b[p + 6] = 0x2a;
    b.writeUInt16LE(1280, p + 7);
    b.writeUInt16LE(720, p + 9);
  }
  return b;
}

function collect(): Sink & { got: Buffer[] } {
  const got: Buffer[] = [];
  return { got, send: (b) => got.push(Buffer.from(b)) };
}

function counters(): ForwarderCounters {
  return { packetsIn: 0, packetsOut: 0, bytesOut: 0, keyframeRequests: 0, nackRetransmits: 0 };
}

test("rtp helpers: keyframes, sizes, extensions, RTCP round trips", () => {
  const key = vp8(1, 1000, 5, { start: true, key: true });
  expect(isKeyframeStart(key, "VP8")).toBe(true);
  expect(isKeyframeStart(vp8(2, 1000, 5, { start: false, key: true }), "VP8")).toBe(false);
  expect(isKeyframeStart(vp8(3, 1000, 5, { start: true, key: false }), "VP8")).toBe(false);
  expect(vp8KeyframeSize(key)).toEqual({ width: 1280, height: 720 });
  // H.264: IDR, STAP-A with SPS, FU-A start of IDR, non-IDR slice.
  const h = (payload: number[]) => Buffer.concat([Buffer.from([0x80, 102, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9]), Buffer.from(payload)]);
  expect(isKeyframeStart(h([0x65, 0x88]), "H264")).toBe(true);
  expect(isKeyframeStart(h([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce]), "H264")).toBe(true);
  expect(isKeyframeStart(h([0x7c, 0x85, 0x00]), "H264")).toBe(true);
  expect(isKeyframeStart(h([0x7c, 0x05, 0x00]), "H264")).toBe(false);
  expect(isKeyframeStart(h([0x41, 0x9a]), "H264")).toBe(false);

  const withExt = vp8(7, 90, 9, { start: true, key: true, ext: true });
  const stripped = stripHeaderExtension(withExt);
  expect(stripped.length).toBe(withExt.length - 8);
  expect(stripped[0] & 0x10).toBe(0);
  expect(isKeyframeStart(stripped, "VP8")).toBe(true);
  expect(rtpSeq(stripped)).toBe(7);

  const events: RtcpEvent[] = [];
  const compound = Buffer.concat([
    buildSr(1, 2, 3, 4, 5, 6),
    buildPli(7, 8),
    buildRemb(7, 2_500_000, [8]),
    buildNack(7, 8, [100, 101, 105, 130]),
  ]);
  parseRtcp(compound, (e) => events.push(e));
  expect(events[0]).toEqual({ kind: "sr", ssrc: 1, ntpSec: 2, ntpFrac: 3, rtpTs: 4 });
  expect(events[1]).toEqual({ kind: "pli", mediaSsrc: 8 });
  expect(events[2].kind).toBe("remb");
  if (events[2].kind === "remb") expect(Math.abs(events[2].bitrate - 2_500_000)).toBeLessThan(2_500_000 * 0.001);
  expect(events[3]).toEqual({ kind: "nack", mediaSsrc: 8, seqs: [100, 101, 105, 130] });
});

test("room: per-subscriber rewriting, keyframe wait, republish continuity, NACK, SR", () => {
  const c = counters();
  let asked = 0;
  const room = new Room(1, () => asked++, c);
  const sinkA = collect();
  const sinkV = collect();
  const sub = new Subscriber(
    "s",
    { audioPt: 109, vp8Pt: 120, h264Pt: null },
    { audio: { ssrc: 111, sink: sinkA }, video: { ssrc: 222, sink: sinkV } },
  );
  room.subscribers.set("s", sub);
  room.onSubscriberOpen(sub, "video");
  room.onSubscriberOpen(sub, "audio");
  expect(asked).toBe(1);

  // Delta frames before a keyframe are held back.
  room.onPublisherPacket("video", vp8(1000, 50_000, 77), "VP8");
  expect(sinkV.got.length).toBe(0);
  // Keyframe start, then more packets.
  room.onPublisherPacket("video", vp8(1001, 53_000, 77, { start: true, key: true }), "VP8");
  room.onPublisherPacket("video", vp8(1002, 53_000, 77), "VP8");
  room.onPublisherPacket("video", vp8(1004, 56_000, 77, { start: true }), "VP8"); // 1003 lost upstream
  expect(sinkV.got.length).toBe(3);
  for (const p of sinkV.got) {
    expect(rtpSsrc(p)).toBe(222);
    expect(p[1] & 0x7f).toBe(120);
  }
  const s0 = rtpSeq(sinkV.got[0]);
  expect(rtpSeq(sinkV.got[1])).toBe((s0 + 1) & 0xffff);
  expect(rtpSeq(sinkV.got[2])).toBe((s0 + 3) & 0xffff); // the gap is preserved, not hidden
  expect((rtpTimestamp(sinkV.got[2]) - rtpTimestamp(sinkV.got[0])) >>> 0).toBe(3000);

  // NACK for the first forwarded packet is answered from the ring, same rewritten seq/ts/ssrc.
  room.onSubscriberRtcp(sub, buildNack(5, 222, [s0]));
  expect(c.nackRetransmits).toBe(1);
  const re = sinkV.got[3];
  expect(rtpSeq(re)).toBe(s0);
  expect(rtpTimestamp(re)).toBe(rtpTimestamp(sinkV.got[0]));
  // NACK for a packet the SFU never had is ignored (no corruption).
  room.onSubscriberRtcp(sub, buildNack(5, 222, [(s0 + 2) & 0xffff]));
  expect(c.nackRetransmits).toBe(1);

  // PLI from the subscriber goes to the publisher.
  room.onSubscriberRtcp(sub, buildPli(5, 222));
  expect(asked).toBe(2);

  // SR from the publisher is re-emitted with the subscriber's SSRC and clock.
  room.onPublisherPacket("video", buildSr(77, 10, 20, 53_000, 1, 1), "VP8");
  const sr = sinkV.got[sinkV.got.length - 1];
  expect(sr[1]).toBe(200);
  expect(sr.readUInt32BE(4)).toBe(222);
  expect(sr.readUInt32BE(16)).toBe(rtpTimestamp(sinkV.got[0]));

  // Republish: new SSRC, new random base; the subscriber's numbering continues.
  const lastSeq = rtpSeq(sinkV.got[2]);
  const lastTs = rtpTimestamp(sinkV.got[2]);
  const before = sinkV.got.length;
  room.onPublisherPacket("video", vp8(40_000, 9_000_000, 88), "VP8"); // delta: held
  expect(sinkV.got.length).toBe(before);
  room.onPublisherPacket("video", vp8(40_001, 9_003_000, 88, { start: true, key: true }), "VP8");
  const first = sinkV.got[before];
  expect(rtpSsrc(first)).toBe(222);
  expect(rtpSeq(first)).toBe((lastSeq + 1) & 0xffff);
  expect((rtpTimestamp(first) - lastTs) >>> 0 < 90_000 * 5).toBe(true);
  expect((rtpTimestamp(first) - lastTs) >>> 0 > 0).toBe(true);

  // Audio is forwarded at once with its own SSRC and payload type.
  room.onPublisherPacket("audio", Buffer.from([0x80, 111, 0, 5, 0, 0, 0, 9, 0, 0, 0, 66, 1, 2, 3]), "VP8");
  expect(sinkA.got.length).toBe(1);
  expect(rtpSsrc(sinkA.got[0])).toBe(111);
  expect(sinkA.got[0][1] & 0x7f).toBe(109);
});

test("sdp: offers are parsed and bad ones rejected with a code", () => {
  const offer = [
    "v=0",
    "o=- 1 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102",
    "a=mid:0",
    "a=sendonly",
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:102 H264/90000",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    "a=ssrc:1234 cname:x",
    "",
  ].join("\r\n");
  const media = parseOffer(offer);
  expect(media[0].kind).toBe("video");
  expect(media[0].ssrcs).toEqual([1234]);
  expect(pickVideo(media[0])?.name).toBe("VP8");
  expect(pickVideo(media[0], "H264")?.pt).toBe(102);
  expect(() => parseOffer("hello")).toThrow(SdpError);
  expect(() => parseOffer("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")).toThrow(/a=mid/);
});

test("sdp: answers get the bandwidth cap and one public candidate per section", () => {
  const answer = [
    "v=0",
    "m=video 40000 UDP/TLS/RTP/SAVPF 96",
    "c=IN IP4 10.0.0.5",
    "a=candidate:2 1 UDP 2116026111 fd00::2 40000 typ host",
    "a=candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host",
    "m=audio 40000 UDP/TLS/RTP/SAVPF 111",
    "c=IN IP4 10.0.0.5",
    "a=candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host",
    "",
  ].join("\r\n");
  const out = decorateAnswer(answer, { videoKbps: 2500, publicIp: "203.0.113.7" });
  expect(out).toContain("c=IN IP4 10.0.0.5\r\nb=AS:2500\r\nb=TIAS:2500000\r\n");
  expect(out.match(/203\.0\.113\.7 40000 typ host/g)?.length).toBe(2);
  expect(out.match(/b=AS/g)?.length).toBe(1); // video only
});

test("room: simulcast layers are chosen by quality cap and subscriber loss, switching at keyframes", () => {
  const c = counters();
  let asked = 0;
  const room = new Room(2, () => asked++, c);
  room.capHeight = 720;
  const sink = collect();
  const sub = new Subscriber("s", { audioPt: 111, vp8Pt: 96, h264Pt: null }, { audio: null, video: { ssrc: 500, sink } });
  room.subscribers.set("s", sub);
  room.onSubscriberOpen(sub, "video");
  // Three layers, offered high to low: layer 0 = 1080p, 1 = 720p, 2 = 360p.
  const heights = [1080, 720, 360];
  const ssrcs = [10, 20, 30];
  const seqs = [100, 5000, 9000];
  const frame = (i: number, key: boolean) => {
    const p = vp8(seqs[i]++, 1000, ssrcs[i], { start: true, key });
    if (key) p.writeUInt16LE(heights[i], 12 + 9);
    room.onPublisherPacket("video", p, "VP8", i);
  };
  for (let i = 0; i < 3; i++) frame(i, true);
  room.selectLayers(performance.now());
  // 1080p is over the 720p cap: the 720p layer is the target.
  expect(sub.video?.target).toBe(1);
  for (let i = 0; i < 3; i++) frame(i, true);
  expect(sub.layer).toBe(1);
  const n = sink.got.length;
  for (let i = 0; i < 3; i++) frame(i, false);
  expect(sink.got.length).toBe(n + 1); // only the chosen layer is forwarded

  // Heavy loss reported by the subscriber: step down to 360p at its next keyframe, numbering continuous.
  const lastSeq = rtpSeq(sink.got[sink.got.length - 1]);
  const rr = Buffer.alloc(32);
  rr[0] = 0x81;
  rr[1] = 201;
  rr.writeUInt16BE(7, 2);
  rr.writeUInt32BE(1, 4);
  rr.writeUInt32BE(500, 8);
  rr[12] = 80; // ~31% lost
  room.onSubscriberRtcp(sub, rr);
  expect(sub.video?.target).toBe(2);
  frame(1, false); // still on 720p until the 360p keyframe
  expect(sub.layer).toBe(1);
  frame(2, false);
  expect(sub.layer).toBe(1);
  frame(2, true);
  expect(sub.layer).toBe(2);
  const got = sink.got.slice(-2).map((p) => rtpSeq(p));
  expect(got).toEqual([(lastSeq + 1) & 0xffff, (lastSeq + 2) & 0xffff]);
  expect(sink.got.every((p) => rtpSsrc(p) === 500)).toBe(true);
  expect(asked).toBeGreaterThan(0);
});
