import { constants, createHash, createHmac, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, test } from "bun:test";
import { BUILTINS } from "../src/builtins/index.ts";
import { makeSet } from "../src/value.ts";
import { call, err, j } from "./builtins.helpers.ts";

describe("net", () => {
  test("cidr_contains", () => {
    expect(call("net.cidr_contains", "10.0.0.0/8", "10.1.2.3")).toBe(true);
    expect(call("net.cidr_contains", "10.0.0.0/8", "11.1.2.3")).toBe(false);
    expect(call("net.cidr_contains", "10.0.0.0/8", "10.1.0.0/16")).toBe(true);
    expect(call("net.cidr_contains", "10.1.0.0/16", "10.0.0.0/8")).toBe(false);
    expect(call("net.cidr_contains", "2001:db8::/32", "2001:db8:1::1")).toBe(true);
    expect(call("net.cidr_contains", "2001:db8::/32", "10.0.0.1")).toBe(false);
    expect(call("net.cidr_contains", "10.0.0.0/8", "::ffff:10.0.0.1")).toBe(true);
    expect(err("net.cidr_contains", "10.0.0.0", "10.0.0.1")).toBe("net.cidr_contains: invalid CIDR address: 10.0.0.0");
    expect(err("net.cidr_contains", "10.0.0.0/8", "x")).toBe("net.cidr_contains: invalid CIDR address: x");
  });
  test("intersects, is_valid, expand, merge", () => {
    expect(call("net.cidr_intersects", "192.168.0.0/16", "192.168.1.0/24")).toBe(true);
    expect(call("net.cidr_intersects", "192.168.0.0/24", "192.168.1.0/24")).toBe(false);
    expect(call("net.cidr_is_valid", "192.168.0.0/33")).toBe(false);
    expect(call("net.cidr_is_valid", "::/0")).toBe(true);
    expect(call("net.cidr_is_valid", "010.0.0.0/8")).toBe(false);
    expect(j("net.cidr_expand", "192.168.0.0/30")).toEqual(["192.168.0.0", "192.168.0.1", "192.168.0.2", "192.168.0.3"]);
    expect(j("net.cidr_expand", "2001:db8::/127")).toEqual(["2001:db8::", "2001:db8::1"]);
    expect(j("net.cidr_merge", ["192.0.128.0/24", "192.0.129.0/24"])).toEqual(["192.0.128.0/23"]);
    expect(j("net.cidr_merge", makeSet(["10.0.0.1", "10.0.0.0", "10.0.0.4/30"]))).toEqual(["10.0.0.0/31", "10.0.0.4/30"]);
    expect(err("net.cidr_expand", "10.0.0.0/8")).toContain("too large");
  });
  test("cidr_contains_matches", () => {
    expect(j("net.cidr_contains_matches", ["1.1.1.0/24", "1.1.2.0/24"], "1.1.1.128")).toEqual([[0, "1.1.1.128"]]);
    expect(j("net.cidr_contains_matches", { a: "10.0.0.0/8", b: ["192.168.0.0/16", "x"] }, makeSet(["10.1.1.1", "192.168.1.1"]))).toEqual([
      ["a", "10.1.1.1"],
      ["b", "192.168.1.1"],
    ]);
  });
});

describe("crypto", () => {
  const inputs = ["", "abc", "héllo wörld 😀", "x".repeat(200)];
  test("digests match node:crypto", () => {
    expect(BUILTINS.has("crypto.sha512")).toBe(false);
    for (const alg of ["md5", "sha1", "sha256"]) {
      for (const s of inputs) expect(call(`crypto.${alg}`, s)).toBe(createHash(alg).update(s, "utf8").digest("hex"));
    }
  });
  test("hmac matches node:crypto", () => {
    for (const alg of ["md5", "sha1", "sha256", "sha512"]) {
      for (const key of ["", "k", "k".repeat(300)]) {
        expect(call(`crypto.hmac.${alg}`, "message", key)).toBe(createHmac(alg, key).update("message").digest("hex"));
      }
    }
    expect(call("crypto.hmac.equal", "abc", "abc")).toBe(true);
    expect(call("crypto.hmac.equal", "abc", "abd")).toBe(false);
    expect(call("crypto.hmac.equal", "abc", "ab")).toBe(false);
    expect(err("crypto.sha256", 1)).toBe("crypto.sha256: operand 1 must be string but got number");
  });
});

