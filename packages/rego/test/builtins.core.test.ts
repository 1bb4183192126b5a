import { describe, expect, test } from "bun:test";
import { BUILTINS } from "../src/builtins/index.ts";
import { BuiltinError, RegoSet, makeObject, makeSet } from "../src/value.ts";
import { call, err, j } from "./builtins.helpers.ts";

describe("registry", () => {
  test("has the operators and core builtins by OPA name", () => {
    for (const n of [
      "plus",
      "minus",
      "mul",
      "div",
      "rem",
      "eq",
      "equal",
      "neq",
      "lt",
      "lte",
      "gt",
      "gte",
      "and",
      "or",
      "count",
      "sum",
      "sprintf",
      "regex.match",
      "glob.match",
      "object.get",
      "json.marshal",
      "time.now_ns",
      "units.parse",
      "semver.compare",
      "numbers.range",
      "base64.encode",
      "array.concat",
      "union",
      "intersection",
      "to_number",
      "type_name",
    ]) {
      expect(BUILTINS.has(n)).toBe(true);
    }
    expect(BUILTINS.get("time.now_ns")!.nondeterministic).toBe(true);
    expect(BUILTINS.get("plus")!.nondeterministic).toBeUndefined();
  });
  test("errors are BuiltinErrors with OPA codes", () => {
    try {
      call("sum", "x");
      throw new Error("no throw");
    } catch (e) {
      expect(e).toBeInstanceOf(BuiltinError);
      expect((e as BuiltinError).code).toBe("eval_type_error");
      expect((e as BuiltinError).builtin).toBe("sum");
    }
    try {
      call("div", 1, 0);
    } catch (e) {
      expect((e as BuiltinError).code).toBe("eval_builtin_error");
      expect((e as BuiltinError).message).toBe("div: divide by zero");
    }
  });
});

describe("comparison", () => {
  test("total order across types", () => {
    expect(call("lt", 1, 2)).toBe(true);
    expect(call("lt", "a", "b")).toBe(true);
    expect(call("lt", 100, "a")).toBe(true);
    expect(call("gte", [1, 2], [1])).toBe(true);
    expect(call("lte", null, false)).toBe(true);
    expect(call("gt", makeSet([1]), { a: 1 })).toBe(true);
    expect(call("equal", { a: [1] }, { a: [1] })).toBe(true);
    expect(call("neq", makeSet([1, 2]), makeSet([2, 1]))).toBe(false);
    expect(call("eq", 1, 1)).toBe(true);
  });
});

describe("numbers", () => {
  test("arithmetic", () => {
    expect(call("plus", 3, -1)).toBe(2);
    expect(call("plus", 3 + -1, 4.5)).toBe(6.5);
    expect(call("minus", 5, 7)).toBe(-2);
    expect(call("mul", 6, 7)).toBe(42);
    expect(call("div", 13, 4)).toBe(3.25);
    expect(call("div", 15.3, 3)).toBe(5.1);
    expect(call("div", 1, 3)).toBe(1 / 3);
    expect(call("div", 0.3, 0.1)).toBe(3);
    expect(call("rem", 7, 3)).toBe(1);
    expect(call("rem", -7, 3)).toBe(-1);
  });
  test("decimal operands add and multiply exactly, as OPA's big floats print", () => {
    expect(call("plus", 0.1, 0.2)).toBe(0.3);
    expect(call("minus", 0.3, 0.1)).toBe(0.2);
    expect(call("mul", 1.1, 1.1)).toBe(1.21);
    expect(call("sum", [0.1, 0.2, 0.3])).toBe(0.6);
    expect(call("product", [1.1, 1.1])).toBe(1.21);
    expect(call("plus", 1e-7, 2e-7)).toBe(3e-7);
    expect(call("plus", 1 / 3, 1 / 3)).toBe(2 / 3 + 0); // long decimals: IEEE
  });
  test("errors", () => {
    expect(err("plus", "1", 9)).toBe("plus: operand 1 must be number but got string");
    expect(err("mul", 1, null)).toBe("mul: operand 2 must be number but got null");
    expect(err("div", 1, 0)).toBe("div: divide by zero");
    expect(err("rem", 1, 0)).toBe("rem: modulo by zero");
    expect(err("rem", 1.5, 1)).toBe("rem: modulo on floating-point number");
    expect(err("minus", "a", 1)).toBe("minus: operand 1 must be one of {number, set} but got string");
    expect(err("minus", makeSet([1]), 1)).toBe("minus: operand 2 must be set but got number");
  });
  test("set difference", () => {
    expect(j("minus", makeSet([1, 2, 3]), makeSet([2, 4]))).toEqual([1, 3]);
  });
  test("rounding", () => {
    expect([-9.4, -9.5, -9.6, 9.4, 9.5, 9.6, 8, -8].map((x) => call("round", x))).toEqual([-9, -10, -10, 9, 10, 10, 8, -8]);
    expect([1.1, -1.1, 2].map((x) => call("ceil", x))).toEqual([2, -1, 2]);
    expect([1.9, -1.1, 2].map((x) => call("floor", x))).toEqual([1, -2, 2]);
    expect(call("abs", -3.5)).toBe(3.5);
    expect(err("round", "-9")).toBe("round: operand 1 must be number but got string");
  });
  test("numbers.range", () => {
    expect(call("numbers.range", 1, 4)).toEqual([1, 2, 3, 4]);
    expect(call("numbers.range", 3, 1)).toEqual([3, 2, 1]);
    expect(call("numbers.range_step", 0, 10, 3)).toEqual([0, 3, 6, 9]);
    expect(call("numbers.range_step", 10, 0, 4)).toEqual([10, 6, 2]);
    expect(err("numbers.range", 1.5, 2)).toBe("numbers.range: operand 1 must be integer number but got floating-point number");
    expect(err("numbers.range_step", 1, 2, 0)).toBe("numbers.range_step: step must be a positive number above zero");
  });
  test("to_number", () => {
    expect(call("to_number", "1e3")).toBe(1000);
    expect(call("to_number", "-0.5")).toBe(-0.5);
    expect(call("to_number", true)).toBe(1);
    expect(call("to_number", null)).toBe(0);
    expect(call("to_number", 7)).toBe(7);
    expect(err("to_number", "abc")).toBe('to_number: strconv.ParseFloat: parsing "abc": invalid syntax');
    expect(err("to_number", "Inf")).toBe("to_number: operand 1 must be valid number string but got string");
    expect(err("to_number", [1])).toBe("to_number: operand 1 must be one of {null, boolean, number, string} but got array");
  });
  test("rand.intn is stable per query", () => {
    const a = call("rand.intn", "k", 100);
    expect(typeof a).toBe("number");
    expect(call("rand.intn", "k", 100)).toBe(a!);
    expect(call("rand.intn", "k", 0)).toBe(0);
  });
});

