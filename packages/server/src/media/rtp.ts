// RTP/RTCP helpers for the forwarding hot path. Pure functions over Uint8Array/Buffer:
// no allocation on the per-packet rewrite path, small allocations for RTCP we generate.

const RTCP_SR = 200;
const RTCP_RR = 201;
const RTCP_RTPFB = 205; // transport feedback: fmt 1 = generic NACK
const RTCP_PSFB = 206; // payload-specific: fmt 1 = PLI, fmt 4 = FIR, fmt 15 = REMB (AFB)

/** RTCP packet types live in 192..223 on the second byte (RFC 5761 demux). */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < 4) return false;
  const pt = buf[1];
  return pt >= 192 && pt <= 223;
}

export function rtpSsrc(b: Uint8Array): number {
  return ((b[8] << 24) | (b[9] << 16) | (b[10] << 8) | b[11]) >>> 0;
}
export function rtpSeq(b: Uint8Array): number {
  return (b[2] << 8) | b[3];
}
export function rtpTimestamp(b: Uint8Array): number {
  return ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
}

/** Offset of the RTP payload (after CSRCs and header extension), or -1 if malformed. */
function rtpPayloadOffset(b: Uint8Array): number {
  if (b.length < 12 || b[0] >> 6 !== 2) return -1;
  let off = 12 + (b[0] & 0x0f) * 4;
  if (b[0] & 0x10) {
    if (b.length < off + 4) return -1;
    const words = (b[off + 2] << 8) | b[off + 3];
    off += 4 + words * 4;
  }
  return off <= b.length ? off : -1;
}

/** Length without RTP padding. */
function rtpPayloadEnd(b: Uint8Array): number {
  if (b[0] & 0x20) return b.length - b[b.length - 1];
  return b.length;
}

/** Rewrites payload type, sequence number, timestamp and SSRC in place. */
export function writeRtpHeader(b: Uint8Array, pt: number, seq: number, ts: number, ssrc: number): void {
  b[1] = (b[1] & 0x80) | (pt & 0x7f);
  b[2] = (seq >>> 8) & 0xff;
  b[3] = seq & 0xff;
  b[4] = (ts >>> 24) & 0xff;
  b[5] = (ts >>> 16) & 0xff;
  b[6] = (ts >>> 8) & 0xff;
  b[7] = ts & 0xff;
  b[8] = (ssrc >>> 24) & 0xff;
  b[9] = (ssrc >>> 16) & 0xff;
  b[10] = (ssrc >>> 8) & 0xff;
  b[11] = ssrc & 0xff;
}

/**
 * Copy of an RTP packet without its header extension (the ids negotiated with the
 * publisher mean nothing to a subscriber). Returns the input when it has none.
 */
export function stripHeaderExtension(b: Buffer): Buffer {
  if (!(b[0] & 0x10)) return b;
  const csrcEnd = 12 + (b[0] & 0x0f) * 4;
  if (b.length < csrcEnd + 4) return b;
  const words = (b[csrcEnd + 2] << 8) | b[csrcEnd + 3];
  const extEnd = csrcEnd + 4 + words * 4;
  if (extEnd > b.length) return b;
  const out = Buffer.allocUnsafe(b.length - (extEnd - csrcEnd));
  b.copy(out, 0, 0, csrcEnd);
  b.copy(out, csrcEnd, extEnd);
  out[0] &= ~0x10;
  return out;
}

/** Value of a one-byte (RFC 8285 0xBEDE) header extension element as a string, or null. */
export function rtpExtensionString(b: Uint8Array, id: number): string | null {
  if (!(b[0] & 0x10) || id <= 0 || id > 14) return null;
  const start = 12 + (b[0] & 0x0f) * 4;
  if (b.length < start + 4 || b[start] !== 0xbe || b[start + 1] !== 0xde) return null;
  const end = start + 4 + ((b[start + 2] << 8) | b[start + 3]) * 4;
  if (end > b.length) return null;
  let p = start + 4;
  while (p < end) {
    const h = b[p];
    if (h === 0) {
      p++; // padding
      continue;
    }
    const eid = h >> 4;
    const len = (h & 0x0f) + 1;
    if (eid === 15) return null;
    if (eid === id) return String.fromCharCode(...b.subarray(p + 1, p + 1 + len));
    p += 1 + len;
  }
  return null;
}

/** True when this packet starts a video keyframe (VP8 or H.264), decided from the payload. */
export function isKeyframeStart(b: Uint8Array, codec: VideoCodec): boolean {
  const off = rtpPayloadOffset(b);
  if (off < 0) return false;
  const end = rtpPayloadEnd(b);
  if (end - off < 2) return false;
  if (codec === "VP8") return vp8KeyframeStart(b, off, end);
  return h264KeyframeStart(b, off, end);
}

export type VideoCodec = "VP8" | "H264";