describe("graph", () => {
  const g = { a: ["b"], b: ["c", "a"], c: [], d: ["a"] };
  test("reachable", () => {
    expect(j("graph.reachable", g, ["a"])).toEqual(["a", "b", "c"]);
    expect(j("graph.reachable", g, makeSet(["d"]))).toEqual(["a", "b", "c", "d"]);
    expect(j("graph.reachable", g, ["zz"])).toEqual([]);
    expect(err("graph.reachable", g, "a")).toBe("graph.reachable: operand 2 must be {array, set} but got string");
  });
  test("reachable_paths", () => {
    expect(j("graph.reachable_paths", g, ["a"])).toEqual([
      ["a", "b"],
      ["a", "b", "c"],
    ]);
    expect(j("graph.reachable_paths", { x: [] }, ["x"])).toEqual([["x"]]);
    expect(j("graph.reachable_paths", { x: ["y"] }, ["x"])).toEqual([["x"]]);
  });
});

describe("jwt (HS*)", () => {
  const b64u = (s: string | Buffer) => Buffer.from(s).toString("base64url");
  const sign = (alg: string, header: object, payload: object, secret: string) => {
    const h = b64u(JSON.stringify(header)),
      p = b64u(JSON.stringify(payload));
    const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg]!;
    return `${h}.${p}.${b64u(createHmac(hash, secret).update(`${h}.${p}`).digest())}`;
  };
  const tok = sign("HS256", { alg: "HS256", typ: "JWT" }, { sub: "u1", iss: "edge", aud: "class", exp: 2_000_000_000 }, "s3cret");
  test("decode", () => {
    const [h, p, sig] = call("io.jwt.decode", tok) as [unknown, unknown, string];
    expect(h).toEqual({ alg: "HS256", typ: "JWT" });
    expect(p).toEqual({ sub: "u1", iss: "edge", aud: "class", exp: 2_000_000_000 });
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(err("io.jwt.decode", "abc")).toContain("io.jwt.decode:");
  });
  test("verify_hs*", () => {
    expect(call("io.jwt.verify_hs256", tok, "s3cret")).toBe(true);
    expect(call("io.jwt.verify_hs256", tok, "wrong")).toBe(false);
    expect(call("io.jwt.verify_hs384", sign("HS384", { alg: "HS384" }, { a: 1 }, "k"), "k")).toBe(true);
    expect(call("io.jwt.verify_hs512", sign("HS512", { alg: "HS512" }, { a: 1 }, "k"), "k")).toBe(true);
  });
  test("decode_verify checks signature, time, iss, aud", () => {
    const ok = call("io.jwt.decode_verify", tok, { secret: "s3cret", iss: "edge", aud: "class" }) as unknown[];
    expect(ok[0]).toBe(true);
    expect(ok[2]).toEqual({ sub: "u1", iss: "edge", aud: "class", exp: 2_000_000_000 });
    expect(call("io.jwt.decode_verify", tok, { secret: "x", aud: "class" })).toEqual([false, {}, {}]);
    expect(call("io.jwt.decode_verify", tok, { secret: "s3cret" })).toEqual([false, {}, {}]); // aud in token, none required
    expect(call("io.jwt.decode_verify", tok, { secret: "s3cret", aud: "class", iss: "other" })).toEqual([false, {}, {}]);
    expect(call("io.jwt.decode_verify", tok, { secret: "s3cret", aud: "class", time: 2_000_000_001e9 })).toEqual([false, {}, {}]);
    expect(call("io.jwt.decode_verify", tok, { secret: "s3cret", aud: "class", alg: "HS512" })).toEqual([false, {}, {}]);
  });
});

describe("deprecated aliases", () => {
  test("casts, set_diff, cidr_overlap", () => {
    expect(call("cast_array", makeSet([2, 1]))).toEqual([1, 2]);
    expect(j("cast_set", [1, 1, 2])).toEqual([1, 2]);
    expect(err("cast_string", 1)).toBe("cast_string: operand 1 must be string but got number");
    expect(j("set_diff", makeSet([1, 2]), makeSet([2]))).toEqual([1]);
    expect(call("net.cidr_overlap", "10.0.0.0/8", "10.0.0.1")).toBe(true);
  });
});

