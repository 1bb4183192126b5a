/** Arrays: array.concat array.slice array.reverse. */
import type { Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { arr, def, int } from "./util.ts";

function slice(a: Value[]): Value {
  const xs = arr("array.slice", a, 0);
  let start = int("array.slice", a, 1);
  let stop = int("array.slice", a, 2);
  // OPA clamps: negative start -> 0, stop beyond length -> length, start > stop -> empty.
  if (start < 0) start = 0;
  if (stop > xs.length) stop = xs.length;
  if (start >= stop) return [];
  return xs.slice(start, stop);
}

export const arraysBuiltins: readonly Builtin[] = [
  def("array.concat", 2, (a) => arr("array.concat", a, 0).concat(arr("array.concat", a, 1))),
  def("array.slice", 3, slice),
  def("array.reverse", 1, (a) => arr("array.reverse", a, 0).slice().reverse()),
];
