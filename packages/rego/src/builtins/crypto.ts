/**
 * Hashes in pure TypeScript (no Web Crypto): crypto.md5 crypto.sha1 crypto.sha256,
 * crypto.hmac.{md5,sha1,sha256,sha512}, crypto.hmac.equal.
 * Inputs are UTF-8 encoded; outputs are lowercase hex. x509/JWT/RSA builtins are not provided.
 */
import type { Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { def, str, utf8Encode } from "./util.ts";

type Hash = { fn: (m: Uint8Array) => Uint8Array; block: number };

function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Merkle–Damgård padding with a 64- or 128-bit length (big or little endian). */
function pad(m: Uint8Array, block: number, lenBytes: number, littleEndian: boolean): Uint8Array {
  const total = Math.ceil((m.length + 1 + lenBytes) / block) * block;
  const out = new Uint8Array(total);
  out.set(m);
  out[m.length] = 0x80;
  const bitLen = BigInt(m.length) * 8n;
  for (let i = 0; i < 8; i++) {
    const byte = Number((bitLen >> BigInt(8 * i)) & 0xffn);
    if (littleEndian) out[m.length + 1 + (total - m.length - 1 - lenBytes) + i] = byte;
    else out[total - 1 - i] = byte;
  }
  return out;
}

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));
const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

function md5(m: Uint8Array): Uint8Array {
  const S = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4,
    11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
  ];
  const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
  const p = pad(m, 64, 8, true);
  const dv = new DataView(p.buffer);
  let a0 = 0x67452301,
    b0 = 0xefcdab89,
    c0 = 0x98badcfe,
    d0 = 0x10325476;
  for (let off = 0; off < p.length; off += 64) {
    let A = a0,
      B = b0,
      C = c0,
      D = d0;
    for (let i = 0; i < 64; i++) {
      let F: number, g: number;
      if (i < 16) {
        F = (B & C) | (~B & D);
        g = i;
      } else if (i < 32) {
        F = (D & B) | (~D & C);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        F = B ^ C ^ D;
        g = (3 * i + 5) % 16;
      } else {
        F = C ^ (B | ~D);
        g = (7 * i) % 16;
      }
      F = (F + A + K[i]! + dv.getUint32(off + g * 4, true)) | 0;
      A = D;
      D = C;
      C = B;
      B = (B + rotl(F, S[i]!)) | 0;
    }
    a0 = (a0 + A) | 0;
    b0 = (b0 + B) | 0;
    c0 = (c0 + C) | 0;
    d0 = (d0 + D) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  [a0, b0, c0, d0].forEach((x, i) => ov.setUint32(i * 4, x, true));
  return out;
}

function sha1(m: Uint8Array): Uint8Array {
  const p = pad(m, 64, 8, false);
  const dv = new DataView(p.buffer);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Int32Array(80);
  for (let off = 0; off < p.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!, 1);
    let [a, b, c, d, e] = h as [number, number, number, number, number];
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (rotl(a, 5) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
  }
  const out = new Uint8Array(20);
  const ov = new DataView(out.buffer);
  h.forEach((x, i) => ov.setUint32(i * 4, x >>> 0));
  return out;
}

const K256 = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

function sha256(m: Uint8Array): Uint8Array {
  const p = pad(m, 64, 8, false);
  const dv = new DataView(p.buffer);
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const w = new Int32Array(64);
  for (let off = 0; off < p.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getInt32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15]!, 7) ^ rotr(w[i - 15]!, 18) ^ (w[i - 15]! >>> 3);
      const s1 = rotr(w[i - 2]!, 17) ^ rotr(w[i - 2]!, 19) ^ (w[i - 2]! >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K256[i]! + w[i]!) | 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    const add = [a, b, c, d, e, f, g, hh];
    for (let i = 0; i < 8; i++) h[i] = (h[i]! + add[i]!) | 0;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  h.forEach((x, i) => ov.setUint32(i * 4, x >>> 0));
  return out;
}

