// The forwarding core of a media worker, free of any WebRTC library so it can be unit
// tested: a Room per class fans one publisher's RTP out to its subscribers, rewriting
// SSRC, payload type, sequence number and timestamp per subscriber so each subscriber
// sees one continuous stream across publisher restarts.

import {
  buildSr,
  isKeyframeStart,
  isRtcp,
  parseRtcp,
  rtpSeq,
  rtpSsrc,
  rtpTimestamp,
  stripHeaderExtension,
  writeRtpHeader,
  type VideoCodec,
} from "./rtp.ts";

export type Kind = "audio" | "video";

/** Where a subscriber's packets go: one send per RTP/RTCP packet. */
export interface Sink {
  send(buf: Buffer): void;
}

const RING = 1024; // packets kept per stream for NACK retransmission (~5 s of 720p video)

/** One incoming stream (the class's current audio or video source). */
export class SourceStream {
  ssrc = -1;
  gen = 0;
  codec: VideoCodec = "VP8";
  readonly ring: (Buffer | undefined)[] = new Array(RING);
  readonly ringSeq = new Int32Array(RING).fill(-1);
  readonly ringTs = new Float64Array(RING);
  /** Last SR of the source: RTP time at an NTP instant, for lip sync. */
  srNtpSec = 0;
  srNtpFrac = 0;
  srRtpTs = 0;
  srAt = 0;
  constructor(
    readonly kind: Kind,
    readonly clockRate: number,
  ) {}
}

class OutTrack {
  gen = -1;
  seqOffset = 0;
  tsOffset = 0;
  lastSeq: number;
  lastTs: number;
  lastAt = 0;
  waitingKeyframe = true;
  lastKeyframeAsk = 0;
  packets = 0;
  octets = 0;
  open = false;
  constructor(
    readonly ssrc: number,
    readonly sink: Sink,
  ) {
    this.lastSeq = (Math.random() * 0x8000) | 0;
    this.lastTs = (Math.random() * 0x7fffffff) >>> 0;
  }
}

export interface SubscriberPts {
  audioPt: number | null;
  vp8Pt: number | null;
  h264Pt: number | null;
}

export class Subscriber {
  readonly audio: OutTrack | null;
  readonly video: OutTrack | null;
  constructor(
    readonly id: string,
    readonly pts: SubscriberPts,
    sinks: { audio: { ssrc: number; sink: Sink } | null; video: { ssrc: number; sink: Sink } | null },
  ) {
    this.audio = sinks.audio ? new OutTrack(sinks.audio.ssrc, sinks.audio.sink) : null;
    this.video = sinks.video ? new OutTrack(sinks.video.ssrc, sinks.video.sink) : null;
  }
  setOpen(kind: Kind): void {
    const t = kind === "audio" ? this.audio : this.video;
    if (t) t.open = true;
  }
}

export interface ForwarderCounters {
  packetsIn: number;
  packetsOut: number;
  bytesOut: number;
  keyframeRequests: number;
  nackRetransmits: number;
}

export class Room {
  readonly audio = new SourceStream("audio", 48000);
  readonly video = new SourceStream("video", 90000);
  readonly subscribers = new Map<string, Subscriber>();

  constructor(
    readonly key: number,
    /** Asks the publisher (wherever it is) for a keyframe; rate limited by the caller. */
    private readonly askKeyframe: () => void,
    private readonly counters: ForwarderCounters,
  ) {}

