// Function calls and function heads, as OPA's compiler (checkUndefinedFuncs, arityMismatchError)
// and evaluator treat them.
import { describe, expect, test } from "bun:test";
import { compile, RegoError, toJSON } from "../src/index.ts";

function run(srcs: string[], query: string): unknown {
  const v = compile(
    srcs.map((source, i) => ({ path: `m${i}.rego`, source })),
    { regoV1: true },
  )
    .prepare(query)
    .evaluate({});
  return v === undefined ? undefined : toJSON(v);
}

function compileErr(src: string): RegoError {
  try {
    compile([{ path: "m.rego", source: src }], { regoV1: true });
  } catch (e) {
    if (e instanceof RegoError) return e;
    throw e;
  }
  throw new Error("expected a compile error");
}

describe("function calls", () => {
  test("a user function called with the wrong number of arguments names its path and arity", () => {
    const e = compileErr("package p\nf(x) := x\nr := f(1, 2, 3)");
    expect(e.code).toBe("rego_type_error");
    expect(e.detail).toBe("function data.p.f has arity 1, got 3 arguments");
  });

  test("builtins report an arity mismatch under their own name", () => {
    expect(compileErr("package p\nr := count([1], 2, 3)").detail).toContain("count: arity mismatch");
  });

  test("an undefined function is named by its resolved ref", () => {
    expect(compileErr("package p\nf := 1\nr := f(1)").detail).toContain("undefined function data.p.f");
    expect(compileErr("package p\nr := nothing(1)").detail).toContain("undefined function nothing");
    expect(compileErr("package p\nimport data.q\nr := q.g(1)").detail).toContain("undefined function data.q.g");
  });

  test("one extra argument receives the result; patterns in heads destructure", () => {
    const src =
      'package p\nf([x, y]) := x + y\ng({"a": x}) := x\nr if { f([1, 2], z); z == 3; split("a.b", ".", parts); parts == ' +
      '["a", "b"] }\ns := [f([1, 2]), g({"a": 3})]';
    expect(run([src], "data.p.r")).toBe(true);
    expect(run([src], "data.p.s")).toEqual([3, 3]);
  });

  test("functions in ref heads are called by their full ref, also from another package", () => {
    expect(run(["package p\na.b.f(x) := x * 10\nr := a.b.f(2)"], "data.p.r")).toBe(20);
    expect(run(["package p\nimport data.q\nr := q.f(1)", "package q\nf(x) := x * 10"], "data.p.r")).toBe(10);
  });
});

describe("declarations (OPA's rewriteDeclaredVar): a declaration must be the first occurrence of its name", () => {
  const cases: [string, string][] = [
    ["r if { x := 1; x := 2 }", "var x assigned above"],
    ["r if { some x; x := 1 }", "var x declared above"],
    ["r if { some x in [1]; x := 2 }", "var x declared above"],
    ["r if { x := 1; some x; x == 1 }", "var x assigned above"],
    ["r if { x = 1; some x }", "var x referenced above"],
    ["f(x) := 1 if { x := 2 }", "arg x redeclared"],
  ];
  for (const [body, message] of cases) {
    test(`${body} -> ${message}`, () => {
      const e = compileErr(`package p\n${body}`);
      expect(e.code).toBe("rego_compile_error");
      expect(e.detail).toStartWith(message);
    });
  }
});

