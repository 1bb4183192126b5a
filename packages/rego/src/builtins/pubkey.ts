/**
 * Public keys for JWT verification, pure TypeScript: PEM ("PUBLIC KEY",
 * "RSA PUBLIC KEY", "CERTIFICATE") through a minimal DER reader, JWK and JWKS
 * (RSA and EC P-256/P-384); RSASSA-PKCS1-v1_5, RSASSA-PSS and ECDSA verification
 * with BigInt arithmetic.
 */
import { base64Bytes, base64urlBytes } from "./encoding.ts";
import { hashBytes } from "./crypto.ts";

export type PublicKey = { kty: "RSA"; n: bigint; e: bigint } | { kty: "EC"; crv: string; x: bigint; y: bigint };
export type HashAlg = "sha256" | "sha384" | "sha512";

class KeyError extends Error {}

// ---------------------------------------------------------------------------
// DER

interface Der {
  tag: number;
  body: Uint8Array;
  end: number;
}

function readDer(b: Uint8Array, off: number): Der {
  const tag = b[off];
  if (tag === undefined) throw new KeyError("truncated DER");
  let len = b[off + 1];
  if (len === undefined) throw new KeyError("truncated DER");
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new KeyError("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
  }
  if (p + len > b.length) throw new KeyError("truncated DER");
  return { tag, body: b.subarray(p, p + len), end: p + len };
}

function children(d: Der): Der[] {
  const out: Der[] = [];
  for (let off = 0; off < d.body.length; ) {
    const c = readDer(d.body, off);
    out.push(c);
    off = c.end;
  }
  return out;
}

function bytesToBig(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

function oid(b: Uint8Array): string {
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

function rsaPublicKey(der: Uint8Array): PublicKey {
  const seq = readDer(der, 0);
  const [n, e] = children(seq);
  if (!n || !e || n.tag !== 2 || e.tag !== 2) throw new KeyError("bad RSA public key");
  return { kty: "RSA", n: bytesToBig(n.body), e: bytesToBig(e.body) };
}

function spki(d: Der): PublicKey {
  const [alg, bits] = children(d);
  if (!alg || !bits || bits.tag !== 3) throw new KeyError("bad SubjectPublicKeyInfo");
  const [algOid, params] = children(alg);
  const key = bits.body.subarray(1);
  const id = oid(algOid!.body);
  if (id === "1.2.840.113549.1.1.1") return rsaPublicKey(key);
  if (id === "1.2.840.10045.2.1") {
    const c = params ? curveOf(oid(params.body)) : undefined;
    if (!c) throw new KeyError("only the P-256 and P-384 curves are supported");
    if (key[0] !== 4 || key.length !== 1 + 2 * c.bytes) throw new KeyError("only uncompressed EC points are supported");
    return { kty: "EC", crv: c.name, x: bytesToBig(key.subarray(1, 1 + c.bytes)), y: bytesToBig(key.subarray(1 + c.bytes)) };
  }
  throw new KeyError(`unsupported public key algorithm ${id}`);
}

function certificateKey(der: Uint8Array): PublicKey {
  const cert = readDer(der, 0);
  const tbs = children(cert)[0];
  if (!tbs) throw new KeyError("bad certificate");
  const fields = children(tbs);
  const i = fields[0]?.tag === 0xa0 ? 1 : 0; // optional [0] version
  const info = fields[i + 5];
  if (!info) throw new KeyError("bad certificate");
  return spki(info);
}

/** Keys from a PEM bundle, a JWK or a JWKS (JSON text). */
export function parseKeys(text: string): PublicKey[] {
  const t = text.trim();
  if (t.startsWith("{")) {
    let j: unknown;
    try {
      j = JSON.parse(t);
    } catch {
      throw new KeyError("key is not valid JSON");
    }
    const keys = (j as { keys?: unknown }).keys;
    return (Array.isArray(keys) ? keys : [j]).map(jwk);
  }
  const out: PublicKey[] = [];
  const re = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    const der = base64Bytes(m[2]!);
    if (!der) throw new KeyError("bad PEM body");
    if (m[1] === "CERTIFICATE") out.push(certificateKey(der));
    else if (m[1] === "PUBLIC KEY") out.push(spki(readDer(der, 0)));
    else if (m[1] === "RSA PUBLIC KEY") out.push(rsaPublicKey(der));
    else throw new KeyError(`unsupported PEM block ${m[1]}`);
  }
  if (out.length === 0) throw new KeyError("no PEM block or JWK found");
  return out;
}

function jwk(k: unknown): PublicKey {
  const o = k as { kty?: unknown; n?: unknown; e?: unknown; crv?: unknown; x?: unknown; y?: unknown };
  const big = (v: unknown): bigint => {
    const b = typeof v === "string" ? base64urlBytes(v) : undefined;
    if (!b) throw new KeyError("bad JWK member");
    return bytesToBig(b);
  };
  if (o.kty === "RSA") return { kty: "RSA", n: big(o.n), e: big(o.e) };
  if (o.kty === "EC") {
    if (typeof o.crv !== "string" || !curveOf(o.crv)) throw new KeyError("only the P-256 and P-384 curves are supported");
    return { kty: "EC", crv: o.crv, x: big(o.x), y: big(o.y) };
  }
  throw new KeyError(`unsupported JWK kty ${String(o.kty)}`);
}

// ---------------------------------------------------------------------------
// RSA

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

function bigToBytes(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

const DIGEST_INFO: Record<HashAlg, string> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

function hexBytes(h: string): Uint8Array {
  return Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));
}

function eqBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

function rsaOpen(key: { n: bigint; e: bigint }, sig: Uint8Array): { em: Uint8Array; k: number } | undefined {
  const k = Math.ceil(key.n.toString(16).length / 2);
  if (sig.length !== k) return undefined;
  const s = bytesToBig(sig);
  if (s >= key.n) return undefined;
  return { em: bigToBytes(modPow(s, key.e, key.n), k), k };
}

/** RSASSA-PKCS1-v1_5 verification (JWT RS256/384/512). */
export function verifyRSA(key: PublicKey, alg: HashAlg, msg: Uint8Array, sig: Uint8Array): boolean {
  if (key.kty !== "RSA") return false;
  const o = rsaOpen(key, sig);
  if (!o) return false;
  const t = new Uint8Array([...hexBytes(DIGEST_INFO[alg]), ...hashBytes(alg, msg)]);
  if (o.k < t.length + 11) return false;
  const want = new Uint8Array(o.k);
  want[1] = 1;
  want.fill(0xff, 2, o.k - t.length - 1);
  want.set(t, o.k - t.length);
  return eqBytes(o.em, want);
}

/** RSASSA-PSS verification with MGF1 and salt length = hash length (JWT PS256/384/512). */
export function verifyPSS(key: PublicKey, alg: HashAlg, msg: Uint8Array, sig: Uint8Array): boolean {
  if (key.kty !== "RSA") return false;
  const o = rsaOpen(key, sig);
  if (!o) return false;
  const modBits = key.n.toString(2).length;
  const emLen = Math.ceil((modBits - 1) / 8);
  const em = o.em.subarray(o.k - emLen);
  const mHash = hashBytes(alg, msg);
  const hLen = mHash.length;
  if (emLen < 2 * hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const mask = new Uint8Array(masked.length);
  for (let c = 0, off = 0; off < mask.length; c++) {
    const block = hashBytes(alg, new Uint8Array([...h, (c >>> 24) & 255, (c >>> 16) & 255, (c >>> 8) & 255, c & 255]));
    mask.set(block.subarray(0, Math.min(block.length, mask.length - off)), off);
    off += block.length;
  }
  const db = masked.map((x, i) => x ^ mask[i]!);
  db[0]! &= 0xff >>> (8 * emLen - (modBits - 1));
  const psLen = emLen - 2 * hLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 1) return false;
  const salt = db.subarray(psLen + 1);
  const h2 = hashBytes(alg, new Uint8Array([...new Uint8Array(8), ...mHash, ...salt]));
  return eqBytes(h, h2);
}

// ---------------------------------------------------------------------------
// ECDSA over the NIST prime curves (a = -3), Jacobian coordinates

