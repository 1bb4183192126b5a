// packages/policy-api in process (no HTTP): Go-compatible JSON, OPA's path and parameter
// rules, evaluation errors, policies that do not compile, health with a policy.
import { describe, expect, test } from "bun:test";
import { DataApi, boolParam, decodeGo, encodeGo, parseDataPath, refText, Struct } from "../../../policy-api/src/index.ts";

const req = (method: string, path: string, body?: string) => new Request(`http://local${path}`, { method, body });

describe("Go-compatible JSON", () => {
  test("sorted keys, HTML-safe escapes, struct order, trailing newline, pretty", () => {
    expect(encodeGo({ b: 1, a: "<&>\u2028", c: [true, null, { z: 1, y: [] }] }, false)).toBe(
      '{"a":"\\u003c\\u0026\\u003e\\u2028","b":1,"c":[true,null,{"y":[],"z":1}]}\n',
    );
    expect(
      encodeGo(
        new Struct([
          ["result", { b: 2, a: 1 }],
          ["warning", undefined],
        ]),
        true,
      ),
    ).toBe('{\n  "result": {\n    "a": 1,\n    "b": 2\n  }\n}\n');
    expect(encodeGo({}, true)).toBe("{}\n");
  });

  test("decoding: one value, Go's syntax error wording", () => {
    expect(decodeGo('  {"a": [1, 2.5e3, "x"]} tail')).toEqual({ ok: true, value: { a: [1, 2500, "x"] }, empty: false });
    expect(decodeGo(" \n ")).toEqual({ ok: true, value: undefined, empty: true });
    expect(decodeGo('{"a":')).toEqual({ ok: false, message: "unexpected EOF" });
    expect(decodeGo("{a:1}")).toEqual({ ok: false, message: "invalid character 'a' looking for beginning of object key string" });
    expect(decodeGo('{"a" 1}')).toEqual({ ok: false, message: "invalid character '1' after object key" });
    expect(decodeGo("[1 2]")).toEqual({ ok: false, message: "invalid character '2' after array element" });
    expect(decodeGo("-x")).toEqual({ ok: false, message: "invalid character 'x' in numeric literal" });
    expect(decodeGo("1.x")).toEqual({ ok: false, message: "invalid character 'x' after decimal point in numeric literal" });
    expect(decodeGo('"a\\q"')).toEqual({ ok: false, message: "invalid character 'q' in string escape code" });
    expect(decodeGo('"a\nb"')).toEqual({ ok: false, message: "invalid character '\\n' in string literal" });
    expect(decodeGo("nul!")).toEqual({ ok: false, message: "invalid character '!' in literal null (expecting 'l')" });
    expect(decodeGo("'x'")).toEqual({ ok: false, message: "invalid character '\\'' looking for beginning of value" });
  });
});

describe("OPA's request rules", () => {
  test("paths: unescaped segments, integers, quotes refused; refs printed as OPA prints them", () => {
    expect(parseDataPath("education/allow")).toEqual(["education", "allow"]);
    expect(parseDataPath("/a//b%2Fc/0/-1/")).toEqual(["a", "b/c", 0, -1]);
    expect(() => parseDataPath('a/"b')).toThrow("invalid ref term '\"b'");
    expect(refText("data", ["a", "b-c", 2])).toBe('data.a["b-c"][2]');
  });

  test("boolean parameters as OPA's getBoolParam", () => {
    const u = (q: string) => new URL(`http://x/v1/data${q}`);
    expect(boolParam(u(""), "pretty")).toBe(false);
    expect(boolParam(u("?pretty"), "pretty")).toBe(true);
    expect(boolParam(u("?pretty="), "pretty")).toBe(true);
    expect(boolParam(u("?pretty=TRUE"), "pretty")).toBe(true);
    expect(boolParam(u("?pretty=1"), "pretty")).toBe(false);
    expect(boolParam(u("?metrics"), "pretty")).toBe(false);
  });
});

describe("evaluation", () => {
  test("conflicts are 500 internal_error with the engine's coded error, as OPA's topdown errors", async () => {
    const api = new DataApi({ modules: [{ path: "p.rego", source: "package p\nx := 1 if input.a\nx := 2 if input.b\n" }] });
    const r = await api.data(req("POST", "/v1/data/p/x", JSON.stringify({ input: { a: true, b: true } })));
    expect(r.status).toBe(500);
    const body = (await r.json()) as { code: string; message: string; errors: { code: string; message: string }[] };
    expect(body.code).toBe("internal_error");
    expect(body.message).toBe("error(s) occurred while evaluating query");
    expect(body.errors[0].code).toBe("eval_conflict_error");
    expect(body.errors).toHaveLength(1);
  });

  test("strict-builtin-errors: a builtin error is undefined by default and an error when asked", async () => {
    const api = new DataApi({ modules: [{ path: "p.rego", source: 'package p\nn := to_number("abc")\n' }] });
    expect(await (await api.data(req("GET", "/v1/data/p/n"))).text()).toBe("{}\n");
    const strict = await api.data(req("GET", "/v1/data/p/n?strict-builtin-errors"));
    expect(strict.status).toBe(500);
    expect(((await strict.json()) as { errors: { code: string }[] }).errors[0].code).toBe("eval_builtin_error");
  });

  test("policies that do not compile: health 500, data 500, the reason kept", async () => {
    const api = new DataApi({ modules: [{ path: "bad.rego", source: "package p\nx := y\n" }] });
    expect(api.loadError()).toContain("bad.rego");
    const h = api.health(req("GET", "/health"));
    expect(h.status).toBe(500);
    expect(await h.text()).toBe('{"error":"unable to perform evaluation"}\n');
    expect((await api.data(req("GET", "/v1/data/p/x"))).status).toBe(500);
  });

  test("health with a policy: data.system.health.<path> must be true", async () => {
    const api = new DataApi({
      modules: [{ path: "h.rego", source: "package system.health\nlive := true\nready := input.plugins_ready == false\n" }],
    });
    expect((await api.fetch(req("GET", "/health/live"))).status).toBe(200);
    const ready = await api.fetch(req("GET", "/health/ready"));
    expect(ready.status).toBe(500);
    expect(await ready.text()).toBe('{"error":"health check (data.system.health.ready) returned unexpected value"}\n');
  });

  test("gzip request bodies (Content-Encoding: gzip) where the host has DecompressionStream", async () => {
    const api = new DataApi({ modules: [{ path: "p.rego", source: "package p\nv := input.v\n" }] });
    const body = Bun.gzipSync(new TextEncoder().encode(JSON.stringify({ input: { v: 7 } })));
    const r = await api.data(new Request("http://local/v1/data/p/v", { method: "POST", body, headers: { "content-encoding": "gzip" } }));
    expect(await r.text()).toBe('{"result":7}\n');
  });
});
