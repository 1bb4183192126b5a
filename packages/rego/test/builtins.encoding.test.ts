import { describe, expect, test } from "bun:test";
import { makeObject, makeSet } from "../src/value.ts";
import { call, err } from "./builtins.helpers.ts";

describe("json", () => {
  test("marshal is Go's json.Marshal of the value", () => {
    expect(call("json.marshal", { b: [1, makeSet(["x"])], a: "<&>" })).toBe('{"a":"\\u003c\\u0026\\u003e","b":[1,["x"]]}');
    expect(call("json.marshal", makeObject([[1, "a"]]))).toBe('{"1":"a"}');
    expect(call("json.marshal", 1.5)).toBe("1.5");
    expect(call("json.marshal", null)).toBe("null");
  });
  test("marshal_with_options", () => {
    expect(call("json.marshal_with_options", { a: [1] }, { pretty: true })).toBe('{\n\t"a": [\n\t\t1\n\t]\n}');
    expect(call("json.marshal_with_options", { a: 1 }, { indent: "  ", prefix: "> " })).toBe('{\n>   "a": 1\n> }');
    expect(call("json.marshal_with_options", { a: 1 }, { indent: "  ", pretty: false })).toBe('{"a":1}');
    expect(err("json.marshal_with_options", 1, { bogus: 1 })).toContain("unknown key");
  });
  test("unmarshal and is_valid", () => {
    expect(call("json.unmarshal", '{"a":[1,2],"__proto__":1}')).toEqual(JSON.parse('{"a":[1,2],"__proto__":1}'));
    expect(err("json.unmarshal", "{")).toContain("json.unmarshal:");
    expect(call("json.is_valid", "[1]")).toBe(true);
    expect(call("json.is_valid", "[1")).toBe(false);
    expect(call("json.is_valid", 1)).toBe(false);
  });
});

describe("base64 / hex / urlquery", () => {
  test("base64", () => {
    expect(call("base64.encode", "hello")).toBe("aGVsbG8=");
    expect(call("base64.encode", "héllo😀")).toBe("aMOpbGxv8J+YgA==");
    expect(call("base64.decode", "aMOpbGxv8J+YgA==")).toBe("héllo😀");
    expect(err("base64.decode", "aGVsbG8")).toBe("base64.decode: illegal base64 data at input byte 7");
    expect(call("base64.is_valid", "aGVsbG8=")).toBe(true);
    expect(call("base64.is_valid", "a*")).toBe(false);
    expect(call("base64url.encode", "\u00ff\u00fe")).toBe("w7_Dvg==");
    expect(call("base64url.encode_no_pad", "\u00ff\u00fe")).toBe("w7_Dvg");
    expect(call("base64url.decode", "w7_Dvg")).toBe("\u00ff\u00fe");
    expect(call("base64url.decode", "aGVsbG8")).toBe("hello");
  });
  test("hex", () => {
    expect(call("hex.encode", "hi")).toBe("6869");
    expect(call("hex.decode", "6869")).toBe("hi");
    expect(err("hex.decode", "6g")).toBe("hex.decode: encoding/hex: invalid byte: U+0067 'g'");
    expect(err("hex.decode", "686")).toBe("hex.decode: encoding/hex: odd length hex string");
  });
  test("urlquery", () => {
    expect(call("urlquery.encode", "a b&c=é")).toBe("a+b%26c%3D%C3%A9");
    expect(call("urlquery.decode", "a+b%26c%3D%C3%A9")).toBe("a b&c=é");
    expect(err("urlquery.decode", "%zz")).toContain("invalid URL escape");
    expect(call("urlquery.encode_object", { b: ["1", "2"], a: "x y", c: makeSet(["z"]) })).toBe("a=x+y&b=1&b=2&c=z");
    expect(call("urlquery.decode_object", "a=1&b=2&a=3")).toEqual({ a: ["1", "3"], b: ["2"] });
  });
});

describe("yaml", () => {
  test("marshal and unmarshal", () => {
    expect(call("yaml.marshal", { b: { c: true }, a: [1, "x"] })).toBe("a:\n- 1\n- x\nb:\n  c: true\n");
    expect(call("yaml.unmarshal", "a: 1\nb: [x, y]\nc: null\n")).toEqual({ a: 1, b: ["x", "y"], c: null });
    expect(call("yaml.is_valid", "a: [")).toBe(false);
    expect(call("yaml.is_valid", "a: 1")).toBe(true);
    expect(err("yaml.unmarshal", "a: [")).toContain("yaml.unmarshal:");
  });
});
