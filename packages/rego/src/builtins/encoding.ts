/**
 * Encodings: json.marshal json.marshal_with_options json.unmarshal json.is_valid
 * base64.encode base64.decode base64.is_valid base64url.encode
 * base64url.encode_no_pad base64url.decode urlquery.encode urlquery.decode
 * urlquery.encode_object urlquery.decode_object hex.encode hex.decode
 * yaml.marshal yaml.unmarshal yaml.is_valid.
 * Strings are UTF-8 encoded before byte-level encodings; decoded bytes that are
 * not valid UTF-8 become U+FFFD (Go strings can hold raw bytes, JS strings cannot).
 */
import type * as YamlModule from "yaml";

declare const require: (id: string) => unknown;
let yamlModule: typeof YamlModule | undefined;
/** The yaml package, loaded on first use: importing it costs more than the rest of the engine. */
const yaml = (): typeof YamlModule => (yamlModule ??= require("yaml") as typeof YamlModule);
import { RegoSet, formatValue, objectEntries, toJSON, toJSONText, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { builtinErr, def, obj, operandErr, str, utf8Decode, utf8Encode } from "./util.ts";

// ---------------------------------------------------------------------------
// JSON

/** Go's json.Marshal HTML-escapes <, > and & and escapes U+2028/U+2029. */
function goJSONEscape(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** OPA's json.marshal output (compact, sorted keys, sets as arrays). */
export function jsonMarshal(v: Value): string {
  return goJSONEscape(toJSONText(v));
}

function jsonIndent(v: Value, prefix: string, indent: string, depth: number): string {
  if (typeof v !== "object" || v === null) return goJSONEscape(toJSONText(v));
  const nl = "\n" + prefix + indent.repeat(depth + 1);
  const close = "\n" + prefix + indent.repeat(depth);
  if (Array.isArray(v) || v instanceof RegoSet) {
    const xs = Array.isArray(v) ? v : v.sorted();
    if (xs.length === 0) return "[]";
    return "[" + xs.map((x) => nl + jsonIndent(x, prefix, indent, depth + 1)).join(",") + close + "]";
  }
  const es = objectEntries(v);
  if (es.length === 0) return "{}";
  return (
    "{" +
    es
      .map(
        ([k, x]) =>
          nl + goJSONEscape(JSON.stringify(typeof k === "string" ? k : formatValue(k))) + ": " + jsonIndent(x, prefix, indent, depth + 1),
      )
      .join(",") +
    close +
    "}"
  );
}

function marshalWithOptions(a: Value[]): Value {
  const v = a[0]!;
  const opts = obj("json.marshal_with_options", a, 1);
  let prefix = "",
    indent = "\t";
  let implicit = false;
  let explicit: boolean | undefined;
  for (const [k, x] of objectEntries(opts)) {
    if (k === "pretty") {
      if (typeof x !== "boolean") throw operandErr("json.marshal_with_options", 2, "pretty must be a boolean");
      explicit = x;
    } else if (k === "prefix") {
      if (typeof x !== "string") throw operandErr("json.marshal_with_options", 2, "prefix must be a string");
      prefix = x;
      implicit = true;
    } else if (k === "indent") {
      if (typeof x !== "string") throw operandErr("json.marshal_with_options", 2, "indent must be a string");
      indent = x;
      implicit = true;
    } else throw operandErr("json.marshal_with_options", 2, `object contained unknown key ${formatValue(k)}`);
  }
  if (!(explicit ?? implicit)) return jsonMarshal(v);
  return jsonIndent(v, prefix, indent, 0);
}

function parseJSON(s: string): Value | undefined {
  try {
    return JSON.parse(s) as Value;
  } catch {
    return undefined;
  }
}

function jsonUnmarshal(a: Value[]): Value {
  const s = str("json.unmarshal", a, 0);
  const v = parseJSON(s);
  if (v === undefined) throw builtinErr("json.unmarshal", "invalid JSON");
  return v;
}

// ---------------------------------------------------------------------------
// base64 / hex (pure)

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function b64encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + (pad ? "==" : "");
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? "=" : "");
  }
  return out;
}