describe("jwt signing (HS*)", () => {
  test("encode_sign round-trips through decode_verify", () => {
    const jwk = { kty: "oct", k: Buffer.from("s3cret").toString("base64url") };
    const t = call("io.jwt.encode_sign", { alg: "HS256", typ: "JWT" }, { sub: "u1" }, jwk) as string;
    expect(t.split(".")).toHaveLength(3);
    expect(call("io.jwt.verify_hs256", t, "s3cret")).toBe(true);
    expect((call("io.jwt.decode_verify", t, { secret: "s3cret" }) as unknown[])[0]).toBe(true);
    const raw = call("io.jwt.encode_sign_raw", '{"alg":"HS512"}', '{"a":1}', JSON.stringify(jwk)) as string;
    expect(call("io.jwt.verify_hs512", raw, "s3cret")).toBe(true);
    expect(err("io.jwt.encode_sign", { alg: "RS256" }, {}, jwk)).toContain("unsupported signature algorithm");
  });
});

describe("jwt with public keys (RS/PS/ES256)", () => {
  // throwaway self-signed test certificate and its key (generated for these tests only)
  const CERT = `-----BEGIN CERTIFICATE-----
MIICEDCCAXmgAwIBAgIUJVE4moAdDPHsIic8jXBZUxkgONYwDQYJKoZIhvcNAQEL
BQAwGTEXMBUGA1UEAwwOZWRnZWNsYXNzLXRlc3QwIBcNMjYxMTI2MTYxOTAwWhgP
MjEyNjExMDIxNjE5MDBaMBkxFzAVBgNVBAMMDmVkZ2VjbGFzcy10ZXN0MIGfMA0G
CSqGSIb3DQEBAQUAA4GNADCBiQKBgQDgPDcEF/fFleNdSDKojb8CsH/fbUT64ofd
LPXPDkciQgcf96ecF431c87rzDuvmsU43N3DKgQK+OapoxWGej7JWaSVCXSUpDTN
6oES/5blonMnCQITmSzXQim8kXMEI2gfX12ugb+m8PtLiZ/kU9I5CNHso2cfJRab
U432hRnnAwIDAQABo1MwUTAdBgNVHQ4EFgQUkfpkaUzCz694U+MbaBBXBoOw6bkw
HwYDVR0jBBgwFoAUkfpkaUzCz694U+MbaBBXBoOw6bkwDwYDVR0TAQH/BAUwAwEB
/zANBgkqhkiG9w0BAQsFAAOBgQAZ1hus00FmsA93+LJ5xwFF5PGf9whD/feaph6g
0xRqgYpuUtFmykpKzQCCq72juIWcvifPvPAj/NWSDyLOEDm+fG1uerEnm/BD8SJr
VsLvIm++plA9AAj8Iee1nTFt78u6zHUm1paFS0MothuIH9AHESckCxgZxzB41lj7
q11aJA==
-----END CERTIFICATE-----`;
  const KEY = `-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAOA8NwQX98WV411I
MqiNvwKwf99tRPrih90s9c8ORyJCBx/3p5wXjfVzzuvMO6+axTjc3cMqBAr45qmj
FYZ6PslZpJUJdJSkNM3qgRL/luWicycJAhOZLNdCKbyRcwQjaB9fXa6Bv6bw+0uJ
n+RT0jkI0eyjZx8lFptTjfaFGecDAgMBAAECgYA8uLGhPyhObidytEFbmX7XKJqI
E1vxoHRwNWOfHVuv8DdjtbnCsDI1/JVVDyo+hGfR3SWEWxVbL0mvOEV09BeaBw06
po+WRC4lpIEMJ/bt/ZLJdMfuDR1pXHy8vBCxCMW0tOhOVvjOGKvLZ35pahgKNA/R
MH874JBhw63AH5qCcQJBAPScuR4+3C3YJ/my0qEwzW3SSf+WtmRGaCkrGzSIrKZG
+2V+9MFRa+Hp5iXjHylb0cgimrlYisvpItaQFL6imkkCQQDqrKPLU8UwQ9b9lzXs
xaVu6JHNZ+s/qz3PGBZSz9ATKtd1B78kgkt7ZqznioAe4xsLSIYkgDbKd7YU/qKH
9BbrAkACLgNYSaccoXh5uSY3WX/7IoyWQnmNmzMCaufrJ+yh7q/+z4rOzjLv6G2s
mMGGVNMhvW0ziZ5zArjUwKPurvRBAkEAuFXpx3JC51myi7n2MslB3K+0r6tcX8PM
JlteVahFYnj5i0UNgMkUL5eEY9AoOZrdCGzsacmIwFtuXGl0E+TJBwJAdZkAerXo
bVhsOio8h2o6maZQ2SqHezgRxQ+OyCCC24cSG+8uOSp+DFj4thV9YdPLShC5zWzW
m8fJBhnzsDyERA==
-----END PRIVATE KEY-----`;
  const b64u = (b: string | Buffer) => Buffer.from(b).toString("base64url");
  const jws = (alg: string, sign: (data: Buffer) => Buffer, payload: object = { sub: "u1", aud: "class" }) => {
    const signed = `${b64u(JSON.stringify({ alg, typ: "JWT" }))}.${b64u(JSON.stringify(payload))}`;
    return `${signed}.${b64u(sign(Buffer.from(signed)))}`;
  };
  test("RS256 with a certificate, SPKI PEM, PKCS#1 PEM, JWK and JWKS", () => {
    const t = jws("RS256", (d) => sign("sha256", d, KEY));
    const pub = createPublicKey(KEY);
    expect(call("io.jwt.verify_rs256", t, CERT)).toBe(true);
    expect(call("io.jwt.verify_rs256", t, pub.export({ type: "spki", format: "pem" }) as string)).toBe(true);
    expect(call("io.jwt.verify_rs256", t, pub.export({ type: "pkcs1", format: "pem" }) as string)).toBe(true);
    expect(call("io.jwt.verify_rs256", t, JSON.stringify(pub.export({ format: "jwk" })))).toBe(true);
    expect(call("io.jwt.verify_rs256", t, JSON.stringify({ keys: [pub.export({ format: "jwk" })] }))).toBe(true);
    expect(call("io.jwt.verify_rs256", t.slice(0, -4) + "AAAA", CERT)).toBe(false);
    expect(
      call(
        "io.jwt.verify_rs512",
        jws("RS512", (d) => sign("sha512", d, KEY)),
        CERT,
      ),
    ).toBe(true);
    expect((call("io.jwt.decode_verify", t, { cert: CERT, aud: "class" }) as unknown[])[0]).toBe(true);
    expect((call("io.jwt.decode_verify", t, { cert: CERT, aud: "other" }) as unknown[])[0]).toBe(false);
    expect(err("io.jwt.verify_rs256", t, "not a key")).toContain("failed to parse a JWK key (set) or PEM");
  });
  test("PS256 and ES256", () => {
    const ps = jws("PS256", (d) => sign("sha256", d, { key: KEY, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
    expect(call("io.jwt.verify_ps256", ps, CERT)).toBe(true);
    expect(call("io.jwt.verify_rs256", ps, CERT)).toBe(false);
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const es = jws("ES256", (d) => sign("sha256", d, { key: ec.privateKey, dsaEncoding: "ieee-p1363" }));
    const ecPem = ec.publicKey.export({ type: "spki", format: "pem" }) as string;
    expect(call("io.jwt.verify_es256", es, ecPem)).toBe(true);
    expect(call("io.jwt.verify_es256", es, JSON.stringify(ec.publicKey.export({ format: "jwk" })))).toBe(true);
    expect(call("io.jwt.verify_es256", es.slice(0, -4) + "AAAA", ecPem)).toBe(false);
    expect((call("io.jwt.decode_verify", es, { cert: ecPem, aud: "class" }) as unknown[])[0]).toBe(true);
    const ec384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const es384 = jws("ES384", (d) => sign("sha384", d, { key: ec384.privateKey, dsaEncoding: "ieee-p1363" }));
    expect(call("io.jwt.verify_es384", es384, ec384.publicKey.export({ type: "spki", format: "pem" }) as string)).toBe(true);
    expect(call("io.jwt.verify_es384", es384, JSON.stringify(ec384.publicKey.export({ format: "jwk" })))).toBe(true);
    expect(call("io.jwt.verify_es256", es384, ec384.publicKey.export({ type: "spki", format: "pem" }) as string)).toBe(false);
  });
});
