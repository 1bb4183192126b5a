// Rule/rule and rule/data conflicts, as OPA's compiler reports them (v1/ast/compile.go
// checkRuleConflicts, v1/ast/conflicts.go with storage.NonEmpty).
import { describe, expect, test } from "bun:test";
import { compile, RegoError, toJSON, type Value } from "../src/index.ts";

function compileErr(srcs: string[], data?: unknown): RegoError {
  try {
    compile(
      srcs.map((source, i) => ({ path: `m${i}.rego`, source })),
      { regoV1: true, data: data as Value | undefined },
    );
  } catch (e) {
    if (e instanceof RegoError) return e;
    throw e;
  }
  throw new Error("expected a compile error");
}

function run(srcs: string[], query: string, data?: unknown): unknown {
  const p = compile(
    srcs.map((source, i) => ({ path: `m${i}.rego`, source })),
    { regoV1: true, data: data as Value | undefined },
  );
  const v = p.prepare(query).evaluate({});
  return v === undefined ? undefined : toJSON(v);
}

describe("rule extent conflicts (a ground head owns everything below it)", () => {
  test("a complete rule and a rule inside its extent conflict at compile time, naming both refs", () => {
    const e = compileErr(["package p\na.b := 1\na.b.c := 2"]);
    expect(e.code).toBe("rego_type_error");
    expect(e.detail).toBe("rule data.p.a.b conflicts with [data.p.a.b.c]");
    expect(e.location?.line).toBe(2);
  });

  test("an object value does not make room for a rule below it", () => {
    expect(compileErr(['package p\nx := {"a": 1}\nx.b := 2']).detail).toBe("rule data.p.x conflicts with [data.p.x.b]");
  });

  test("functions and multi-value (contains) rules own their extent too; every rule below is listed, sorted", () => {
    expect(compileErr(["package p\na.b(x) := x\na.b.c := 1"]).detail).toBe("rule data.p.a.b conflicts with [data.p.a.b.c]");
    expect(compileErr(["package p\ns contains 1\ns.t := 1\ns.u.v := 2"]).detail).toBe(
      "rule data.p.s conflicts with [data.p.s.t data.p.s.u.v]",
    );
  });

  test("a rule in another module's package below a complete rule conflicts (rule tree error first)", () => {
    const e = compileErr(["package a\nb := 1", "package a.b\nc := 2"]);
    expect(e.detail).toContain("rule data.a.b conflicts with [data.a.b.c]");
    expect(e.detail).toContain("package a.b conflicts with rule b defined at m0.rego:2");
  });

  test("a rule with a variable in its head ref may have rules inside its extent", () => {
    expect(run(['package p\nq[r] := 1 if some r in ["x"]\nq.s := 2'], "data.p.q")).toEqual({ x: 1, s: 2 });
    expect(run(["package p\na.b.c := 1\na.b.d := 2"], "data.p.a")).toEqual({ b: { c: 1, d: 2 } });
  });

  test("two defaults for one rule name both locations", () => {
    const e = compileErr(["package p\ndefault x := 1\ndefault x := 2"]);
    expect(e.detail).toBe("multiple default rules data.p.x found at m0.rego:2, m0.rego:3");
  });
});

describe("rule/data conflicts (storage.NonEmpty)", () => {
  test("data at the rule's own path conflicts", () => {
    const e = compileErr(["package p\na := 1"], { p: { a: 2 } });
    expect(e.code).toBe("rego_compile_error");
    expect(e.detail).toContain("conflicting rule for data path p/a found");
  });

  test("a non-object value on the way to the rule's path conflicts; an object merges", () => {
    expect(compileErr(["package p\na.b := 1"], { p: { a: 5 } }).detail).toContain("conflicting rule for data path p/a/b found");
    expect(run(["package p\na.b := 1"], "data.p.a", { p: { a: { c: 2 } } })).toEqual({ b: 1, c: 2 });
  });
});

describe("compile-time type errors for builtin calls with constant operands (OPA's type checker)", () => {
  test("every builtin's operand types are checked, not a fixed list", () => {
    for (const call of ['net.cidr_contains(1, "a")', "array.flatten(1)", 'sprintf("%d", 1)', 'concat(",", [1])']) {
      const e = compileErr([`package p\nx := ${call}`]);
      expect(e.code).toBe("rego_type_error");
      expect(e.detail).toContain("invalid argument(s)");
    }
  });
  test("value checks stay at evaluation (format_int's base, integer operands)", () => {
    for (const call of ["format_int(15, 7)", "numbers.range(1.5, 2)"]) {
      let code = "";
      try {
        run([`package p\nx := ${call}`], "data.p.x");
      } catch (e) {
        code = (e as RegoError).code;
      }
      expect(code).not.toBe("rego_type_error");
    }
  });
});

