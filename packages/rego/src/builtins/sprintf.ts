/**
 * Go `fmt.Sprintf` over Rego values, as OPA's `sprintf` calls it: integral
 * numbers are passed as Go ints, other numbers as float64, strings as strings,
 * and every other value as its Rego text (so `%v` of an object prints
 * `{"a": 1}` and `%d` of a boolean prints `%!d(string=true)`, exactly as OPA).
 *
 * Supported: flags `+ - # space 0`, width and precision (also `*`), explicit
 * argument indexes `[n]`, verbs `v s q x X d b o O c U e E f F g G T %`, and
 * Go's error forms `%!d(string=x)`, `%!d(MISSING)`, `%!(EXTRA ...)`, `%!(NOVERB)`.
 * Not supported: `%x`/`%b` of floats (printed as bad verbs).
 */
import { formatValue, quoteString, type Value } from "../value.ts";
import { runeCount, utf8Encode } from "./util.ts";

type Arg = { k: "int"; v: bigint } | { k: "float"; v: number } | { k: "str"; v: string };

function toArg(v: Value): Arg {
  if (typeof v === "number") {
    // through the shortest decimal form, so large literals keep their written digits where a double can
    if (Number.isInteger(v))
      return { k: "int", v: Number.isSafeInteger(v) ? BigInt(v) : Math.abs(v) < 1e21 ? BigInt(String(v)) : BigInt(v) };
    return { k: "float", v };
  }
  if (typeof v === "string") return { k: "str", v };
  return { k: "str", v: formatValue(v) };
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function goType(a: Arg): string {
  if (a.k === "int") return a.v > INT64_MAX || a.v < INT64_MIN ? "*big.Int" : "int";
  return a.k === "float" ? "float64" : "string";
}

interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid: number; // -1 when absent
  prec: number; // -1 when absent
}

function pad(s: string, sp: Spec, zeroOk = true): string {
  if (sp.wid < 0) return s;
  const n = runeCount(s);
  if (n >= sp.wid) return s;
  const fill = sp.wid - n;
  if (sp.minus) return s + " ".repeat(fill);
  if (sp.zero && zeroOk) {
    // zeros go after a sign
    const sign = s[0] === "-" || s[0] === "+" || s[0] === " " ? s[0] : "";
    return sign + "0".repeat(fill) + s.slice(sign.length);
  }
  return " ".repeat(fill) + s;
}

function fmtInt(v: bigint, verb: string, sp: Spec): string | undefined {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  let digits: string;
  let prefix = "";
  switch (verb) {
    case "d":
    case "v":
      digits = abs.toString(10);
      break;
    case "b":
      digits = abs.toString(2);
      if (sp.sharp) prefix = "0b";
      break;
    case "o":
      digits = abs.toString(8);
      if (sp.sharp) prefix = "0";
      break;
    case "O":
      digits = abs.toString(8);
      prefix = "0o";
      break;
    case "x":
      digits = abs.toString(16);
      if (sp.sharp) prefix = "0x";
      break;
    case "X":
      digits = abs.toString(16).toUpperCase();
      if (sp.sharp) prefix = "0X";
      break;
    case "c":
      return pad(String.fromCodePoint(Number(v)), sp, false);
    case "q":
      return pad("'" + String.fromCodePoint(Number(v)) + "'", sp, false);
    case "U": {
      let h = abs.toString(16).toUpperCase();
      if (h.length < 4) h = h.padStart(4, "0");
      return pad("U+" + h, sp, false);
    }
    default:
      return undefined;
  }
  if (sp.prec >= 0) {
    if (sp.prec === 0 && v === 0n) digits = "";
    else if (digits.length < sp.prec) digits = digits.padStart(sp.prec, "0");
  }
  const sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  if (sp.zero && !sp.minus && sp.prec < 0 && sp.wid > 0) {
    const w = sp.wid - sign.length - prefix.length;
    if (digits.length < w) digits = digits.padStart(w, "0");
    return sign + prefix + digits;
  }
  return pad(sign + prefix + digits, sp, false);
}

/** Exact decimal expansion of |v| (a double has a finite one): digits without leading zeros, and the decimal-point position. */
function exactDigits(v: number): { d: string; dp: number } {
  const a = Math.abs(v);
  if (a === 0) return { d: "", dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  let digits: string;
  let dp: number;
  if (e >= 0) {
    digits = (mant << BigInt(e)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e)).toString();
    dp = digits.length - -e;
  }
  digits = digits.replace(/0+$/, "");
  return { d: digits, dp };
}

