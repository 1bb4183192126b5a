// Just enough STUN (RFC 8489) to read and re-sign an ICE connectivity check: attribute walk,
// MESSAGE-INTEGRITY (HMAC-SHA1 with the receiving agent's ice-pwd) and FINGERPRINT (CRC-32).
import { createHmac, timingSafeEqual } from "node:crypto";

export const MAGIC = 0x2112a442;
export const BINDING_REQUEST = 0x0001;
export const BINDING_SUCCESS = 0x0101;
export const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
} as const;

export function isStun(b: Uint8Array): boolean {
  return b.length >= 20 && (b[0] & 0xc0) === 0 && ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0 === MAGIC;
}

/** Each attribute's type and value offset/length, in order. */
export function attributes(b: Buffer): { type: number; at: number; len: number }[] {
  const out: { type: number; at: number; len: number }[] = [];
  const end = Math.min(b.length, 20 + b.readUInt16BE(2));
  for (let o = 20; o + 4 <= end; ) {
    const type = b.readUInt16BE(o);
    const len = b.readUInt16BE(o + 2);
    out.push({ type, at: o + 4, len });
    o += 4 + ((len + 3) & ~3);
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The HMAC-SHA1 MESSAGE-INTEGRITY of `b` as it would be with `password` (null without the attribute). */
function integrity(b: Buffer, password: string): { at: number; mac: Buffer } | null {
  const mi = attributes(b).find((a) => a.type === ATTR.MESSAGE_INTEGRITY && a.len === 20);
  if (!mi) return null;
  const total = b.readUInt16BE(2);
  b.writeUInt16BE(mi.at, 2); // the header is not counted: through the 20-byte HMAC
  const mac = createHmac("sha1", password)
    .update(b.subarray(0, mi.at - 4))
    .digest();
  b.writeUInt16BE(total, 2);
  return { at: mi.at, mac };
}

/** True when the message carries a MESSAGE-INTEGRITY made with `password`. */
export function verify(b: Buffer, password: string): boolean {
  const i = integrity(b, password);
  return i !== null && timingSafeEqual(i.mac, b.subarray(i.at, i.at + 20));
}

/**
 * Writes MESSAGE-INTEGRITY and FINGERPRINT again after the message was changed: the HMAC covers the
 * message up to the integrity attribute with the length field counting through it (RFC 8489 14.5),
 * the CRC everything before FINGERPRINT with the length counting through FINGERPRINT.
 */
export function resign(b: Buffer, password: string): void {
  const i = integrity(b, password);
  if (i) i.mac.copy(b, i.at);
  const fp = attributes(b).find((a) => a.type === ATTR.FINGERPRINT);
  if (fp) b.writeUInt32BE((crc32(b.subarray(0, fp.at - 4)) ^ 0x5354554e) >>> 0, fp.at);
}

/** The USERNAME of a check ("<receiver ufrag>:<sender ufrag>"), or null. */
export function username(b: Buffer): string | null {
  const u = attributes(b).find((a) => a.type === ATTR.USERNAME);
  return u ? b.toString("utf8", u.at, u.at + u.len) : null;
}

/**
 * A check whose ICE-CONTROLLING or ICE-CONTROLLED tiebreaker is 0 gets 1 instead, re-signed with
 * the receiver's password (`password`), only when it was signed with that password already (else
 * re-signing would vouch for a forged check). True when it was changed.
 */
export function fixZeroTiebreaker(b: Buffer, password: string): boolean {
  const role = attributes(b).find((a) => (a.type === ATTR.ICE_CONTROLLING || a.type === ATTR.ICE_CONTROLLED) && a.len === 8);
  if (!role || b.readBigUInt64BE(role.at) !== 0n || !verify(b, password)) return false;
  b.writeBigUInt64BE(1n, role.at);
  resign(b, password);
  return true;
}

/** A success response's XOR-MAPPED-ADDRESS set to `ip:port` (IPv4), re-signed. True when it was changed. */
export function setMappedAddress(b: Buffer, ip: string, port: number, password: string): boolean {
  const xma = attributes(b).find((a) => a.type === ATTR.XOR_MAPPED_ADDRESS && a.len === 8);
  const octets = ip.split(".").map(Number);
  if (!xma || b[xma.at + 1] !== 0x01 || octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) return false;
  b.writeUInt16BE(port ^ (MAGIC >>> 16), xma.at + 2);
  b.writeUInt32BE((((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) ^ MAGIC) >>> 0, xma.at + 4);
  resign(b, password);
  return true;
}
