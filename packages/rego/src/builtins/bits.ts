/** Bitwise builtins on integers (arbitrary precision through BigInt): bits.and or xor negate lsh rsh. */
import type { Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { builtinErr, def, int } from "./util.ts";

function big(name: string, a: Value[], i: number): bigint {
  return BigInt(int(name, a, i));
}

function shift(name: string, a: Value[]): [bigint, bigint] {
  const x = big(name, a, 0);
  const n = int(name, a, 1);
  if (n < 0) throw builtinErr(name, "shift count must be non-negative");
  // beyond 1100 bits a left shift of a non-zero value cannot be a double; a right shift is 0 or -1
  return [x, BigInt(Math.min(n, 2048))];
}

function toNum(name: string, x: bigint): number {
  const r = Number(x);
  if (!Number.isFinite(r)) throw builtinErr(name, "number too large (beyond IEEE double range)");
  return r;
}

export const bitsBuiltins: readonly Builtin[] = [
  def("bits.and", 2, (a) => Number(big("bits.and", a, 0) & big("bits.and", a, 1))),
  def("bits.or", 2, (a) => Number(big("bits.or", a, 0) | big("bits.or", a, 1))),
  def("bits.xor", 2, (a) => Number(big("bits.xor", a, 0) ^ big("bits.xor", a, 1))),
  def("bits.negate", 1, (a) => Number(~big("bits.negate", a, 0))),
  def("bits.lsh", 2, (a) => {
    const [x, n] = shift("bits.lsh", a);
    return toNum("bits.lsh", x << n);
  }),
  def("bits.rsh", 2, (a) => {
    const [x, n] = shift("bits.rsh", a);
    return Number(x >> n);
  }),
];
