import { describe, expect, test } from "bun:test";
import {
  BuiltinError,
  RegoMap,
  canonicalKey,
  compare,
  equal,
  formatValue,
  fromJSON,
  isObject,
  isSet,
  makeObject,
  makeSet,
  objectEntries,
  objectGet,
  objectKeys,
  objectSize,
  objectWith,
  setHas,
  setValues,
  toJSON,
  toJSONText,
  typeName,
  type Value,
} from "../src/value.ts";

describe("value model", () => {
  test("typeName", () => {
    expect([null, true, 1, "a", [], {}, makeSet(), new RegoMap([[1, 2]])].map((v) => typeName(v as Value))).toEqual([
      "null",
      "boolean",
      "number",
      "string",
      "array",
      "object",
      "set",
      "object",
    ]);
  });
  test("JSON objects are objects without conversion", () => {
    const o = fromJSON(JSON.parse('{"b":1,"a":{"c":[1,2]},"__proto__":3}')) as Value;
    expect(isObject(o)).toBe(true);
    if (!isObject(o)) throw new Error();
    expect(objectGet(o, "b")).toBe(1);
    expect(objectGet(o, "__proto__")).toBe(3);
    expect(objectGet(o, "toString")).toBeUndefined();
    expect(objectGet({}, "__proto__")).toBeUndefined();
    expect(objectGet(o, 1)).toBeUndefined();
    expect(objectKeys(o)).toEqual(["__proto__", "a", "b"]);
    expect(objectSize(o)).toBe(3);
  });
  test("non-string keys", () => {
    const o = makeObject([
      [1, "a"],
      [[1, 2], "x"],
    ]);
    expect(o).toBeInstanceOf(RegoMap);
    expect(objectGet(o, 1)).toBe("a");
    expect(objectGet(o, [1, 2])).toBe("x");
    expect(objectKeys(o)).toEqual([1, [1, 2]]);
    expect(formatValue(o)).toBe('{1: "a", [1, 2]: "x"}');
    expect(toJSON(o)).toEqual({ "1": "a", "[1,2]": "x" }); // OPA (ast.JSON): a non-string key is its compact JSON text
    const p = makeObject([["a", 1]]);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(equal(p, new RegoMap([["a", 1]]))).toBe(true);
    expect(objectEntries(objectWith(p, "b", 2))).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
    expect(objectWith(p, 3, 2)).toBeInstanceOf(RegoMap);
  });
  test("sets", () => {
    const s = makeSet([3, 1, "a", [1], [1], { x: 1 }, { x: 1 }, 1]);
    expect(isSet(s)).toBe(true);
    expect(s.size).toBe(5);
    expect(setValues(s)).toEqual([1, 3, "a", [1], { x: 1 }]);
    expect(setHas(s, [1])).toBe(true);
    expect(setHas(s, "\u0000#1")).toBe(false);
    expect(formatValue(s)).toBe('{1, 3, "a", [1], {"x": 1}}');
    expect(formatValue(makeSet())).toBe("set()");
    expect(toJSON(makeSet([2, 1]))).toEqual([1, 2]);
    expect(equal(makeSet([1, 2]), makeSet([2, 1]))).toBe(true);
    expect(equal(makeSet([1, 2]), makeSet([2]))).toBe(false);
  });
  test("canonical keys are structural and distinct", () => {
    const vals: Value[] = [null, true, false, 0, 1, "1", "", "\u0000#1", [], [1], ["1"], {}, { a: 1 }, makeSet(), makeSet([1])];
    const keys = new Set(vals.map(canonicalKey));
    expect(keys.size).toBe(vals.length);
    expect(canonicalKey({ a: 1, b: 2 })).toBe(canonicalKey({ b: 2, a: 1 }));
    expect(canonicalKey(makeSet([1, 2]))).toBe(canonicalKey(makeSet([2, 1])));
    expect(canonicalKey(-0)).toBe(canonicalKey(0));
  });
  test("compare: OPA total order", () => {
    const sorted: Value[] = [
      null,
      false,
      true,
      -1,
      2.5,
      10,
      "",
      "a",
      "b",
      [],
      [1],
      [1, 2],
      [2],
      {},
      { a: 1 },
      { a: 2 },
      { b: 0 },
      makeSet(),
      makeSet([1]),
      makeSet([1, 2]),
      makeSet([2]),
    ];
    const shuffled = [...sorted].reverse();
    shuffled.sort(compare);
    expect(shuffled).toEqual(sorted);
    expect(compare(1, 1)).toBe(0);
    expect(compare({ a: 1 }, { a: 1 })).toBe(0);
  });
  test("equal", () => {
    expect(equal([1, { a: [2] }], [1, { a: [2] }])).toBe(true);
    expect(equal({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(equal({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(equal([], {})).toBe(false);
    expect(equal(1, "1")).toBe(false);
  });
  test("formatting", () => {
    expect(formatValue([1, "a", null, true, 1.5])).toBe('[1, "a", null, true, 1.5]');
    expect(toJSONText({ b: [1, makeSet(["x"])], a: 1e21 })).toBe('{"a":1e+21,"b":[1,["x"]]}');
  });
  test("BuiltinError", () => {
    const e = new BuiltinError("sum", "operand 1 must be one of {array, set} but got string", "eval_type_error");
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe("sum: operand 1 must be one of {array, set} but got string");
    expect(e.builtin).toBe("sum");
    expect(e.code).toBe("eval_type_error");
  });
});

describe("JSON text", () => {
  test("keys in Go's string order, indented like MarshalIndent", () => {
    expect(toJSONText({ "9": 1, "10": 2, a: [] })).toBe('{"10":2,"9":1,"a":[]}');
    expect(toJSONText({ b: [1, makeSet(["y", "x"])], a: {} }, "  ")).toBe(
      '{\n  "a": {},\n  "b": [\n    1,\n    [\n      "x",\n      "y"\n    ]\n  ]\n}',
    );
    expect(toJSONText(5, "  ")).toBe("5");
  });
});

describe("Rego text quoting (Go's strconv.Quote)", () => {
  test("escapes", () => {
    expect(formatValue("plain é 😀")).toBe('"plain é 😀"');
    expect(formatValue('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(formatValue("\u0007\n\t\u0001\u007f\u2028")).toBe('"\\a\\n\\t\\x01\\x7f\\u2028"');
    expect(formatValue(["x\ny"])).toBe('["x\\ny"]');
  });
});

describe("canonical keys agree with equality", () => {
  test("plain objects and string-keyed RegoMaps, tricky key orders", () => {
    const keys = ["a", "a ", "a!", 'a"', "a\\", "ab", "", "\u0000", "é", "😀", "\uffff"];
    const plain = makeObject(keys.map((k, i) => [k, i]));
    const rm = new RegoMap([...keys].reverse().map((k) => [k, keys.indexOf(k)]));
    expect(equal(plain, rm)).toBe(true);
    expect(canonicalKey(plain)).toBe(canonicalKey(rm));
    expect(makeSet([plain, rm]).size).toBe(1);
    expect(canonicalKey(makeSet(["b", "a", [1]]))).toBe(canonicalKey(makeSet([[1], "a", "b"])));
  });
});
