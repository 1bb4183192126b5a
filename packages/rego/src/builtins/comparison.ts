/**
 * Comparison operators: eq (=), equal (==), neq, lt, lte, gt, gte (OPA's total
 * order across types), and the membership operators internal.member_2
 * (`x in xs`) and internal.member_3 (`k, v in xs`) for ground operands.
 */
import { RegoSet, compare, equal, isObject, objectEntries, objectGet, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { def } from "./util.ts";

export const comparisonBuiltins: readonly Builtin[] = [
  def("eq", 2, (a) => equal(a[0]!, a[1]!)),
  def("equal", 2, (a) => equal(a[0]!, a[1]!)),
  def("neq", 2, (a) => !equal(a[0]!, a[1]!)),
  def("lt", 2, (a) => lt(a[0]!, a[1]!)),
  def("lte", 2, (a) => !lt(a[1]!, a[0]!)),
  def("gt", 2, (a) => lt(a[1]!, a[0]!)),
  def("gte", 2, (a) => !lt(a[0]!, a[1]!)),
  def("internal.member_2", 2, (a) => member2(a[0]!, a[1]!)),
  def("internal.member_3", 3, (a) => member3(a[0]!, a[1]!, a[2]!)),
];

/** `x in coll`: arrays and objects by value, sets by element; false for other types. */
function member2(x: Value, coll: Value): boolean {
  if (coll instanceof RegoSet) return coll.has(x);
  if (Array.isArray(coll)) return coll.some((v) => equal(v, x));
  if (isObject(coll)) return objectEntries(coll).some(([, v]) => equal(v, x));
  return false;
}

/** `k, v in coll`: coll[k] == v for arrays (integer k), objects and sets (k == v). */
function member3(k: Value, v: Value, coll: Value): boolean {
  if (Array.isArray(coll)) return typeof k === "number" && Number.isInteger(k) && k >= 0 && k < coll.length && equal(coll[k]!, v);
  if (coll instanceof RegoSet) return equal(k, v) && coll.has(k);
  if (isObject(coll)) {
    const got = objectGet(coll, k);
    return got !== undefined && equal(got, v);
  }
  return false;
}

function lt(x: Value, y: Value): boolean {
  if (typeof x === "number" && typeof y === "number") return x < y;
  if (typeof x === "string" && typeof y === "string") return x < y;
  return compare(x, y) < 0;
}
