// The forwarding core of a media worker, free of any WebRTC library so it can be unit
// tested: a Room per class fans one publisher's RTP out to its subscribers, rewriting
// SSRC, payload type, sequence number and timestamp per subscriber so each subscriber
// sees one continuous stream across publisher restarts and simulcast layer switches.

import {
  buildSr,
  isKeyframeStart,
  isRtcp,
  parseRtcp,
  rtpSeq,
  rtpSsrc,
  rtpTimestamp,
  stripHeaderExtension,
  vp8KeyframeSize,
  writeRtpHeader,
  type VideoCodec,
} from "./rtp.ts";

export type Kind = "audio" | "video";

/** Where a subscriber's packets go: one send per RTP/RTCP packet. */
export interface Sink {
  send(buf: Buffer): void;
}

const RING = 1024; // packets kept per stream for NACK retransmission (~5 s of 720p video)
const LAYER_IDLE_MS = 1500; // a simulcast layer with no packet for this long is not chosen
const LOSS_DOWN = 26; // RR fraction lost (/256) above which a subscriber steps down a layer (~10%)
const LOSS_UP = 5; // below which, after UP_AFTER_MS, it may try the next layer up (~2%)
const UP_AFTER_MS = 8000;
const LAYER_STABLE_MS = 2000; // a layer that (re)appeared is preferred only once it has flowed this long

/** One incoming stream: the class's audio, or one video layer (layer 0 without simulcast). */
export class SourceStream {
  ssrc = -1;
  gen = 0;
  codec: VideoCodec = "VP8";
  lastAt = 0;
  /** When this stream last started flowing after a pause (Chrome pauses simulcast layers under CPU or bandwidth limits). */
  activeSince = 0;
  /** Frame height from the layer's last keyframe (VP8), 0 when unknown. */
  height = 0;
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
    readonly layer: number,
  ) {}
}

