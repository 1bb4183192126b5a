import { describe, expect, test } from "bun:test";
import { compile, RegoError, RegoSet, toJSON, type Value } from "../src/index.ts";

function run(src: string | string[], query: string, input?: unknown, data?: unknown): unknown {
  const mods = (Array.isArray(src) ? src : [src]).map((s, i) => ({ path: `m${i}.rego`, source: s }));
  const p = compile(mods, { data: (data ?? {}) as Value });
  const v = p.prepare(query).evaluate(input as Value);
  return v === undefined ? undefined : toJSON(v);
}

function err(src: string | string[], query = "data", input?: unknown, opts: { strict?: boolean; maxSteps?: number } = {}): RegoError {
  try {
    const mods = (Array.isArray(src) ? src : [src]).map((s, i) => ({ path: `m${i}.rego`, source: s }));
    const p = compile(mods, { strictBuiltinErrors: opts.strict, limits: { maxSteps: opts.maxSteps } });
    p.prepare(query).evaluate(input as Value);
  } catch (e) {
    if (e instanceof RegoError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("evaluator", () => {
  test("default and complete rules; undefined vs false", () => {
    const src = `package t\ndefault a = false\na { input.x == 1 }\nb { input.x == 1 }\nc := input.x == 1`;
    expect(run(src, "data.t.a", { x: 1 })).toBe(true);
    expect(run(src, "data.t.a", { x: 2 })).toBe(false);
    expect(run(src, "data.t.b", { x: 2 })).toBeUndefined();
    expect(run(src, "data.t.c", { x: 2 })).toBe(false);
    expect(run(src, "data.t.c", {})).toBeUndefined();
  });

  test("partial sets and objects, iteration over input", () => {
    const src = `package t
names[n] { n := input.users[_].name }
by_id[u.id] = u.name { u := input.users[_] }
count_admins := count({u | some u in input.users; u.admin})`;
    const input = {
      users: [
        { id: "1", name: "ann", admin: true },
        { id: "2", name: "bob" },
      ],
    };
    expect(run(src, "data.t.names", input)).toEqual(["ann", "bob"]);
    expect(run(src, "data.t.by_id", input)).toEqual({ "1": "ann", "2": "bob" });
    expect(run(src, "data.t.count_admins", input)).toBe(1);
  });

  test("functions with several definitions, else, and conflicts", () => {
    const src = `package t
f(x) = "small" { x < 10 }
f(x) = "big" { x >= 10 }
g(x) = 1 { x == 1 } else = 2 { x == 2 } else = 3
h(x) = 1
h(x) = 2
`;
    expect(run(src, "data.t.f(3)")).toBe("small");
    expect(run(src, "data.t.f(30)")).toBe("big");
    expect(run(src, "data.t.g(2)")).toBe(2);
    expect(run(src, "data.t.g(9)")).toBe(3);
    expect(err(src, "data.t.h(1)").code).toBe("eval_conflict_error");
  });

  test("generated test chains agree with the closure form (incl. mocks and type mixes)", () => {
    const src = `package t
allow { input.a == "x"; input.n > count(input.xs); input.m != 2; 3 <= input.n }
mocked { allow with count as 100 }
mocked_eq { allow with equal as neq }`;
    const cases: [unknown, unknown][] = [
      [{ a: "x", n: 3, xs: [1], m: 1 }, true],
      [{ a: "x", n: 3, xs: [1, 2, 3], m: 1 }, undefined],
      [{ a: "y", n: 3, xs: [], m: 1 }, undefined],
      [{ a: "x", n: "3", xs: [], m: 1 }, true], // strings sort above numbers
      [{ a: "x", n: 3, xs: [], m: 2 }, undefined],
      [{ a: "x", n: 3, xs: "ab", m: 1 }, true], // count of a string
      [{ a: "x", n: 3, m: 1 }, undefined],
      [{ a: "x", n: 2, xs: [], m: 1 }, undefined],
      [{}, undefined],
      [null, undefined],
    ];
    for (const [input, want] of cases) expect(run(src, "data.t.allow", input)).toBe(want as boolean | undefined);
    expect(run(src, "data.t.mocked", { a: "x", n: 3, xs: [], m: 1 })).toBeUndefined();
    expect(run(src, "data.t.mocked_eq", { a: "y", n: 3, xs: [], m: 1 })).toBe(true); // "y" == "x" under equal := neq
  });

  test("conflicting complete rules are an eval_conflict_error", () => {
    const e = err(`package t\np = 1 { true }\np = 2 { true }`, "data.t.p");
    expect(e.code).toBe("eval_conflict_error");
  });

  test("not, some, every, with", () => {
    const src = `package t
import future.keywords
allow if { not deny }
deny if { input.user == "mallory" }
all_pos if { every x in input.xs { x > 0 } }
has_two if { some x in input.xs; x == 2 }
mocked if { allow with input.user as "mallory" }
`;
    expect(run(src, "data.t.allow", { user: "alice" })).toBe(true);
    expect(run(src, "data.t.allow", { user: "mallory" })).toBeUndefined();
    expect(run(src, "data.t.all_pos", { xs: [1, 2] })).toBe(true);
    expect(run(src, "data.t.all_pos", { xs: [1, -2] })).toBeUndefined();
    expect(run(src, "data.t.all_pos", { xs: [] })).toBe(true);
    expect(run(src, "data.t.has_two", { xs: [1, 2] })).toBe(true);
    expect(run(src, "data.t.mocked", { user: "alice" })).toBeUndefined();
  });

  test("with mocks functions and builtins", () => {
    const src = `package t
f(x) = x * 2
p := f(2)
q := v { v := p with f as 100 }
r := v { v := count([1, 2]) with count as 7 }
s := v { v := p with f as g }
g(x) = x * 10
`;
    expect(run(src, "data.t.q")).toBe(100);
    expect(run(src, "data.t.r")).toBe(7);
    expect(run(src, "data.t.s")).toBe(20);
  });

  test("with data overrides rules and base documents", () => {
    const src = `package t\nx := data.cfg.limit + 1\ny := v { v := x with data.cfg.limit as 10 }\nz := v { v := x with data.t.x as 99 }`;
    expect(run(src, "data.t.y", undefined, { cfg: { limit: 1 } })).toBe(11);
    expect(run(src, "data.t.z", undefined, { cfg: { limit: 1 } })).toBe(99);
  });

  test("not f(x.y) with an undefined argument is undefined, as OPA rewrites it", () => {
    const src =
      `package t\nimport future.keywords.in\nok(v) { v == 1 }\np { not ok(input.missing) }\nq { not input.missing }\nr { not ` +
      `input.missing == 1 }\ns { not 1 in input.missing }\nu { not input.present == 1 }`;
    expect(run(src, "data.t.p", {})).toBeUndefined();
    expect(run(src, "data.t.q", {})).toBe(true);
    expect(run(src, "data.t.r", {})).toBeUndefined();
    expect(run(src, "data.t.s", {})).toBeUndefined();
    expect(run(src, "data.t.u", { present: 2 })).toBe(true);
  });

  test("comprehensions may use variables the enclosing body binds later by unification", () => {
    expect(run(`package t\np := xs { xs := [x | x := input[_]; x > y]; y = 2 }`, "data.t.p", [1, 2, 3, 4])).toEqual([3, 4]);
    // `:=` declares at its position (OPA's rewriteLocalVars): the comprehension's y is another, unbound, var
    expect(err(`package t\np := xs { xs := [x | x := input[_]; x > y]; y := 2 }`, "data.t.p", []).message).toContain("var y is unsafe");
    expect(err(`package t\np := xs { xs := [x | x := input[_]; x > nope] }`, "data.t.p", []).message).toContain("var nope is unsafe");
  });

  test("unification and destructuring", () => {
    const src = `package t\np := [a, b] { [a, {"k": b}] = [1, {"k": 2}] }\nq { [1, x] = input.pair; x == 3 }`;
    expect(run(src, "data.t.p")).toEqual([1, 2]);
    expect(run(src, "data.t.q", { pair: [1, 3] })).toBe(true);
  });

  test("refs with variables over virtual documents", () => {
    const src = [
      `package a\nx := 1\ny := 2\nfns[k] := v { some k, v in {"p": 1} }`,
      `package b\nkeys := {k | data.a[k]}\nsum_a := sum([v | v := data.a[k]; is_number(v)])`,
    ];
    expect(run(src, "data.b.keys")).toEqual(["fns", "x", "y"]);
    expect(run(src, "data.b.sum_a")).toBe(3);
  });

  test("rule-head refs (v1)", () => {
    const src = `package t\nimport rego.v1\na.b.c := 1\na.b.d := 2\nm[k] := k if some k in ["x"]`;
    expect(run(src, "data.t.a")).toEqual({ b: { c: 1, d: 2 } });
    expect(run(src, "data.t.m")).toEqual({ x: "x" });
  });

  test("nested multi-value rules (q[a][b] contains x)", () => {
    const src =
      `package t\nimport rego.v1\nq[p][a] contains x if { some x in [1, 2]; p := "u"; a := "r" }\nr[k] contains 1 if { some k ` + `in [] }`;
    expect(run(src, "data.t.q")).toEqual({ u: { r: [1, 2] } });
    expect(run(src, "data.t.r")).toEqual({});
  });

  test("keywords as field names in refs", () => {
    const src = `package t\nx := input.package.import.default\npolicy.default.level := 3`;
    expect(run(src, "data.t.x", { package: { import: { default: "d" } } })).toBe("d");
    expect(run(src, "data.t.policy.default.level")).toBe(3);
  });

  test("multi-module packages merge", () => {
    expect(run([`package t\na := 1`, `package t\nb := data.t.a + 1`], "data.t")).toEqual({ a: 1, b: 2 });
  });

  test("query results are OPA-shaped with bindings", () => {
    const p = compile([{ path: "t.rego", source: "package t\nxs := [10, 20]" }]);
    const r = p.query("x := data.t.xs[i]");
    expect(r.length).toBe(2);
    expect(r[1].bindings).toEqual({ x: 20, i: 1 });
    expect(r[0].expressions[0].text).toBe("x := data.t.xs[i]");
  });

  test("sets are RegoSet values", () => {
    const p = compile([{ path: "t.rego", source: "package t\ns := {1, 2}" }]);
    expect(p.prepare("data.t.s").evaluate()).toBeInstanceOf(RegoSet);
  });

  test("walk and print", () => {
    const out: string[] = [];
    const p = compile(
      [{ path: "t.rego", source: `package t\npaths := [p | walk({"a": [1]}, [p, _])]\nx { print("hello", 1, input.nope) }` }],
      { print: (m) => out.push(m) },
    );
    expect(toJSON(p.prepare("data.t.paths").evaluate()!)).toEqual([[], ["a"], ["a", 0]]);
    p.prepare("data.t.x").evaluate({});
    expect(out).toEqual(["hello 1 <undefined>"]);
  });
});

describe("bad policies give clear errors", () => {
  test("unsafe variables", () => {
    const e = err(`package t\np { x > 1 }`);
    expect(e.code).toBe("rego_unsafe_var_error");
    expect(e.message).toContain("var x is unsafe");
    expect(e.location?.line).toBe(2);
  });

  test("recursion is detected at compile time", () => {
    const e = err(`package t\na = b\nb = c\nc = a`);
    expect(e.code).toBe("rego_recursion_error");
    expect(e.message).toContain("data.t.a -> data.t.b -> data.t.c -> data.t.a");
  });

  test("undefined functions and arity", () => {
    expect(err(`package t\np := nope(1)`).message).toContain("undefined function nope");
    expect(err(`package t\np := count(1, 2, 3)`).code).toBe("rego_type_error");
  });

  test("builtin type errors: constant operands fail at compile time", () => {
    const e = err(`package t\np := 1 + "a"`, "data.t.p");
    expect(e.code).toBe("rego_type_error");
    expect(e.message).toContain("plus: operand 2 must be number");
  });

  test("builtin type errors at evaluation: undefined by default, errors when strict", () => {
    expect(run(`package t\np := input.x + 1`, "data.t.p", { x: "a" })).toBeUndefined();
    const e = err(`package t\np := input.x + 1`, "data.t.p", { x: "a" }, { strict: true });
    expect(e.code).toBe("eval_type_error");
    expect(e.message).toContain("plus: operand 1 must be number");
  });

  test("evaluation stops at a time limit (simulated clock)", () => {
    let t = 0;
    const p = compile([{ path: "t.rego", source: "package t\nn := count([1 | input[_]; input[_]])" }], {
      limits: { timeoutMs: 50, clock: () => (t += 1), checkInterval: 10 },
    });
    expect(() => p.prepare("data.t.n").evaluate(Array.from({ length: 100 }, (_, i) => i))).toThrow(/execution exceeded time limit/);
  });

  test("evaluation stops at the step limit instead of hanging", () => {
    const src = `package t\np := count([1 | input.xs[_]; input.xs[_]; input.xs[_]])`;
    const xs = Array.from({ length: 200 }, (_, i) => i);
    const e = err(src, "data.t.p", { xs }, { maxSteps: 100_000 });
    expect(e.code).toBe("eval_limit_error");
  });
});
