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
    expect(call("yaml.unmarshal", "a: 1\nb: [x, z]\nc: null\n")).toEqual({ a: 1, b: ["x", "z"], c: null });
    expect(call("yaml.unmarshal", "[x, y]")).toEqual(["x", true]); // go-yaml v2: y is a YAML 1.1 boolean
    expect(call("yaml.unmarshal", "a: yes\nb: 12:30\nc: 0777\nd: 2001-12-14\ne: off\n")).toEqual({
      a: true,
      b: "12:30",
      c: 511,
      d: "2001-12-14",
      e: false,
    });
    expect(call("yaml.is_valid", "a: [")).toBe(false);
    expect(call("yaml.is_valid", "a: 1")).toBe(true);
    expect(err("yaml.unmarshal", "a: [")).toContain("yaml.unmarshal:");
  });
});

describe("json schema", () => {
  const schema = {
    type: "object",
    required: ["name", "age"],
    properties: {
      name: { type: "string", minLength: 2 },
      age: { type: "integer", minimum: 0 },
      tags: { type: "array", items: { type: "string" }, uniqueItems: true },
      role: { enum: ["student", "teacher"] },
    },
    additionalProperties: false,
  };
  test("verify_schema", () => {
    expect(call("json.verify_schema", schema)).toEqual([true, null]);
    expect(call("json.verify_schema", JSON.stringify(schema))).toEqual([true, null]);
    expect((call("json.verify_schema", { type: "nope" }) as unknown[])[0]).toBe(false);
    expect((call("json.verify_schema", "{") as unknown[])[0]).toBe(false);
  });
  test("match_schema", () => {
    expect(call("json.match_schema", { name: "al", age: 3, tags: ["a"], role: "student" }, schema)).toEqual([true, []]);
    const [ok, errs] = call("json.match_schema", { name: "a", age: -1.5, tags: ["a", "a"], role: "x", extra: 1 }, schema) as [
      boolean,
      { error: string; type: string; field: string; desc: string }[],
    ];
    expect(ok).toBe(false);
    expect(errs.map((e) => e.type).sort()).toEqual(["additional_property_not_allowed", "enum", "invalid_type", "string_gte", "unique"]);
    expect(errs.find((e) => e.type === "invalid_type")).toEqual({
      error: "age: Invalid type. Expected: integer, given: number",
      type: "invalid_type",
      field: "age",
      desc: "Invalid type. Expected: integer, given: number",
    });
    const [, e2] = call("json.match_schema", {}, schema) as [boolean, { field: string; desc: string }[]];
    expect(e2.map((e) => [e.field, e.desc])).toEqual([
      ["name", "name is required"],
      ["age", "age is required"],
    ]);
    expect(
      call("json.match_schema", '{"x": 1}', {
        properties: { x: { $ref: "#/definitions/n" } },
        definitions: { n: { type: "number", maximum: 0 } },
      }),
    ).toEqual([
      false,
      [{ error: "x: Must be less than or equal to 0", type: "number_lte", field: "x", desc: "Must be less than or equal to 0" }],
    ]);
    expect((call("json.match_schema", 5, { anyOf: [{ type: "string" }, { minimum: 10 }] }) as unknown[])[0]).toBe(false);
    expect((call("json.match_schema", 5, { oneOf: [{ type: "integer" }, { minimum: 1 }] }) as unknown[])[0]).toBe(false);
    expect((call("json.match_schema", 5, { not: { type: "string" } }) as unknown[])[0]).toBe(true);
  });
});