/** Strict padded decoding (Go's StdEncoding/URLEncoding); returns an error offset on failure. */
function b64decode(s: string, alphabet: string): Uint8Array | number {
  // Go ignores \r and \n
  const clean = s.replace(/[\r\n]/g, "");
  if (clean.length % 4 !== 0) {
    // report the first offset Go would complain about
    return Math.floor(clean.length / 4) * 4 + (clean.length % 4 === 1 ? 0 : clean.length % 4);
  }
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 4) {
    const q = clean.slice(i, i + 4);
    let n = 0,
      pads = 0;
    for (let k = 0; k < 4; k++) {
      const ch = q[k]!;
      if (ch === "=") {
        if (i + 4 !== clean.length || k < 2) return i + k;
        pads++;
        n <<= 6;
        continue;
      }
      if (pads > 0) return i + k;
      const d = alphabet.indexOf(ch);
      if (d < 0) return i + k;
      n = (n << 6) | d;
    }
    out.push((n >> 16) & 255);
    if (pads < 2) out.push((n >> 8) & 255);
    if (pads < 1) out.push(n & 255);
  }
  return Uint8Array.from(out);
}

function b64decodeOrThrow(name: string, s: string, alphabet: string): string {
  const r = b64decode(s, alphabet);
  if (typeof r === "number") throw builtinErr(name, `illegal base64 data at input byte ${r}`);
  return utf8Decode(r)!;
}

/** Bytes of standard base64 (PEM bodies; whitespace ignored); undefined if invalid. */
export function base64Bytes(s: string): Uint8Array | undefined {
  const r = b64decode(s.replace(/\s+/g, ""), B64);
  return typeof r === "number" ? undefined : r;
}

/** Unpadded base64url of bytes (JWT segments). */
export function base64urlEncodeBytes(b: Uint8Array): string {
  return b64encode(b, B64URL, false);
}

/** Bytes of a base64url string, padded or not (RFC 7515 appendix C); undefined if invalid. */
export function base64urlBytes(s: string): Uint8Array | undefined {
  if (!s.endsWith("=")) {
    if (s.length % 4 === 1) return undefined;
    s += "=".repeat((4 - (s.length % 4)) % 4);
  }
  const r = b64decode(s, B64URL);
  return typeof r === "number" ? undefined : r;
}

function base64urlDecode(a: Value[]): Value {
  let s = str("base64url.decode", a, 0);
  if (!s.endsWith("=")) {
    switch (s.length % 4) {
      case 0:
        break;
      case 2:
        s += "==";
        break;
      case 3:
        s += "=";
        break;
      default:
        throw builtinErr("base64url.decode", `illegal base64url string: ${s}`);
    }
  }
  return b64decodeOrThrow("base64url.decode", s, B64URL);
}

function hexDecode(a: Value[]): Value {
  const s = str("hex.decode", a, 0);
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) {
    for (let k = i; k < Math.min(i + 2, s.length); k++) {
      if (!/[0-9a-fA-F]/.test(s[k]!)) {
        const cp = s.codePointAt(k)!;
        throw builtinErr(
          "hex.decode",
          `encoding/hex: invalid byte: U+${cp.toString(16).toUpperCase().padStart(4, "0")} ${goRuneQuote(String.fromCodePoint(cp))}`,
        );
      }
    }
    if (i + 1 >= s.length) throw builtinErr("hex.decode", "encoding/hex: odd length hex string");
    out.push(parseInt(s.slice(i, i + 2), 16));
  }
  return utf8Decode(Uint8Array.from(out))!;
}

function goRuneQuote(ch: string): string {
  return "'" + (ch === "'" ? "\\'" : ch) + "'";
}

// ---------------------------------------------------------------------------
// URL query

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of utf8Encode(s)) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === " ") out += "+";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Go's url.QueryUnescape; undefined on a bad escape. */
function queryUnescape(s: string): string | undefined {
  const bytes: number[] = [];
  const raw = utf8Encode(s);
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25) {
      const h = String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (b === 0x2b) bytes.push(0x20);
    else bytes.push(b);
  }
  return utf8Decode(Uint8Array.from(bytes))!;
}

