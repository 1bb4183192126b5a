// Behaviours fixed to follow OPA's documented semantics (its docs and v1/topdown, v1/ast),
// each written from what OPA does, not from an expected-output file.
import { describe, expect, test } from "bun:test";
import { compile, RegoError, toJSON, type Value } from "../src/index.ts";

function run(src: string | string[], query: string, input?: unknown, data?: unknown): unknown {
  const mods = (Array.isArray(src) ? src : [src]).map((s, i) => ({ path: `m${i}.rego`, source: s }));
  const p = compile(mods, { regoV1: true, data: (data ?? {}) as Value });
  const v = p.prepare(query).evaluate(input as Value);
  return v === undefined ? undefined : toJSON(v);
}

function err(src: string | string[], query: string, input?: unknown): RegoError {
  try {
    run(src, query, input);
  } catch (e) {
    if (e instanceof RegoError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("OPA semantics", () => {
  test("a function's head-ref prefix is part of the package document (an empty object), the function is not", () => {
    const src = `package test\nfoo["bar"](x) := x + 1\nx := foo.bar(2)`;
    expect(run(src, "data.test")).toEqual({ foo: {}, x: 3 });
    expect(run(`package test\nf(x) := x`, "data.test")).toEqual({});
  });

  test("conflict errors name the rule or function, as OPA's messages do", () => {
    const rule = err(`package g\np(_) if data.g.q\nq := true\nq := false`, "data.g.p(1)");
    expect(rule.code).toBe("eval_conflict_error");
    expect(rule.message).toContain("rule data.g.q produced conflicting values");
    const fn = err(`package g\np(x) if y := data.g.q(x)\nxs := {1, 2}\nq(_) := xs[_]`, "data.g.p(1)");
    expect(fn.code).toBe("eval_conflict_error");
    expect(fn.message).toContain("function data.g.q produced conflicting values for the same inputs");
  });

  test("minus declares each operand as number-or-set: a number/set mix is an evaluation type error, a string a compile error", () => {
    const strict = (src: string) => {
      try {
        compile([{ path: "m.rego", source: src }], { regoV1: true, strictBuiltinErrors: true })
          .prepare("data.t.p")
          .evaluate(undefined);
      } catch (e) {
        if (e instanceof RegoError) return e;
        throw e;
      }
      throw new Error("expected an error");
    };
    const mixed = strict(`package t\np if {\n\t{1} - 1\n}`);
    expect(mixed.code).toBe("eval_type_error");
    expect(mixed.message).toContain("minus: operand 2 must be set but got number");
    const reversed = strict(`package t\np if {\n\t1 - {1}\n}`);
    expect(reversed.code).toBe("eval_type_error");
    expect(reversed.message).toContain("minus: operand 2 must be number but got set");
    expect(strict(`package t\np if {\n\t"a" - 1\n}`).code).toBe("rego_type_error");
  });

  test("a replacement function runs without the function mocks (it may call the original; a mock never calls another mock)", () => {
    expect(run(`package t\nf(x) := 2\ng(x) := f(x)\np := y if y := f(1) with f as g`, "data.t.p")).toBe(2);
    const chained = `package t
f(x) := object.union_n(x) if {x: i | x := ["a", "a"][i]}
g(x) := count(x)
p if q with count as f
q if r with object.union_n as g
r if object.union_n([{}])`;
    expect(run(chained, "data.t.p")).toBe(true);
    const original = `package t
mock_count("one") := 1
mock_count(x) := count(x) if x != "one"
p := s if s := {count(n) | some n in {"one", "two", "tree"}} with count as mock_count`;
    expect(run(original, "data.t.p")).toEqual([1, 3, 4]);
  });

  test("http.send and opa.runtime are declared builtins: mockable with `with`, http.send refuses the network otherwise", () => {
    const src = `package t
mock(req) := {"body": {"roles": ["admin"]}} if req.body.name == "alice"
allow if "admin" in http.send({"method": "GET", "body": input}).body.roles
test_allow if allow with http.send as mock with input.name as "alice"
rt := x if x = time.now_ns() with time.now_ns as opa.runtime`;
    expect(run(src, "data.t.test_allow")).toBe(true);
    expect(run(src, "data.t.rt")).toEqual({});
    expect(run(src, "data.t.allow", { name: "alice" })).toBeUndefined();
    const e = (() => {
      try {
        compile([{ path: "m.rego", source: src }], { regoV1: true, strictBuiltinErrors: true })
          .prepare("data.t.allow")
          .evaluate({ name: "alice" });
      } catch (x) {
        return x as RegoError;
      }
      throw new Error("expected an error");
    })();
    expect(e.code).toBe("eval_builtin_error");
    expect(e.message).toContain("http.send: network access is not available");
  });

  test("base data known at compile time may not sit at a rule's path (OPA: conflicting rule for data path)", () => {
    const mods = [{ path: "m.rego", source: "package a\np := 2" }];
    let e: unknown;
    try {
      compile(mods, { regoV1: true, data: { a: { p: 5 } } });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(RegoError);
    expect((e as RegoError).code).toBe("rego_compile_error");
    expect((e as RegoError).message).toContain("conflicting rule for data path a/p found");
    expect((e as RegoError).location?.line).toBe(2);
    // data beside the rule is fine
    expect(
      compile(mods, { regoV1: true, data: { a: { q: 5 } } })
        .prepare("data.a")
        .evaluate(undefined),
    ).toEqual({ p: 2, q: 5 });
  });

  test("a ground rule head naming another module's package is a compile-time conflict; a longer head merges", () => {
    let e: unknown;
    try {
      compile(
        [
          { path: "a.rego", source: "package a\nb := 1" },
          { path: "b.rego", source: "package a.b\nc := 2" },
        ],
        { regoV1: true },
      );
    } catch (x) {
      e = x;
    }
    expect((e as RegoError).code).toBe("rego_type_error");
    expect((e as RegoError).message).toContain("package a.b conflicts with rule b defined at a.rego:2");
    expect(run(["package a\nb.c := 1", "package a.b\nd := 2"], "data.a")).toEqual({ b: { c: 1, d: 2 } });
  });

  test("a := or some declaration is visible only to comprehensions after it: earlier comprehensions keep their own variable", () => {
    const src = `package t
xs := {"a", "b", "c"}
p := x if {
\ty := {x | xs[x]}
\tz := {x | xs[x]}
\tcount(y) == count(z)
\tx := count(y)
}
q := y if {
\tx := 1
\ty := [v | v := [1, 2][_] + x]
}`;
    expect(run(src, "data.t.p")).toBe(3);
    expect(run(src, "data.t.q")).toEqual([2, 3]);
  });

  test("type errors name the builtin and the operand (OPA's text), then the other engines' wording", () => {
    const e = err(`package t\nx := "1" % 9`, "data.t.x");
    expect(e.code).toBe("rego_type_error");
    expect(e.message).toContain("rem: invalid argument(s)");
    expect(e.message).toContain("rem: operand 1 must be number but got string");
    expect(e.message).toContain("`mod` expects numeric argument.");
  });

  test("a deprecated alias reports errors under its own name (net.cidr_overlap, not net.cidr_contains)", () => {
    const e = (() => {
      try {
        compile([{ path: "m.rego", source: 'package t\nx := net.cidr_overlap(input, "10.0.0.1")' }], { strictBuiltinErrors: true })
          .prepare("data.t.x")
          .evaluate(null);
      } catch (x) {
        return x as RegoError;
      }
      throw new Error("expected an error");
    })();
    expect(e.message).toContain("net.cidr_overlap: operand 1 must be string but got null");
  });
});
