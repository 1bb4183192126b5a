import { describe, expect, test } from "bun:test";
import { RegoMap, makeObject, makeSet } from "../src/value.ts";
import { call, err, j } from "./builtins.helpers.ts";

describe("object.*", () => {
  test("object.get", () => {
    expect(call("object.get", { a: 1 }, "a", 0)).toBe(1);
    expect(call("object.get", { a: 1 }, "b", 0)).toBe(0);
    expect(call("object.get", { a: { b: [1, { c: 2 }] } }, ["a", "b", 1, "c"], 0)).toBe(2);
    expect(call("object.get", { a: { b: 1 } }, ["a", "x"], "d")).toBe("d");
    expect(call("object.get", { a: 1 }, [], 0)).toEqual({ a: 1 });
    expect(call("object.get", { a: makeSet(["x"]) }, ["a", "x"], 0)).toBe("x");
    expect(call("object.get", makeObject([[1, "one"]]), 1, 0)).toBe("one");
    expect(call("object.get", {}, "toString", "none")).toBe("none");
    expect(err("object.get", [], "a", 0)).toBe("object.get: operand 1 must be object but got array");
  });
  test("keys remove filter", () => {
    expect(j("object.keys", { b: 1, a: 2 })).toEqual(["a", "b"]);
    expect(call("object.remove", { a: 1, b: 2, c: 3 }, ["a", "c"])).toEqual({ b: 2 });
    expect(call("object.remove", { a: 1, b: 2 }, makeSet(["b"]))).toEqual({ a: 1 });
    expect(call("object.remove", { a: 1, b: 2 }, { a: 0 })).toEqual({ b: 2 });
    expect(call("object.filter", { a: 1, b: 2, c: 3 }, ["a", "c", "z"])).toEqual({ a: 1, c: 3 });
    expect(err("object.remove", { a: 1 }, "a")).toBe("object.remove: operand 2 must be one of {object, set, array} but got string");
  });
  test("union and union_n merge recursively, right wins", () => {
    expect(call("object.union", { a: { b: 1, c: 2 }, d: 1 }, { a: { b: 3 }, e: 2 })).toEqual({ a: { b: 3, c: 2 }, d: 1, e: 2 });
    expect(call("object.union", { a: { b: 1 } }, { a: 4 })).toEqual({ a: 4 });
    expect(call("object.union_n", [{ a: { b: 2 } }, { a: 4 }, { a: { c: 3 } }])).toEqual({ a: { c: 3 } });
    expect(call("object.union_n", [])).toEqual({});
    expect(call("object.union", makeObject([[1, "a"]]), { b: 2 })).toBeInstanceOf(RegoMap);
    expect(err("object.union_n", [1])).toBe("object.union_n: operand 1 must be array of objects but got array containing number");
  });
  test("subset", () => {
    expect(call("object.subset", { a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } })).toBe(true);
    expect(call("object.subset", { a: 1 }, { a: 2 })).toBe(false);
    expect(call("object.subset", [1, 2, 3, 4], [2, 3])).toBe(true);
    expect(call("object.subset", [1, 2, 3, 4], [2, 4])).toBe(false);
    expect(call("object.subset", makeSet([1, 2, 3]), makeSet([1, 3]))).toBe(true);
    expect(call("object.subset", [1, 2, 3], makeSet([3, 1]))).toBe(true);
    expect(call("object.subset", { a: [1, 2, 3] }, { a: [2, 3] })).toBe(true);
    expect(err("object.subset", 1, "a")).toContain("both arguments object.subset must be of the same type");
  });
});

describe("json.filter / json.remove / json.patch", () => {
  test("filter", () => {
    expect(call("json.filter", { a: { b: 1, c: 2 }, d: 3 }, ["a/b", "d"])).toEqual({ a: { b: 1 }, d: 3 });
    expect(call("json.filter", { a: [{ x: 1 }, { x: 2 }, 3] }, ["a/0", "a/2"])).toEqual({ a: [{ x: 1 }, 3] });
    expect(call("json.filter", { a: { b: 1 } }, [["a", "b"]])).toEqual({ a: { b: 1 } });
    expect(call("json.filter", { "a/b": 1 }, ["a~1b"])).toEqual({ "a/b": 1 });
    expect(err("json.filter", { a: 1 }, "a")).toBe("json.filter: operand 2 must be one of {set, array} but got string");
  });
  test("remove", () => {
    expect(call("json.remove", { a: { b: 1, c: 2 }, d: 3 }, ["a/b"])).toEqual({ a: { c: 2 }, d: 3 });
    expect(call("json.remove", { a: [1, 2, 3] }, makeSet(["a/1"]))).toEqual({ a: [1, 3] });
    expect(call("json.remove", { a: 1 }, ["x/y"])).toEqual({ a: 1 });
  });
  test("patch", () => {
    expect(
      call("json.patch", { a: 1 }, [
        { op: "add", path: "/b", value: 2 },
        { op: "remove", path: "/a" },
      ]),
    ).toEqual({ b: 2 });
    expect(call("json.patch", { a: [1, 2] }, [{ op: "add", path: "/a/-", value: 3 }])).toEqual({ a: [1, 2, 3] });
    expect(call("json.patch", { a: [1, 2] }, [{ op: "add", path: "/a/0", value: 0 }])).toEqual({ a: [0, 1, 2] });
    expect(call("json.patch", { a: { b: 1 } }, [{ op: "replace", path: "/a/b", value: 5 }])).toEqual({ a: { b: 5 } });
    expect(call("json.patch", { a: { b: 1 } }, [{ op: "move", from: "/a/b", path: "/c" }])).toEqual({ a: {}, c: 1 });
    expect(call("json.patch", { a: { b: 1 } }, [{ op: "copy", from: "/a", path: "/c" }])).toEqual({ a: { b: 1 }, c: { b: 1 } });
    expect(call("json.patch", { a: 1 }, [{ op: "test", path: "/a", value: 1 }])).toEqual({ a: 1 });
    expect(call("json.patch", { a: 1 }, [{ op: "test", path: "/a", value: 2 }])).toBeUndefined();
    expect(call("json.patch", { a: 1 }, [{ op: "remove", path: "/zz" }])).toBeUndefined();
    expect(call("json.patch", { a: 1 }, [{ op: "add", path: "", value: [1] }])).toEqual([1]);
    expect(call("json.patch", { a: 1 }, [{ op: "bogus", path: "/a" }])).toBeUndefined();
    expect(j("json.patch", { s: makeSet([1]) }, [{ op: "add", path: ["s", 2], value: 2 }])).toEqual({ s: [1, 2] });
    expect(call("json.patch", makeSet(["a", "b"]), [{ op: "replace", path: ["a"], value: "c" }])).toBeUndefined();
    expect(call("json.patch", { a: 1 }, [{ op: "remove", path: "" }])).toBeUndefined();
    expect(
      call("json.patch", { a: 1 }, [
        { op: "remove", path: "" },
        { op: "add", path: "", value: { b: 2 } },
      ]),
    ).toEqual({ b: 2 });
    expect(call("json.patch", { a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/c" }])).toBeUndefined();
    expect(call("json.patch", { a: 1 }, [{ op: "add", path: ["b", "c"], value: 1 }])).toBeUndefined();
  });
});