// SHA-512 on pairs of 32-bit words (hi, lo): BigInt would be ~100x slower.
const K512 = [
  "428a2f98d728ae22",
  "7137449123ef65cd",
  "b5c0fbcfec4d3b2f",
  "e9b5dba58189dbbc",
  "3956c25bf348b538",
  "59f111f1b605d019",
  "923f82a4af194f9b",
  "ab1c5ed5da6d8118",
  "d807aa98a3030242",
  "12835b0145706fbe",
  "243185be4ee4b28c",
  "550c7dc3d5ffb4e2",
  "72be5d74f27b896f",
  "80deb1fe3b1696b1",
  "9bdc06a725c71235",
  "c19bf174cf692694",
  "e49b69c19ef14ad2",
  "efbe4786384f25e3",
  "0fc19dc68b8cd5b5",
  "240ca1cc77ac9c65",
  "2de92c6f592b0275",
  "4a7484aa6ea6e483",
  "5cb0a9dcbd41fbd4",
  "76f988da831153b5",
  "983e5152ee66dfab",
  "a831c66d2db43210",
  "b00327c898fb213f",
  "bf597fc7beef0ee4",
  "c6e00bf33da88fc2",
  "d5a79147930aa725",
  "06ca6351e003826f",
  "142929670a0e6e70",
  "27b70a8546d22ffc",
  "2e1b21385c26c926",
  "4d2c6dfc5ac42aed",
  "53380d139d95b3df",
  "650a73548baf63de",
  "766a0abb3c77b2a8",
  "81c2c92e47edaee6",
  "92722c851482353b",
  "a2bfe8a14cf10364",
  "a81a664bbc423001",
  "c24b8b70d0f89791",
  "c76c51a30654be30",
  "d192e819d6ef5218",
  "d69906245565a910",
  "f40e35855771202a",
  "106aa07032bbd1b8",
  "19a4c116b8d2d0c8",
  "1e376c085141ab53",
  "2748774cdf8eeb99",
  "34b0bcb5e19b48a8",
  "391c0cb3c5c95a63",
  "4ed8aa4ae3418acb",
  "5b9cca4f7763e373",
  "682e6ff3d6b2b8a3",
  "748f82ee5defb2fc",
  "78a5636f43172f60",
  "84c87814a1f0ab72",
  "8cc702081a6439ec",
  "90befffa23631e28",
  "a4506cebde82bde9",
  "bef9a3f7b2c67915",
  "c67178f2e372532b",
  "ca273eceea26619c",
  "d186b8c721c0c207",
  "eada7dd6cde0eb1e",
  "f57d4f7fee6ed178",
  "06f067aa72176fba",
  "0a637dc5a2c898a6",
  "113f9804bef90dae",
  "1b710b35131c471b",
  "28db77f523047d84",
  "32caab7b40c72493",
  "3c9ebe0a15c9bebc",
  "431d67c49c100d4c",
  "4cc5d4becb3e42b6",
  "597f299cfc657e2a",
  "5fcb6fab3ad6faec",
  "6c44198c4a475817",
];
const K512_HI = Uint32Array.from(K512, (x) => parseInt(x.slice(0, 8), 16));
const K512_LO = Uint32Array.from(K512, (x) => parseInt(x.slice(8), 16));

const SHA512_IV = [
  "6a09e667f3bcc908",
  "bb67ae8584caa73b",
  "3c6ef372fe94f82b",
  "a54ff53a5f1d36f1",
  "510e527fade682d1",
  "9b05688c2b3e6c1f",
  "1f83d9abfb41bd6b",
  "5be0cd19137e2179",
];