interface Curve {
  name: string;
  oid: string;
  p: bigint;
  b: bigint;
  n: bigint;
  g: [bigint, bigint];
  bytes: number;
  hash: HashAlg;
}

const CURVES: Curve[] = [
  {
    name: "P-256",
    oid: "1.2.840.10045.3.1.7",
    bytes: 32,
    hash: "sha256",
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    g: [
      0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
      0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    ],
  },
  {
    name: "P-384",
    oid: "1.3.132.0.34",
    bytes: 48,
    hash: "sha384",
    p: (1n << 384n) - (1n << 128n) - (1n << 96n) + (1n << 32n) - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    g: [
      0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
      0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    ],
  },
];

/** The curve with this name ("P-256") or OID. */
function curveOf(nameOrOid: string): Curve | undefined {
  return CURVES.find((c) => c.name === nameOrOid || c.oid === nameOrOid);
}

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

function inv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

type Pt = [bigint, bigint, bigint]; // Jacobian (X, Y, Z); Z = 0 is infinity

function dbl([x, y, z]: Pt, P: bigint): Pt {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const yy = mod(y * y, P);
  const s = mod(4n * x * yy, P);
  const zz = mod(z * z, P);
  const m = mod(3n * x * x - 3n * zz * zz, P);
  const x3 = mod(m * m - 2n * s, P);
  return [x3, mod(m * (s - x3) - 8n * yy * yy, P), mod(2n * y * z, P)];
}

function add(p: Pt, q: Pt, P: bigint): Pt {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const z1z1 = mod(p[2] * p[2], P),
    z2z2 = mod(q[2] * q[2], P);
  const u1 = mod(p[0] * z2z2, P),
    u2 = mod(q[0] * z1z1, P);
  const s1 = mod(p[1] * q[2] * z2z2, P),
    s2 = mod(q[1] * p[2] * z1z1, P);
  if (u1 === u2) return s1 === s2 ? dbl(p, P) : [0n, 1n, 0n];
  const h = u2 - u1,
    r = s2 - s1;
  const hh = mod(h * h, P),
    hhh = mod(h * hh, P);
  const x3 = mod(r * r - hhh - 2n * u1 * hh, P);
  return [x3, mod(r * (u1 * hh - x3) - s1 * hhh, P), mod(h * p[2] * q[2], P)];
}

/** k1*P1 + k2*P2 (Shamir's trick). */
function mulAdd(k1: bigint, p1: Pt, k2: bigint, p2: Pt, P: bigint, bits: number): Pt {
  const both = add(p1, p2, P);
  let r: Pt = [0n, 1n, 0n];
  for (let i = bits - 1; i >= 0; i--) {
    r = dbl(r, P);
    const b1 = (k1 >> BigInt(i)) & 1n,
      b2 = (k2 >> BigInt(i)) & 1n;
    if (b1 && b2) r = add(r, both, P);
    else if (b1) r = add(r, p1, P);
    else if (b2) r = add(r, p2, P);
  }
  return r;
}

/** ECDSA verification of a JWS signature (r || s) on the key's curve (JWT ES256 / ES384). */
export function verifyECDSA(key: PublicKey, curveName: string, msg: Uint8Array, sig: Uint8Array): boolean {
  const c = curveOf(curveName);
  if (!c || key.kty !== "EC" || key.crv !== c.name || sig.length !== 2 * c.bytes) return false;
  const { x, y } = key;
  const P = c.p;
  if (mod(y * y - (x * x * x - 3n * x + c.b), P) !== 0n) return false; // not on the curve
  const r = bytesToBig(sig.subarray(0, c.bytes)),
    s = bytesToBig(sig.subarray(c.bytes));
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const e = bytesToBig(hashBytes(c.hash, msg));
  const w = inv(s, c.n);
  const pt = mulAdd(mod(e * w, c.n), [c.g[0], c.g[1], 1n], mod(r * w, c.n), [x, y, 1n], P, c.bytes * 8);
  if (pt[2] === 0n) return false;
  const zi = inv(pt[2], P);
  return mod(mod(pt[0] * zi * zi, P), c.n) === r;
}

export { KeyError };
