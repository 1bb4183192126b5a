// Every builtin, called with operands of every type, either returns a value
// (or undefined) or throws a BuiltinError: never a TypeError or RangeError.
import { describe, expect, test } from "bun:test";
import { BUILTINS } from "../src/builtins/index.ts";
import { BuiltinError, makeObject, makeSet, type Value } from "../src/value.ts";
import { ctx } from "./builtins.helpers.ts";

const SAMPLES: Value[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  2.5,
  1e300,
  -1e300,
  2 ** 53 + 2,
  "",
  "a",
  "10.0.0.0/8",
  "1.2.3",
  "%d %s %v",
  "{x}",
  "2006-01-02",
  "*.a",
  [],
  [1, "a"],
  ["a", "b"],
  [[1, 2]],
  {},
  { a: 1 },
  { op: "add", path: "/a", value: 1 },
  makeSet(),
  makeSet([1, 2]),
  makeSet(["x"]),
  makeObject([[1, "x"]]),
];

function isValue(v: unknown, depth = 0): boolean {
  if (depth > 50) return true;
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isValue(x, depth + 1));
  return typeof v === "object";
}

describe("fuzz: builtins never crash", () => {
  test("all operand type combinations (arity <= 2 fully, 3-4 sampled)", () => {
    const failures: string[] = [];
    let calls = 0;
    for (const b of BUILTINS.values()) {
      const combos: Value[][] = [];
      if (b.arity === 0) combos.push([]);
      else if (b.arity === 1) for (const x of SAMPLES) combos.push([x]);
      else if (b.arity === 2) {
        // every type against every type, and every sample at least once in each position
        for (let i = 0; i < SAMPLES.length; i++)
          for (let j = 0; j < SAMPLES.length; j++) if ((i + 2 * j) % 3 === 0 || i === j) combos.push([SAMPLES[i]!, SAMPLES[j]!]);
      } else {
        for (let i = 0; i < 200; i++)
          combos.push(Array.from({ length: b.arity }, (_, k) => SAMPLES[(i * 7 + k * 13 + ((i * k) % 5)) % SAMPLES.length]!));
      }
      for (const args of combos) {
        calls++;
        try {
          const r = b.fn(args, ctx);
          if (r !== undefined && !isValue(r)) failures.push(`${b.name}(${JSON.stringify(args)}) returned a non-value`);
        } catch (e) {
          if (!(e instanceof BuiltinError))
            failures.push(`${b.name}(${JSON.stringify(args)}) threw ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    }
    expect(calls).toBeGreaterThan(5000);
    expect(failures.slice(0, 20)).toEqual([]);
  });
});