function vp8KeyframeStart(b: Uint8Array, off: number, end: number): boolean {
  // RFC 7741 payload descriptor.
  const d0 = b[off];
  const start = (d0 & 0x10) !== 0;
  const pid = d0 & 0x07;
  if (!start || pid !== 0) return false;
  let p = off + 1;
  if (d0 & 0x80) {
    const x = b[p++];
    if (x & 0x80) p += b[p] & 0x80 ? 2 : 1; // PictureID, M bit -> 15 bits
    if (x & 0x40) p += 1; // TL0PICIDX
    if (x & 0x30) p += 1; // TID/KEYIDX
  }
  if (p >= end) return false;
  return (b[p] & 0x01) === 0; // P bit of the VP8 payload header: 0 = keyframe
}

/** Width and height from the first packet of a VP8 keyframe, or null. */
export function vp8KeyframeSize(b: Uint8Array): { width: number; height: number } | null {
  const off = rtpPayloadOffset(b);
  if (off < 0) return null;
  const d0 = b[off];
  let p = off + 1;
  if (d0 & 0x80) {
    const x = b[p++];
    if (x & 0x80) p += b[p] & 0x80 ? 2 : 1;
    if (x & 0x40) p += 1;
    if (x & 0x30) p += 1;
  }
  if (p + 10 > b.length || (b[p] & 0x01) !== 0) return null;
  // 3-byte frame tag, 3-byte start code 9d 01 2a, then 14-bit width and height.
  if (b[p + 3] !== 0x9d || b[p + 4] !== 0x01 || b[p + 5] !== 0x2a) return null;
  const width = (b[p + 6] | (b[p + 7] << 8)) & 0x3fff;
  const height = (b[p + 8] | (b[p + 9] << 8)) & 0x3fff;
  return { width, height };
}

function h264KeyframeStart(b: Uint8Array, off: number, end: number): boolean {
  const nal = b[off] & 0x1f;
  if (nal === 7 || nal === 5) return true; // SPS or IDR slice
  if (nal === 24) {
    // STAP-A: look at the aggregated NAL units.
    let p = off + 1;
    while (p + 2 < end) {
      const size = (b[p] << 8) | b[p + 1];
      const t = b[p + 2] & 0x1f;
      if (t === 7 || t === 5) return true;
      p += 2 + size;
    }
    return false;
  }
  if (nal === 28) {
    // FU-A: start bit and the fragmented NAL type.
    const fu = b[off + 1];
    return (fu & 0x80) !== 0 && ((fu & 0x1f) === 5 || (fu & 0x1f) === 7);
  }
  return false;
}

// ---------------------------------------------------------------- RTCP builders

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Picture Loss Indication (RFC 4585). */
export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x81;
  b[1] = RTCP_PSFB;
  b[3] = 2;
  writeU32(b, 4, senderSsrc);
  writeU32(b, 8, mediaSsrc);
  return b;
}

/** Generic NACK (RFC 4585) for the given sequence numbers. */
export function buildNack(senderSsrc: number, mediaSsrc: number, seqs: readonly number[]): Buffer {
  const fci: [number, number][] = [];
  for (const seq of seqs) {
    const last = fci[fci.length - 1];
    const d = last ? (seq - last[0]) & 0xffff : 0;
    if (last && d >= 1 && d <= 16) last[1] |= 1 << (d - 1);
    else fci.push([seq & 0xffff, 0]);
  }
  const b = Buffer.alloc(12 + 4 * fci.length);
  b[0] = 0x81;
  b[1] = RTCP_RTPFB;
  const words = b.length / 4 - 1;
  b[2] = words >> 8;
  b[3] = words & 0xff;
  writeU32(b, 4, senderSsrc);
  writeU32(b, 8, mediaSsrc);
  fci.forEach(([pid, blp], i) => {
    b[12 + 4 * i] = pid >> 8;
    b[13 + 4 * i] = pid & 0xff;
    b[14 + 4 * i] = blp >> 8;
    b[15 + 4 * i] = blp & 0xff;
  });
  return b;
}

/** Receiver Estimated Max Bitrate (draft-alvestrand-rmcat-remb). */
export function buildRemb(senderSsrc: number, bitrate: number, ssrcs: readonly number[]): Buffer {
  const n = ssrcs.length;
  const b = Buffer.alloc(20 + 4 * n);
  b[0] = 0x8f; // fmt 15
  b[1] = RTCP_PSFB;
  const words = b.length / 4 - 1;
  b[2] = words >> 8;
  b[3] = words & 0xff;
  writeU32(b, 4, senderSsrc);
  writeU32(b, 8, 0);
  b[12] = 0x52; // 'R' 'E' 'M' 'B'
  b[13] = 0x45;
  b[14] = 0x4d;
  b[15] = 0x42;
  let exp = 0;
  let mantissa = Math.max(0, Math.floor(bitrate));
  while (mantissa > 0x3ffff) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  b[16] = n;
  b[17] = (exp << 2) | ((mantissa >> 16) & 0x03);
  b[18] = (mantissa >> 8) & 0xff;
  b[19] = mantissa & 0xff;
  for (let i = 0; i < n; i++) writeU32(b, 20 + 4 * i, ssrcs[i]);
  return b;
}

export interface ReceptionStats {
  ssrc: number;
  fractionLost: number; // 0..255
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  lastSr: number; // middle 32 bits of the last SR's NTP time
  delaySinceLastSr: number; // 1/65536 s
}

