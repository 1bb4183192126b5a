import { createHash, createHmac } from "node:crypto";
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
    expect(j("net.cidr_contains_matches", { a: "10.0.0.0/8", b: ["192.168.0.0/16", "x"] }, makeSet(["10.1.1.1", "192.168.1.1"]))).toEqual([["a", "10.1.1.1"], ["b", "192.168.1.1"]]);
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
    expect(j("graph.reachable_paths", g, ["a"])).toEqual([["a", "b"], ["a", "b", "c"]]);
    expect(j("graph.reachable_paths", { x: [] }, ["x"])).toEqual([["x"]]);
    expect(j("graph.reachable_paths", { x: ["y"] }, ["x"])).toEqual([["x"]]);
  });
});

describe("jwt (HS*)", () => {
  const b64u = (s: string | Buffer) => Buffer.from(s).toString("base64url");
  const sign = (alg: string, header: object, payload: object, secret: string) => {
    const h = b64u(JSON.stringify(header)), p = b64u(JSON.stringify(payload));
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