function urlqueryDecode(a: Value[]): Value {
  const s = str("urlquery.decode", a, 0);
  const r = queryUnescape(s);
  if (r === undefined) {
    const i = s.indexOf("%");
    throw builtinErr("urlquery.decode", `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
  }
  return r;
}

function encodeObject(a: Value[]): Value {
  const o = obj("urlquery.encode_object", a, 0);
  const parts: string[] = [];
  for (const [k, v] of objectEntries(o)) {
    if (typeof k !== "string") throw operandErr("urlquery.encode_object", 1, "keys must be strings");
    const vals = typeof v === "string" ? [v] : Array.isArray(v) ? v : v instanceof RegoSet ? v.sorted() : null;
    if (vals === null) throw operandErr("urlquery.encode_object", 1, "values must be string, array[string], or set[string]");
    for (const x of vals) {
      if (typeof x !== "string") throw operandErr("urlquery.encode_object", 1, "values must be string, array[string], or set[string]");
      parts.push(queryEscape(k) + "=" + queryEscape(x));
    }
  }
  return parts.join("&");
}

function decodeObject(a: Value[]): Value {
  const s = str("urlquery.decode_object", a, 0);
  const out = new Map<string, string[]>();
  for (const part of s.split(/[&]/)) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const v = queryUnescape(eq < 0 ? "" : part.slice(eq + 1));
    if (k === undefined || v === undefined) throw builtinErr("urlquery.decode_object", "invalid URL escape");
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  const o: { [k: string]: Value } = {};
  for (const [k, v] of out) {
    if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    else o[k] = v;
  }
  return o;
}

// ---------------------------------------------------------------------------
// YAML

/** Converts a parsed YAML document into a Rego value (JSON-compatible data only). */
function fromYAML(x: unknown): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === "string" || typeof x === "boolean") return x;
  if (typeof x === "number") {
    if (!Number.isFinite(x)) throw new Error("non-finite number");
    return x;
  }
  if (typeof x === "bigint") return Number(x);
  if (Array.isArray(x)) return x.map(fromYAML);
  if (x instanceof Date) return x.toISOString();
  if (x instanceof Map) {
    const o: { [k: string]: Value } = {};
    for (const [k, v] of x) o[String(k)] = fromYAML(v);
    return o;
  }
  if (x instanceof Set) return Array.from(x, fromYAML);
  if (typeof x === "object") {
    const o: { [k: string]: Value } = {};
    for (const k of Object.keys(x)) {
      const v = fromYAML((x as Record<string, unknown>)[k]);
      if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      else o[k] = v;
    }
    return o;
  }
  throw new Error("unsupported YAML value");
}

function parseYAML(s: string): Value | undefined {
  try {
    // YAML 1.1 as go-yaml v2 (OPA's yaml.unmarshal) reads it: yes/no/on/off booleans, 0777 octal,
    // but timestamps and 1:20 sexagesimals stay strings
    const doc = yaml().parseDocument(s, {
      version: "1.1",
      uniqueKeys: true,
      customTags: (tags) => tags.filter((t) => typeof t === "string" || (t.tag !== "tag:yaml.org,2002:timestamp" && t.format !== "TIME")),
    });
    if (doc.errors.length > 0) return undefined;
    return fromYAML(doc.toJS({ maxAliasCount: 1000 }));
  } catch {
    return undefined;
  }
}

function yamlUnmarshal(a: Value[]): Value {
  const s = str("yaml.unmarshal", a, 0);
  const v = parseYAML(s);
  if (v === undefined) throw builtinErr("yaml.unmarshal", "yaml: invalid YAML document");
  return v;
}

function yamlMarshal(a: Value[]): Value {
  return yaml().stringify(toJSON(a[0]!), { lineWidth: 0, indentSeq: false, sortMapEntries: true });
}

export const encodingBuiltins: readonly Builtin[] = [
  def("json.marshal", 1, (a) => jsonMarshal(a[0]!)),
  def("json.marshal_with_options", 2, marshalWithOptions),
  def("json.unmarshal", 1, jsonUnmarshal),
  def("json.is_valid", 1, (a) => typeof a[0] === "string" && parseJSON(a[0]) !== undefined),
  def("base64.encode", 1, (a) => b64encode(utf8Encode(str("base64.encode", a, 0)), B64, true)),
  def("base64.decode", 1, (a) => b64decodeOrThrow("base64.decode", str("base64.decode", a, 0), B64)),
  def("base64.is_valid", 1, (a) => typeof a[0] === "string" && typeof b64decode(a[0], B64) !== "number"),
  def("base64url.encode", 1, (a) => b64encode(utf8Encode(str("base64url.encode", a, 0)), B64URL, true)),
  def("base64url.encode_no_pad", 1, (a) => b64encode(utf8Encode(str("base64url.encode_no_pad", a, 0)), B64URL, false)),
  def("base64url.decode", 1, base64urlDecode),
  def("urlquery.encode", 1, (a) => queryEscape(str("urlquery.encode", a, 0))),
  def("urlquery.decode", 1, urlqueryDecode),
  def("urlquery.encode_object", 1, encodeObject),
  def("urlquery.decode_object", 1, decodeObject),
  def("hex.encode", 1, (a) => Array.from(utf8Encode(str("hex.encode", a, 0)), (b) => b.toString(16).padStart(2, "0")).join("")),
  def("hex.decode", 1, hexDecode),
  def("yaml.marshal", 1, yamlMarshal),
  def("yaml.unmarshal", 1, yamlUnmarshal),
  def("yaml.is_valid", 1, (a) => typeof a[0] === "string" && parseYAML(a[0]) !== undefined),
];
