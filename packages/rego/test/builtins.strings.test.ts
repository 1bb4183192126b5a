import { describe, expect, test } from "bun:test";
import { makeObject, makeSet } from "../src/value.ts";
import { call, err } from "./builtins.helpers.ts";

describe("sprintf (Go fmt semantics)", () => {
  const f = (fmt: string, ...args: Parameters<typeof call>[1][]) => call("sprintf", fmt, args);
  test("basic verbs", () => {
    expect(f("User %s from %s has access", "alice", "engineering")).toBe("User alice from engineering has access");
    expect(f("Number: %d", 42)).toBe("Number: 42");
    expect(f("Float: %f", 3.14)).toBe("Float: 3.140000");
    expect(f("Hex: %x %X", 255, 255)).toBe("Hex: ff FF");
    expect(f("Octal: %o %O", 64, 64)).toBe("Octal: 100 0o100");
    expect(f("Binary: %b", 15)).toBe("Binary: 1111");
    expect(f("%c%c", 72, 105)).toBe("Hi");
    expect(f("%U", 0x1f600)).toBe("U+1F600");
    expect(f("100%%")).toBe("100%");
  });
  test("%v of Rego values", () => {
    expect(f("Value: %v", { key: "value" })).toBe('Value: {"key": "value"}');
    expect(f("%v", makeSet([2, 1]))).toBe("{1, 2}");
    expect(f("%v", makeSet())).toBe("set()");
    expect(f("%v %v %v", [1, "a"], null, true)).toBe('[1, "a"] null true');
    expect(f("%s", ["a"])).toBe('["a"]');
    expect(f("%v", makeObject([[1, "x"]]))).toBe('{1: "x"}');
    expect(f("%v %v %v", 1.5, 1234567.5, 0.00001)).toBe("1.5 1.2345675e+06 1e-05");
  });
  test("width, precision, flags", () => {
    expect(f("%5d|%-5d|%05d", 42, 42, 42)).toBe("   42|42   |00042");
    expect(f("%.2f|%8.3f|%-8.1f|", 3.14159, 3.14159, 2.25)).toBe("3.14|   3.142|2.2     |");
    expect(f("%+d % d %+.1f", 5, 5, 2.5)).toBe("+5  5 +2.5");
    expect(f("%5s|%-5s|%.2s", "ab", "ab", "abcdef")).toBe("   ab|ab   |ab");
    expect(f("%#x %#o", 255, 8)).toBe("0xff 010");
    expect(f("%*d", 4, 7)).toBe("   7");
    expect(f("%e %E", 123456.789, 0.5)).toBe("1.234568e+05 5.000000E-01");
    expect(f("%g %.3g %G", 0.000012345, 3.14159, 1e-10)).toBe("1.2345e-05 3.14 1E-10");
    expect(f("%x", "hi")).toBe("6869");
    expect(f("%q", 'a"b\n')).toBe('"a\\"b\\n"');
    expect(f("%[2]s %[1]s", "a", "b")).toBe("b a");
    expect(f("%T %T %T", 1, 1.5, "s")).toBe("int float64 string");
  });
  test("Go's error forms", () => {
    expect(f("Value: %s %d", "only_one")).toBe("Value: only_one %!d(MISSING)");
    expect(f("%s", "a", 1)).toBe("a%!(EXTRA int=1)");
    expect(f("%d", "x")).toBe("%!d(string=x)");
    expect(f("%f", 3)).toBe("%!f(int=3)");
    expect(f("%t", true)).toBe("%!t(string=true)");
    expect(f("%s", 3)).toBe("%!s(int=3)");
    expect(f("abc%")).toBe("abc%!(NOVERB)");
    expect(err("sprintf", "%s", "x")).toBe("sprintf: operand 2 must be array but got string");
  });
});

