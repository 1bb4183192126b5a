/**
 * JWT: io.jwt.decode, io.jwt.verify_{hs,rs,ps}{256,384,512}, verify_es256/es384,
 * io.jwt.decode_verify (`secret` for HS*, `cert` as PEM/JWK/JWKS for RS/PS/ES),
 * io.jwt.encode_sign, io.jwt.encode_sign_raw (HS* only: signing with private
 * keys is not supported). ES512 (P-521) and EdDSA are not supported.
 */
import { isObject, objectGet, type Value } from "../value.ts";
import { hmacBytes } from "./crypto.ts";
import { base64urlBytes, base64urlEncodeBytes, jsonMarshal } from "./encoding.ts";
import { KeyError, parseKeys, verifyECDSA, verifyPSS, verifyRSA, type PublicKey } from "./pubkey.ts";
import type { Builtin, BuiltinContext } from "./index.ts";
import { builtinErr, def, obj, str, utf8Decode, utf8Encode } from "./util.ts";

interface Token {
  header: Value;
  payload: Value;
  sig: Uint8Array;
  signed: string;
}

function decodeToken(name: string, jwt: string): Token {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw builtinErr(name, "encoded JWT had no period separators");
  const [h, p, s] = parts as [string, string, string];
  const part = (x: string, what: string): Value => {
    const b = base64urlBytes(x);
    if (!b) throw builtinErr(name, `JWT ${what} had invalid encoding: illegal base64 data`);
    try {
      return JSON.parse(utf8Decode(b)!) as Value;
    } catch {
      throw builtinErr(name, `JWT ${what} had invalid JSON`);
    }
  };
  const header = part(h, "header");
  if (!isObject(header)) throw builtinErr(name, "JWT header was not an object");
  const payload = part(p, "payload");
  const sig = base64urlBytes(s);
  if (!sig) throw builtinErr(name, "JWT signature had invalid encoding: illegal base64 data");
  return { header, payload, sig, signed: h + "." + p };
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

const HS = { HS256: "sha256", HS384: "sha384", HS512: "sha512" } as const;

function verifyHS(t: Token, alg: "sha256" | "sha384" | "sha512", secret: string): boolean {
  return sameBytes(hmacBytes(alg, utf8Encode(secret), utf8Encode(t.signed)), t.sig);
}

const ASYM: Record<string, (k: PublicKey, m: Uint8Array, s: Uint8Array) => boolean> = {
  RS256: (k, m, s) => verifyRSA(k, "sha256", m, s),
  RS384: (k, m, s) => verifyRSA(k, "sha384", m, s),
  RS512: (k, m, s) => verifyRSA(k, "sha512", m, s),
  PS256: (k, m, s) => verifyPSS(k, "sha256", m, s),
  PS384: (k, m, s) => verifyPSS(k, "sha384", m, s),
  PS512: (k, m, s) => verifyPSS(k, "sha512", m, s),
  ES256: (k, m, s) => verifyECDSA(k, "P-256", m, s),
  ES384: (k, m, s) => verifyECDSA(k, "P-384", m, s),
};

function keysOrErr(name: string, cert: string): PublicKey[] {
  try {
    return parseKeys(cert);
  } catch (e) {
    if (e instanceof KeyError) throw builtinErr(name, `failed to parse a JWK key (set) or PEM: ${e.message}`);
    throw e;
  }
}

function verifyAsym(t: Token, alg: string, keys: PublicKey[]): boolean {
  const f = ASYM[alg];
  if (!f) return false;
  const msg = utf8Encode(t.signed);
  return keys.some((k) => f(k, msg, t.sig));
}

function verifyWithCert(name: string, alg: string) {
  return (a: Value[]): Value => {
    const t = decodeToken(name, str(name, a, 0));
    return verifyAsym(t, alg, keysOrErr(name, str(name, a, 1)));
  };
}

function verify(name: string, alg: "sha256" | "sha384" | "sha512") {
  return (a: Value[]): Value => {
    const t = decodeToken(name, str(name, a, 0));
    return verifyHS(t, alg, str(name, a, 1));
  };
}

function decodeVerify(a: Value[], ctx: BuiltinContext): Value {
  const name = "io.jwt.decode_verify";
  const jwt = str(name, a, 0);
  const c = obj(name, a, 1);
  const invalid: Value = [false, {}, {}];
  let t: Token;
  try {
    t = decodeToken(name, jwt);
  } catch {
    return invalid;
  }
  const header = t.header as { [k: string]: Value };
  const alg = objectGet(header, "alg");
  const wantAlg = objectGet(c, "alg");
  if (wantAlg !== undefined && wantAlg !== alg) return invalid;
  const secret = objectGet(c, "secret");
  const cert = objectGet(c, "cert");
  if (typeof alg !== "string") return invalid;
  if (typeof cert === "string") {
    if (!(alg in ASYM) || !verifyAsym(t, alg, keysOrErr(name, cert))) return invalid;
  } else if (typeof secret === "string") {
    if (!(alg in HS) || !verifyHS(t, HS[alg as keyof typeof HS], secret)) return invalid;
  } else throw builtinErr(name, "either `cert` or `secret` must be given");
  const payload = t.payload;
  if (!isObject(payload)) return invalid;
  const tv = objectGet(c, "time");
  const now = typeof tv === "number" ? tv : Number(ctx.nowNs());
  const exp = objectGet(payload, "exp");
  if (exp !== undefined && (typeof exp !== "number" || now >= exp * 1e9)) return invalid;
  const nbf = objectGet(payload, "nbf");
  if (nbf !== undefined && (typeof nbf !== "number" || now < nbf * 1e9)) return invalid;
  const iss = objectGet(c, "iss");
  if (iss !== undefined && objectGet(payload, "iss") !== iss) return invalid;
  const aud = objectGet(payload, "aud");
  const wantAud = objectGet(c, "aud");
  if (aud !== undefined) {
    if (wantAud === undefined) return invalid;
    const list = Array.isArray(aud) ? aud : [aud];
    if (!list.includes(wantAud)) return invalid;
  } else if (wantAud !== undefined) return invalid;
  return [true, header, payload];
}

/** Signs `header.payload` (already JSON text) with an HS* JWK ({"kty": "oct", "k": base64url secret}). */
function signRaw(name: string, header: string, payload: string, jwk: Value): Value {
  if (!isObject(jwk)) throw builtinErr(name, "key must be a JWK object");
  let hdr: Value;
  try {
    hdr = JSON.parse(header) as Value;
  } catch {
    throw builtinErr(name, "header is not valid JSON");
  }
  if (!isObject(hdr)) throw builtinErr(name, "header must be a JSON object");
  const alg = objectGet(hdr, "alg");
  if (typeof alg !== "string" || !(alg in HS))
    throw builtinErr(name, `unsupported signature algorithm ${String(alg)} (only HS256/HS384/HS512)`);
  const k = objectGet(jwk, "k");
  const key = typeof k === "string" ? base64urlBytes(k) : undefined;
  if (objectGet(jwk, "kty") !== "oct" || key === undefined) throw builtinErr(name, "key must be an oct JWK with a base64url `k`");
  const signed = base64urlEncodeBytes(utf8Encode(header)) + "." + base64urlEncodeBytes(utf8Encode(payload));
  return signed + "." + base64urlEncodeBytes(hmacBytes(HS[alg as keyof typeof HS], key, utf8Encode(signed)));
}

export const jwtBuiltins: readonly Builtin[] = [
  def("io.jwt.decode", 1, (a) => {
    const t = decodeToken("io.jwt.decode", str("io.jwt.decode", a, 0));
    return [t.header, t.payload, toHex(t.sig)];
  }),
  def("io.jwt.verify_hs256", 2, verify("io.jwt.verify_hs256", "sha256")),
  def("io.jwt.verify_hs384", 2, verify("io.jwt.verify_hs384", "sha384")),
  def("io.jwt.verify_hs512", 2, verify("io.jwt.verify_hs512", "sha512")),
  ...["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"].map((alg) => {
    const name = `io.jwt.verify_${alg.toLowerCase()}`;
    return def(name, 2, verifyWithCert(name, alg));
  }),
  def("io.jwt.decode_verify", 2, decodeVerify, true),
  def("io.jwt.encode_sign", 3, (a) => {
    const name = "io.jwt.encode_sign";
    const h = obj(name, a, 0),
      p = obj(name, a, 1),
      k = obj(name, a, 2);
    return signRaw(name, jsonMarshal(h), jsonMarshal(p), k);
  }),
  def("io.jwt.encode_sign_raw", 3, (a) => {
    const name = "io.jwt.encode_sign_raw";
    const k = str(name, a, 2);
    let jwk: Value;
    try {
      jwk = JSON.parse(k) as Value;
    } catch {
      throw builtinErr(name, "key is not valid JSON");
    }
    return signRaw(name, str(name, a, 0), str(name, a, 1), jwk);
  }),
];