/** Receiver Report with one block per received stream. */
export function buildRr(senderSsrc: number, blocks: readonly ReceptionStats[]): Buffer {
  const b = Buffer.alloc(8 + 24 * blocks.length);
  b[0] = 0x80 | blocks.length;
  b[1] = RTCP_RR;
  const words = b.length / 4 - 1;
  b[2] = words >> 8;
  b[3] = words & 0xff;
  writeU32(b, 4, senderSsrc);
  let o = 8;
  for (const r of blocks) {
    writeU32(b, o, r.ssrc);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)) & 0xffffff;
    writeU32(b, o + 4, ((r.fractionLost & 0xff) << 24) | lost);
    writeU32(b, o + 8, r.extendedHighestSeq);
    writeU32(b, o + 12, r.jitter);
    writeU32(b, o + 16, r.lastSr);
    writeU32(b, o + 20, r.delaySinceLastSr);
    o += 24;
  }
  return b;
}

/** Sender Report without report blocks. */
export function buildSr(ssrc: number, ntpSec: number, ntpFrac: number, rtpTs: number, packets: number, octets: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = RTCP_SR;
  b[3] = 6;
  writeU32(b, 4, ssrc);
  writeU32(b, 8, ntpSec);
  writeU32(b, 12, ntpFrac);
  writeU32(b, 16, rtpTs);
  writeU32(b, 20, packets);
  writeU32(b, 24, octets);
  return b;
}

// ---------------------------------------------------------------- RTCP parsing

export type RtcpEvent =
  | { kind: "sr"; ssrc: number; ntpSec: number; ntpFrac: number; rtpTs: number }
  | { kind: "pli"; mediaSsrc: number }
  | { kind: "fir"; mediaSsrc: number }
  | { kind: "nack"; mediaSsrc: number; seqs: number[] }
  | { kind: "remb"; bitrate: number; ssrcs: number[] }
  /** One report block of an SR/RR: loss seen by the sender of the report for `ssrc`. */
  | { kind: "rr"; ssrc: number; fractionLost: number };

/** Walks a compound RTCP packet and reports the parts the SFU acts on. */
export function parseRtcp(b: Uint8Array, onEvent: (e: RtcpEvent) => void): void {
  let o = 0;
  while (o + 4 <= b.length) {
    const fmt = b[o] & 0x1f;
    const pt = b[o + 1];
    const len = (((b[o + 2] << 8) | b[o + 3]) + 1) * 4;
    if (b[o] >> 6 !== 2 || o + len > b.length) return;
    if (pt === RTCP_SR && len >= 28) {
      onEvent({ kind: "sr", ssrc: readU32(b, o + 4), ntpSec: readU32(b, o + 8), ntpFrac: readU32(b, o + 12), rtpTs: readU32(b, o + 16) });
      for (let i = 0, p = o + 28; i < fmt && p + 24 <= o + len; i++, p += 24)
        onEvent({ kind: "rr", ssrc: readU32(b, p), fractionLost: b[p + 4] });
    } else if (pt === RTCP_RR && len >= 8) {
      for (let i = 0, p = o + 8; i < fmt && p + 24 <= o + len; i++, p += 24)
        onEvent({ kind: "rr", ssrc: readU32(b, p), fractionLost: b[p + 4] });
    } else if (pt === RTCP_PSFB && len >= 12) {
      const mediaSsrc = readU32(b, o + 8);
      if (fmt === 1) onEvent({ kind: "pli", mediaSsrc });
      else if (fmt === 4) {
        // FIR: the media SSRC lives in the FCI entries.
        for (let p = o + 12; p + 8 <= o + len; p += 8) onEvent({ kind: "fir", mediaSsrc: readU32(b, p) });
      } else if (fmt === 15 && len >= 20 && b[o + 12] === 0x52 && b[o + 13] === 0x45 && b[o + 14] === 0x4d && b[o + 15] === 0x42) {
        const n = b[o + 16];
        const exp = b[o + 17] >> 2;
        const mantissa = ((b[o + 17] & 0x03) << 16) | (b[o + 18] << 8) | b[o + 19];
        const ssrcs: number[] = [];
        for (let i = 0; i < n && o + 20 + 4 * i + 4 <= o + len; i++) ssrcs.push(readU32(b, o + 20 + 4 * i));
        onEvent({ kind: "remb", bitrate: mantissa * 2 ** exp, ssrcs });
      }
    } else if (pt === RTCP_RTPFB && fmt === 1 && len >= 16) {
      const mediaSsrc = readU32(b, o + 8);
      const seqs: number[] = [];
      for (let p = o + 12; p + 4 <= o + len; p += 4) {
        const pid = (b[p] << 8) | b[p + 1];
        const blp = (b[p + 2] << 8) | b[p + 3];
        seqs.push(pid);
        for (let i = 0; i < 16; i++) if (blp & (1 << i)) seqs.push((pid + i + 1) & 0xffff);
      }
      onEvent({ kind: "nack", mediaSsrc, seqs });
    }
    o += len;
  }
}
