/** Arrays: array.concat array.slice array.reverse array.flatten. */
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

/** OPA's array.flatten: one level only; elements that are not arrays are kept as they are. */
function flatten(a: Value[]): Value {
  const out: Value[] = [];
  for (const x of arr("array.flatten", a, 0)) {
    if (Array.isArray(x)) out.push(...x);
    else out.push(x);
  }
  return out;
}

export const arraysBuiltins: readonly Builtin[] = [
  def("array.concat", 2, (a) => arr("array.concat", a, 0).concat(arr("array.concat", a, 1))),
  def("array.slice", 3, slice),
  def("array.reverse", 1, (a) => arr("array.reverse", a, 0).slice().reverse()),
  def("array.flatten", 1, flatten),
];
