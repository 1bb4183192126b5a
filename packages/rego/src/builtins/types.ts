/** Type tests: is_number is_string is_boolean is_array is_set is_object is_null type_name. */
import { RegoSet, isObject, typeName, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { def, typeErr } from "./util.ts";

// OPA's is_* builtins return true or false (a false result fails the expression).
const t = (b: boolean): Value => b;

export const typesBuiltins: readonly Builtin[] = [
  def("is_number", 1, (a) => t(typeof a[0] === "number")),
  def("is_string", 1, (a) => t(typeof a[0] === "string")),
  def("is_boolean", 1, (a) => t(typeof a[0] === "boolean")),
  def("is_array", 1, (a) => t(Array.isArray(a[0]))),
  def("is_set", 1, (a) => t(a[0] instanceof RegoSet)),
  def("is_object", 1, (a) => t(isObject(a[0]))),
  def("is_null", 1, (a) => t(a[0] === null)),
  def("type_name", 1, (a) => typeName(a[0]!)),
  // deprecated casts, still accepted by OPA in v0 mode
  def("cast_array", 1, (a) => {
    const v = a[0]!;
    if (Array.isArray(v)) return v;
    if (v instanceof RegoSet) return v.sorted().slice();
    throw typeErr("cast_array", 1, v, "array", "set");
  }),
  def("cast_set", 1, (a) => {
    const v = a[0]!;
    if (v instanceof RegoSet) return v;
    if (Array.isArray(v)) return new RegoSet(v);
    throw typeErr("cast_set", 1, v, "array", "set");
  }),
  def("cast_string", 1, (a) => {
    const v = a[0]!;
    if (typeof v !== "string") throw typeErr("cast_string", 1, v, "string");
    return v;
  }),
  def("cast_boolean", 1, (a) => {
    const v = a[0]!;
    if (typeof v !== "boolean") throw typeErr("cast_boolean", 1, v, "boolean");
    return v;
  }),
  def("cast_null", 1, (a) => {
    const v: Value = a[0]!;
    if (v !== null) throw typeErr("cast_null", 1, v, "null");
    return null;
  }),
  def("cast_object", 1, (a) => {
    const v = a[0]!;
    if (!isObject(v)) throw typeErr("cast_object", 1, v, "object");
    return v;
  }),
];
