/**
 * Strings: concat sprintf format_int startswith endswith contains trim trim_left
 * trim_right trim_prefix trim_suffix trim_space split replace lower upper
 * substring indexof indexof_n strings.replace_n strings.reverse strings.count
 * strings.any_prefix_match strings.any_suffix_match.
 * Indexes and lengths count Unicode code points, as OPA counts runes.
 */
import { RegoSet, isObject, objectEntries, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { sprintf } from "./sprintf.ts";
import { renderTemplate } from "./template.ts";
import { arr, builtinErr, def, elemErr, int, isASCII, num, operandErr, runeCount, str, stringList, typeErr } from "./util.ts";

function concat(a: Value[]): Value {
  const sep = str("concat", a, 0);
  const v = a[1]!;
  const xs = Array.isArray(v) ? v : v instanceof RegoSet ? v.sorted() : null;
  if (xs === null) throw typeErr("concat", 2, v, "set", "array");
  let out = "";
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (typeof x !== "string") throw elemErr("concat", 2, v, x, "string");
    out += i === 0 ? x : sep + x;
  }
  return out;
}

function formatInt(a: Value[]): Value {
  const x = num("format_int", a, 0);
  const base = num("format_int", a, 1);
  if (base !== 2 && base !== 8 && base !== 10 && base !== 16) throw operandErr("format_int", 2, "must be one of {2, 8, 10, 16}");
  const t = Math.trunc(x);
  return (t < 0 ? "-" : "") + BigInt(Math.abs(t)).toString(base);
}

/** Code points of a string in a Set, for cutsets. */
function cutset(s: string): Set<string> {
  return new Set(Array.from(s));
}

function trimLeftSet(s: string, cs: Set<string>): string {
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!cs.has(ch)) break;
    i += ch.length;
  }
  return s.slice(i);
}

function trimRightSet(s: string, cs: Set<string>): string {
  let j = s.length;
  while (j > 0) {
    let k = j - 1;
    const lo = s.charCodeAt(k);
    if (lo >= 0xdc00 && lo <= 0xdfff && k > 0) {
      const hi = s.charCodeAt(k - 1);
      if (hi >= 0xd800 && hi <= 0xdbff) k--;
    }
    if (!cs.has(s.slice(k, j))) break;
    j = k;
  }
  return s.slice(0, j);
}

// Go's unicode.IsSpace set (JS's trim() also strips U+FEFF and misses U+0085).
const GO_SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
const TRIM_SPACE = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, "g");

function substring(a: Value[]): Value {
  const s = str("substring", a, 0);
  const start = intOp("substring", a, 1);
  const len = intOp("substring", a, 2);
  if (start < 0) throw builtinErr("substring", "negative offset");
  if (isASCII(s)) {
    if (start >= s.length) return "";
    if (len < 0) return s.slice(start);
    return s.slice(start, Math.min(s.length, start + len));
  }
  const cps = Array.from(s);
  if (start >= cps.length) return "";
  return (len < 0 ? cps.slice(start) : cps.slice(start, Math.min(cps.length, start + len))).join("");
}

function intOp(name: string, a: Value[], i: number): number {
  const v = num(name, a, i);
  if (!Number.isInteger(v)) throw operandErr(name, i + 1, "must be integer number but got floating-point number");
  return v;
}

/** Code-point index of `search` in `s` (OPA's indexof), -1 if absent. */
function runeIndexOf(s: string, search: string, from = 0): number {
  const u = s.indexOf(search, from);
  if (u < 0) return -1;
  return runeCount(s.slice(0, u));
}

function indexof(a: Value[]): Value {
  const s = str("indexof", a, 0),
    search = str("indexof", a, 1);
  if (search === "") throw builtinErr("indexof", "empty search character");
  return runeIndexOf(s, search);
}

function indexofN(a: Value[]): Value {
  const s = str("indexof_n", a, 0),
    search = str("indexof_n", a, 1);
  if (search === "") throw builtinErr("indexof_n", "empty search character");
  const out: number[] = [];
  let u = s.indexOf(search);
  let lastU = 0,
    lastR = 0;
  while (u >= 0) {
    lastR += runeCount(s.slice(lastU, u));
    lastU = u;
    out.push(lastR);
    // overlapping matches: advance by one code point
    const cp = s.codePointAt(u)!;
    u = s.indexOf(search, u + (cp > 0xffff ? 2 : 1));
  }
  return out;
}

function split(a: Value[]): Value {
  const s = str("split", a, 0),
    d = str("split", a, 1);
  if (d === "") return Array.from(s);
  return s.split(d);
}

/**
 * strings.split_n (OPA): split on every delimiter as `split` does, then keep the first n
 * parts (n > 0), the last -n parts (n < 0), or none (n = 0).
 */
function splitN(a: Value[]): Value {
  const parts = split([str("strings.split_n", a, 0), str("strings.split_n", a, 1)]) as string[];
  const n = int("strings.split_n", a, 2);
  if (n >= 0) return parts.slice(0, n);
  return parts.slice(Math.max(0, parts.length + n));
}

/** Go's strings.Replacer semantics: at each position the first matching pattern (in order) wins. */
function replaceMany(s: string, pairs: readonly [string, string][]): string {
  if (pairs.length === 1) {
    const [o, n] = pairs[0]!;
    return o === "" ? insertEverywhere(s, n) : s.replaceAll(o, n);
  }
  let out = "";
  let i = 0;
  let lastWasEmptyMatch = false;
  while (i <= s.length) {
    let matched = false;
    for (const [o, n] of pairs) {
      if (o === "" ? !lastWasEmptyMatch : s.startsWith(o, i)) {
        out += n;
        i += o.length;
        matched = true;
        lastWasEmptyMatch = o === "";
        break;
      }
    }
    if (matched && !lastWasEmptyMatch) continue;
    if (i >= s.length) break;
    const cp = s.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    out += s.slice(i, i + w);
    i += w;
    lastWasEmptyMatch = false;
  }
  return out;
}

