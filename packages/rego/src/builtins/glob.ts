/**
 * glob.match and glob.quote_meta with gobwas/glob semantics (as OPA uses):
 * `*` any run of non-delimiter characters, `**` any run including delimiters,
 * `?` one non-delimiter character, `[abc]` `[a-z]` `[!abc]` `[!a-z]` character
 * classes, `{a,b}` alternatives (nestable), `\` escapes. Delimiters: `null`
 * means none, `[]` means ["."]. Patterns compile to anchored JS RegExps.
 */
import type { Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { BoundedCache, builtinErr, def, elemErr, operandErr, str, typeErr } from "./util.ts";

class GlobError extends Error {}

function reEscape(ch: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(ch) ? "\\" + ch : ch;
}

function classEscape(ch: string): string {
  return /[\\\][^-]/.test(ch) ? "\\" + ch : ch;
}

/** Compiles a glob to a RegExp source. */
function globToRegExpSource(pattern: string, delimiters: readonly string[]): string {
  const chars = Array.from(pattern);
  const notDelim = delimiters.length === 0 ? "[\\s\\S]" : "[^" + delimiters.map(classEscape).join("") + "]";
  let i = 0;

  function parseSeq(inTerms: boolean): string {
    let out = "";
    while (i < chars.length) {
      const c = chars[i]!;
      if (inTerms && (c === "," || c === "}")) return out;
      i++;
      switch (c) {
        case "*":
          if (chars[i] === "*") {
            while (chars[i] === "*") i++;
            out += "[\\s\\S]*";
          } else out += notDelim + "*";
          break;
        case "?":
          out += notDelim;
          break;
        case "\\":
          if (i >= chars.length) throw new GlobError("unexpected end of input after escape");
          out += reEscape(chars[i++]!);
          break;
        case "[": {
          let neg = false;
          if (chars[i] === "!") {
            neg = true;
            i++;
          }
          let cls = "";
          let closed = false;
          while (i < chars.length) {
            const d = chars[i++]!;
            if (d === "]") {
              closed = true;
              break;
            }
            if (chars[i] === "-" && chars[i + 1] !== undefined && chars[i + 1] !== "]") {
              const hi = chars[i + 1]!;
              if (hi < d) throw new GlobError("invalid range");
              cls += classEscape(d) + "-" + classEscape(hi);
              i += 2;
            } else cls += classEscape(d);
          }
          if (!closed) throw new GlobError("unexpected end of input in range");
          if (cls === "") throw new GlobError("empty range");
          out += "[" + (neg ? "^" : "") + cls + "]";
          break;
        }
        case "{": {
          const alts: string[] = [];
          for (;;) {
            alts.push(parseSeq(true));
            if (i >= chars.length) throw new GlobError("unexpected end of input in terms");
            const d = chars[i++]!;
            if (d === "}") break;
          }
          out += "(?:" + alts.join("|") + ")";
          break;
        }
        default:
          if (c === "}" || c === "]") throw new GlobError(`unexpected '${c}'`);
          out += reEscape(c);
      }
    }
    return out;
  }

  const body = parseSeq(false);
  return "^" + body + "$";
}

const cache = new BoundedCache<RegExp | GlobError>(256);

function compileGlob(pattern: string, delimiters: readonly string[]): RegExp {
  const key = pattern + "\u0000" + delimiters.join("");
  let re = cache.get(key);
  if (re === undefined) {
    try {
      re = new RegExp(globToRegExpSource(pattern, delimiters), "u");
    } catch (e) {
      re = e instanceof GlobError ? e : new GlobError(e instanceof Error ? e.message : String(e));
    }
    cache.set(key, re);
  }
  if (re instanceof GlobError) throw builtinErr("glob.match", re.message);
  return re;
}

const DOT = ["."];
const NONE: string[] = [];

function globMatch(a: Value[]): Value {
  const pattern = str("glob.match", a, 0);
  const d = a[1]!;
  let delims: string[];
  if (d === null) delims = NONE;
  else if (Array.isArray(d)) {
    delims = [];
    for (const x of d) {
      if (typeof x !== "string") throw elemErr("glob.match", 2, d, x, "string");
      if (Array.from(x).length !== 1) throw operandErr("glob.match", 2, "must be array of runes but got array containing string");
      delims.push(x);
    }
    if (delims.length === 0) delims = DOT;
  } else throw typeErr("glob.match", 2, d, "array", "null");
  const s = str("glob.match", a, 2);
  return compileGlob(pattern, delims).test(s);
}

function quoteMeta(a: Value[]): Value {
  return str("glob.quote_meta", a, 0).replace(/[*?\\[\]{}]/g, "\\$&");
}

export const globBuiltins: readonly Builtin[] = [def("glob.match", 3, globMatch), def("glob.quote_meta", 1, quoteMeta)];
