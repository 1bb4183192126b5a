/**
 * Regular expressions with Go RE2 syntax mapped onto JS RegExp:
 * regex.match re_match regex.is_valid regex.split regex.find_n
 * regex.find_all_string_submatch_n regex.replace regex.template_match.
 *
 * Translation: leading `(?flags)` (i, m, s; `U` unsupported), `(?P<name>`,
 * `\A`, `\z`, `\Q...\E`, `[[:alpha:]]`-style classes, `\x{HHHH}`, `\pL`,
 * `\p{Greek}` (scripts), `\p{^L}`.
 * RE2-invalid constructs that JS accepts (lookaround, backreferences) are
 * rejected. Differences left: `\b`/`\w` are ASCII in both; case folding of
 * non-ASCII follows JS's `u`-mode rules.
 */
import type { Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { BoundedCache, builtinErr, def, int, str } from "./util.ts";

const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

class RegexSyntaxError extends Error {}

const GENERAL_CATEGORIES = new Set([
  "L",
  "Lu",
  "Ll",
  "Lt",
  "Lm",
  "Lo",
  "M",
  "Mn",
  "Mc",
  "Me",
  "N",
  "Nd",
  "Nl",
  "No",
  "P",
  "Pc",
  "Pd",
  "Ps",
  "Pe",
  "Pi",
  "Pf",
  "Po",
  "S",
  "Sm",
  "Sc",
  "Sk",
  "So",
  "Z",
  "Zs",
  "Zl",
  "Zp",
  "C",
  "Cc",
  "Cf",
  "Cs",
  "Co",
]);

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** Translates RE2 syntax to a JS RegExp source and flags; throws RegexSyntaxError on RE2-invalid input. */
function translateRE2(pattern: string): { source: string; flags: string } {
  let flags = "";
  let p = pattern;
  // leading flag groups like (?i) or (?is)
  for (;;) {
    const m = /^\(\?([imsU]+)\)/.exec(p);
    if (!m) break;
    for (const f of m[1]!) {
      if (f === "U") throw new RegexSyntaxError("ungreedy flag not supported");
      if (!flags.includes(f)) flags += f;
    }
    p = p.slice(m[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "\\") {
      const n = p[i + 1];
      if (n === undefined) throw new RegexSyntaxError("trailing backslash at end of expression");
      if (n === "Q") {
        const end = p.indexOf("\\E", i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (!inClass && n === "A") {
        out += "(?<![\\s\\S])";
        i++;
        continue;
      }
      if (!inClass && n === "z") {
        out += "(?![\\s\\S])";
        i++;
        continue;
      }
      if (n >= "1" && n <= "9") throw new RegexSyntaxError("invalid escape sequence: \\" + n);
      if (n === "x" && p[i + 2] === "{") {
        const end = p.indexOf("}", i + 3);
        if (end < 0) throw new RegexSyntaxError("invalid escape sequence");
        out += "\\u{" + p.slice(i + 3, end) + "}";
        i = end;
        continue;
      }
      if (n === "p" || n === "P") {
        let name: string;
        let end: number;
        if (p[i + 2] === "{") {
          end = p.indexOf("}", i + 3);
          if (end < 0) throw new RegexSyntaxError("invalid character class range");
          name = p.slice(i + 3, end);
        } else {
          if (p[i + 2] === undefined) throw new RegexSyntaxError("invalid character class range");
          name = p[i + 2]!;
          end = i + 2;
        }
        let neg = n === "P";
        if (name.startsWith("^")) {
          neg = !neg;
          name = name.slice(1);
        }
        if (name === "Any") out += neg ? "[^\\s\\S]" : "[\\s\\S]";
        else out += "\\" + (neg ? "P" : "p") + "{" + (GENERAL_CATEGORIES.has(name) ? name : "Script=" + name) + "}";
        i = end;
        continue;
      }
      if (n === "C" || n === "Z" || n === "k" || n === "c") throw new RegexSyntaxError("invalid escape sequence: \\" + n);
      // Go allows escaping any punctuation; JS u-mode only syntax characters, so drop the backslash
      if (/[!"#%&',:;<=>@_`~]/.test(n)) {
        out += n === "-" ? "\\-" : n;
        i++;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === "[" && p[i + 1] === ":") {
        const end = p.indexOf(":]", i + 2);
        if (end > 0) {
          let name = p.slice(i + 2, end);
          const neg = name.startsWith("^");
          if (neg) name = name.slice(1);
          const cls = POSIX[name];
          if (cls === undefined) throw new RegexSyntaxError("invalid character class range");
          if (neg) throw new RegexSyntaxError("negated POSIX classes inside brackets are not supported");
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === "[") {
        out += "\\[";
        continue;
      }
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (p[i + 1] === "^") {
        out += "^";
        i++;
      }
      if (p[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (c === "(" && p[i + 1] === "?") {
      if (p[i + 2] === "P" && p[i + 3] === "<") {
        out += "(?<";
        i += 3;
        continue;
      }
      if (p[i + 2] === "=" || p[i + 2] === "!" || (p[i + 2] === "<" && (p[i + 3] === "=" || p[i + 3] === "!"))) {
        throw new RegexSyntaxError("invalid or unsupported Perl syntax: `(?" + p[i + 2] + "`");
      }
      const m = /^\(\?([imsU]*)(-[imsU]*)?([:)])/.exec(p.slice(i));
      if (m && (m[1] || m[2])) {
        if (m[3] === ")") throw new RegexSyntaxError("flag groups are only supported at the start of the expression");
        // scoped flags (?i:...): ES2025 modifiers
        if ((m[1] + (m[2] ?? "")).includes("U")) throw new RegexSyntaxError("ungreedy flag not supported");
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    out += c;
  }
  if (inClass) throw new RegexSyntaxError("missing closing ]");
  return { source: out, flags };
}

const cache = new BoundedCache<RegExp | RegexSyntaxError>(256);
const globalCache = new BoundedCache<RegExp | RegexSyntaxError>(256);

/** Compiles (and caches) a Go-syntax pattern; `g` variants are cached apart. */
export function compileRE2(pattern: string, global = false): RegExp {
  const c = global ? globalCache : cache;
  const key = pattern;
  let re = c.get(key);
  if (re === undefined) {
    try {
      const { source, flags } = translateRE2(pattern);
      const f = flags + (global ? "g" : "");
      try {
        re = new RegExp(source, f + "u");
      } catch {
        re = new RegExp(source, f);
      }
    } catch (e) {
      re = e instanceof RegexSyntaxError ? e : new RegexSyntaxError(e instanceof Error ? e.message : String(e));
    }
    c.set(key, re);
  }
  if (re instanceof RegexSyntaxError) throw re;
  return re;
}

function compileOrErr(name: string, pattern: string, global = false): RegExp {
  try {
    return compileRE2(pattern, global);
  } catch (e) {
    throw builtinErr(name, `error parsing regexp: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** All matches as Go's FindAllStringSubmatchIndex does: empty matches abutting a previous match are skipped. */
function findAll(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  if (n === 0) return out;
  re.lastIndex = 0;
  let prevEnd = -1;
  while (n < 0 || out.length < n) {
    const m = re.exec(s);
    if (m === null) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      const cp = s.codePointAt(m.index);
      re.lastIndex = m.index + (cp !== undefined && cp > 0xffff && re.unicode ? 2 : 1);
      if (m.index === prevEnd) {
        if (m.index >= s.length) break;
        continue;
      }
    }
    out.push(m);
    prevEnd = end;
    if (m.index >= s.length) break;
  }
  re.lastIndex = 0;
  return out;
}

function match(name: string) {
  return (a: Value[]): Value => compileOrErr(name, str(name, a, 0)).test(str(name, a, 1));
}

function isValid(a: Value[]): Value {
  const p = a[0];
  if (typeof p !== "string") return false;
  try {
    compileRE2(p);
    return true;
  } catch {
    return false;
  }
}

function split(a: Value[]): Value {
  const re = compileOrErr("regex.split", str("regex.split", a, 0), true);
  const s = str("regex.split", a, 1);
  if (s === "") return [""];
  const ms = findAll(re, s, -1);
  const out: string[] = [];
  let beg = 0,
    end = 0;
  for (const m of ms) {
    end = m.index;
    if (m.index + m[0].length !== 0) out.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

function findN(a: Value[]): Value {
  const re = compileOrErr("regex.find_n", str("regex.find_n", a, 0), true);
  return findAll(re, str("regex.find_n", a, 1), int("regex.find_n", a, 2)).map((m) => m[0]);
}

function findAllSubmatch(a: Value[]): Value {
  const name = "regex.find_all_string_submatch_n";
  const re = compileOrErr(name, str(name, a, 0), true);
  return findAll(re, str(name, a, 1), int(name, a, 2)).map((m) => Array.from(m, (g) => g ?? ""));
}

/** Go's Regexp.Expand template: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expand(tpl: string, m: RegExpExecArray): string {
  let out = "";
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i]!;
    if (c !== "$" || i + 1 >= tpl.length) {
      out += c;
      continue;
    }
    if (tpl[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string;
    let j: number;
    if (tpl[i + 1] === "{") {
      const end = tpl.indexOf("}", i + 2);
      if (end < 0) {
        out += c;
        continue;
      }
      name = tpl.slice(i + 2, end);
      j = end;
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(tpl.slice(i + 1));
      if (!mm) {
        out += c;
        continue;
      }
      name = mm[0];
      j = i + name.length;
    }
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      out += c;
      continue;
    }
    if (/^[0-9]+$/.test(name)) out += m[Number(name)] ?? "";
    else out += m.groups?.[name] ?? "";
    i = j;
  }
  return out;
}

function replace(a: Value[]): Value {
  const s = str("regex.replace", a, 0);
  const re = compileOrErr("regex.replace", str("regex.replace", a, 1), true);
  const tpl = str("regex.replace", a, 2);
  const ms = findAll(re, s, -1);
  if (ms.length === 0) return s;
  let out = "";
  let last = 0;
  for (const m of ms) {
    out += s.slice(last, m.index) + expand(tpl, m);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

/** regex.template_match: literal text with regexes between the delimiters, matched against the whole value. */
function templateMatch(a: Value[]): Value {
  const name = "regex.template_match";
  const tpl = str(name, a, 0),
    value = str(name, a, 1),
    ds = str(name, a, 2),
    de = str(name, a, 3);
  if (Array.from(ds).length !== 1 || Array.from(de).length !== 1) throw builtinErr(name, "delimiters must be single characters");
  let src = "^";
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf(ds, i);
    if (open < 0) {
      src += escapeLiteral(tpl.slice(i));
      break;
    }
    src += escapeLiteral(tpl.slice(i, open));
    // find the balanced closing delimiter
    let level = 0,
      j = open;
    for (; j < tpl.length; j++) {
      if (tpl.startsWith(ds, j)) level++;
      else if (tpl.startsWith(de, j)) {
        level--;
        if (level === 0) break;
      }
    }
    if (j >= tpl.length) throw builtinErr(name, `unbalanced braces in ${JSON.stringify(tpl)}`);
    const inner = tpl.slice(open + ds.length, j);
    try {
      src += "(" + translateRE2(inner).source + ")";
    } catch (e) {
      throw builtinErr(name, `error parsing regexp: ${e instanceof Error ? e.message : String(e)}`);
    }
    i = j + de.length;
  }
  src += "$";
  let re: RegExp;
  try {
    re = new RegExp(src, "u");
  } catch {
    re = new RegExp(src);
  }
  return re.test(value);
}

// ---------------------------------------------------------------------------
// regex.globs_match: do two "glob-style" regexes (only . * + [..] - and \ are special) share a non-empty match?

type Ranges = [number, number][];
interface GlobTok {
  set: Ranges;
  star: boolean;
}

const ANY: Ranges = [[0, 0x10ffff]];

function complement(r: Ranges): Ranges {
  const sorted = r.slice().sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

function intersects(a: Ranges, b: Ranges): boolean {
  for (const [l1, h1] of a) for (const [l2, h2] of b) if (l1 <= h2 && l2 <= h1) return true;
  return false;
}

function parseGlobRegex(p: string): GlobTok[] {
  const cps = Array.from(p);
  const out: GlobTok[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    let set: Ranges;
    if (c === "*" || c === "+") {
      const last = out[out.length - 1];
      if (!last || last.star) throw new RegexSyntaxError(`missing argument to repetition operator: ${c}`);
      if (c === "*") last.star = true;
      else out.push({ set: last.set, star: true });
      continue;
    }
    if (c === ".") set = ANY;
    else if (c === "\\") {
      const n = cps[++i];
      if (n === undefined) throw new RegexSyntaxError("trailing backslash at end of expression");
      set = [[n.codePointAt(0)!, n.codePointAt(0)!]];
    } else if (c === "[") {
      let neg = false;
      if (cps[i + 1] === "^") {
        neg = true;
        i++;
      }
      const rs: Ranges = [];
      let closed = false;
      for (i++; i < cps.length; i++) {
        let d = cps[i]!;
        if (d === "]" && rs.length > 0) {
          closed = true;
          break;
        }
        if (d === "\\") d = cps[++i] ?? "";
        const lo = d.codePointAt(0)!;
        if (cps[i + 1] === "-" && cps[i + 2] !== undefined && cps[i + 2] !== "]") {
          let e = cps[i + 2]!;
          i += 2;
          if (e === "\\") e = cps[++i] ?? "";
          const hi = e.codePointAt(0)!;
          if (hi < lo) throw new RegexSyntaxError("invalid character class range");
          rs.push([lo, hi]);
        } else rs.push([lo, lo]);
      }
      if (!closed) throw new RegexSyntaxError("missing closing ]");
      set = neg ? complement(rs) : rs;
    } else set = [[c.codePointAt(0)!, c.codePointAt(0)!]];
    out.push({ set, star: false });
  }
  return out;
}

function globsMatch(a: Value[]): Value {
  const name = "regex.globs_match";
  let x: GlobTok[], y: GlobTok[];
  try {
    x = parseGlobRegex(str(name, a, 0));
    y = parseGlobRegex(str(name, a, 1));
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw builtinErr(name, `error parsing regexp: ${e.message}`);
    throw e;
  }
  // search the product automaton for a path to (end, end) that consumed at least one character
  const seen = new Set<number>();
  const stack: [number, number, number][] = [[0, 0, 0]];
  const key = (i: number, j: number, c: number): number => (i * (y.length + 1) + j) * 2 + c;
  while (stack.length > 0) {
    const [i, j, c] = stack.pop()!;
    const k = key(i, j, c);
    if (seen.has(k)) continue;
    seen.add(k);
    if (i === x.length && j === y.length && c === 1) return true;
    const tx = x[i],
      ty = y[j];
    if (tx?.star) stack.push([i + 1, j, c]);
    if (ty?.star) stack.push([i, j + 1, c]);
    if (tx && ty && intersects(tx.set, ty.set)) {
      stack.push([tx.star ? i : i + 1, ty.star ? j : j + 1, 1]);
      if (tx.star && !ty.star) stack.push([i + 1, j + 1, 1]);
      if (ty.star && !tx.star) stack.push([i + 1, j + 1, 1]);
    }
  }
  return false;
}

export const regexBuiltins: readonly Builtin[] = [
  def("regex.match", 2, match("regex.match")),
  def("re_match", 2, match("re_match")),
  def("regex.is_valid", 1, isValid),
  def("regex.split", 2, split),
  def("regex.find_n", 3, findN),
  def("regex.find_all_string_submatch_n", 3, findAllSubmatch),
  def("regex.replace", 3, replace),
  def("regex.template_match", 4, templateMatch),
  def("regex.globs_match", 2, globsMatch),
];
