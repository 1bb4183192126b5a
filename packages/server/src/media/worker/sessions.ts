// Peer connections of a media worker: a publisher session receives a teacher's RTP
// (and sends it feedback: REMB, RR, PLI, NACK), a subscriber session sends a student the
// class's streams through the Room.
// Over 400 lines because the publisher and the subscriber session share their base (one peer
// connection, its RTCP feedback and stats) and are read together.

import ndc from "node-datachannel";
import type { PeerConnection, Track } from "node-datachannel";
import { Subscriber, type Kind } from "../forwarder.ts";
import { QUALITY, RELAY_MEDIA } from "../protocol.ts";
import { buildNack, buildPli, buildRemb, buildRr, isRtcp, rtpExtensionString, rtpSeq, type VideoCodec } from "../rtp.ts";
import { EXT_MID, EXT_RID, SdpError, decorateAnswer, parseOffer, pickAudio, pickVideo, subscriberCodecs } from "../sdp.ts";
import { cascadeMedia } from "./cascade.ts";
import { forgetCredentials, withShimCandidate } from "./turn-shim.ts";
import {
  certificate,
  config,
  counters,
  forwardTimed,
  log,
  maybeDropRoom,
  relay,
  relayHeader,
  send,
  sessions,
  type RoomEntry,
  type Session,
} from "./runtime.ts";

const { PeerConnection: PC, Audio, Video } = ndc;

function newPc(id: string): PeerConnection {
  const c = config;
  const cfg: ConstructorParameters<typeof PC>[1] = { iceServers: [], disableAutoNegotiation: true, ...(certificate ?? {}) };
  if (c.iceUdpMux) {
    cfg.enableIceUdpMux = true;
    cfg.portRangeBegin = c.muxPort;
    cfg.portRangeEnd = c.muxPort;
  } else if (c.portRange) {
    cfg.portRangeBegin = c.portRange[0];
    cfg.portRangeEnd = c.portRange[1];
  }
  return new PC(id, cfg);
}