describe("with: a builtin as the replacement of a function", () => {
  const src = "package p\nf(x) := x\nt := y if { y := f(1) with f as count }\nu := y if { y := f([1, 2]) with f as count }";
  test("its operand errors are builtin errors: eval_type_error with strict builtin errors, else undefined", () => {
    const strict = compile([{ path: "m.rego", source: src }], { regoV1: true, strictBuiltinErrors: true });
    let e: unknown;
    try {
      strict.prepare("data.p.t").evaluate({});
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(RegoError);
    expect((e as RegoError).code).toBe("eval_type_error");
    expect((e as RegoError).detail).toContain("count: operand 1 must be one of {array, object, set, string} but got number");
    expect(run([src], "data.p.t")).toBeUndefined();
    expect(run([src], "data.p.u")).toBe(2);
  });
});

describe(":= targets (OPA's rewriteDeclaredAssignment, checkKeywordOverrides)", () => {
  test("a ref cannot be assigned, even one rooted at input; input itself cannot be shadowed", () => {
    expect(compileErr("package p\nr if { input.x := 1 }").detail).toStartWith("cannot assign to ref");
    expect(compileErr("package p\nr if { input := 1 }").detail).toStartWith(
      "variables must not shadow input (use a different variable name",
    );
    expect(compileErr("package p\ninput := 1").detail).toStartWith("rules must not shadow input (use a different rule name");
    expect(compileErr("package p\nr if { 1 := 1 }").detail).toStartWith("cannot assign to number");
  });
});

describe("a function is not a value (OPA's type checker: 'undefined ref')", () => {
  test("referring to a function without calling it is a compile-time type error", () => {
    const e = compileErr("package p\nf(x) := x\nr := f");
    expect(e.code).toBe("rego_type_error");
    expect(e.detail).toStartWith("undefined ref: data.p.f");
    expect(compileErr("package p\nf(x) := x\nr if { some x in f }").detail).toStartWith("undefined ref: data.p.f");
    expect(run(["package p\na.b(x) := x\nr := a"], "data.p.r")).toEqual({});
  });
});

describe("references into scalars of known type (OPA's checker: 'undefined ref', have: number)", () => {
  test("indexing a constant or a constant-assigned local where every value is a scalar is a type error", () => {
    expect(compileErr("package p\nr if { some i, j; [1, 2][i][j] }").detail).toStartWith("undefined ref: [1, 2][i][j]");
    expect(compileErr("package p\nr if { x := 1; x[0] == 1 }").detail).toStartWith("undefined ref: x[0]");
    expect(compileErr('package p\nr if { some x in "abc" }').detail).toStartWith("undefined ref:");
    expect(run(['package p\nr := [[1, [2]][_][0], {"a": [1]}.a[0]]'], "data.p.r")).toEqual([2, 1]);
  });
});

describe("OPA's rewriteLocalVars and validateWith checks", () => {
  test("a variable declared with some must be used; ':=' cannot be negated", () => {
    expect(compileErr("package p\nr if { some x; true }").detail).toBe("declared var x unused");
    expect(compileErr("package p\nr := [x | some x, y; x = 1]").detail).toBe("declared var y unused");
    expect(run(["package p\nr := x if { some x; x = 1 }"], "data.p.r")).toBe(1);
    const neg = compileErr("package p\nr if { not x := 1 }");
    expect(neg.code).toBe("rego_compile_error");
    expect(neg.detail).toBe("cannot assign vars inside negated expression");
  });
  test("with: no partial replacement of a virtual document; some builtins cannot be replaced", () => {
    expect(compileErr("package p\nq.r := 1\nt := y if { y := q.r.s with data.p.q.r.s as 1 }").detail).toBe(
      "with keyword cannot partially replace virtual document(s)",
    );
    expect(compileErr("package p\nr if { true with print as count }").detail).toBe(
      "with keyword replacing built-in function: target must not be a void function",
    );
    expect(compileErr("package p\nr if { true with walk as count }").detail).toBe(
      "with keyword replacing built-in function: target must not be a relation",
    );
    expect(compileErr("package p\nr if { true with internal.member_2 as count }").detail).toStartWith(
      "with keyword replacing built-in function: replacement of internal function",
    );
    expect(run(["package p\nq.r := 1\nt := y if { y := q.r with data.p.q.r as 2 }"], "data.p.t")).toBe(2);
  });
});

describe("a local variable named like a function hides it (OPA: 'called function f shadowed')", () => {
  test("calling a rule function or a builtin through a shadowing local is a compile error", () => {
    expect(compileErr("package p\nf(x) := x\nr if { f := 1; f(1) }").detail).toBe("called function f shadowed");
    expect(compileErr("package p\nr if { count := 1; count([1]) }").detail).toBe("called function count shadowed");
  });
});

describe("print is a statement (OPA: checkVoidCalls, rewritePrintCalls)", () => {
  test("print used as a value is a type error; its operands must be declared", () => {
    expect(compileErr("package p\nr := print(1)").detail).toContain("used as value");
    expect(compileErr("package p\nr if { x := print(1) }").detail).toContain("used as value");
    expect(compileErr("package p\nr if { print(y) }").detail).toBe("var y is undeclared");
    const out: string[] = [];
    compile([{ path: "m.rego", source: 'package p\nr if { x := 1; print("x is", x, input.nope) }' }], {
      regoV1: true,
      print: (m) => out.push(m),
    })
      .prepare("data.p.r")
      .evaluate({});
    expect(out).toEqual(["x is 1 <undefined>"]);
  });
});

describe("deprecated builtins in v1 modules (OPA's checkDeprecatedBuiltins)", () => {
  test("calling any/all/cast_* in v1 is a type error naming the builtin; a user function of that name is fine", () => {
    const e = compileErr("package p\nx := any([true, false])");
    expect(e.code).toBe("rego_type_error");
    expect(e.detail).toStartWith("deprecated built-in function calls in expression: any");
    expect(run(["package p\nall(arr) := true\nx := all([1])"], "data.p.x")).toBe(true);
  });
});
