// Parser corner cases, written from OPA's parser (v1/ast/parser.go: scanAheadRef,
// isAllowedRefKeyword, parseRules/parseHead/parseElse, parseImport).
import { describe, expect, test } from "bun:test";
import { compile, RegoError, toJSON } from "../src/index.ts";

function run(src: string, query: string, v1 = true): unknown {
  const v = compile([{ path: "m.rego", source: src }], { regoV1: v1 })
    .prepare(query)
    .evaluate({});
  return v === undefined ? undefined : toJSON(v);
}

function parseErr(src: string, v1 = true): string {
  try {
    compile([{ path: "m.rego", source: src }], { regoV1: v1 });
  } catch (e) {
    if (e instanceof RegoError) {
      expect(e.code).toBe("rego_parse_error");
      return e.detail;
    }
    throw e;
  }
  throw new Error("expected a parse error");
}

describe("keywords inside references", () => {
  test("keywords after a dot are names, in rule heads and in bodies", () => {
    const src = "package p\na.if.else := 1\nb.not.in := 2\nr := [data.p.a.if.else, b.not.in]";
    expect(run(src, "data.p.r")).toEqual([1, 2]);
  });

  test("a keyword directly followed by . or [ starts a reference (rule head and body)", () => {
    expect(run("package p\nnot.x := 1\nr if not.x == 1", "data.p.r")).toBe(true);
    expect(run("package p\ndefault.x := 1", "data.p")).toEqual({ default: { x: 1 } });
    expect(run("package p\nsome.x := 1\nr := some.x", "data.p.r")).toBe(1);
    expect(run("package p\nif.x := 1", "data.p")).toEqual({ if: { x: 1 } });
  });

  test("a bare keyword is not a rule name in v1 (v0 reads the future keywords as names)", () => {
    expect(parseErr("package p\nif := 1")).toContain("unexpected if keyword");
    expect(parseErr("package p\nin := 1")).toContain("unexpected in keyword");
    expect(run("package p\ncontains := 1", "data.p.contains", false)).toBe(1);
  });
});

describe("rule heads", () => {
  test("contains on a function head is refused", () => {
    expect(parseErr("package p\nf(x) contains 1")).toContain(
      "the contains keyword can only be used with multi-value rule definitions (e.g., f contains <VALUE> { ... })",
    );
  });

  test("else is refused on rules with variables in the head, and on multi-value rules", () => {
    expect(parseErr('package p\na[x] := 1 if x := "b"\nelse := 2')).toContain(
      "else keyword cannot be used on rules with variables in head",
    );
    expect(parseErr("package p\np[x] { x := 1 } else = 2 { true }", false)).toContain("else keyword cannot be used on multi-value rules");
    expect(parseErr("package p\np[x] = 1 { x := 1 } else = 2 { true }", false)).toContain(
      "else keyword cannot be used on rules with variables in head",
    );
  });

  test("a call result can be dereferenced, and ref heads may end in a function", () => {
    const src = 'package p\nf(x) := {"y": x}\na.b.g(x) := x\nr := [f(2).y, f(3)["y"], split("a.b", ".")[1], a.b.g(4)]';
    expect(run(src, "data.p.r")).toEqual([2, 3, "b", 4]);
  });
});

describe("imports", () => {
  test("an import may not bind a keyword: as alias, or as the last path element without an alias", () => {
    expect(parseErr("package p\nimport data.q.r as not\nx := 1")).toContain("unexpected not keyword: expected var");
    expect(parseErr("package p\nimport data.q.if\nx := 1")).toContain("unexpected import path, must not end with a keyword, got: if");
    expect(run("package p\nimport data.q.if as y\nx := 1", "data.p.x")).toBe(1);
    expect(run("package p\nimport data.q.in\nx := 1", "data.p.x", false)).toBe(1);
  });
});

describe("parse errors name tokens as OPA's parser does", () => {
  test("punctuation by its text or operator name, eof, keywords", () => {
    expect(parseErr("package p\np := 1 }")).toContain("unexpected } token");
    expect(parseErr("package p\nx := 1 +\n")).toContain("unexpected eof token");
    expect(parseErr("package p\n:= 1")).toContain("unexpected assign token");
    expect(parseErr("package p\nsome := 1")).toContain("unexpected some keyword");
  });

  test("a name followed by another name is 'var cannot be used for rule name'", () => {
    expect(parseErr("package p\ninternal_user email if {\n  email := input.user.email\n}")).toBe("var cannot be used for rule name");
  });
});