/** SHA-512 (or SHA-384 with its IV) over 32-bit halves. */
function sha512(m: Uint8Array, iv: readonly string[] = SHA512_IV): Uint8Array {
  const p = pad(m, 128, 16, false);
  const dv = new DataView(p.buffer);
  const hh = Uint32Array.from(iv, (x) => parseInt(x.slice(0, 8), 16));
  const hl = Uint32Array.from(iv, (x) => parseInt(x.slice(8), 16));
  const wh = new Uint32Array(80),
    wl = new Uint32Array(80);
  for (let off = 0; off < p.length; off += 128) {
    for (let i = 0; i < 16; i++) {
      wh[i] = dv.getUint32(off + i * 8);
      wl[i] = dv.getUint32(off + i * 8 + 4);
    }
    for (let i = 16; i < 80; i++) {
      // s0 = rotr1 ^ rotr8 ^ shr7 of w[i-15]; s1 = rotr19 ^ rotr61 ^ shr6 of w[i-2]
      let h = wh[i - 15]!,
        l = wl[i - 15]!;
      const s0h = ((h >>> 1) | (l << 31)) ^ ((h >>> 8) | (l << 24)) ^ (h >>> 7);
      const s0l = ((l >>> 1) | (h << 31)) ^ ((l >>> 8) | (h << 24)) ^ ((l >>> 7) | (h << 25));
      h = wh[i - 2]!;
      l = wl[i - 2]!;
      const s1h = ((h >>> 19) | (l << 13)) ^ ((l >>> 29) | (h << 3)) ^ (h >>> 6);
      const s1l = ((l >>> 19) | (h << 13)) ^ ((h >>> 29) | (l << 3)) ^ ((l >>> 6) | (h << 26));
      let lo = wl[i - 16]! + (s0l >>> 0);
      let hi = wh[i - 16]! + (s0h >>> 0) + Math.floor(lo / 0x100000000);
      lo = (lo >>> 0) + wl[i - 7]!;
      hi = hi + wh[i - 7]! + Math.floor(lo / 0x100000000);
      lo = (lo >>> 0) + (s1l >>> 0);
      hi = hi + (s1h >>> 0) + Math.floor(lo / 0x100000000);
      wl[i] = lo >>> 0;
      wh[i] = hi >>> 0;
    }
    let ah = hh[0]!,
      al = hl[0]!,
      bh = hh[1]!,
      bl = hl[1]!,
      ch = hh[2]!,
      cl = hl[2]!,
      dh = hh[3]!,
      dl = hl[3]!;
    let eh = hh[4]!,
      el = hl[4]!,
      fh = hh[5]!,
      fl = hl[5]!,
      gh = hh[6]!,
      gl = hl[6]!,
      xh = hh[7]!,
      xl = hl[7]!;
    for (let i = 0; i < 80; i++) {
      // S1 = rotr14 ^ rotr18 ^ rotr41 of e
      const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
      const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
      const chh = (eh & fh) ^ (~eh & gh),
        chl = (el & fl) ^ (~el & gl);
      // t1 = x + S1 + ch + K[i] + w[i]
      let lo = xl + (S1l >>> 0);
      let hi = xh + (S1h >>> 0) + Math.floor(lo / 0x100000000);
      lo = (lo >>> 0) + (chl >>> 0);
      hi += (chh >>> 0) + Math.floor(lo / 0x100000000);
      lo = (lo >>> 0) + K512_LO[i]!;
      hi += K512_HI[i]! + Math.floor(lo / 0x100000000);
      lo = (lo >>> 0) + wl[i]!;
      hi += wh[i]! + Math.floor(lo / 0x100000000);
      const t1l = lo >>> 0,
        t1h = hi >>> 0;
      // S0 = rotr28 ^ rotr34 ^ rotr39 of a; t2 = S0 + maj
      const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
      const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
      const mjh = (ah & bh) ^ (ah & ch) ^ (bh & ch),
        mjl = (al & bl) ^ (al & cl) ^ (bl & cl);
      lo = (S0l >>> 0) + (mjl >>> 0);
      hi = (S0h >>> 0) + (mjh >>> 0) + Math.floor(lo / 0x100000000);
      const t2l = lo >>> 0,
        t2h = hi >>> 0;
      xh = gh;
      xl = gl;
      gh = fh;
      gl = fl;
      fh = eh;
      fl = el;
      lo = dl + t1l;
      eh = (dh + t1h + Math.floor(lo / 0x100000000)) >>> 0;
      el = lo >>> 0;
      dh = ch;
      dl = cl;
      ch = bh;
      cl = bl;
      bh = ah;
      bl = al;
      lo = t1l + t2l;
      ah = (t1h + t2h + Math.floor(lo / 0x100000000)) >>> 0;
      al = lo >>> 0;
    }
    const add = (k: number, h: number, l: number): void => {
      const lo = hl[k]! + l;
      hh[k] = (hh[k]! + h + Math.floor(lo / 0x100000000)) >>> 0;
      hl[k] = lo >>> 0;
    };
    add(0, ah, al);
    add(1, bh, bl);
    add(2, ch, cl);
    add(3, dh, dl);
    add(4, eh, el);
    add(5, fh, fl);
    add(6, gh, gl);
    add(7, xh, xl);
  }
  const out = new Uint8Array(64);
  const ov = new DataView(out.buffer);
  for (let k = 0; k < 8; k++) {
    ov.setUint32(k * 8, hh[k]!);
    ov.setUint32(k * 8 + 4, hl[k]!);
  }
  return out;
}

