// Lexer: turns Rego source into tokens that carry their position.
// Newlines matter in Rego bodies, so every token records whether a newline
// preceded it (`nl`).

import { RegoError, type Location } from "./errors.ts";

type TokenKind = "ident" | "string" | "rawstring" | "number" | "punct" | "eof";

export interface Token {
  kind: TokenKind;
  /** identifier name, punctuation text, number text, or decoded string */
  text: string;
  offset: number;
  end: number;
  line: number;
  col: number;
  /** a newline appeared between the previous token and this one */
  nl: boolean;
  /** any whitespace or comment appeared between the previous token and this one */
  ws: boolean;
}

const PUNCT3 = new Set<string>([]);
const PUNCT2 = new Set([":=", "==", "!=", "<=", ">="]);
const PUNCT1 = new Set(["{", "}", "[", "]", "(", ")", ".", ",", ";", ":", "=", "<", ">", "+", "-", "*", "/", "%", "&", "|"]);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(src: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = src.length;
  let nl = true;
  let ws = true;
  const loc = (off: number): Location => ({ file, line, col: off - lineStart + 1, source: src });
  /** OPA: `illegal string literal: "..."` (the literal as written, up to its closing quote or line end) */
  const illegal = (from: number, why: string): never => {
    let j = from + 1;
    while (j < src.length && src[j] !== "\n" && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
    const lit = src.slice(from, Math.min(j + 1, src.length)).replace(/\n$/, "");
    throw new RegoError("rego_parse_error", `illegal string literal: ${lit} (${why})`, loc(from));
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      nl = true;
      ws = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      ws = true;
      continue;
    }
    if (c === 35) {
      // comment
      while (i < n && src.charCodeAt(i) !== 10) i++;
      ws = true;
      continue;
    }
    const start = i;
    const col = i - lineStart + 1;
    const startLine = line;
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      out.push({ kind: "ident", text: src.slice(start, i), offset: start, end: i, line: startLine, col, nl, ws });
    } else if (isDigit(c)) {
      // JSON number
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      if (src.charCodeAt(i) === 46 && isDigit(src.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const e = src.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        const s = src.charCodeAt(j);
        if (s === 43 || s === 45) j++;
        if (isDigit(src.charCodeAt(j))) {
          i = j;
          while (i < n && isDigit(src.charCodeAt(i))) i++;
        }
      }
      if (i < n && isIdentStart(src.charCodeAt(i))) {
        throw new RegoError("rego_parse_error", `invalid number: unexpected character '${src[i]}'`, loc(i));
      }
      out.push({ kind: "number", text: src.slice(start, i), offset: start, end: i, line: startLine, col, nl, ws });
    } else if (c === 34) {
      // "string"
      i++;
      let s = "";
      let segStart = i;
      for (;;) {
        if (i >= n || src.charCodeAt(i) === 10) {
          throw new RegoError("rego_parse_error", "non-terminated string", { file, line: startLine, col, source: src });
        }
        const d = src.charCodeAt(i);
        if (d < 0x20) illegal(start, "control character");
        if (d === 34) {
          s += src.slice(segStart, i);
          i++;
          break;
        }
        if (d === 92) {
          s += src.slice(segStart, i);
          const e = src[i + 1];
          switch (e) {
            case '"':
              s += '"';
              i += 2;
              break;
            case "\\":
              s += "\\";
              i += 2;
              break;
            case "/":
              s += "/";
              i += 2;
              break;
            case "b":
              s += "\b";
              i += 2;
              break;
            case "f":
              s += "\f";
              i += 2;
              break;
            case "n":
              s += "\n";
              i += 2;
              break;
            case "r":
              s += "\r";
              i += 2;
              break;
            case "t":
              s += "\t";
              i += 2;
              break;
            case "u": {
              const hex = src.slice(i + 2, i + 6);
              if (!/^[0-9a-fA-F]{4}$/.test(hex)) illegal(start, "invalid unicode escape");
              s += String.fromCharCode(parseInt(hex, 16));
              i += 6;
              break;
            }
            default:
              illegal(start, `invalid escape sequence \\${e ?? ""}`);
          }
          segStart = i;
          continue;
        }
        i++;
      }
      out.push({ kind: "string", text: s, offset: start, end: i, line: startLine, col, nl, ws });
    } else if (c === 96) {
      // `raw string`
      i++;
      const s0 = i;
      while (i < n && src.charCodeAt(i) !== 96) {
        if (src.charCodeAt(i) === 10) {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      if (i >= n) throw new RegoError("rego_parse_error", "non-terminated raw string", { file, line: startLine, col, source: src });
      const s = src.slice(s0, i);
      i++;
      out.push({ kind: "rawstring", text: s, offset: start, end: i, line: startLine, col, nl, ws });
    } else {
      const three = src.slice(i, i + 3);
      const two = src.slice(i, i + 2);
      let p: string;
      if (PUNCT3.has(three)) p = three;
      else if (PUNCT2.has(two)) p = two;
      else if (PUNCT1.has(src[i])) p = src[i];
      else throw new RegoError("rego_parse_error", `unexpected character '${src[i]}'`, loc(i));
      i += p.length;
      out.push({ kind: "punct", text: p, offset: start, end: i, line: startLine, col, nl, ws });
    }
    nl = false;
    ws = false;
  }
  out.push({ kind: "eof", text: "", offset: n, end: n, line, col: n - lineStart + 1, nl: true, ws: true });
  return out;
}