/** Rounds decimal digits to `nd` digits, half to even (Go's decimal rounding); trailing zeros trimmed. */
function roundDigits(d: string, dp: number, nd: number): { d: string; dp: number } {
  if (nd < 0) return { d: "", dp };
  if (nd >= d.length) return { d, dp };
  const next = d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (nd + 1 < d.length)
    up = true; // more non-zero digits follow (d has no trailing zeros)
  else up = nd > 0 && (d.charCodeAt(nd - 1) - 48) % 2 === 1;
  let kept = d.slice(0, nd);
  if (up) {
    let i = kept.length - 1;
    while (i >= 0 && kept[i] === "9") i--;
    if (i < 0) return { d: "1", dp: dp + 1 };
    kept = kept.slice(0, i) + String.fromCharCode(kept.charCodeAt(i) + 1);
  }
  return { d: kept.replace(/0+$/, ""), dp };
}

/** Decimal digits (trailing zeros trimmed) and decimal-point position of |v| rounded to `sig` significant digits (-1: shortest). */
function decimalDigits(v: number, sig: number): { d: string; dp: number } {
  if (v === 0) return { d: "", dp: 0 };
  if (sig < 0) {
    const [mant, ex] = Math.abs(v).toExponential().split("e") as [string, string];
    return { d: mant.replace(".", "").replace(/0+$/, ""), dp: Number(ex) + 1 };
  }
  const x = exactDigits(v);
  return roundDigits(x.d, x.dp, sig);
}

function fmtE(d: string, dp: number, frac: number, upper: boolean): string {
  const digits = d === "" ? "0" : d;
  let s = digits[0]!;
  if (frac > 0) s += "." + digits.slice(1).padEnd(frac, "0").slice(0, frac);
  const exp = d === "" ? 0 : dp - 1;
  const ae = Math.abs(exp);
  s += (upper ? "E" : "e") + (exp < 0 ? "-" : "+") + (ae < 10 ? "0" + ae : String(ae));
  return s;
}

function fmtF(d: string, dp: number, frac: number): string {
  let s = dp > 0 ? d.slice(0, dp).padEnd(dp, "0") : "0";
  if (frac > 0) {
    s += ".";
    for (let i = 0; i < frac; i++) {
      const j = dp + i;
      s += j < 0 || j >= d.length ? "0" : d[j];
    }
  }
  return s;
}

function fmtFixed(v: number, prec: number): string {
  const x = exactDigits(v);
  const r = roundDigits(x.d, x.dp, x.dp + prec);
  return fmtF(r.d, r.dp, prec);
}

function fmtFloat(v: number, verb: string, sp: Spec): string | undefined {
  let body: string;
  const neg = v < 0 || Object.is(v, -0);
  switch (verb) {
    case "e":
    case "E": {
      const prec = sp.prec < 0 ? 6 : sp.prec;
      const { d, dp } = decimalDigits(v, prec + 1);
      body = fmtE(d, dp, prec, verb === "E");
      break;
    }
    case "f":
    case "F":
      body = fmtFixed(v, sp.prec < 0 ? 6 : sp.prec);
      break;
    case "g":
    case "G":
    case "v": {
      let prec = verb === "v" ? -1 : sp.prec;
      if (prec === 0) prec = 1;
      const { d, dp } = decimalDigits(v, prec);
      const nd = d.length;
      let eprec = prec < 0 ? 6 : prec;
      if (prec >= 0 && eprec > nd && nd >= dp) eprec = nd;
      if (prec < 0) prec = nd;
      const exp = dp - 1;
      if (d !== "" && (exp < -4 || exp >= eprec)) {
        const p = Math.min(prec, nd);
        body = fmtE(d, dp, p - 1, verb === "G");
      } else {
        const p = prec > dp ? nd : prec;
        body = d === "" ? "0" : fmtF(d, dp, Math.max(p - dp, 0));
      }
      break;
    }
    default:
      return undefined;
  }
  const sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  if (sp.zero && !sp.minus && sp.wid > 0) return sign + body.padStart(sp.wid - sign.length, "0");
  return pad(sign + body, sp, false);
}

function fmtStr(s: string, verb: string, sp: Spec): string | undefined {
  switch (verb) {
    case "v":
    case "s": {
      if (verb === "v" && sp.sharp) return pad(quoteString(s), sp);
      let t = s;
      if (sp.prec >= 0) t = Array.from(s).slice(0, sp.prec).join("");
      return pad(t, sp);
    }
    case "q":
      return pad(quoteString(sp.prec >= 0 ? Array.from(s).slice(0, sp.prec).join("") : s), sp);
    case "x":
    case "X": {
      let bytes = utf8Encode(s);
      if (sp.prec >= 0) bytes = bytes.slice(0, sp.prec);
      const parts = Array.from(bytes, (b) => b.toString(16).padStart(2, "0"));
      let out = sp.space ? parts.map((p) => (sp.sharp ? "0x" + p : p)).join(" ") : (sp.sharp ? "0x" : "") + parts.join("");
      if (verb === "X") out = out.toUpperCase();
      return pad(out, sp);
    }
    default:
      return undefined;
  }
}