describe("aggregates", () => {
  test("count", () => {
    expect(call("count", "héllo")).toBe(5);
    expect(call("count", [1, 2])).toBe(2);
    expect(call("count", { a: 1 })).toBe(1);
    expect(call("count", makeSet([1, 1, 2]))).toBe(2);
    expect(
      call(
        "count",
        makeObject([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe(2);
    expect(err("count", 1)).toBe("count: operand 1 must be one of {array, object, set, string} but got number");
  });
  test("sum product max min", () => {
    expect(call("sum", [1, 2.5])).toBe(3.5);
    expect(call("sum", makeSet([1, 2, 3]))).toBe(6);
    expect(call("sum", [])).toBe(0);
    expect(call("product", [2, 3, 4])).toBe(24);
    expect(call("max", [1, 5, 3])).toBe(5);
    expect(call("max", [1, "a", null])).toBe("a");
    expect(call("min", makeSet([3, 1, 2]))).toBe(1);
    expect(call("max", [])).toBeUndefined();
    expect(err("sum", "x")).toBe("sum: operand 1 must be one of {set, array} but got string");
    expect(err("sum", [1, "x"])).toBe("sum: operand 1 must be array of numbers but got array containing string");
    expect(err("max", 1)).toBe("max: operand 1 must be one of {set, array} but got number");
  });
  test("sort all any", () => {
    expect(call("sort", [3, 1, "a", null])).toEqual([null, 1, 3, "a"]);
    expect(call("sort", makeSet([2, 1]))).toEqual([1, 2]);
    expect(call("all", [true, true])).toBe(true);
    expect(call("all", [true, 1])).toBe(false);
    expect(call("any", makeSet([false, true]))).toBe(true);
    expect(call("any", [])).toBe(false);
  });
});

describe("types", () => {
  test("is_* return true or false", () => {
    expect(call("is_string", "a")).toBe(true);
    expect(call("is_string", 1)).toBe(false);
    expect(call("is_number", 1)).toBe(true);
    expect(call("is_boolean", false)).toBe(true);
    expect(call("is_array", [])).toBe(true);
    expect(call("is_set", makeSet())).toBe(true);
    expect(call("is_set", [])).toBe(false);
    expect(call("is_object", {})).toBe(true);
    expect(call("is_object", makeObject([[1, 1]]))).toBe(true);
    expect(call("is_null", null)).toBe(true);
  });
  test("type_name", () => {
    expect([[], true, null, 1, {}, "a", makeSet()].map((v) => call("type_name", v))).toEqual([
      "array",
      "boolean",
      "null",
      "number",
      "object",
      "string",
      "set",
    ]);
  });
});

describe("arrays and sets", () => {
  test("array.*", () => {
    expect(call("array.concat", [1], [2, 3])).toEqual([1, 2, 3]);
    const s = (a: number, b: number) => call("array.slice", [1, 2, 3], a, b);
    expect([s(0, 1), s(0, 2), s(2, 3), s(0, 5), s(5, 5), s(-5, 5), s(2, 1)]).toEqual([[1], [1, 2], [3], [1, 2, 3], [], [1, 2, 3], []]);
    expect(call("array.reverse", [1, 2, 3])).toEqual([3, 2, 1]);
    expect(err("array.slice", [2], "1", 2)).toBe("array.slice: operand 2 must be number but got string");
    expect(err("array.concat", 1, [])).toBe("array.concat: operand 1 must be array but got number");
  });
  test("set operators", () => {
    expect(j("and", makeSet([1, 2, 3]), makeSet([2, 3, 4]))).toEqual([2, 3]);
    expect(j("or", makeSet([1, 2]), makeSet([2, 3]))).toEqual([1, 2, 3]);
    expect(j("union", makeSet([makeSet([1]), makeSet([2, [3]])]))).toEqual([1, 2, [3]]);
    expect(j("intersection", makeSet([makeSet([1, 2]), makeSet([2, 3])]))).toEqual([2]);
    expect(j("intersection", makeSet())).toEqual([]);
    expect(err("and", [1], makeSet())).toBe("and: operand 1 must be set but got array");
    expect(err("union", makeSet([1]))).toBe("union: operand 1 must be set of sets but got set containing number");
    expect(call("or", makeSet(), makeSet())).toBeInstanceOf(RegoSet);
  });
});

describe("bits", () => {
  test("bitwise", () => {
    expect(call("bits.and", 5, 3)).toBe(1);
    expect(call("bits.or", 5, 3)).toBe(7);
    expect(call("bits.xor", 5, 3)).toBe(6);
    expect(call("bits.negate", 5)).toBe(-6);
    expect(call("bits.lsh", 1, 40)).toBe(2 ** 40);
    expect(call("bits.rsh", -8, 1)).toBe(-4);
    expect(err("bits.and", 1, "str")).toBe("bits.and: operand 2 must be number but got string");
  });
});

describe("limits where doubles or memory end", () => {
  test("no Infinity results, bounded ranges", () => {
    expect(err("mul", 1e308, 10)).toBe("mul: number too large (beyond IEEE double range)");
    expect(err("plus", 1.7e308, 1.7e308)).toBe("plus: number too large (beyond IEEE double range)");
    expect(err("sum", [1e308, 1e308])).toBe("sum: number too large (beyond IEEE double range)");
    expect(err("numbers.range", 0, 1e12)).toContain("range too large");
    expect(err("bits.lsh", 1, 5000)).toBe("bits.lsh: number too large (beyond IEEE double range)");
    expect(call("bits.rsh", -5, 1e9)).toBe(-1);
    expect(call("sprintf", "%99999999d", [1])).toBe("%!(BADWIDTH)1");
  });
});

describe("membership", () => {
  test("internal.member_2 / member_3", () => {
    expect(call("internal.member_2", 2, [1, 2])).toBe(true);
    expect(call("internal.member_2", "a", { k: "a" })).toBe(true);
    expect(call("internal.member_2", "k", { k: "a" })).toBe(false);
    expect(call("internal.member_2", [1], makeSet([[1]]))).toBe(true);
    expect(call("internal.member_2", 1, "1")).toBe(false);
    expect(call("internal.member_3", 1, "b", ["a", "b"])).toBe(true);
    expect(call("internal.member_3", "k", "a", { k: "a" })).toBe(true);
    expect(call("internal.member_3", "x", "x", makeSet(["x"]))).toBe(true);
    expect(call("internal.member_3", 5, "b", ["a", "b"])).toBe(false);
  });
});

describe("BuiltinError.typeCheck", () => {
  const thrown = (name: string, ...args: Parameters<typeof call>[1][]): BuiltinError => {
    try {
      call(name, ...args);
    } catch (e) {
      return e as BuiltinError;
    }
    throw new Error("no throw");
  };
  test("marks what OPA's type checker rejects before evaluation", () => {
    expect(thrown("plus", "1", 2).typeCheck).toBe(true);
    expect(thrown("sum", [1, "a"]).typeCheck).toBe(true);
    expect(thrown("array.slice", [1], 1.1, 2).typeCheck).toBe(false);
    expect(thrown("array.slice", [1], 1.1, 2).code).toBe("eval_type_error");
    expect(thrown("div", 1, 0).typeCheck).toBe(false);
    expect(thrown("glob.match", "*", ["ab"], "x").typeCheck).toBe(false);
  });
});
