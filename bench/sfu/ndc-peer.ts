// Synthetic WebRTC peers on node-datachannel, for the SFU benchmark and the media tests:
// a publisher that sends VP8-shaped RTP at a 720p-like rate (keyframes on PLI) plus Opus-sized
// audio, and a subscriber that counts what arrives, detects gaps and measures delay.
// Signalling is WHIP/WHEP over fetch (any server following the same routes).

import ndc from "node-datachannel";
import type { PeerConnection, Track } from "node-datachannel";
import { fetchUnpooled } from "../../packages/server/src/http/fetch-unpooled.ts";

const { PeerConnection: PC, Audio, Video } = ndc;

const VIDEO_PT = 96;
const AUDIO_PT = 111;

/** Wall clock in microseconds, comparable across processes on one machine. */
function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

async function gathered(pc: PeerConnection): Promise<void> {
  if (pc.gatheringState() === "complete") return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 3000);
    pc.onGatheringStateChange((s) => {
      if (s === "complete") {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

/** A negotiation that ended without a track: the server's session, and whether a new connection is worth a try. */
class NotConnected extends Error {
  constructor(
    message: string,
    readonly location: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/**
 * Offers to a WHIP/WHEP URL, applies the answer and waits for the track to open. An answer
 * libdatachannel refuses, or a connection that fails before its track opens, ends it at once (worth
 * a retry); so does a close here, or no track in `timeoutMs` (not). No timer is left behind to
 * fail something later.
 */
async function negotiate(
  pc: PeerConnection,
  track: Track,
  url: string,
  signal: Signal,
  what: string,
  timeoutMs: number,
): Promise<{ sdp: string; location: string }> {
  pc.setLocalDescription();
  await gathered(pc);
  const offer = pc.localDescription();
  if (!offer) throw new Error("no offer");
  const ans = await signal.post(url, offer.sdp);
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => settle(new NotConnected(`${what} did not connect`, ans.location, false)), timeoutMs);
    track.onOpen(() => settle());
    pc.onStateChange((state) => {
      // "failed" is libdatachannel's (the race below); "closed" alone is this side's close().
      if (state === "failed") settle(new NotConnected("the connection failed before its track opened", ans.location, true));
      if (state === "closed") settle(new NotConnected(`${what} closed before its track opened`, ans.location, false));
    });
    try {
      pc.setRemoteDescription(ans.sdp, "answer");
    } catch (e) {
      settle(new NotConnected((e as Error).message, ans.location, true));
    }
  });
  return ans;
}

/** A peer whose connection can be built again. */
interface Renegotiable {
  readonly pc: PeerConnection;
  readonly video: Track;
  /** The server's resource URL of the session (set by negotiateRetrying, also when it fails). */
  location: string;
  /** Offers posted (set by negotiateRetrying). */
  offers: number;
  /** Closes the connection and builds a new one with the same tracks. */
  rebuild(): void;
}

/**
 * negotiate(), started again on a new connection when the answer is refused or the connection
 * fails before its track opens. Both come from a race in libdatachannel as an offerer (open
 * upstream as paullouisageneau/libdatachannel#1612): the server's connectivity checks reach this
 * peer before its answer is applied, so ICE connects while the answer goes in, DTLS starts before
 * the server's fingerprint is committed and fails its check ("DTLS alert: unknown CA"). Inside
 * setRemoteDescription that reads "remote candidate without ICE transport"; just after it, the
 * connection fails. The server is always the answerer, so only these peers meet it; a busy machine
 * widens the window, hence a pause that doubles between attempts. The refused session is deleted
 * first.
 */
async function negotiateRetrying(
  peer: Renegotiable,
  url: string,
  signal: Signal,
  what: string,
  timeoutMs: number,
): Promise<{ sdp: string; location: string }> {
  for (let attempt = 1; ; attempt++) {
    peer.offers = attempt;
    try {
      const ans = await negotiate(peer.pc, peer.video, url, signal, what, timeoutMs);
      peer.location = ans.location;
      return ans;
    } catch (e) {
      peer.location = e instanceof NotConnected ? e.location : "";
      if (!(e instanceof NotConnected && e.retry)) throw e;
      // Said, so a test that fails later shows what its peer went through.
      console.warn(`[ndc-peer] ${what}: attempt ${attempt} refused (${e.message})`);
      if (attempt === MAX_ATTEMPTS) throw e;
      await signal.remove(new URL(e.location, url).href).catch(() => {});
      await Bun.sleep(100 * 2 ** (attempt - 1));
      peer.rebuild();
    }
  }
}

/** Pauses of 0.1 s to 0.8 s between them (1.5 s in all): a CI run once saw three refusals in a row without pauses. */
const MAX_ATTEMPTS = 5;

export interface Signal {
  /** POST the offer, returns the answer and the resource URL. */
  post(url: string, sdp: string): Promise<{ sdp: string; location: string }>;
  /** DELETE a session's resource. */
  remove(url: string): Promise<void>;
}

/** WHIP/WHEP over fetch, with a bearer token when one is given. */
export function signalAs(token?: string): Signal {
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return {
    async post(url, sdp) {
      const res = await fetchUnpooled(url, { method: "POST", headers: { "content-type": "application/sdp", ...auth }, body: sdp });
      if (res.status !== 201) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      return { sdp: await res.text(), location: res.headers.get("location") ?? "" };
    },
    async remove(url) {
      await fetch(url, { method: "DELETE", headers: auth });
    },
  };
}

export const fetchSignal = signalAs();

export interface PublisherOptions {
  bitrateKbps: number;
  fps: number;
  keyframeEveryS: number;
  packetBytes: number;
}

export class SyntheticPublisher implements Renegotiable {
  pc!: PeerConnection;
  video!: Track;
  private audio!: Track;
  private timer: ReturnType<typeof setInterval> | null = null;
  private audioTimer: ReturnType<typeof setInterval> | null = null;
  private seq = (Math.random() * 0xffff) | 0;
  private aseq = (Math.random() * 0xffff) | 0;
  private ts = (Math.random() * 0xffffffff) >>> 0;
  private ats = (Math.random() * 0xffffffff) >>> 0;
  readonly vssrc = ((Math.random() * 0xfffffff0) >>> 0) + 1;
  readonly assrc = ((Math.random() * 0xfffffff0) >>> 0) + 1;
  private wantKeyframe = true;
  private frame = 0;
  packetsSent = 0;
  plisReceived = 0;
  /** RTCP messages (compound packets) the SFU sent on the video track: feedback of any kind. */
  rtcpReceived = 0;
  rembBps = 0;
  location = "";
  /** Offers the last connect() posted: more than one when an answer was refused (negotiateRetrying). */
  offers = 0;
  private open = false;
  /** Direct (SFU-less) receivers fed the same packets: the benchmark's delay baseline. */
  private readonly direct: { pc: PeerConnection; video: Track; audio: Track; open: boolean }[] = [];

  constructor(private readonly opts: PublisherOptions = { bitrateKbps: 1800, fps: 30, keyframeEveryS: 2, packetBytes: 1100 }) {
    this.build();
  }

  rebuild(): void {
    this.pc.close();
    this.build();
  }

  private build(): void {
    this.pc = new PC("pub", { iceServers: [] });
    ({ video: this.video, audio: this.audio } = this.sendTracks(this.pc));
    this.video.onMessage((m: Buffer) => {
      // RTCP from the SFU: PLI (206/1), REMB (206/15)
      this.rtcpReceived++;
      for (let o = 0; o + 4 <= m.length; ) {
        const len = (m.readUInt16BE(o + 2) + 1) * 4;
        if (m[o + 1] === 206 && (m[o] & 0x1f) === 1) {
          this.plisReceived++;
          this.wantKeyframe = true;
        } else if (m[o + 1] === 206 && (m[o] & 0x1f) === 15 && o + 20 <= m.length) {
          const exp = m[o + 17] >> 2;
          this.rembBps = (((m[o + 17] & 3) << 16) | (m[o + 18] << 8) | m[o + 19]) * 2 ** exp;
        }
        o += len;
      }
    });
  }

  async connect(url: string, signal: Signal = fetchSignal): Promise<void> {
    await negotiateRetrying(this, url, signal, "publisher", 10000);
    this.open = true;
  }

  start(): void {
    const { fps, bitrateKbps, packetBytes, keyframeEveryS } = this.opts;
    const frameBytes = Math.round((bitrateKbps * 1000) / 8 / fps);
    const perFrame = Math.max(1, Math.round(frameBytes / packetBytes));
    const buf = Buffer.alloc(12 + packetBytes);
    this.timer = setInterval(() => {
      if (!this.open) return;
      this.frame++;
      if (this.frame % (fps * keyframeEveryS) === 0) this.wantKeyframe = true;
      const key = this.wantKeyframe;
      this.wantKeyframe = false;
      this.ts = (this.ts + Math.round(90000 / fps)) >>> 0;
      for (let i = 0; i < perFrame; i++) {
        buf[0] = 0x80;
        buf[1] = (i === perFrame - 1 ? 0x80 : 0) | VIDEO_PT;
        buf.writeUInt16BE(this.seq, 2);
        this.seq = (this.seq + 1) & 0xffff;
        buf.writeUInt32BE(this.ts, 4);
        buf.writeUInt32BE(this.vssrc, 8);
        buf[12] = i === 0 ? 0x10 : 0x00; // VP8 descriptor: S bit on the first packet, PID 0
        buf[13] = key ? 0x00 : 0x01; // VP8 payload header P bit: 0 = keyframe
        buf.writeDoubleBE(nowUs(), 16);
        try {
          this.video.sendMessageBinary(buf);
          this.packetsSent++;
        } catch {
          return;
        }
        for (const d of this.direct) if (d.open) d.video.sendMessageBinary(buf);
      }
    }, 1000 / fps);
    const abuf = Buffer.alloc(12 + 120);
    this.audioTimer = setInterval(() => {
      if (!this.open) return;
      abuf[0] = 0x80;
      abuf[1] = AUDIO_PT;
      abuf.writeUInt16BE(this.aseq, 2);
      this.aseq = (this.aseq + 1) & 0xffff;
      this.ats = (this.ats + 960) >>> 0;
      abuf.writeUInt32BE(this.ats, 4);
      abuf.writeUInt32BE(this.assrc, 8);
      try {
        this.audio.sendMessageBinary(abuf);
        for (const d of this.direct) if (d.open) d.audio.sendMessageBinary(abuf);
      } catch {
        // closed
      }
    }, 20);
  }

  /** The publisher's VP8 video and Opus audio, sent with its SSRCs on a connection. */
  private sendTracks(pc: PeerConnection): { video: Track; audio: Track } {
    const v = new Video("0", "SendOnly");
    v.addVP8Codec(VIDEO_PT);
    v.addSSRC(this.vssrc, "synthetic", "pub", "video");
    const a = new Audio("1", "SendOnly");
    a.addOpusCodec(AUDIO_PT);
    a.addSSRC(this.assrc, "synthetic", "pub", "audio");
    return { video: pc.addTrack(v), audio: pc.addTrack(a) };
  }

  /** Answers a subscriber's offer with a direct connection that gets the same packets (no SFU). */
  async answerDirect(offer: string): Promise<string> {
    const pc = new PC("direct", { iceServers: [], disableAutoNegotiation: true });
    pc.setRemoteDescription(offer, "offer");
    const d = { pc, ...this.sendTracks(pc), open: false };
    d.video.onOpen(() => {
      d.open = true;
    });
    this.direct.push(d);
    pc.setLocalDescription("answer");
    await gathered(pc);
    return pc.localDescription()?.sdp ?? "";
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.audioTimer) clearInterval(this.audioTimer);
    this.open = false;
    for (const d of this.direct) d.pc.close();
    this.pc.close();
  }
}

export class CountingSubscriber implements Renegotiable {
  pc!: PeerConnection;
  video!: Track;
  private audio!: Track;
  videoPackets = 0;
  audioPackets = 0;
  videoBytes = 0;
  /** Sequence gaps seen on video (lost or reordered packets). */
  gaps = 0;
  /** Sequence numbers that went backwards by more than a reorder window (a restart). */
  seqJumps = 0;
  keyframes = 0;
  /** Packets per simulcast layer mark (SyntheticSimulcastPublisher puts its layer in each packet). */
  readonly layers = new Map<number, number>();
  /** The layer mark of the last video packet (-1: none yet). */
  lastLayer = -1;
  /** Fraction lost (0-255) this subscriber's receiver reports claim: drives its simulcast layer at the SFU. */
  reportedLoss = 0;
  /** Keyframe requests (PLI) this subscriber sent. */
  plisSent = 0;
  srs = 0;
  /** RTCP packets received on the video track (sender reports, the SFU's heartbeat). */
  rtcpPackets = 0;
  private lastSeq = -1;
  private lastTs = -1;
  tsBackwards = 0;
  vssrcs = new Set<number>();
  /** Delay samples (µs) from the publisher's send stamp to arrival. */
  readonly delays: number[] = [];
  sampleDelays = true;
  location = "";
  /** Offers the last connect() posted: more than one when an answer was refused (negotiateRetrying). */
  offers = 0;
  connected = false;
  private rrTimer: ReturnType<typeof setInterval> | null = null;
  private readonly rrSsrc = ((Math.random() * 0xfffffff0) >>> 0) + 1;

  /**
   * A probe inspects every packet in JS (gaps, delay). A sink (probe = false) leaves packets in
   * libdatachannel and is checked by bytes received only: the benchmark's client processes
   * would otherwise run out of CPU long before the SFU does.
   */
  constructor(
    private readonly name = "sub",
    readonly probe = true,
  ) {
    this.build();
  }

  rebuild(): void {
    this.pc.close();
    this.build();
  }

  private build(): void {
    const { name, probe } = this;
    this.pc = new PC(name, { iceServers: [] });
    const v = new Video("0", "RecvOnly");
    v.addVP8Codec(VIDEO_PT);
    const a = new Audio("1", "RecvOnly");
    a.addOpusCodec(AUDIO_PT);
    this.video = this.pc.addTrack(v);
    this.audio = this.pc.addTrack(a);
    if (!probe) return;
    this.video.onMessage((m: Buffer) => this.onVideo(m));
    this.audio.onMessage((m: Buffer) => {
      if (m[1] >= 192 && m[1] <= 223) return;
      this.audioPackets++;
    });
  }

  private onVideo(m: Buffer): void {
    const pt = m[1];
    if (pt >= 192 && pt <= 223) {
      this.rtcpPackets++;
      if (pt === 200) this.srs++;
      return;
    }
    this.videoPackets++;
    this.videoBytes += m.length;
    this.vssrcs.add(m.readUInt32BE(8));
    const seq = m.readUInt16BE(2);
    const ts = m.readUInt32BE(4);
    if (this.lastSeq >= 0) {
      const d = (seq - this.lastSeq) & 0xffff;
      if (d > 1 && d < 0x8000) this.gaps += d - 1;
      else if (d >= 0x8000) this.seqJumps++;
      const dt = (ts - this.lastTs) >>> 0;
      if (dt > 0x80000000) this.tsBackwards++;
    }
    this.lastSeq = seq;
    this.lastTs = ts;
    if (m.length >= 24 && m[12] & 0x10 && (m[13] & 1) === 0) this.keyframes++;
    if (this.sampleDelays && m.length >= 24) this.delays.push(nowUs() - m.readDoubleBE(16));
    if (m.length >= 25) {
      this.lastLayer = m[24];
      this.layers.set(m[24], (this.layers.get(m[24]) ?? 0) + 1);
    }
  }

  /** Asks the SFU for a keyframe (a PLI on the video SSRC it sends us), as a browser does after loss. */
  requestKeyframe(): void {
    const media = [...this.vssrcs].pop();
    if (media === undefined) return;
    const pli = Buffer.alloc(12);
    pli[0] = 0x81; // V=2, FMT=1 (PLI)
    pli[1] = 206;
    pli.writeUInt16BE(2, 2);
    pli.writeUInt32BE(this.rrSsrc, 4);
    pli.writeUInt32BE(media, 8);
    try {
      this.video.sendMessageBinary(pli);
      this.plisSent++;
    } catch {
      // closed
    }
  }

  async connect(url: string, signal: Signal = fetchSignal): Promise<void> {
    const ans = await negotiateRetrying(this, url, signal, "subscriber", 15000);
    const videoSection = ans.sdp.split("m=video")[1]?.split("\nm=")[0] ?? "";
    this.connected = true;
    this.announced = Number(/a=ssrc:(\d+)/.exec(videoSection)?.[1] ?? 0) >>> 0;
    // Receiver reports once a second, as a browser does (the SFU also uses them as liveness).
    this.rrTimer = setInterval(() => this.sendReceiverReport(), 1000);
  }

  private announced = 0;
  private readonly rr = Buffer.alloc(32);

  /** A receiver report on the video the SFU sends us (fraction lost: `reportedLoss`). */
  sendReceiverReport(): void {
    const rr = this.rr;
    // Report on the SSRC the SFU announced (a sink never looks at packets): libdatachannel routes
    // RTCP by SSRC, and an RR about an unknown one never reaches the SFU's track.
    const media = [...this.vssrcs].pop() ?? this.announced;
    rr[0] = 0x81;
    rr[1] = 201;
    rr.writeUInt16BE(7, 2);
    rr.writeUInt32BE(this.rrSsrc, 4);
    rr.writeUInt32BE(media, 8);
    rr[12] = this.reportedLoss;
    rr.writeUInt32BE(this.lastSeq < 0 ? 0 : this.lastSeq, 16);
    try {
      this.video.sendMessageBinary(rr);
    } catch {
      // closed
    }
  }

  bytesReceived(): number {
    try {
      return this.pc.bytesReceived();
    } catch {
      return 0;
    }
  }

  close(): void {
    if (this.rrTimer) clearInterval(this.rrTimer);
    this.pc.close();
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const a = [...values].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.floor(a.length * p))];
}