function plainV(a: Arg): string {
  if (a.k === "int") return a.v.toString();
  if (a.k === "float")
    return fmtFloat(a.v, "v", { plus: false, minus: false, sharp: false, space: false, zero: false, wid: -1, prec: -1 })!;
  return a.v;
}

function formatArg(a: Arg, verb: string, sp: Spec): string {
  let out: string | undefined;
  if (verb === "T") return pad(goType(a), sp);
  if (a.k === "int" && goType(a) === "*big.Int") {
    // big.Int's Formatter: d s v in decimal, b o O x X; anything else is its own bad-verb form
    if (verb === "s" || verb === "v") return fmtInt(a.v, "d", sp)!;
    if ("dboOxX".includes(verb)) return fmtInt(a.v, verb, sp)!;
    return `%!${verb}(big.Int=${a.v.toString()})`;
  }
  if (a.k === "int") out = fmtInt(a.v, verb, sp);
  else if (a.k === "float") out = fmtFloat(a.v, verb, sp);
  else out = fmtStr(a.v, verb, sp);
  return out ?? `%!${verb}(${goType(a)}=${plainV(a)})`;
}

/** Go's fmt.Sprintf with OPA's argument conversion. */
export function sprintf(format: string, values: readonly Value[]): string {
  const args = values.map(toArg);
  let out = "";
  let argNum = 0;
  let reordered = false;
  const n = format.length;
  let i = 0;
  const argIndex = (): void => {
    if (format[i] !== "[") return;
    const close = format.indexOf("]", i);
    if (close < 0) return;
    const k = Number(format.slice(i + 1, close));
    if (Number.isInteger(k) && k >= 1) {
      argNum = k - 1;
      reordered = true;
    }
    i = close + 1;
  };
  const readNum = (): number => {
    let v = -1;
    while (i < n && format[i]! >= "0" && format[i]! <= "9") {
      v = (v < 0 ? 0 : v * 10) + (format.charCodeAt(i) - 48);
      i++;
    }
    return v;
  };
  const starArg = (): number | undefined => {
    const a = args[argNum++];
    if (a === undefined || a.k !== "int") return undefined;
    return Number(a.v);
  };
  while (i < n) {
    const c = format[i]!;
    if (c !== "%") {
      const j = format.indexOf("%", i);
      const end = j < 0 ? n : j;
      out += format.slice(i, end);
      i = end;
      continue;
    }
    i++;
    const sp: Spec = { plus: false, minus: false, sharp: false, space: false, zero: false, wid: -1, prec: -1 };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case "+":
          sp.plus = true;
          break;
        case "-":
          sp.minus = true;
          sp.zero = false;
          break;
        case "#":
          sp.sharp = true;
          break;
        case " ":
          sp.space = true;
          break;
        case "0":
          sp.zero = !sp.minus;
          break;
        default:
          break flags;
      }
    }
    argIndex();
    if (format[i] === "*") {
      i++;
      const w = starArg();
      if (w === undefined) out += "%!(BADWIDTH)";
      else if (w < 0) {
        sp.minus = true;
        sp.zero = false;
        sp.wid = -w;
      } else sp.wid = w;
    } else sp.wid = readNum();
    if (sp.wid > 1e6) {
      out += "%!(BADWIDTH)";
      sp.wid = -1;
    }
    if (format[i] === ".") {
      i++;
      argIndex();
      if (format[i] === "*") {
        i++;
        const p = starArg();
        if (p === undefined || p < 0) {
          out += "%!(BADPREC)";
          sp.prec = -1;
        } else sp.prec = p;
      } else {
        const p = readNum();
        sp.prec = p < 0 ? 0 : p;
      }
      if (sp.prec > 1e6) {
        out += "%!(BADPREC)";
        sp.prec = -1;
      }
    }
    argIndex();
    if (i >= n) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argNum++]!, verb, sp);
  }
  if (!reordered && argNum < args.length) {
    out +=
      "%!(EXTRA " +
      args
        .slice(argNum)
        .map((a) => `${goType(a)}=${plainV(a)}`)
        .join(", ") +
      ")";
  }
  return out;
}