describe("rule kinds of heads without a value (OPA's parseRules/parseHead)", () => {
  test("only v0's p[x] { ... } is multi-value; p[x] if and longer refs get the value true", () => {
    expect(run("package p\nq[x] { x := 1 }", "data.p.q", false)).toEqual([1]);
    expect(run('package p\nimport future.keywords.if\nq[x] if { x := "a" }', "data.p.q", false)).toEqual({ a: true });
    expect(run('package p\na.b[x] { x := "c" }', "data.p.a", false)).toEqual({ b: { c: true } });
    expect(run('package p\nq[x] if { x := "a" }', "data.p.q")).toEqual({ a: true });
  });
});

describe("default rules (OPA's validateDefaultRuleValue / validateDefaultRuleArgs)", () => {
  test("a default value may not hold variables, refs or calls; comprehensions are allowed", () => {
    expect(parseErr("package p\ndefault a := x")).toStartWith("illegal default rule (value cannot contain var)");
    expect(parseErr("package p\ndefault a := input.x")).toStartWith("illegal default rule (value cannot contain ref)");
    expect(parseErr("package p\ndefault a := count([1])")).toStartWith("illegal default rule (value cannot contain call)");
    expect(parseErr("package p\ndefault f(x) := x")).toStartWith("illegal default rule (value cannot contain var)");
    expect(run("package p\ndefault a := [x | x := 1]", "data.p.a")).toEqual([1]);
  });
  test("a default needs a value; default function arguments are distinct variables", () => {
    expect(parseErr("package p\ndefault a")).toStartWith("illegal default rule (must have a value)");
    expect(parseErr("package p\ndefault f(1) := 1")).toBe("illegal default rule (arguments cannot contain number)");
    expect(parseErr("package p\ndefault f(x, x) := 1")).toBe("illegal default rule (arguments cannot be repeated x)");
    expect(run("package p\ndefault f(_, _) := 0\nr := f(1, 2)", "data.p.r")).toBe(0);
  });
});

describe("imports (OPA's parseImport, regoV1Import, checkDuplicateImports)", () => {
  test("paths outside data/input/future/rego, and rego imports other than rego.v1", () => {
    expect(parseErr("package p\nimport foo.bar\nx := 1")).toStartWith(
      "unexpected import path, must begin with one of: {data, future, input, rego}, got: foo",
    );
    expect(parseErr("package p\nimport rego.v2\nx := 1")).toBe("invalid import `rego.v2`, must be `rego.v1`");
  });
  test("in v1 two imports may not bind the same name (v0 allows it)", () => {
    const dup = (src: string): string => {
      try {
        compile([{ path: "m.rego", source: src }], { regoV1: true });
      } catch (e) {
        return (e as RegoError).detail;
      }
      return "ok";
    };
    expect(dup("package p\nimport data.a\nimport data.b as a\nx := 1")).toBe("import must not shadow import data.a");
    expect(dup("package p\nimport data.b as a\nimport data.a\nx := 1")).toBe("import must not shadow import data.b as a");
    expect(run("package p\nimport data.a\nimport data.a\nx := 1", "data.p.x", false)).toBe(1);
  });
});

describe("string literals are JSON strings (OPA: 'illegal string literal')", () => {
  test("bad escapes and raw control characters are refused, naming the literal", () => {
    expect(parseErr('package p\nx := "\\q"')).toStartWith('illegal string literal: "\\q"');
    expect(parseErr('package p\nx := "a\\u12"')).toStartWith('illegal string literal: "a\\u12"');
    expect(parseErr('package p\nx := "a\tb"')).toStartWith("illegal string literal:");
    expect(run('package p\nx := "\\u00e9\\/\\t"', "data.p.x")).toBe("é/\t");
  });
});

describe("negation of some and every (OPA's parser forbids both)", () => {
  test("'not some' and 'not every' are parse errors", () => {
    expect(parseErr("package p\nr if { not some x in [1] }")).toBe("unexpected some keyword: illegal negation of 'some'");
    expect(parseErr("package p\nr if { not every x in [1] { x > 5 } }")).toBe("unexpected every keyword: illegal negation of 'every'");
    expect(run("package p\nr if { some x in [1]; not x > 5 }", "data.p.r")).toBe(true);
  });
});

describe("reference heads (OPA's parseRef)", () => {
  test("scalars cannot head a reference; collections, comprehensions and calls can", () => {
    expect(parseErr("package p\nx := 5[0]")).toBe("illegal ref (head cannot be number)");
    expect(parseErr('package p\nx := "abc"[0]')).toBe("illegal ref (head cannot be string)");
    expect(parseErr("package p\nx := true.x")).toBe("illegal ref (head cannot be boolean)");
    expect(parseErr("package p\nx := null[0]")).toBe("illegal ref (head cannot be null)");
    expect(run('package p\nx := [[1, 2][0], {"a": 1}.a, {1}[1], [y | y := 3][0], split("a.b", ".")[1]]', "data.p.x")).toEqual([
      1,
      1,
      1,
      3,
      "b",
    ]);
  });
});
