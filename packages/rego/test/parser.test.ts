import { describe, expect, test } from "bun:test";
import { parseModule, parseQuery } from "../src/parser.ts";
import { RegoError } from "../src/errors.ts";

function parseErr(src: string, v1 = false): RegoError {
  try {
    parseModule(src, "p.rego", { regoV1: v1 });
  } catch (e) {
    if (e instanceof RegoError) return e;
    throw e;
  }
  throw new Error("expected a parse error");
}

describe("parser", () => {
  test("v0 module: package, imports, rule kinds", () => {
    const m = parseModule(
      `package a.b
import data.lib.x as y
import input.review
default allow = false
allow { input.x == 1 }
deny[msg] { msg := "no" }
obj[k] = v { some k, v in {"a": 1} }
f(x) = y { y := x + 1 }
p.q.r = 5
`,
      "m.rego",
    );
    expect(m.pkg).toEqual(["data", "a", "b"]);
    expect(m.imports.map((i) => i.alias)).toEqual(["y", null]);
    expect(m.rules.map((r) => r.kind)).toEqual(["complete", "complete", "set", "object", "function", "complete"]);
    expect(m.rules[0].isDefault).toBe(true);
  });

  test("v1 keywords: if, contains, every, some-in", () => {
    const m = parseModule(
      `package t
import rego.v1
deny contains msg if {
  some x in input.xs
  every y in x.ys { y > 0 }
  msg := sprintf("%v", [x])
}
ok if input.a
`,
      "t.rego",
    );
    expect(m.regoV1).toBe(true);
    expect(m.rules[0].kind).toBe("set");
    expect(m.rules[0].body.map((e) => e.kind)).toEqual(["somein", "every", "assign"]);
    expect(m.rules[1].body.length).toBe(1);
  });

  test("v1 requires if before a body", () => {
    const e = parseErr(`package t\nimport rego.v1\np { true }\n`);
    expect(e.code).toBe("rego_parse_error");
    expect(e.message).toContain("`if` keyword is required before rule body");
    expect(e.location?.line).toBe(3);
  });

  test("errors carry file:line:col, what was expected, and a caret", () => {
    const e = parseErr(`package t\n\nallow {\n  input.x == \n}\n`);
    expect(e.message).toMatch(/^p\.rego:5:1: rego_parse_error: unexpected } token: expecting term/);
    expect(e.message).toContain("\n\t}\n\t^");
  });

  test("unterminated string and bad characters", () => {
    expect(parseErr(`package t\nx := "abc\n`).message).toContain("non-terminated string");
    expect(parseErr(`package t\nx := 1 @ 2\n`).message).toContain("unexpected character '@'");
  });

  test("precedence: * before +, + before ==, | as union", () => {
    const q = parseQuery("1 + 2 * 3 == 7");
    const t = q[0].kind === "term" ? q[0].term : null;
    expect(t?.type === "call" && t.name).toBe("equal");
    const s = parseQuery("a | b & c")[0];
    expect(s.kind === "term" && s.term.type === "call" && s.term.name).toBe("or");
  });

  test("comprehensions, sets, objects, set()", () => {
    const q = parseQuery(`x := [y | y := input[_]]; s := {1, 2}; o := {"a": 1}; e := set(); oc := {k: v | some k, v in o}`);
    const kinds = q.map((e) => (e.kind === "assign" ? e.right.type : ""));
    expect(kinds).toEqual(["arraycompr", "set", "object", "set", "objectcompr"]);
  });

  test("newlines end literals; operators continue inside brackets", () => {
    const q = parseQuery(`x := [1,\n 2]\ny := x[0]`);
    expect(q.length).toBe(2);
  });

  test("trailing garbage in a query", () => {
    expect(() => parseQuery("[1]]")).toThrow(/expecting EOF/);
  });
});
