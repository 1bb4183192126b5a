/**
 * Arithmetic and number builtins: plus minus mul div rem abs round ceil floor,
 * numbers.range, numbers.range_step, rand.intn, to_number.
 * Numbers are IEEE doubles (OPA uses arbitrary precision): integers beyond 2^53
 * and decimal fractions round as doubles do.
 */
import { BuiltinError, RegoSet, type Value } from "../value.ts";
import type { Builtin, BuiltinContext } from "./index.ts";
import { builtinErr, def, int, num, str, typeErr } from "./util.ts";

/** Doubles overflow where OPA's arbitrary-precision numbers would not: report it instead of returning Infinity. */
export function finite(name: string, x: number): number {
  if (!Number.isFinite(x)) throw builtinErr(name, "number too large (beyond IEEE double range)");
  return x;
}

/**
 * A finite number as an exact decimal: integer mantissa (a safe integer) and
 * the count of decimal places, read from its shortest form; null when that
 * needs more than 15 significant digits or the mantissa is not safe.
 */
function decimal(x: number): [number, number] | null {
  const s = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(s);
  if (!m) return null;
  const frac = m[3] ?? "";
  let places = frac.length - (m[4] ? Number(m[4]) : 0);
  let digits = (m[2]! + frac).replace(/^0+(?=\d)/, "");
  if (places < 0) {
    digits += "0".repeat(-places);
    places = 0;
  }
  if (digits.length > 15 || places > 22) return null;
  const mant = Number(digits);
  return [m[1] ? -mant : mant, places];
}

const POW10 = Array.from({ length: 45 }, (_, i) => 10 ** i);

/**
 * x + y as OPA computes it for decimal literals (big floats printed in shortest
 * form): exact decimal addition when both operands have short decimal forms,
 * so 0.1 + 0.2 is 0.3; otherwise IEEE addition.
 */
export function addNumbers(x: number, y: number): number {
  const r = x + y;
  if (Number.isInteger(x) && Number.isInteger(y)) return r;
  const dx = decimal(x),
    dy = decimal(y);
  if (dx === null || dy === null) return r;
  const p = Math.max(dx[1], dy[1]);
  const sx = dx[0] * POW10[p - dx[1]]!,
    sy = dy[0] * POW10[p - dy[1]]!;
  const sum = sx + sy;
  if (!Number.isSafeInteger(sx) || !Number.isSafeInteger(sy) || !Number.isSafeInteger(sum)) return r;
  return sum / POW10[p]!;
}

/** x * y, exact for short decimal operands (see addNumbers). */
export function mulNumbers(x: number, y: number): number {
  const r = x * y;
  if (Number.isInteger(x) && Number.isInteger(y)) return r;
  const dx = decimal(x),
    dy = decimal(y);
  if (dx === null || dy === null) return r;
  const prod = dx[0] * dy[0];
  const p = dx[1] + dy[1];
  if (!Number.isSafeInteger(prod) || p > 44) return r;
  return p <= 22 ? prod / POW10[p]! : r;
}

/** x / y; when the quotient is a short decimal (15.3 / 3 = 5.1) that decimal, as OPA prints it. */
function divNumbers(x: number, y: number): number {
  const q = x / y;
  if (Number.isInteger(q) || !Number.isFinite(q)) return q;
  const c = Number(q.toPrecision(15));
  return c !== q && mulNumbers(c, y) === x ? c : q;
}

function plus(a: Value[]): Value {
  const x = a[0],
    y = a[1];
  if (typeof x === "number" && typeof y === "number") {
    const r = addNumbers(x, y);
    return r - r === 0 ? r : finite("plus", r);
  }
  return finite("plus", addNumbers(num("plus", a, 0), num("plus", a, 1)));
}

function minus(a: Value[]): Value {
  const x = a[0]!,
    y = a[1]!;
  if (typeof x === "number" && typeof y === "number") return finite("minus", addNumbers(x, -y));
  if (x instanceof RegoSet && y instanceof RegoSet) {
    const out = new RegoSet();
    for (const [k, v] of x.map) if (!y.map.has(k)) out.map.set(k, v);
    return out;
  }
  if (typeof x !== "number" && !(x instanceof RegoSet)) throw typeErr("minus", 1, x, "number", "set");
  if (typeof x === "number") throw typeErr("minus", 2, y, "number");
  throw typeErr("minus", 2, y, "set");
}

function mul(a: Value[]): Value {
  return finite("mul", mulNumbers(num("mul", a, 0), num("mul", a, 1)));
}

function div(a: Value[]): Value {
  const x = num("div", a, 0),
    y = num("div", a, 1);
  if (y === 0) throw builtinErr("div", "divide by zero");
  return finite("div", divNumbers(x, y));
}

function rem(a: Value[]): Value {
  const x = num("rem", a, 0),
    y = num("rem", a, 1);
  if (!Number.isInteger(x) || !Number.isInteger(y)) throw builtinErr("rem", "modulo on floating-point number");
  if (y === 0) throw builtinErr("rem", "modulo by zero");
  const r = x % y;
  return r === 0 ? 0 : r;
}

