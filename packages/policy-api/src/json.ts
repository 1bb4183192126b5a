// JSON as OPA's Go server reads and writes it, so both hosts answer byte for byte alike:
//   * writing: map keys sorted, `<`, `>`, `&`, U+2028, U+2029 escaped (Go's HTML-safe
//     encoder), response envelopes in struct-field order (`Struct`), a trailing newline,
//     `?pretty` indents by two spaces;
//   * reading: one JSON value is decoded and whatever follows it is ignored (Go's
//     json.Decoder), syntax errors carry Go's wording ("invalid character 'x' looking for
//     beginning of value", "unexpected EOF").
// Pure ES2023: runs under Bun and inside the Wasm component alike.

/** An object written in the given key order (Go struct fields), not sorted like a map. */
export class Struct {
  constructor(readonly fields: ReadonlyArray<readonly [string, unknown]>) {}
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const HTML_ESCAPES: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };

function str(s: string): string {
  const q = JSON.stringify(s);
  return HTML_UNSAFE.test(q) ? q.replace(HTML_UNSAFE, (c) => HTML_ESCAPES[c]) : q;
}

function num(n: number): string {
  // Go encodes float64 like JS except for large/small exponents (1e+21 both; Go never writes NaN).
  return Number.isFinite(n) ? JSON.stringify(n) : "null";
}

function write(v: unknown, indent: string, level: number, out: string[]): void {
  if (v === null || v === undefined) {
    out.push("null");
    return;
  }
  switch (typeof v) {
    case "string":
      out.push(str(v));
      return;
    case "number":
      out.push(num(v));
      return;
    case "boolean":
      out.push(v ? "true" : "false");
      return;
    case "bigint":
      out.push(v.toString());
      return;
    default:
      break;
  }
  const nl = indent === "" ? "" : "\n" + indent.repeat(level + 1);
  const close = indent === "" ? "" : "\n" + indent.repeat(level);
  const colon = indent === "" ? ":" : ": ";
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push("[]");
      return;
    }
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(",");
      out.push(nl);
      write(v[i], indent, level + 1, out);
    }
    out.push(close, "]");
    return;
  }
  let entries: ReadonlyArray<readonly [string, unknown]>;
  if (v instanceof Struct) entries = v.fields.filter(([, x]) => x !== undefined);
  else {
    const o = v as { toJSON?: () => unknown };
    if (typeof o.toJSON === "function") {
      write(o.toJSON(), indent, level, out);
      return;
    }
    entries = Object.keys(v as object)
      .sort()
      .map((k) => [k, (v as Record<string, unknown>)[k]] as const);
  }
  if (entries.length === 0) {
    out.push("{}");
    return;
  }
  out.push("{");
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) out.push(",");
    out.push(nl, str(entries[i][0]), colon);
    write(entries[i][1], indent, level + 1, out);
  }
  out.push(close, "}");
}

/** Go's `json.NewEncoder(w).Encode(v)` (with `SetIndent("", "  ")` when pretty): ends with a newline. */
export function encodeGo(v: unknown, pretty: boolean): string {
  const out: string[] = [];
  write(v, pretty ? "  " : "", 0, out);
  out.push("\n");
  return out.join("");
}

/** Go's `json.MarshalIndent(v, "", "  ")` (no trailing newline). */
export function marshalIndentGo(v: unknown): string {
  const out: string[] = [];
  write(v, "  ", 0, out);
  return out.join("");
}

// ---------------------------------------------------------------- reading

export type DecodeResult =
  | { ok: true; value: unknown; empty: false }
  | { ok: true; value: undefined; empty: true }
  | { ok: false; message: string };

/** Go's quoteChar: the offending byte as Go prints it in a syntax error. */
function quoteChar(s: string, i: number): string {
  const cp = s.codePointAt(i) ?? 0;
  if (cp === 0x27) return "'\\''";
  if (cp === 0x22) return "'\"'";
  // Go looks at one byte: for non-ASCII text that is the first UTF-8 byte, printed as U+00XX.
  const b = cp < 0x80 ? cp : cp < 0x800 ? 0xc0 | (cp >> 6) : cp < 0x10000 ? 0xe0 | (cp >> 12) : 0xf0 | (cp >> 18);
  const named: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 0x5c: "\\\\" };
  if (named[b] !== undefined) return `'${named[b]}'`;
  if (b < 0x20 || b === 0x7f) return `'\\x${b.toString(16).padStart(2, "0")}'`;
  if ((b >= 0x80 && b <= 0xa0) || b === 0xad) return `'\\u00${b.toString(16).padStart(2, "0")}'`;
  return `'${String.fromCharCode(b)}'`;
}