function insertEverywhere(s: string, n: string): string {
  return (
    n +
    Array.from(s)
      .map((c) => c + n)
      .join("")
  );
}

function replaceN(a: Value[]): Value {
  const v = a[0]!;
  if (!isObject(v)) throw typeErr("strings.replace_n", 1, v, "object");
  const s = str("strings.replace_n", a, 1);
  const pairs: [string, string][] = [];
  for (const [k, x] of objectEntries(v)) {
    if (typeof k !== "string") throw operandErr("strings.replace_n", 1, "non-string key found in pattern object");
    if (typeof x !== "string") throw operandErr("strings.replace_n", 1, "non-string value found in pattern object");
    pairs.push([k, x]);
  }
  if (pairs.length === 0) return s;
  return replaceMany(s, pairs);
}

function countSub(a: Value[]): Value {
  const s = str("strings.count", a, 0),
    sub = str("strings.count", a, 1);
  if (sub === "") return runeCount(s) + 1;
  let n = 0;
  for (let u = s.indexOf(sub); u >= 0; u = s.indexOf(sub, u + sub.length)) n++;
  return n;
}

function stringsOf(name: string, a: Value[], i: number): string[] {
  const v = a[i]!;
  if (typeof v === "string") return [v];
  if (Array.isArray(v) || v instanceof RegoSet) return stringList(name, a, i);
  throw typeErr(name, i + 1, v, "string", "set", "array");
}

function anyPrefix(a: Value[]): Value {
  const xs = stringsOf("strings.any_prefix_match", a, 0),
    ps = stringsOf("strings.any_prefix_match", a, 1);
  return xs.some((x) => ps.some((p) => x.startsWith(p)));
}

function anySuffix(a: Value[]): Value {
  const xs = stringsOf("strings.any_suffix_match", a, 0),
    ps = stringsOf("strings.any_suffix_match", a, 1);
  return xs.some((x) => ps.some((p) => x.endsWith(p)));
}

/**
 * Go's strings.ToLower/ToUpper map rune by rune with Unicode's simple case mapping: no
 * final sigma, "ß" stays "ß", "İ" lowers to "i". JS maps whole strings with the full
 * (multi-character) mappings, so map each code point and keep single-rune results.
 */
function mapRunes(s: string, up: boolean): string {
  if (isASCII(s)) return up ? s.toUpperCase() : s.toLowerCase();
  let out = "";
  for (const ch of s) {
    const m = up ? ch.toUpperCase() : ch.toLowerCase();
    if (m.length === ch.length || [...m].length === 1) out += m;
    else out += up ? ch : String.fromCodePoint(m.codePointAt(0)!);
  }
  return out;
}

export const stringsBuiltins: readonly Builtin[] = [
  def("concat", 2, concat),
  def("sprintf", 2, (a) => sprintf(str("sprintf", a, 0), arr("sprintf", a, 1))),
  def("format_int", 2, formatInt),
  def("startswith", 2, (a) => str("startswith", a, 0).startsWith(str("startswith", a, 1))),
  def("endswith", 2, (a) => str("endswith", a, 0).endsWith(str("endswith", a, 1))),
  def("contains", 2, (a) => str("contains", a, 0).includes(str("contains", a, 1))),
  def("trim", 2, (a) => {
    const cs = cutset(str("trim", a, 1));
    return trimRightSet(trimLeftSet(str("trim", a, 0), cs), cs);
  }),
  def("trim_left", 2, (a) => trimLeftSet(str("trim_left", a, 0), cutset(str("trim_left", a, 1)))),
  def("trim_right", 2, (a) => trimRightSet(str("trim_right", a, 0), cutset(str("trim_right", a, 1)))),
  def("trim_prefix", 2, (a) => {
    const s = str("trim_prefix", a, 0),
      p = str("trim_prefix", a, 1);
    return s.startsWith(p) ? s.slice(p.length) : s;
  }),
  def("trim_suffix", 2, (a) => {
    const s = str("trim_suffix", a, 0),
      p = str("trim_suffix", a, 1);
    return p !== "" && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  }),
  def("trim_space", 1, (a) => str("trim_space", a, 0).replace(TRIM_SPACE, "")),
  def("split", 2, split),
  def("strings.split_n", 3, splitN),
  def("replace", 3, (a) => {
    const s = str("replace", a, 0),
      o = str("replace", a, 1),
      n = str("replace", a, 2);
    return o === "" ? insertEverywhere(s, n) : s.replaceAll(o, n);
  }),
  def("lower", 1, (a) => mapRunes(str("lower", a, 0), false)),
  def("upper", 1, (a) => mapRunes(str("upper", a, 0), true)),
  def("substring", 3, substring),
  def("indexof", 2, indexof),
  def("indexof_n", 2, indexofN),
  def("strings.replace_n", 2, replaceN),
  def("strings.reverse", 1, (a) =>
    Array.from(str("strings.reverse", a, 0))
      .reverse()
      .join(""),
  ),
  def("strings.count", 2, countSub),
  def("strings.any_prefix_match", 2, anyPrefix),
  def("strings.any_suffix_match", 2, anySuffix),
  def("strings.render_template", 2, (a) => {
    const tpl = str("strings.render_template", a, 0);
    const vars = a[1]!;
    if (!isObject(vars)) throw typeErr("strings.render_template", 2, vars, "object");
    try {
      return renderTemplate(tpl, vars);
    } catch (e) {
      throw builtinErr("strings.render_template", e instanceof Error ? e.message : String(e));
    }
  }),
];