/** Rounds half away from zero, as OPA's round. */
function roundHalfAway(x: number): number {
  if (Number.isInteger(x)) return x;
  const r = x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
  return r === 0 ? 0 : r;
}

function zeroless(x: number): number {
  return x === 0 ? 0 : x;
}

/** Largest array numbers.range may build (OPA has no limit, but a builtin cannot be interrupted here). */
const MAX_RANGE = 10_000_000;

function range(a: Value[]): Value {
  const x = int("numbers.range", a, 0),
    y = int("numbers.range", a, 1);
  if (Math.abs(y - x) >= MAX_RANGE) throw builtinErr("numbers.range", `range too large (more than ${MAX_RANGE} elements)`);
  // index-based: beyond 2^53, i++ would not move
  const n = Math.abs(y - x) + 1;
  const dir = x <= y ? 1 : -1;
  const out: number[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = x + dir * k;
  return out;
}

function rangeStep(a: Value[]): Value {
  const x = int("numbers.range_step", a, 0),
    y = int("numbers.range_step", a, 1),
    step = int("numbers.range_step", a, 2);
  if (step <= 0) throw builtinErr("numbers.range_step", "step must be a positive number above zero");
  if (Math.abs(y - x) / step >= MAX_RANGE) throw builtinErr("numbers.range_step", `range too large (more than ${MAX_RANGE} elements)`);
  const n = Math.floor(Math.abs(y - x) / step) + 1;
  const dir = x <= y ? 1 : -1;
  const out: number[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = x + dir * k * step;
  return out;
}

const GO_FLOAT = /^[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d*(?:_\d+)*)(?:[eE][+-]?\d+)?$/;

/** Parses a string as Go's strconv.ParseFloat does for decimal input; undefined if invalid. */
function parseGoFloat(s: string): number | undefined {
  if (s === "" || !GO_FLOAT.test(s) || !/\d/.test(s.replace(/[eE].*$/, ""))) {
    // hex floats (0x1p-2) are also accepted by Go
    if (/^[+-]?0[xX]/.test(s)) {
      const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
      if (m && (m[2] || m[3])) {
        const mant = parseInt((m[2] || "0") + (m[3] || ""), 16) / Math.pow(16, (m[3] || "").length);
        const v = mant * Math.pow(2, parseInt(m[4]!, 10));
        return m[1] === "-" ? -v : v;
      }
    }
    return undefined;
  }
  if (s.includes("_")) return undefined; // underscores only allowed with base prefix in Go
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

function toNumber(a: Value[]): Value {
  const x = a[0]!;
  switch (typeof x) {
    case "number":
      return x;
    case "boolean":
      return x ? 1 : 0;
    case "string": {
      // OPA (casts.go) refuses the words ParseFloat would accept as infinities or NaN
      if (/^[+-]*(inf|infinity|nan)$/i.test(x)) {
        // a value check at evaluation (the type checker only sees a string)
        throw new BuiltinError("to_number", "operand 1 must be valid number string but got string", "eval_type_error");
      }
      const v = parseGoFloat(x);
      if (v === undefined) {
        // ParseFloat's own errors: a well-formed number beyond the double range is "value out of range"
        const why = GO_FLOAT.test(x) && !x.includes("_") && /\d/.test(x) ? "value out of range" : "invalid syntax";
        throw builtinErr("to_number", `strconv.ParseFloat: parsing ${JSON.stringify(x)}: ${why}`);
      }
      return v;
    }
    default:
      if (x === null) return 0;
      throw typeErr("to_number", 1, x, "null", "boolean", "number", "string");
  }
}

function randIntn(a: Value[], ctx: BuiltinContext): Value {
  const s = str("rand.intn", a, 0);
  const n = int("rand.intn", a, 1);
  if (n === 0) return 0;
  const key = "rand.intn\u0000" + s + "\u0000" + n;
  const hit = ctx.cache?.get(key);
  if (hit !== undefined) return hit;
  const r = Math.floor(Math.random() * Math.abs(n));
  ctx.cache?.set(key, r);
  return r;
}

export const numbersBuiltins: readonly Builtin[] = [
  def("plus", 2, plus),
  def("minus", 2, minus),
  def("mul", 2, mul),
  def("div", 2, div),
  def("rem", 2, rem),
  def("abs", 1, (a) => Math.abs(num("abs", a, 0))),
  def("round", 1, (a) => roundHalfAway(num("round", a, 0))),
  def("ceil", 1, (a) => zeroless(Math.ceil(num("ceil", a, 0)))),
  def("floor", 1, (a) => zeroless(Math.floor(num("floor", a, 0)))),
  def("numbers.range", 2, range),
  def("numbers.range_step", 3, rangeStep),
  def("to_number", 1, toNumber),
  def("rand.intn", 2, randIntn, true),
];