class SyntaxErr {
  constructor(readonly message: string) {}
}

const EOF = new SyntaxErr("unexpected EOF");

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Scans one JSON value starting at i (whitespace skipped); returns the index after it. Throws SyntaxErr. */
function scanValue(s: string, i: number, depth: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  if (i >= s.length) throw EOF;
  if (depth > 10000) throw new SyntaxErr("exceeded max depth");
  const c = s.charCodeAt(i);
  if (c === 0x7b /* { */) {
    i++;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    if (i >= s.length) throw EOF;
    if (s.charCodeAt(i) === 0x7d) return i + 1;
    for (;;) {
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      if (i >= s.length) throw EOF;
      if (s.charCodeAt(i) !== 0x22) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} looking for beginning of object key string`);
      i = scanString(s, i);
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      if (i >= s.length) throw EOF;
      if (s.charCodeAt(i) !== 0x3a) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} after object key`);
      i = scanValue(s, i + 1, depth + 1);
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      if (i >= s.length) throw EOF;
      const d = s.charCodeAt(i);
      if (d === 0x7d) return i + 1;
      if (d !== 0x2c) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} after object key:value pair`);
      i++;
    }
  }
  if (c === 0x5b /* [ */) {
    i++;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    if (i >= s.length) throw EOF;
    if (s.charCodeAt(i) === 0x5d) return i + 1;
    for (;;) {
      i = scanValue(s, i, depth + 1);
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      if (i >= s.length) throw EOF;
      const d = s.charCodeAt(i);
      if (d === 0x5d) return i + 1;
      if (d !== 0x2c) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} after array element`);
      i++;
    }
  }
  if (c === 0x22) return scanString(s, i);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber(s, i);
  for (const lit of ["true", "false", "null"]) {
    if (c === lit.charCodeAt(0)) {
      for (let k = 1; k < lit.length; k++) {
        if (i + k >= s.length) throw EOF;
        if (s.charCodeAt(i + k) !== lit.charCodeAt(k))
          throw new SyntaxErr(`invalid character ${quoteChar(s, i + k)} in literal ${lit} (expecting '${lit[k]}')`);
      }
      return i + lit.length;
    }
  }
  throw new SyntaxErr(`invalid character ${quoteChar(s, i)} looking for beginning of value`);
}

function scanString(s: string, i: number): number {
  i++;
  for (;;) {
    if (i >= s.length) throw EOF;
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} in string literal`);
    if (c === 0x5c) {
      i++;
      if (i >= s.length) throw EOF;
      const e = s[i];
      if (e === "u") {
        for (let k = 1; k <= 4; k++) {
          if (i + k >= s.length) throw EOF;
          if (!/[0-9a-fA-F]/.test(s[i + k]))
            throw new SyntaxErr(`invalid character ${quoteChar(s, i + k)} in \\u hexadecimal character escape`);
        }
        i += 5;
        continue;
      }
      if (!'"\\/bfnrt'.includes(e)) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} in string escape code`);
    }
    i++;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function scanNumber(s: string, i: number): number {
  if (s.charCodeAt(i) === 0x2d) {
    i++;
    if (i >= s.length) throw EOF;
    if (!isDigit(s.charCodeAt(i))) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} in numeric literal`);
  }
  if (s.charCodeAt(i) === 0x30) i++;
  else while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (i < s.length && s.charCodeAt(i) === 0x2e) {
    i++;
    if (i >= s.length) throw EOF;
    if (!isDigit(s.charCodeAt(i))) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} after decimal point in numeric literal`);
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  }
  if (i < s.length && (s[i] === "e" || s[i] === "E")) {
    i++;
    if (i < s.length && (s[i] === "+" || s[i] === "-")) i++;
    if (i >= s.length) throw EOF;
    if (!isDigit(s.charCodeAt(i))) throw new SyntaxErr(`invalid character ${quoteChar(s, i)} in exponent of numeric literal`);
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

/**
 * Go's `json.NewDecoder(body).Decode(&v)`: the first JSON value of `text`; trailing data is
 * not read. `empty` when the text holds only whitespace (Go's io.EOF, which OPA accepts).
 */
export function decodeGo(text: string): DecodeResult {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (i >= text.length) return { ok: true, value: undefined, empty: true };
  try {
    const end = scanValue(text, i, 0);
    // A number at the very end of a stream is complete; Go's decoder agrees.
    return { ok: true, value: JSON.parse(text.slice(i, end)) as unknown, empty: false };
  } catch (e) {
    if (e instanceof SyntaxErr) return { ok: false, message: e.message };
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

/** Go's `json.Unmarshal` type error wording for a value that is not an object. */
export function goKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v; // "string" | "number"
}