describe("compile-time type errors through variables assigned a constant (OPA's type checker infers x's type)", () => {
  test("x := 1; count(x) is a type error; the same variable as a valid operand is fine", () => {
    const e = compileErr(["package p\nr if { x := 1; count(x) > 0 }"]);
    expect(e.code).toBe("rego_type_error");
    expect(e.detail).toContain("count: invalid argument(s)");
    expect(compileErr(['package p\nr if { x := 1; [a | a := concat(",", x)] }']).detail).toContain("concat: invalid argument(s)");
    expect(run(['package p\nr := y if { x := "a"; y := upper(x) }'], "data.p.r")).toBe("A");
    expect(run(["package p\nr if { x := [1]; count(x) > 0 }"], "data.p.r")).toBe(true);
  });
});

describe("rule/data conflicts with data given at evaluation (OPA checks its store when preparing the query)", () => {
  const p = compile([{ path: "m.rego", source: "package p\na.b := 1\nc := 2" }], { regoV1: true });
  const codeOf = (data: unknown, query: string): string => {
    try {
      p.query(query, { data: data as Value });
    } catch (e) {
      return `${(e as RegoError).code}: ${(e as RegoError).detail}`;
    }
    return "ok";
  };
  test("every query fails the same way, whichever rule it reads", () => {
    for (const q of ["data.p", "data.p.c", "data.p.a.b"]) {
      expect(codeOf({ p: { c: 3 } }, q)).toStartWith("rego_compile_error: conflicting rule for data path p/c found");
      expect(codeOf({ p: { a: 5 } }, q)).toStartWith("rego_compile_error: conflicting rule for data path p/a/b found");
    }
  });
  test("data that only adds beside the rules merges", () => {
    expect(p.query("data.p", { data: { p: { a: { x: 1 } } } })[0]!.expressions[0]!.value).toEqual({ a: { b: 1, x: 1 }, c: 2 });
  });
});

describe("values written at one path by different ref-head rules (OPA's objectDocKeyConflictErr)", () => {
  test("a[x].b and a.k.b with different values: 'object keys must be unique'", () => {
    let e: unknown;
    try {
      run(['package p\na[x].b := 1 if some x in ["k"]\na.k.b := 2'], "data.p.a");
    } catch (x) {
      e = x;
    }
    expect((e as RegoError).code).toBe("eval_conflict_error");
    expect((e as RegoError).detail).toContain("object keys must be unique");
    expect(run(['package p\na[x].b := 1 if some x in ["k"]\na.k.c := 2'], "data.p.a")).toEqual({ k: { b: 1, c: 2 } });
  });
});

describe("duplicate keys in an object literal (OPA's parser and object insert: the later key wins)", () => {
  test("constant and computed duplicate keys keep the last value, no conflict error", () => {
    expect(run(['package p\nr := {"a": 1, "b": 2, "a": 3}'], "data.p.r")).toEqual({ a: 3, b: 2 });
    expect(run(['package p\nr := {x: 1, y: 2} if { x := "a"; y := "a" }'], "data.p.r")).toEqual({ a: 2 });
  });
  test("an object comprehension producing one key twice with different values is still a conflict", () => {
    let e: unknown;
    try {
      run(['package p\nr := {k: v | some k in ["a"]; some v in [1, 2]}'], "data.p.r");
    } catch (x) {
      e = x;
    }
    expect((e as RegoError).code).toBe("eval_conflict_error");
  });
});

describe("conflicting rule kinds are named by the rule's ref, variables included (OPA #5870)", () => {
  test("a complete rule and a partial object rule at one path", () => {
    expect(compileErr(["package test\np := 1\np[k] := v if { k := input.key; v := input.value }"]).detail).toStartWith(
      "conflicting rules data.test.p[k] found",
    );
    expect(compileErr(["package p\nf(x) := 1\nf(x, y) := 2"]).detail).toStartWith("conflicting rules data.p.f found");
  });
});
