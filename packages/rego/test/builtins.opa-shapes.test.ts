// Builtin results and errors as OPA's v1/topdown defines them (array.go, strings.go).
import { describe, expect, test } from "bun:test";
import { call, err, j } from "./builtins.helpers.ts";

describe("array.flatten (OPA: one level of nesting, other elements kept)", () => {
  test("flattens exactly one level and keeps non-array elements in place", () => {
    expect(j("array.flatten", [])).toEqual([]);
    expect(j("array.flatten", [[1, 2], [3, 4], [5]])).toEqual([1, 2, 3, 4, 5]);
    expect(j("array.flatten", [[[1], [2, 3, []]], [[4, 5]]])).toEqual([[1], [2, 3, []], [4, 5]]);
    expect(j("array.flatten", [[1, 2], "s", [3, { a: "b" }], 4.5, [6, [7, 8]]])).toEqual([1, 2, "s", 3, { a: "b" }, 4.5, 6, [7, 8]]);
  });
  test("a non-array operand is a type error naming the builtin and operand", () => {
    expect(err("array.flatten", 42)).toBe("array.flatten: operand 1 must be array but got number");
  });
});

describe("lower/upper map rune by rune, as Go's strings.ToLower/ToUpper", () => {
  test("no final-sigma rule, no multi-character expansions", () => {
    expect(call("lower", "ΟΔΟΣ")).toBe("οδοσ");
    expect(call("upper", "straße")).toBe("STRAßE");
    expect(call("upper", "ﬀ")).toBe("ﬀ");
    expect(call("lower", "İSTANBUL")).toBe("istanbul");
    expect(call("upper", "ǆ")).toBe("Ǆ");
    expect(call("lower", "ABC")).toBe("abc");
  });
});

describe("strings.split_n (OPA: split on every delimiter, keep the first n or last -n parts)", () => {
  test("positive, zero and negative counts", () => {
    expect(j("strings.split_n", "a.b.c.d", ".", 2)).toEqual(["a", "b"]);
    expect(j("strings.split_n", "a.b.c.d", ".", 10)).toEqual(["a", "b", "c", "d"]);
    expect(j("strings.split_n", "a.b.c.d", ".", 0)).toEqual([]);
    expect(j("strings.split_n", "a.b.c.d", ".", -2)).toEqual(["c", "d"]);
    expect(j("strings.split_n", "a.b.c.d", ".", -10)).toEqual(["a", "b", "c", "d"]);
  });
  test("no delimiter, empty string and empty delimiter behave as split", () => {
    expect(j("strings.split_n", "abc", ".", -2)).toEqual(["abc"]);
    expect(j("strings.split_n", "", ".", 2)).toEqual([""]);
    expect(j("strings.split_n", "abc", "", 2)).toEqual(["a", "b"]);
    expect(j("strings.split_n", "abc", "", -2)).toEqual(["b", "c"]);
  });
  test("the count must be an integer", () => {
    expect(err("strings.split_n", "a.b.c", ".", 1.5)).toBe(
      "strings.split_n: operand 3 must be integer number but got floating-point number",
    );
  });
});

describe("to_number (OPA casts.go)", () => {
  test("infinities and NaN are refused as not a valid number string; ParseFloat's own errors otherwise", () => {
    expect(err("to_number", "inf")).toBe("to_number: operand 1 must be valid number string but got string");
    expect(err("to_number", "-Infinity")).toBe("to_number: operand 1 must be valid number string but got string");
    expect(err("to_number", "NaN")).toBe("to_number: operand 1 must be valid number string but got string");
    expect(err("to_number", "1e400")).toBe('to_number: strconv.ParseFloat: parsing "1e400": value out of range');
    expect(err("to_number", "x")).toBe('to_number: strconv.ParseFloat: parsing "x": invalid syntax');
    expect(call("to_number", "-1.5e1")).toBe(-15);
  });
});

describe("non-string object keys in JSON output (OPA's ast.JSON encodes the key as compact JSON)", () => {
  test("numbers, booleans, null and composites become their JSON text", async () => {
    const { compile, toJSON } = await import("../src/index.ts");
    const v = compile([{ path: "m.rego", source: 'package p\nx := {[1, 2]: "a", {"k": 1}: "b", 1: "c", true: "d", {3}: "e"}' }], {
      regoV1: true,
    })
      .prepare("data.p.x")
      .evaluate({});
    expect(toJSON(v!)).toEqual({ "[1,2]": "a", '{"k":1}': "b", "1": "c", true: "d", "[3]": "e" });
    // json.marshal sorts keys by their text, as Go's encoding/json does for maps
    expect(call("json.marshal", v!)).toBe('{"1":"c","[1,2]":"a","[3]":"e","true":"d","{\\"k\\":1}":"b"}');
  });
});
