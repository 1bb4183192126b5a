/** units.parse (SI and binary SI, "m" = milli) and units.parse_bytes, computed exactly with BigInt rationals. */
import type { Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { builtinErr, def, str } from "./util.ts";

/** Splits "10.5Gi" into ["10.5", "Gi"], as OPA's extractNumAndUnit; null when the exponent is too long. */
function extractNumAndUnit(s: string): [string, string] | null {
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const isNum = (c >= "0" && c <= "9") || c === ".";
    if (!isNum && c !== "e" && c !== "E" && c !== "+" && c !== "-") {
      first = i;
      break;
    }
    if (c === "e" || c === "E") {
      const n = s[i + 1];
      if (n === undefined || (!(n >= "0" && n <= "9") && n !== "+" && n !== "-")) {
        first = i;
        break;
      }
      if (n === "+" || n === "-") i++;
      let e = i + 1;
      while (e < s.length && s[e]! >= "0" && s[e]! <= "9") e++;
      if (e - (i + 1) > 6) return null;
    }
  }
  if (first === -1) return [s, ""];
  if (first === 0) return ["", s];
  return [s.slice(0, first), s.slice(first)];
}

/** Exact rational num/den (den a power of ten) from a decimal string; null if not a number. */
function parseDecimal(s: string): { n: bigint; d: bigint } | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const frac = m[3] ?? "";
  let n = BigInt((m[2] || "0") + frac);
  let d = 10n ** BigInt(frac.length);
  const e = m[4] ? Number(m[4]) : 0;
  if (e > 0) n *= 10n ** BigInt(e);
  else if (e < 0) d *= 10n ** BigInt(-e);
  if (m[1] === "-") n = -n;
  return { n, d };
}

const SI: Record<string, bigint> = {
  k: 1000n,
  K: 1000n,
  M: 10n ** 6n,
  g: 10n ** 9n,
  G: 10n ** 9n,
  t: 10n ** 12n,
  T: 10n ** 12n,
  p: 10n ** 15n,
  P: 10n ** 15n,
  e: 10n ** 18n,
  E: 10n ** 18n,
};
const BIN: Record<string, bigint> = { ki: 1n << 10n, mi: 1n << 20n, gi: 1n << 30n, ti: 1n << 40n, pi: 1n << 50n, ei: 1n << 60n };

function ratToNumber(n: bigint, d: bigint): number {
  if (n % d === 0n) return Number(n / d);
  // OPA prints FloatString(10): round to 10 decimals
  const scaled = (n * 10n ** 10n * 2n + (n < 0n ? -d : d)) / (2n * d);
  return Number(scaled) / 1e10;
}

function unitsParse(a: Value[]): Value {
  const name = "units.parse";
  const s = str(name, a, 0).replaceAll('"', "");
  if (s.includes(" ")) throw builtinErr(name, "spaces not allowed in resource strings");
  const nu = extractNumAndUnit(s);
  if (nu === null) throw builtinErr(name, "exponent too large");
  const [num, rawUnit] = nu;
  if (num === "") throw builtinErr(name, "no amount provided");
  const unit = rawUnit.length > 1 ? rawUnit[0] + rawUnit.slice(1).toLowerCase() : rawUnit;
  let mulN = 1n,
    mulD = 1n;
  if (unit === "m") mulD = 1000n;
  else if (unit === "") mulN = 1n;
  else if (SI[unit] !== undefined) mulN = SI[unit]!;
  else if (/^(ki|Ki|mi|Mi|gi|Gi|ti|Ti|pi|Pi|ei|Ei)$/.test(unit)) mulN = BIN[unit.toLowerCase()]!;
  else throw builtinErr(name, `unit ${unit} not recognized`);
  const r = parseDecimal(num);
  if (r === null) throw builtinErr(name, "could not parse amount to a number");
  return ratToNumber(r.n * mulN, r.d * mulD);
}

const BYTES: Record<string, bigint> = {
  "": 1n,
  kb: 1000n,
  k: 1000n,
  kib: 1n << 10n,
  ki: 1n << 10n,
  mb: 10n ** 6n,
  m: 10n ** 6n,
  mib: 1n << 20n,
  mi: 1n << 20n,
  gb: 10n ** 9n,
  g: 10n ** 9n,
  gib: 1n << 30n,
  gi: 1n << 30n,
  tb: 10n ** 12n,
  t: 10n ** 12n,
  tib: 1n << 40n,
  ti: 1n << 40n,
  pb: 10n ** 15n,
  p: 10n ** 15n,
  pib: 1n << 50n,
  pi: 1n << 50n,
  eb: 10n ** 18n,
  e: 10n ** 18n,
  eib: 1n << 60n,
  ei: 1n << 60n,
};

function parseBytes(a: Value[]): Value {
  const name = "units.parse_bytes";
  const s = str(name, a, 0).toLowerCase().replaceAll('"', "");
  if (s.includes(" ")) throw builtinErr(name, "spaces not allowed in resource strings");
  const nu = extractNumAndUnit(s);
  if (nu === null) throw builtinErr(name, "exponent too large");
  const [num, unit] = nu;
  if (num === "") throw builtinErr(name, "no byte amount provided");
  const mul = BYTES[unit];
  if (mul === undefined) throw builtinErr(name, `byte unit ${unit} not recognized`);
  const r = parseDecimal(num);
  if (r === null) throw builtinErr(name, "could not parse byte amount to a number");
  return Number((r.n * mul) / r.d);
}

export const unitsBuiltins: readonly Builtin[] = [def("units.parse", 1, unitsParse), def("units.parse_bytes", 1, parseBytes)];