const SHA384_IV = [
  "cbbb9d5dc1059ed8",
  "629a292a367cd507",
  "9159015a3070dd17",
  "152fecd8f70e5939",
  "67332667ffc00b31",
  "8eb44a8768581511",
  "db0c2e0d64f98fa7",
  "47b5481dbefa4fa4",
];

function sha384(m: Uint8Array): Uint8Array {
  return sha512(m, SHA384_IV).slice(0, 48);
}

const HASHES: Record<string, Hash> = {
  md5: { fn: md5, block: 64 },
  sha1: { fn: sha1, block: 64 },
  sha256: { fn: sha256, block: 64 },
  sha512: { fn: (m) => sha512(m), block: 128 },
};
const SHA384: Hash = { fn: sha384, block: 128 };

/** Digest of bytes with sha256, sha384 or sha512 (for JWT RS/PS/ES verification). */
export function hashBytes(alg: "sha256" | "sha384" | "sha512", msg: Uint8Array): Uint8Array {
  return alg === "sha384" ? sha384(msg) : HASHES[alg]!.fn(msg);
}

/** HMAC over bytes with sha256, sha384 or sha512 (for JWT HS* verification). */
export function hmacBytes(alg: "sha256" | "sha384" | "sha512", key: Uint8Array, msg: Uint8Array): Uint8Array {
  return hmac(alg === "sha384" ? SHA384 : HASHES[alg]!, key, msg);
}

function hmac(h: Hash, key: Uint8Array, msg: Uint8Array): Uint8Array {
  let k = key.length > h.block ? h.fn(key) : key;
  const kk = new Uint8Array(h.block);
  kk.set(k);
  k = kk;
  const inner = new Uint8Array(h.block + msg.length);
  const outer = new Uint8Array(h.block);
  for (let i = 0; i < h.block; i++) {
    inner[i] = k[i]! ^ 0x36;
    outer[i] = k[i]! ^ 0x5c;
  }
  inner.set(msg, h.block);
  const ih = h.fn(inner);
  const o = new Uint8Array(h.block + ih.length);
  o.set(outer);
  o.set(ih, h.block);
  return h.fn(o);
}

// OPA has crypto.md5, crypto.sha1 and crypto.sha256 (no crypto.sha512), and HMAC with all four.
const hashBuiltins = ["md5", "sha1", "sha256"].map((alg) =>
  def(`crypto.${alg}`, 1, (a: Value[]) => toHex(HASHES[alg]!.fn(utf8Encode(str(`crypto.${alg}`, a, 0))))),
);
const hmacBuiltins = Object.keys(HASHES).map((alg) =>
  def(`crypto.hmac.${alg}`, 2, (a: Value[]) => {
    const name = `crypto.hmac.${alg}`;
    return toHex(hmac(HASHES[alg]!, utf8Encode(str(name, a, 1)), utf8Encode(str(name, a, 0))));
  }),
);

function hmacEqual(a: Value[]): Value {
  const x = str("crypto.hmac.equal", a, 0),
    y = str("crypto.hmac.equal", a, 1);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x.charCodeAt(i) || 0) ^ (y.charCodeAt(i) || 0);
  return diff === 0;
}

export const cryptoBuiltins: readonly Builtin[] = [...hashBuiltins, ...hmacBuiltins, def("crypto.hmac.equal", 2, hmacEqual)];