/** A WHIP signal whose offers announce rid simulcast (as Chrome's, with no SSRCs) before they are sent. */
function simulcastSignal(signal: Signal, rids: string[], midExt: number, ridExt: number): Signal {
  return {
    post(url, sdp) {
      const lines = sdp.split("\r\n").filter((l) => !l.startsWith("a=ssrc:") && !l.startsWith("a=msid:"));
      const extra = [
        `a=extmap:${midExt} urn:ietf:params:rtp-hdrext:sdes:mid`,
        `a=extmap:${ridExt} urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id`,
        ...rids.map((r) => `a=rid:${r} send`),
        `a=simulcast:send ${rids.join(";")}`,
      ];
      const end = lines.at(-1) === "" ? lines.length - 1 : lines.length;
      return signal.post(url, [...lines.slice(0, end), ...extra, ...lines.slice(end)].join("\r\n"));
    },
    remove: (url) => signal.remove(url),
  };
}

/**
 * A simulcast teacher, video only on its own connection (as the web page publishes): three layers
 * (rids l, m, h; smallest first, as Chrome orders them), each with its own SSRC, the RID header
 * extension on every packet, and its layer number in each packet's payload (byte 12 after the
 * VP8 descriptor) so a CountingSubscriber can tell which layer reaches it. A PLI makes every
 * layer send a keyframe.
 */