async function answerOf(pc: PeerConnection, videoKbps?: number): Promise<string> {
  pc.setLocalDescription("answer");
  if (pc.gatheringState() !== "complete") {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      pc.onGatheringStateChange((s) => {
        if (s === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
      if (pc.gatheringState() === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  }
  const desc = pc.localDescription();
  if (!desc) throw new Error("no local description");
  return withShimCandidate(decorateAnswer(desc.sdp, { videoKbps, publicIp: config.publicIp }));
}

export abstract class BaseSession implements Session {
  protected closed = false;
  /** Last time anything (RTP or RTCP) arrived from the peer; ICE consent loss takes ~30 s to surface. */
  lastHeard = performance.now();
  connected = false;
  private connectTimer: ReturnType<typeof setTimeout> | null;
  private disconnectTimer: ReturnType<typeof setTimeout> | null = null;
  constructor(
    readonly id: string,
    readonly classKey: number,
    protected readonly pc: PeerConnection,
  ) {
    sessions.set(id, this);
    this.connectTimer = setTimeout(() => this.close("connect timeout"), config.connectTimeoutMs);
    pc.onStateChange((state) => {
      if (state === "connected") {
        if (!this.connected) send({ t: "connected", id: this.id });
        this.connected = true;
        this.lastHeard = performance.now();
        if (this.connectTimer) clearTimeout(this.connectTimer);
        this.connectTimer = null;
        if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
        this.disconnectTimer = null;
      } else if (state === "failed" || state === "closed") {
        queueMicrotask(() => this.close(`peer connection ${state}`));
      } else if (state === "disconnected" && !this.disconnectTimer) {
        this.disconnectTimer = setTimeout(() => this.close("peer connection disconnected"), 5000);
      }
    });
  }
  addCandidate(candidate: string, mid: string): void {
    if (this.closed) return;
    try {
      this.pc.addRemoteCandidate(candidate, mid);
    } catch {
      // a malformed candidate from the client: ignore it
    }
  }
  /** libdatachannel rejects offers it cannot use by throwing: that is the client's fault (400). */
  protected applyOffer(offer: string): void {
    try {
      this.pc.setRemoteDescription(offer, "offer");
    } catch (e) {
      throw new SdpError(`offer rejected: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  private answered = "";
  async answer(videoKbps?: number): Promise<string> {
    this.answered = await answerOf(this.pc, videoKbps);
    return this.answered;
  }
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    sessions.delete(this.id);
    forgetCredentials(this.answered);
    this.detach();
    try {
      this.pc.close();
    } catch {
      // already closed by the peer
    }
    send({ t: "closed", id: this.id, reason });
    maybeDropRoom(this.classKey);
  }
  protected abstract detach(): void;
}

export class PublisherSession extends BaseSession {
  readonly kinds = new Set<Kind>();
  private readonly tracks: { kind: Kind; track: Track }[] = [];
  /** Simulcast: rids in offer order and the RID header extension id; SSRC -> layer once seen. */
  private rids: string[] = [];
  private ridExt = 0;
  private readonly layerOf = new Map<number, number>();
  private readonly ssrcKind = new Map<number, Kind>();
  private codec: VideoCodec = "VP8";
  private readonly rtcpSsrc = (Math.random() * 0xffffffff) >>> 1;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastPli = 0;
  private pliPending: ReturnType<typeof setTimeout> | null = null;
  private readonly highestSeq = new Map<number, number>();

  constructor(
    id: string,
    classKey: number,
    offer: string,
    private readonly entry: RoomEntry,
  ) {
    super(id, classKey, newPc(id));
    const media = parseOffer(offer);
    let haveAudio = false;
    let haveVideo = false;
    for (const m of media) {
      if (m.direction === "recvonly" || m.direction === "inactive") continue;
      if (m.kind === "audio" && !haveAudio) {
        const c = pickAudio(m);
        if (!c) continue;
        const d = new Audio(m.mid, "RecvOnly");
        d.addOpusCodec(c.pt);
        this.attach("audio", this.pc.addTrack(d));
        haveAudio = true;
      } else if (m.kind === "video" && !haveVideo) {
        const c = pickVideo(m);
        if (!c) continue;
        const d = new Video(m.mid, "RecvOnly");
        // Chrome starts its estimate at ~300 kbps and climbs slowly from 360p; start it near the cap.
        const kbps = QUALITY[config.videoQuality].kbps;
        const start = `x-google-start-bitrate=${Math.round(kbps * 0.8)};x-google-max-bitrate=${kbps}`;
        if (c.name === "VP8") d.addVideoCodec(c.pt, "VP8", start);
        else d.addH264Codec(c.pt, c.fmtp ? `${c.fmtp};${start}` : start);
        this.codec = c.name === "VP8" ? "VP8" : "H264";
        // Simulcast (rids, no SSRCs in the offer) works when video is the connection's only track:
        // libdatachannel hands a lone track every packet, but routes by announced SSRC otherwise.
        const ridExt = m.extmap.get(EXT_RID);
        const midExt = m.extmap.get(EXT_MID);
        if (m.rids.length > 1 && media.length === 1 && ridExt && midExt) {
          this.rids = m.rids.slice(0, 4);
          this.ridExt = ridExt;
          d.parseSdpLine(`a=extmap:${midExt} ${EXT_MID}`);
          d.parseSdpLine(`a=extmap:${ridExt} ${EXT_RID}`);
          for (const r of this.rids) d.parseSdpLine(`a=rid:${r} recv`);
          d.parseSdpLine(`a=simulcast:recv ${this.rids.join(";")}`);
        }
        this.attach("video", this.pc.addTrack(d));
        haveVideo = true;
      }
    }
    if (!haveAudio && !haveVideo) throw new SdpError("offer has nothing we can receive (Opus audio, VP8 or H.264 video, sendonly)");
    this.applyOffer(offer);
    this.timer = setInterval(() => this.feedback(), 500);
  }

  private attach(kind: Kind, track: Track): void {
    this.tracks.push({ kind, track });
    this.kinds.add(kind);
    const entry = this.entry;
    const classKey = this.classKey;
    track.onMessage((msg: Buffer) => {
      if (this.closed) return;
      this.lastHeard = performance.now();
      let layer = 0;
      if (!isRtcp(msg) && msg.length >= 12) {
        const s = msg.readUInt32BE(8);
        if (!this.ssrcKind.has(s)) this.ssrcKind.set(s, kind);
        if (this.rids.length > 0 && kind === "video") {
          const known = this.layerOf.get(s);
          if (known === undefined) {
            const rid = rtpExtensionString(msg, this.ridExt);
            const i = rid === null ? -1 : this.rids.indexOf(rid);
            if (i < 0) return; // cannot place it yet (RTX, padding, or a layer before its RID)
            this.layerOf.set(s, i);
            layer = i;
          } else layer = known;
        }
        const seq = rtpSeq(msg);
        const prev = this.highestSeq.get(s);
        const d = prev === undefined ? 1 : (seq - prev) & 0xffff;
        if (d >= 1 && d < 0x8000) {
          this.highestSeq.set(s, seq);
          // Loss on the teacher's uplink: ask for the missing video packets once (no RTX: they come back as-is).
          if (kind === "video" && d > 1 && d <= 64) this.nackUpstream(track, s, prev ?? seq, d);
        }
      }
      try {
        if (entry.relayTo.length > 0) {
          const b = relayHeader(RELAY_MEDIA, kind, this.codec, classKey, msg, layer);
          for (const port of entry.relayTo) relay.send(b, port, "127.0.0.1");
        }
        if (entry.cascadeTo.length > 0) cascadeMedia(entry, kind, this.codec, msg, layer);
        forwardTimed(entry.room, kind, msg, this.codec, layer);
      } catch (e) {
        // A throw inside a libdatachannel callback aborts the process: log and go on.
        log.error({ err: e, worker: config.index }, "media worker: forwarding");
      }
    });
    track.onOpen(() => {
      if (kind === "video") queueMicrotask(() => this.requestKeyframe());
    });
  }

  private nackUpstream(track: Track, ssrc: number, prev: number, d: number): void {
    const missing: number[] = [];
    for (let i = 1; i < d; i++) missing.push((prev + i) & 0xffff);
    try {
      track.sendMessageBinary(buildNack(this.rtcpSsrc, ssrc, missing));
      counters.upstreamNacks += missing.length;
    } catch {
      // transport closing
    }
  }

  /** REMB keeps the browser's send estimate at the quality cap; RR closes the loop for its loss estimate. */
  private feedback(): void {
    if (this.closed) return;
    const t = this.tracks.find((x) => x.track.isOpen());
    if (!t) return;
    const kbps = QUALITY[config.videoQuality].kbps;
    const room = this.entry.room;
    const blocks = [...this.highestSeq].map(([ssrc, seq]) => {
      const src = ssrc === room.audio.ssrc ? room.audio : (room.layers.find((l) => l.ssrc === ssrc) ?? null);
      const lsr = src?.srAt ? ((src.srNtpSec & 0xffff) << 16) | (src.srNtpFrac >>> 16) : 0;
      const dlsr = src?.srAt ? Math.round(((performance.now() - src.srAt) / 1000) * 65536) : 0;
      return { ssrc, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: seq, jitter: 0, lastSr: lsr >>> 0, delaySinceLastSr: dlsr };
    });
    const videoSsrcs = [...this.ssrcKind].filter(([, k]) => k === "video").map(([s]) => s);
    try {
      if (blocks.length > 0) t.track.sendMessageBinary(buildRr(this.rtcpSsrc, blocks.slice(0, 31)));
      if (videoSsrcs.length > 0)
        t.track.sendMessageBinary(buildRemb(this.rtcpSsrc, kbps * 1000 * (this.rids.length > 1 ? 1.4 : 1), videoSsrcs));
    } catch {
      // transport not ready yet
    }
  }

  requestKeyframe(): void {
    if (this.closed) return;
    const now = performance.now();
    const wait = 300 - (now - this.lastPli);
    if (wait > 0) {
      this.pliPending ??= setTimeout(() => {
        this.pliPending = null;
        this.requestKeyframe();
      }, wait);
      return;
    }
    this.lastPli = now;
    const t = this.tracks.find((x) => x.kind === "video" && x.track.isOpen());
    if (!t) return;
    for (const [ssrc, kind] of this.ssrcKind) {
      if (kind !== "video") continue;
      try {
        t.track.sendMessageBinary(buildPli(this.rtcpSsrc, ssrc));
      } catch {
        // not connected yet: the track's onOpen asks again
      }
    }
  }

  protected detach(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pliPending) clearTimeout(this.pliPending);
    const i = this.entry.publishers.indexOf(this);
    if (i >= 0) this.entry.publishers.splice(i, 1);
  }
}

export class SubscriberSession extends BaseSession {
  private readonly sub: Subscriber;
  private readonly heartbeatTrack: Track | null;
  /** Our outgoing SSRC on that track: the peer routes RTCP by the SSRCs it was told about. */
  private readonly heartbeatSsrc: number;
  constructor(
    id: string,
    classKey: number,
    offer: string,
    private readonly entry: RoomEntry,
  ) {
    super(id, classKey, newPc(id));
    const media = parseOffer(offer);
    const pts = subscriberCodecs(media);
    const cname = `edgeclass-${classKey}`;
    const msid = `class-${classKey}`;
    let audio: { ssrc: number; track: Track } | null = null;
    let video: { ssrc: number; track: Track } | null = null;
    for (const m of media) {
      if (m.direction === "sendonly" || m.direction === "inactive") continue;
      const ssrc = ((Math.random() * 0xfffffff0) >>> 0) + 1;
      if (m.kind === "audio" && !audio && pts.audioPt !== null) {
        const d = new Audio(m.mid, "SendOnly");
        d.addOpusCodec(pts.audioPt);
        d.addSSRC(ssrc, cname, msid, "audio");
        audio = { ssrc, track: this.pc.addTrack(d) };
      } else if (m.kind === "video" && !video && (pts.vp8Pt !== null || pts.h264Pt !== null)) {
        const d = new Video(m.mid, "SendOnly");
        if (pts.vp8Pt !== null) d.addVP8Codec(pts.vp8Pt);
        if (pts.h264Pt !== null) d.addH264Codec(pts.h264Pt, pts.h264Fmtp || undefined);
        d.addSSRC(ssrc, cname, msid, "video");
        video = { ssrc, track: this.pc.addTrack(d) };
      }
    }
    if (!audio && !video) throw new SdpError("offer has nothing we can send (recvonly Opus audio, VP8 or H.264 video)");
    // A throw inside a libdatachannel callback aborts the process: never let one escape.
    const sink = (t: Track) => ({
      send: (buf: Buffer) => {
        try {
          t.sendMessageBinary(buf);
        } catch {
          if (!this.closed) queueMicrotask(() => this.close("peer track closed"));
        }
      },
    });
    this.sub = new Subscriber(id, pts, {
      audio: audio ? { ssrc: audio.ssrc, sink: sink(audio.track) } : null,
      video: video ? { ssrc: video.ssrc, sink: sink(video.track) } : null,
    });
    for (const [kind, t] of [
      ["audio", audio],
      ["video", video],
    ] as const) {
      if (!t) continue;
      t.track.onOpen(() => {
        try {
          if (!this.closed) entry.room.onSubscriberOpen(this.sub, kind);
        } catch (e) {
          log.error({ err: e, worker: config.index }, "media worker: subscriber open");
        }
      });
      t.track.onMessage((msg: Buffer) => {
        if (this.closed) return;
        this.lastHeard = performance.now();
        try {
          if (isRtcp(msg)) entry.room.onSubscriberRtcp(this.sub, msg);
        } catch (e) {
          log.error({ err: e, worker: config.index }, "media worker: subscriber RTCP");
        }
      });
    }
    this.heartbeatTrack = video?.track ?? audio?.track ?? null;
    this.heartbeatSsrc = video?.ssrc ?? audio?.ssrc ?? 0;
    this.applyOffer(offer);
    entry.room.subscribers.set(id, this.sub);
  }

  /** An empty receiver report: while the teacher's video is off nothing else flows, and players
   *  tell a live SFU from a dead one (a media home killed) by traffic on the connection. */
  heartbeat(): void {
    if (this.closed || !this.connected || !this.heartbeatTrack) return;
    try {
      this.heartbeatTrack.sendMessageBinary(buildRr(this.heartbeatSsrc, []));
    } catch {
      // closing
    }
  }
  protected detach(): void {
    this.entry.room.subscribers.delete(this.id);
  }
}
