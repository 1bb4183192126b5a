/** Sets: and (&), or (|), union, intersection. `minus` (set difference) lives in numbers.ts. */
import { RegoSet, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { def, elemErr, set } from "./util.ts";

function and(a: Value[]): Value {
  const x = set("and", a, 0),
    y = set("and", a, 1);
  const [small, big] = x.size <= y.size ? [x, y] : [y, x];
  const out = new RegoSet();
  for (const [k, v] of small.map) if (big.map.has(k)) out.map.set(k, v);
  return out;
}

function or(a: Value[]): Value {
  const x = set("or", a, 0),
    y = set("or", a, 1);
  const out = new RegoSet();
  for (const [k, v] of x.map) out.map.set(k, v);
  for (const [k, v] of y.map) if (!out.map.has(k)) out.map.set(k, v);
  return out;
}

function union(a: Value[]): Value {
  const xs = set("union", a, 0);
  const out = new RegoSet();
  for (const s of xs.map.values()) {
    if (!(s instanceof RegoSet)) throw elemErr("union", 1, xs, s, "set");
    for (const [k, v] of s.map) if (!out.map.has(k)) out.map.set(k, v);
  }
  return out;
}

function intersection(a: Value[]): Value {
  const xs = set("intersection", a, 0);
  let out: RegoSet | null = null;
  for (const s of xs.map.values()) {
    if (!(s instanceof RegoSet)) throw elemErr("intersection", 1, xs, s, "set");
    if (out === null) {
      out = new RegoSet();
      for (const [k, v] of s.map) out.map.set(k, v);
    } else {
      const next: RegoSet = new RegoSet();
      for (const [k, v] of out.map) if (s.map.has(k)) next.map.set(k, v);
      out = next;
    }
  }
  return out ?? new RegoSet();
}

export const setsBuiltins: readonly Builtin[] = [
  def("and", 2, and),
  def("or", 2, or),
  def("union", 1, union),
  def("intersection", 1, intersection),
  // deprecated alias of `minus` on sets
  def("set_diff", 2, (a) => {
    const x = set("set_diff", a, 0),
      y = set("set_diff", a, 1);
    const out = new RegoSet();
    for (const [k, v] of x.map) if (!y.map.has(k)) out.map.set(k, v);
    return out;
  }),
];