export class SyntheticSimulcastPublisher implements Renegotiable {
  pc!: PeerConnection;
  video!: Track;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly rids = ["l", "m", "h"];
  readonly ssrcs = this.rids.map(() => ((Math.random() * 0xfffffff0) >>> 0) + 1);
  private readonly seqs = this.rids.map(() => (Math.random() * 0xffff) | 0);
  private ts = (Math.random() * 0xffffffff) >>> 0;
  private wantKeyframe = true;
  private frame = 0;
  private open = false;
  plisReceived = 0;
  location = "";
  /** Offers the last connect() posted: more than one when an answer was refused (negotiateRetrying). */
  offers = 0;

  constructor() {
    this.build();
  }

  rebuild(): void {
    this.pc.close();
    this.build();
  }

  private build(): void {
    this.pc = new PC("simulcast", { iceServers: [] });
    const v = new Video("0", "SendOnly");
    v.addVP8Codec(VIDEO_PT);
    this.video = this.pc.addTrack(v);
    this.video.onMessage((m: Buffer) => {
      for (let o = 0; o + 4 <= m.length; ) {
        if (m[o + 1] === 206 && (m[o] & 0x1f) === 1) {
          this.plisReceived++;
          this.wantKeyframe = true;
        }
        o += (m.readUInt16BE(o + 2) + 1) * 4;
      }
    });
  }

