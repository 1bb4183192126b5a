import { describe, expect, test } from "bun:test";
import { call, err } from "./builtins.helpers.ts";

describe("units", () => {
  test("units.parse", () => {
    expect(call("units.parse", "10K")).toBe(10000);
    expect(call("units.parse", "10k")).toBe(10000);
    expect(call("units.parse", "100m")).toBe(0.1);
    expect(call("units.parse", "1M")).toBe(1e6);
    expect(call("units.parse", "1.5Gi")).toBe(1610612736);
    expect(call("units.parse", "1Ki")).toBe(1024);
    expect(call("units.parse", "2e3")).toBe(2000);
    expect(call("units.parse", '"10"')).toBe(10);
    expect(call("units.parse", "1m")).toBe(0.001);
    expect(err("units.parse", "1 K")).toBe("units.parse: spaces not allowed in resource strings");
    expect(err("units.parse", "K")).toBe("units.parse: no amount provided");
    expect(err("units.parse", "1Q")).toBe("units.parse: unit Q not recognized");
    expect(err("units.parse", "1.2.3")).toBe("units.parse: could not parse amount to a number");
  });
  test("units.parse_bytes", () => {
    expect(call("units.parse_bytes", "1.5GiB")).toBe(1610612736);
    expect(call("units.parse_bytes", "10KB")).toBe(10000);
    expect(call("units.parse_bytes", "10kib")).toBe(10240);
    expect(call("units.parse_bytes", "100")).toBe(100);
    expect(call("units.parse_bytes", "1.1b".replace("b", ""))).toBe(1);
    expect(err("units.parse_bytes", "10 MB")).toBe("units.parse_bytes: spaces not allowed in resource strings");
    expect(err("units.parse_bytes", "10XB")).toBe("units.parse_bytes: byte unit xb not recognized");
    expect(err("units.parse_bytes", "1e1234567")).toBe("units.parse_bytes: exponent too large");
  });
});

describe("semver", () => {
  test("is_valid", () => {
    expect(["1.9.10", "1.8.15", "1.1", "1.1.12-rc1+foo", "v1.0.0", "01.0.0", 1].map((v) => call("semver.is_valid", v))).toEqual([
      true,
      true,
      false,
      true,
      false,
      false,
      false,
    ]);
  });
  test("compare", () => {
    expect(call("semver.compare", "1.9.10", "1.8.15")).toBe(1);
    expect(call("semver.compare", "1.8.15", "1.9.10")).toBe(-1);
    expect(call("semver.compare", "1.0.0", "1.0.0+build")).toBe(0);
    expect(call("semver.compare", "1.0.0-alpha", "1.0.0")).toBe(-1);
    expect(call("semver.compare", "1.0.0-alpha.1", "1.0.0-alpha.beta")).toBe(-1);
    expect(call("semver.compare", "1.0.0-rc.11", "1.0.0-rc.2")).toBe(1);
    expect(err("semver.compare", "x", "1.0.0")).toBe('semver.compare: operand 1: string "x" is not a valid SemVer');
    expect(err("semver.compare", 1, "")).toBe("semver.compare: operand 1 must be string but got number");
  });
});

describe("uuid", () => {
  test("rfc4122 is a v4 uuid, stable per query and key", () => {
    const a = call("uuid.rfc4122", "1") as string;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(call("uuid.rfc4122", "1")).toBe(a);
    expect(call("uuid.rfc4122", "2")).not.toBe(a);
    expect(call("uuid.parse", a)).toEqual({ variant: "RFC4122", version: 4 });
    expect(call("uuid.parse", "nope")).toBeUndefined();
    expect(call("uuid.parse", "00000000-0000-1000-8000-0242ac120002")).toEqual({
      version: 1,
      variant: "RFC4122",
      time: -12219292800000000000,
      macvariables: "local:unicast",
      nodeid: "02-42-ac-12-00-02",
      clocksequence: 0,
    });
    expect(call("uuid.parse", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}")).toMatchObject({
      version: 1,
      clocksequence: 180,
      macvariables: "global:unicast",
      nodeid: "00-c0-4f-d4-30-c8",
    });
    expect(call("uuid.parse", "000003e8-cb5a-21ee-8b00-325096b39f47")).toMatchObject({ version: 2, id: 1000, domain: "Person" });
    expect(err("uuid.rfc4122", 42)).toBe("uuid.rfc4122: operand 1 must be string but got number");
  });
});