  /** A packet from the publisher (RTP, or RTCP such as sender reports). */
  onPublisherPacket(kind: Kind, raw: Buffer, codec: VideoCodec): void {
    if (isRtcp(raw)) {
      this.onPublisherRtcp(kind, raw);
      return;
    }
    if (raw.length < 12) return;
    const src = kind === "audio" ? this.audio : this.video;
    const pkt = stripHeaderExtension(raw);
    const ssrc = rtpSsrc(pkt);
    if (ssrc !== src.ssrc) {
      // A new source (first publish or republish): every subscriber re-bases on it.
      src.ssrc = ssrc;
      src.gen++;
      src.codec = codec;
      src.ringSeq.fill(-1);
      src.srAt = 0;
    }
    this.counters.packetsIn++;
    const seq = rtpSeq(pkt);
    const ts = rtpTimestamp(pkt);
    if (kind === "video") {
      const slot = seq & (RING - 1);
      src.ring[slot] = pkt;
      src.ringSeq[slot] = seq;
      src.ringTs[slot] = ts;
    }
    if (this.subscribers.size === 0) return;
    const now = performance.now();
    let keyframe = -1; // lazily computed: -1 unknown, 0 no, 1 yes
    const len = pkt.length;
    for (const sub of this.subscribers.values()) {
      const out = kind === "audio" ? sub.audio : sub.video;
      if (!out || !out.open) continue;
      const pt = kind === "audio" ? sub.pts.audioPt : codec === "VP8" ? sub.pts.vp8Pt : sub.pts.h264Pt;
      if (pt === null) continue;
      if (out.gen !== src.gen || out.waitingKeyframe) {
        if (kind === "video") {
          if (keyframe < 0) keyframe = isKeyframeStart(pkt, codec) ? 1 : 0;
          if (keyframe === 0) {
            out.waitingKeyframe = true;
            if (now - out.lastKeyframeAsk > 1000) {
              out.lastKeyframeAsk = now;
              this.counters.keyframeRequests++;
              this.askKeyframe();
            }
            continue;
          }
        }
        if (out.gen !== src.gen) {
          // Continue this subscriber's numbering where it stopped; advance its clock by the wall time gap.
          const gapTicks = out.lastAt === 0 ? 0 : Math.round(((now - out.lastAt) / 1000) * src.clockRate);
          out.seqOffset = (out.lastSeq + 1 - seq) & 0xffff;
          out.tsOffset = (out.lastTs + Math.max(1, gapTicks) - ts) >>> 0;
          out.gen = src.gen;
        }
        out.waitingKeyframe = false;
      }
      const oseq = (seq + out.seqOffset) & 0xffff;
      const ots = (ts + out.tsOffset) >>> 0;
      writeRtpHeader(pkt, pt, oseq, ots, out.ssrc);
      out.sink.send(pkt);
      if (((oseq - out.lastSeq) & 0xffff) < 0x8000) {
        out.lastSeq = oseq;
        out.lastTs = ots;
      }
      out.lastAt = now;
      out.packets++;
      out.octets += len - 12;
      this.counters.packetsOut++;
      this.counters.bytesOut += len;
    }
  }

  private onPublisherRtcp(kind: Kind, raw: Buffer): void {
    const src = kind === "audio" ? this.audio : this.video;
    parseRtcp(raw, (e) => {
      if (e.kind !== "sr" || e.ssrc !== src.ssrc) return;
      src.srNtpSec = e.ntpSec;
      src.srNtpFrac = e.ntpFrac;
      src.srRtpTs = e.rtpTs;
      src.srAt = performance.now();
      // Relay the mapping to each subscriber on its own clock: same NTP instant, rewritten RTP time.
      for (const sub of this.subscribers.values()) {
        const out = kind === "audio" ? sub.audio : sub.video;
        if (!out || !out.open || out.gen !== src.gen) continue;
        out.sink.send(buildSr(out.ssrc, e.ntpSec, e.ntpFrac, (e.rtpTs + out.tsOffset) >>> 0, out.packets, out.octets));
      }
    });
  }

  /** RTCP from a subscriber: PLI/FIR go to the publisher, NACKs are answered from the ring. */
  onSubscriberRtcp(sub: Subscriber, raw: Buffer): void {
    parseRtcp(raw, (e) => {
      if (e.kind === "pli" || e.kind === "fir") {
        if (sub.video && e.mediaSsrc === sub.video.ssrc) {
          this.counters.keyframeRequests++;
          this.askKeyframe();
        }
      } else if (e.kind === "nack") {
        const out = sub.video;
        if (!out || e.mediaSsrc !== out.ssrc || out.gen !== this.video.gen) return;
        const pt = this.video.codec === "VP8" ? sub.pts.vp8Pt : sub.pts.h264Pt;
        if (pt === null) return;
        for (const oseq of e.seqs) {
          const seq: number = (oseq - out.seqOffset) & 0xffff;
          const slot = seq & (RING - 1);
          const pkt = this.video.ring[slot];
          if (!pkt || this.video.ringSeq[slot] !== seq) continue;
          writeRtpHeader(pkt, pt, oseq, (this.video.ringTs[slot] + out.tsOffset) >>> 0, out.ssrc);
          out.sink.send(pkt);
          this.counters.nackRetransmits++;
        }
      }
    });
  }

  /** A subscriber's track just opened: catch it up with the latest SR and ask for a keyframe. */
  onSubscriberOpen(sub: Subscriber, kind: Kind): void {
    sub.setOpen(kind);
    if (kind === "video") {
      const out = sub.video;
      if (out) out.lastKeyframeAsk = performance.now();
      this.counters.keyframeRequests++;
      this.askKeyframe();
    }
  }
}
