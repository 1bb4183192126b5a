/**
 * Helpers shared by the builtin families: operand checks that throw OPA-style
 * `BuiltinError`s, and small string utilities. Pure ES2023.
 */
import { BuiltinError, RegoSet, isObject, typeName, type RegoObject, type Value } from "../value.ts";
import type { Builtin, BuiltinContext } from "./index.ts";

/** Type error: `operand N must be X but got Y` / `must be one of {X, Y} but got Z`. */
export function typeErr(name: string, pos: number, got: Value, ...expected: string[]): BuiltinError {
  const want = expected.length === 1 ? expected[0]! : `one of {${expected.join(", ")}}`;
  return new BuiltinError(name, `operand ${pos} must be ${want} but got ${typeName(got)}`, "eval_type_error", true);
}

/** Element type error: `operand N must be array of strings but got array containing number`. */
export function elemErr(name: string, pos: number, composite: Value, got: Value, expected: string): BuiltinError {
  const t = typeName(composite);
  return new BuiltinError(
    name,
    `operand ${pos} must be ${t} of ${expected}s but got ${t} containing ${typeName(got)}`,
    "eval_type_error",
    true,
  );
}

/** Generic operand error with OPA's `operand N ...` prefix (a type error found at run time, not by OPA's type checker). */
export function operandErr(name: string, pos: number, msg: string): BuiltinError {
  return new BuiltinError(name, `operand ${pos} ${msg}`, "eval_type_error");
}

/** A non-type builtin error (eval_builtin_error). */
export function builtinErr(name: string, msg: string): BuiltinError {
  return new BuiltinError(name, msg, "eval_builtin_error");
}

/** Operand `i` (0-based) as a string. */
export function str(name: string, args: readonly Value[], i: number): string {
  const v = args[i]!;
  if (typeof v !== "string") throw typeErr(name, i + 1, v, "string");
  return v;
}

/** Operand `i` as a number. */
export function num(name: string, args: readonly Value[], i: number): number {
  const v = args[i]!;
  if (typeof v !== "number") throw typeErr(name, i + 1, v, "number");
  return v;
}

/** Operand `i` as an integer number. */
export function int(name: string, args: readonly Value[], i: number): number {
  const v = args[i]!;
  if (typeof v !== "number") throw typeErr(name, i + 1, v, "number");
  if (!Number.isInteger(v)) throw operandErr(name, i + 1, "must be integer number but got floating-point number");
  return v;
}

/** Operand `i` as an array. */
export function arr(name: string, args: readonly Value[], i: number): Value[] {
  const v = args[i]!;
  if (!Array.isArray(v)) throw typeErr(name, i + 1, v, "array");
  return v;
}

/** Operand `i` as an object. */
export function obj(name: string, args: readonly Value[], i: number): RegoObject {
  const v = args[i]!;
  if (!isObject(v)) throw typeErr(name, i + 1, v, "object");
  return v;
}

/** Operand `i` as a set. */
export function set(name: string, args: readonly Value[], i: number): RegoSet {
  const v = args[i]!;
  if (!(v instanceof RegoSet)) throw typeErr(name, i + 1, v, "set");
  return v;
}

/** Elements of an array or set operand (sets in sorted order). */
function collection(name: string, args: readonly Value[], i: number): readonly Value[] {
  const v = args[i]!;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  throw typeErr(name, i + 1, v, "array", "set");
}

/** Array/set operand whose elements must all be strings. */
export function stringList(name: string, args: readonly Value[], i: number): string[] {
  const v = args[i]!;
  const xs = collection(name, args, i);
  const out: string[] = new Array(xs.length);
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k]!;
    if (typeof x !== "string") throw elemErr(name, i + 1, v, x, "string");
    out[k] = x;
  }
  return out;
}

/** Number of Unicode code points in a string. */
export function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** True when every UTF-16 unit is below 0x80. */
export function isASCII(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** UTF-8 encoding (pure, no TextEncoder dependency). */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    let c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** UTF-8 decoding; `strict` returns undefined on invalid input, else U+FFFD replaces bad bytes. */
export function utf8Decode(b: Uint8Array, strict = false): string | undefined {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let cp = -1;
    let n = 0;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c >= 0xc2 && c < 0xe0) {
      n = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c < 0xf0) {
      n = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c < 0xf5) {
      n = 4;
      cp = c & 0x07;
    }
    if (n === 0 || i + n > b.length) {
      if (strict) return undefined;
      s += "\ufffd";
      i++;
      continue;
    }
    let ok = true;
    for (let k = 1; k < n; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (d & 63);
    }
    if (ok && ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (!ok) {
      if (strict) return undefined;
      s += "\ufffd";
      i++;
      continue;
    }
    s += String.fromCodePoint(cp);
    i += n;
  }
  return s;
}

/** A bounded memo cache (insertion-order eviction). */
export class BoundedCache<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    return this.m.get(k);
  }
  set(k: string, v: V): void {
    if (this.m.size >= this.max) {
      const first = this.m.keys().next();
      if (!first.done) this.m.delete(first.value);
    }
    this.m.set(k, v);
  }
}

/** Shorthand to declare a deterministic builtin. */
export function def(
  name: string,
  arity: number,
  fn: (args: Value[], ctx: BuiltinContext) => Value | undefined,
  nondeterministic = false,
): Builtin {
  return nondeterministic ? { name, arity, fn, nondeterministic } : { name, arity, fn };
}