class OutTrack {
  /** The stream this subscriber is currently based on, and that stream's generation then. */
  src: SourceStream | null = null;
  gen = -1;
  /** Simulcast layer this subscriber should get. */
  target = 0;
  seqOffset = 0;
  tsOffset = 0;
  lastSeq: number;
  lastTs: number;
  lastAt = 0;
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
  rebase(src: SourceStream, seq: number, ts: number, now: number): void {
    // Continue this subscriber's numbering where it stopped; advance its clock by the wall time gap.
    const gapTicks = this.lastAt === 0 ? 0 : Math.round(((now - this.lastAt) / 1000) * src.clockRate);
    this.seqOffset = (this.lastSeq + 1 - seq) & 0xffff;
    this.tsOffset = (this.lastTs + Math.max(1, gapTicks) - ts) >>> 0;
    this.src = src;
    this.gen = src.gen;
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
  /** Highest layer rank (0 = smallest) this subscriber's link has shown it can take, from its receiver reports. */
  maxRank = Infinity;
  lastLayerChange = 0;
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
  /** The layer currently forwarded to this subscriber (-1 before the first keyframe). */
  get layer(): number {
    return this.video?.src?.layer ?? -1;
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
  readonly audio = new SourceStream("audio", 48000, 0);
  readonly layers: SourceStream[] = [new SourceStream("video", 90000, 0)];
  readonly subscribers = new Map<string, Subscriber>();
  /** Video layers taller than this are not forwarded when a smaller one exists (VIDEO_QUALITY). */
  capHeight = Infinity;

  constructor(
    readonly key: number,
    /** Asks the publisher (wherever it is) for a keyframe; rate limited by the caller. */
    private readonly askKeyframe: () => void,
    private readonly counters: ForwarderCounters,
  ) {}

  /** The base (or only) video layer. */
  get video(): SourceStream {
    return this.layers[0];
  }

  private layer(i: number): SourceStream {
    while (this.layers.length <= i) this.layers.push(new SourceStream("video", 90000, this.layers.length));
    return this.layers[i];
  }

  /** A packet from the publisher (RTP, or RTCP such as sender reports); `layer` is its simulcast index. */
  onPublisherPacket(kind: Kind, raw: Buffer, codec: VideoCodec, layer = 0): void {
    if (isRtcp(raw)) {
      this.onPublisherRtcp(kind, raw);
      return;
    }
    if (raw.length < 12) return;
    if (kind === "audio") this.onAudio(raw);
    else this.onVideo(raw, codec, layer);
  }

  private onAudio(raw: Buffer): void {
    const src = this.audio;
    const pkt = stripHeaderExtension(raw);
    const ssrc = rtpSsrc(pkt);
    if (ssrc !== src.ssrc) {
      src.ssrc = ssrc;
      src.gen++;
      src.srAt = 0;
    }
    this.counters.packetsIn++;
    if (this.subscribers.size === 0) return;
    const seq = rtpSeq(pkt);
    const ts = rtpTimestamp(pkt);
    const now = performance.now();
    src.lastAt = now;
    const len = pkt.length;
    for (const sub of this.subscribers.values()) {
      const out = sub.audio;
      const pt = sub.pts.audioPt;
      if (!out || !out.open || pt === null) continue;
      if (out.gen !== src.gen) out.rebase(src, seq, ts, now);
      this.send(out, pkt, pt, seq, ts, len, now);
    }
  }

  private onVideo(raw: Buffer, codec: VideoCodec, layer: number): void {
    const src = this.layer(layer);
    const pkt = stripHeaderExtension(raw);
    const ssrc = rtpSsrc(pkt);
    if (ssrc !== src.ssrc) {
      // A new source (first publish or republish): every subscriber re-bases on it.
      src.ssrc = ssrc;
      src.gen++;
      src.codec = codec;
      src.ringSeq.fill(-1);
      src.srAt = 0;
      src.height = 0;
    }
    this.counters.packetsIn++;
    const now = performance.now();
    if (now - src.lastAt > LAYER_IDLE_MS) src.activeSince = now;
    src.lastAt = now;
    const seq = rtpSeq(pkt);
    const ts = rtpTimestamp(pkt);
    const slot = seq & (RING - 1);
    src.ring[slot] = pkt;
    src.ringSeq[slot] = seq;
    src.ringTs[slot] = ts;
    const keyframe = isKeyframeStart(pkt, codec);
    if (keyframe && codec === "VP8") src.height = vp8KeyframeSize(pkt)?.height ?? src.height;
    if (this.subscribers.size === 0) return;
    const len = pkt.length;
    for (const sub of this.subscribers.values()) {
      const out = sub.video;
      if (!out || !out.open) continue;
      const pt = codec === "VP8" ? sub.pts.vp8Pt : sub.pts.h264Pt;
      if (pt === null) continue;
      if (out.src !== src || out.gen !== src.gen) {
        // Not this subscriber's current stream: switch to it only at a keyframe of its target layer.
        if (src.layer !== out.target) continue;
        if (!keyframe) {
          if (now - out.lastKeyframeAsk > 1000) {
            out.lastKeyframeAsk = now;
            this.counters.keyframeRequests++;
            this.askKeyframe();
          }
          continue;
        }
        out.rebase(src, seq, ts, now);
      }
      this.send(out, pkt, pt, seq, ts, len, now);
    }
  }

  private send(out: OutTrack, pkt: Buffer, pt: number, seq: number, ts: number, len: number, now: number): void {
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

  private onPublisherRtcp(kind: Kind, raw: Buffer): void {
    parseRtcp(raw, (e) => {
      if (e.kind !== "sr") return;
      const src =
        kind === "audio" ? (e.ssrc === this.audio.ssrc ? this.audio : null) : (this.layers.find((l) => l.ssrc === e.ssrc) ?? null);
      if (!src) return;
      src.srNtpSec = e.ntpSec;
      src.srNtpFrac = e.ntpFrac;
      src.srRtpTs = e.rtpTs;
      src.srAt = performance.now();
      // Relay the mapping to each subscriber on its own clock: same NTP instant, rewritten RTP time.
      for (const sub of this.subscribers.values()) {
        const out = kind === "audio" ? sub.audio : sub.video;
        if (!out || !out.open || out.src !== src || out.gen !== src.gen) continue;
        out.sink.send(buildSr(out.ssrc, e.ntpSec, e.ntpFrac, (e.rtpTs + out.tsOffset) >>> 0, out.packets, out.octets));
      }
    });
  }

  /** RTCP from a subscriber: PLI/FIR go to the publisher, NACKs are answered from the ring, RR loss moves layers. */
  onSubscriberRtcp(sub: Subscriber, raw: Buffer): void {
    parseRtcp(raw, (e) => {
      if (e.kind === "pli" || e.kind === "fir") {
        if (sub.video && e.mediaSsrc === sub.video.ssrc) {
          this.counters.keyframeRequests++;
          this.askKeyframe();
        }
      } else if (e.kind === "nack") {
        const out = sub.video;
        const src = out?.src;
        if (!out || !src || e.mediaSsrc !== out.ssrc || out.gen !== src.gen) return;
        const pt = src.codec === "VP8" ? sub.pts.vp8Pt : sub.pts.h264Pt;
        if (pt === null) return;
        for (const oseq of e.seqs) {
          const seq: number = (oseq - out.seqOffset) & 0xffff;
          const slot = seq & (RING - 1);
          const pkt = src.ring[slot];
          if (!pkt || src.ringSeq[slot] !== seq) continue;
          writeRtpHeader(pkt, pt, oseq, (src.ringTs[slot] + out.tsOffset) >>> 0, out.ssrc);
          out.sink.send(pkt);
          this.counters.nackRetransmits++;
        }
      } else if (e.kind === "rr" && sub.video && e.ssrc === sub.video.ssrc) {
        this.onLoss(sub, e.fractionLost, performance.now());
      }
    });
  }

  /** Active layers from smallest to largest (by keyframe height when known, else by index). */
  private orderedLayers(now: number): SourceStream[] {
    return this.layers
      .filter((l) => now - l.lastAt < LAYER_IDLE_MS)
      .sort((a, b) => (a.height && b.height ? a.height - b.height : a.layer - b.layer));
  }

  /** Receiver-report loss drives the layer a subscriber may take (only matters with simulcast). */
  onLoss(sub: Subscriber, fractionLost: number, now: number): void {
    if (this.layers.length < 2) return;
    const ordered = this.orderedLayers(now);
    const rank = sub.video?.src ? ordered.indexOf(sub.video.src) : -1;
    if (fractionLost > LOSS_DOWN && rank > 0) {
      sub.maxRank = rank - 1;
      sub.lastLayerChange = now;
      this.selectLayers(now);
    } else if (fractionLost < LOSS_UP && sub.maxRank !== Infinity && now - sub.lastLayerChange > UP_AFTER_MS) {
      sub.maxRank = sub.maxRank + 1 >= ordered.length - 1 ? Infinity : sub.maxRank + 1;
      sub.lastLayerChange = now;
      this.selectLayers(now);
    }
  }

  /**
   * Picks each subscriber's target layer: the largest active layer within the quality cap
   * and the subscriber's own limit. Called periodically; a change asks for a keyframe.
   */
  selectLayers(now: number): void {
    if (this.layers.length < 2) return;
    const active = this.orderedLayers(now);
    if (active.length === 0) return;
    // Layers that flap (paused and resumed by the browser) are not switched to until they have settled.
    const stable = active.filter((l) => now - l.activeSince >= LAYER_STABLE_MS);
    const ordered = stable.length > 0 ? stable : active;
    const within = ordered.filter((l) => l.height === 0 || l.height <= this.capHeight * 1.05);
    const allowed = within.length > 0 ? within : ordered.slice(0, 1);
    let changed = false;
    for (const sub of this.subscribers.values()) {
      const out = sub.video;
      if (!out) continue;
      const pick = allowed[Math.min(allowed.length - 1, sub.maxRank)];
      if (pick.layer !== out.target) {
        out.target = pick.layer;
        changed = true;
      }
    }
    if (changed) {
      this.counters.keyframeRequests++;
      this.askKeyframe();
    }
  }

  /** A subscriber's track just opened: ask for a keyframe so its video starts at once. */
  onSubscriberOpen(sub: Subscriber, kind: Kind): void {
    sub.setOpen(kind);
    if (kind === "video") {
      const out = sub.video;
      if (out) {
        out.lastKeyframeAsk = performance.now();
        this.selectLayers(performance.now());
      }
      this.counters.keyframeRequests++;
      this.askKeyframe();
    }
  }
}