  async connect(url: string, signal: Signal = fetchSignal): Promise<void> {
    await negotiateRetrying(this, url, simulcastSignal(signal, this.rids, 4, 10), "simulcast publisher", 10000);
    this.open = true;
  }

  /** 30 frames a second: 1, 2 and 3 packets of 600 bytes per frame for layers l, m, h. */
  start(): void {
    const buf = Buffer.alloc(12 + 8 + 600);
    this.timer = setInterval(() => {
      if (!this.open) return;
      this.frame++;
      if (this.frame % 60 === 0) this.wantKeyframe = true;
      const key = this.wantKeyframe;
      this.wantKeyframe = false;
      this.ts = (this.ts + 3000) >>> 0;
      for (let layer = 0; layer < this.rids.length; layer++) {
        const n = layer + 1;
        for (let i = 0; i < n; i++) {
          buf[0] = 0x90; // V=2, X=1
          buf[1] = (i === n - 1 ? 0x80 : 0) | VIDEO_PT;
          buf.writeUInt16BE(this.seqs[layer], 2);
          this.seqs[layer] = (this.seqs[layer] + 1) & 0xffff;
          buf.writeUInt32BE(this.ts, 4);
          buf.writeUInt32BE(this.ssrcs[layer], 8);
          // One-byte header extension: the RID (id 10, one character), padded to a word.
          buf.writeUInt16BE(0xbede, 12);
          buf.writeUInt16BE(1, 14);
          buf[16] = (10 << 4) | 0;
          buf[17] = this.rids[layer].charCodeAt(0);
          buf[18] = 0;
          buf[19] = 0;
          buf[20] = i === 0 ? 0x10 : 0x00;
          buf[21] = key ? 0x00 : 0x01;
          buf.writeDoubleBE(nowUs(), 24);
          buf[32] = layer;
          try {
            this.video.sendMessageBinary(buf);
          } catch {
            return;
          }
        }
      }
    }, 1000 / 30);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.open = false;
    this.pc.close();
  }
}
