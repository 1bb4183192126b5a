/** Comparison operators: eq (=), equal (==), neq, lt, lte, gt, gte. OPA's total order across types. */
import { compare, equal, type Value } from "../value.ts";
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
];

function lt(x: Value, y: Value): boolean {
  if (typeof x === "number" && typeof y === "number") return x < y;
  if (typeof x === "string" && typeof y === "string") return x < y;
  return compare(x, y) < 0;
}
