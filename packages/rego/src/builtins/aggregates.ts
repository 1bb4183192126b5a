/** Aggregates: count sum product max min sort all any. */
import { RegoSet, compare, isObject, objectSize, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { addNumbers, finite, mulNumbers } from "./numbers.ts";
import { def, elemErr, runeCount, typeErr } from "./util.ts";

function items(name: string, v: Value): readonly Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  throw typeErr(name, 1, v, "set", "array");
}

function count(a: Value[]): Value {
  const v = a[0]!;
  if (typeof v === "string") return runeCount(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof RegoSet) return v.size;
  if (isObject(v)) return objectSize(v);
  throw typeErr("count", 1, v, "array", "object", "set", "string");
}

function sum(a: Value[]): Value {
  const v = a[0]!;
  let s = 0;
  for (const x of items("sum", v)) {
    if (typeof x !== "number") throw elemErr("sum", 1, v, x, "number");
    s = addNumbers(s, x);
  }
  return finite("sum", s);
}

function product(a: Value[]): Value {
  const v = a[0]!;
  let p = 1;
  for (const x of items("product", v)) {
    if (typeof x !== "number") throw elemErr("product", 1, v, x, "number");
    p = mulNumbers(p, x);
  }
  return finite("product", p);
}

function extreme(name: string, sign: number) {
  return (a: Value[]): Value | undefined => {
    const xs = items(name, a[0]!);
    if (xs.length === 0) return undefined;
    if (a[0] instanceof RegoSet) return sign > 0 ? xs[xs.length - 1]! : xs[0]!;
    let best = xs[0]!;
    for (let i = 1; i < xs.length; i++) if (compare(xs[i]!, best) * sign > 0) best = xs[i]!;
    return best;
  };
}

function sort(a: Value[]): Value {
  const v = a[0]!;
  if (v instanceof RegoSet) return v.sorted().slice();
  if (Array.isArray(v)) return v.slice().sort(compare);
  throw typeErr("sort", 1, v, "array", "set");
}

function all(a: Value[]): Value {
  for (const x of items("all", a[0]!)) if (x !== true) return false;
  return true;
}

function any(a: Value[]): Value {
  const v = a[0]!;
  if (v instanceof RegoSet) return v.has(true);
  for (const x of items("any", v)) if (x === true) return true;
  return false;
}

export const aggregatesBuiltins: readonly Builtin[] = [
  def("count", 1, count),
  def("sum", 1, sum),
  def("product", 1, product),
  def("max", 1, extreme("max", 1)),
  def("min", 1, extreme("min", -1)),
  def("sort", 1, sort),
  def("all", 1, all),
  def("any", 1, any),
];