describe("string builtins", () => {
  test("concat", () => {
    expect(call("concat", ", ", ["a", "b"])).toBe("a, b");
    expect(call("concat", "-", makeSet(["b", "a"]))).toBe("a-b");
    expect(call("concat", "-", [])).toBe("");
    expect(err("concat", 1, [])).toBe("concat: operand 1 must be string but got number");
    expect(err("concat", "", ["a", 1])).toBe("concat: operand 2 must be array of strings but got array containing number");
  });
  test("format_int", () => {
    expect(call("format_int", 255, 16)).toBe("ff");
    expect(call("format_int", 10, 2)).toBe("1010");
    expect(call("format_int", -3.9, 10)).toBe("-3");
    expect(call("format_int", 8, 8)).toBe("10");
    expect(err("format_int", 1, 3)).toBe("format_int: operand 2 must be one of {2, 8, 10, 16}");
    expect(err("format_int", "2", 10)).toBe("format_int: operand 1 must be number but got string");
  });
  test("predicates", () => {
    expect(call("startswith", "abc", "ab")).toBe(true);
    expect(call("endswith", "abc", "bc")).toBe(true);
    expect(call("endswith", "abc", "x")).toBe(false);
    expect(call("contains", "abc", "")).toBe(true);
    expect(err("endswith", 1, "a")).toBe("endswith: operand 1 must be string but got number");
    expect(call("strings.any_prefix_match", ["foo", "bar"], "ba")).toBe(true);
    expect(call("strings.any_prefix_match", "foo", makeSet(["x", "y"]))).toBe(false);
    expect(call("strings.any_suffix_match", "foo.bar", [".bar"])).toBe(true);
    expect(err("strings.any_prefix_match", 1, "a")).toBe(
      "strings.any_prefix_match: operand 1 must be one of {string, set, array} but got number",
    );
  });
  test("trim family", () => {
    expect(call("trim", "  xx  ", " ")).toBe("xx");
    expect(call("trim", "abcba", "ab")).toBe("c");
    expect(call("trim_left", "aab", "a")).toBe("b");
    expect(call("trim_right", "baa", "a")).toBe("b");
    expect(call("trim_prefix", "foobar", "foo")).toBe("bar");
    expect(call("trim_suffix", "foobar", "bar")).toBe("foo");
    expect(call("trim_space", "\t hi \n\u00a0")).toBe("hi");
    expect(call("trim_space", "\ufeffhi")).toBe("\ufeffhi");
    expect(call("trim", "😀x😀", "😀")).toBe("x");
  });
  test("split replace case", () => {
    expect(call("split", "a,b,,c", ",")).toEqual(["a", "b", "", "c"]);
    expect(call("split", "héy", "")).toEqual(["h", "é", "y"]);
    expect(call("split", "abc", "x")).toEqual(["abc"]);
    expect(call("replace", "aaa", "a", "b")).toBe("bbb");
    expect(call("replace", "ab", "", "-")).toBe("-a-b-");
    expect(call("lower", "AbC")).toBe("abc");
    expect(call("upper", "AbC")).toBe("ABC");
    expect(err("lower", 1)).toBe("lower: operand 1 must be string but got number");
    expect(call("strings.replace_n", { a: "b", b: "c" }, "ab")).toBe("bc");
    expect(call("strings.replace_n", { "<": "&lt;", ">": "&gt;" }, "<x>")).toBe("&lt;x&gt;");
    expect(call("strings.reverse", "héllo😀")).toBe("😀olléh");
    expect(call("strings.count", "cheese", "e")).toBe(3);
    expect(call("strings.count", "five", "")).toBe(5);
  });
  test("substring and indexof count code points", () => {
    expect(call("substring", "héllo", 1, 3)).toBe("éll");
    expect(call("substring", "hello", 1, -1)).toBe("ello");
    expect(call("substring", "hello", 10, 2)).toBe("");
    expect(err("substring", "hello", -1, 2)).toBe("substring: negative offset");
    expect(err("substring", "hello", 1.5, 2)).toBe("substring: operand 2 must be integer number but got floating-point number");
    expect(call("indexof", "héllo", "l")).toBe(2);
    expect(call("indexof", "hello", "z")).toBe(-1);
    expect(err("indexof", "hello", "")).toBe("indexof: empty search character");
    expect(call("indexof_n", "aaa", "aa")).toEqual([0, 1]);
    expect(call("indexof_n", "é-é-é", "é")).toEqual([0, 2, 4]);
  });
});

describe("strings.render_template (text/template subset)", () => {
  const r = (t: string, v: Record<string, unknown>) => call("strings.render_template", t, v as never);
  test("fields, conditionals, ranges", () => {
    expect(r("hello {{.name}}", { name: "alice" })).toBe("hello alice");
    expect(r("{{.a.b}}-{{.n}}-{{.f}}", { a: { b: "x" }, n: 3, f: 1.5 })).toBe("x-3-1.5");
    expect(r("{{if .ok}}yes{{else}}no{{end}}", { ok: false })).toBe("no");
    expect(r('{{if eq .role "admin"}}A{{else if eq .role "student"}}S{{end}}', { role: "student" })).toBe("S");
    expect(r("{{range .xs}}[{{.}}]{{end}}", { xs: [1, 2, 3] })).toBe("[1][2][3]");
    expect(r("{{range $i, $x := .xs}}{{$i}}={{$x}} {{end}}", { xs: ["a", "b"] })).toBe("0=a 1=b ");
    expect(r("{{range $k, $v := .m}}{{$k}}:{{$v}};{{end}}", { m: { b: 2, a: 1 } })).toBe("a:1;b:2;");
    expect(r("{{range .xs}}x{{else}}empty{{end}}", { xs: [] })).toBe("empty");
    expect(r("{{with .u}}{{.name}}{{end}}", { u: { name: "bob" } })).toBe("bob");
    expect(r("a  {{- .x -}}  b", { x: 1 })).toBe("a1b");
    expect(r("{{/* comment */}}ok", {})).toBe("ok");
    expect(r('{{$n := len .xs}}{{$n}} {{printf "%05.1f" .f}} {{.xs}} {{.m}}', { xs: [1, "a"], f: 2.25, m: { k: true } })).toBe(
      "2 002.2 [1 a] map[k:true]",
    );
    expect(r('{{index .xs 1}} {{index .m "k"}} {{.s | len}}', { xs: [1, 2], m: { k: "v" }, s: "héllo" })).toBe("2 v 6");
    expect(r("{{if and .a (not .b)}}ok{{end}}", { a: 1, b: "" })).toBe("ok");
  });
  test("errors", () => {
    expect(err("strings.render_template", "{{.missing}}", {})).toContain('map has no entry for key "missing"');
    expect(err("strings.render_template", "{{if .x}}", { x: 1 })).toContain("unexpected EOF");
    expect(err("strings.render_template", "{{nofn 1}}", {})).toContain('function "nofn" not defined');
    expect(err("strings.render_template", "x", [] as never)).toBe("strings.render_template: operand 2 must be object but got array");
  });
});

describe("sprintf with integers beyond int64 (Go's *big.Int)", () => {
  test("%s and %v print decimal", () => {
    expect(call("sprintf", "%s", [1e21])).toBe("1000000000000000000000");
    // digits beyond a double come from its shortest form, as numbers print everywhere
    expect(call("sprintf", "%v|%d", [2 ** 64, 2 ** 64])).toBe("18446744073709552000|18446744073709552000");
    expect(call("sprintf", "%c", [1e20])).toBe("%!c(big.Int=100000000000000000000)");
    expect(call("sprintf", "%s", [5])).toBe("%!s(int=5)");
    expect(call("sprintf", "%d", [1703444325734390000])).toBe("1703444325734390000");
  });
});
