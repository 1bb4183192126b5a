/**
 * Rego value model.
 *
 * JSON values are Rego values as they are: `null`, booleans, numbers, strings,
 * JS arrays and plain JS objects (prototype `Object.prototype` or `null`, as
 * `JSON.parse` makes them) need no conversion. Two small classes complete the
 * model: `RegoSet` (sets, structural equality) and `RegoMap` (objects whose keys
 * are not all strings, e.g. `{1: "a"}`). Every helper treats plain objects and
 * `RegoMap` uniformly.
 *
 * Values are treated as immutable once built: never mutate an array, object or
 * set that has been handed to the evaluator or a builtin (the `add`/`set`
 * methods exist for construction only).
 *
 * Pure ES2023, no runtime APIs.
 */

/** A Rego value. */
export type Value = null | boolean | number | string | Value[] | RegoSet | RegoObject;

/** A plain JS object used as a Rego object with string keys. */
export interface PlainObject {
  [key: string]: Value;
}

/** Either kind of Rego object. */
export type RegoObject = PlainObject | RegoMap;

/** Names returned by `typeName`, as OPA's `type_name` does. */
export type TypeName = "null" | "boolean" | "number" | "string" | "array" | "object" | "set";

// ---------------------------------------------------------------------------
// Canonical keys

/**
 * A string unique per value (structural): used for set membership, object keys
 * of `RegoMap` and memo keys. Strings map to themselves unless they start with
 * U+0000, so the common case allocates nothing.
 */
export function canonicalKey(v: Value): string {
  switch (typeof v) {
    case "string":
      return v.length > 0 && v.charCodeAt(0) === 0 ? "\u0000s" + v : v;
    case "number":
      return "\u0000#" + (v === 0 ? "0" : String(v));
    case "boolean":
      return v ? "\u0000t" : "\u0000f";
    default:
      if (v === null) return "\u0000n";
      return "\u0000" + encodeComposite(v);
  }
}

/** JSON string literal, skipping JSON.stringify for the common case of plain text. */
function quoteFast(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/** Unambiguous structural encoding used inside canonical keys of composites. */
function encodeInner(v: Value): string {
  switch (typeof v) {
    case "string":
      return quoteFast(v);
    case "number":
      return v === 0 ? "0" : String(v);
    case "boolean":
      return v ? "t" : "f";
    default:
      if (v === null) return "n";
      return encodeComposite(v);
  }
}

function encodeList(xs: readonly Value[], open: string, close: string): string {
  let s = open;
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) s += ",";
    s += encodeInner(xs[i]!);
  }
  return s + close;
}

function encodeComposite(v: Value[] | RegoSet | RegoObject): string {
  if (Array.isArray(v)) return encodeList(v, "[", "]");
  // OPA's element order is canonical (equal sets sort alike), and usually needed again for output
  if (v instanceof RegoSet) return encodeList(v.sorted(), "<", ">");
  if (v instanceof RegoMap) {
    let allStrings = true;
    for (const [k] of v.map.values())
      if (typeof k !== "string") {
        allStrings = false;
        break;
      }
    if (allStrings) {
      // must encode exactly like an equal plain object
      const o: PlainObject = {};
      for (const [k, val] of v.map.values()) plainSet(o, k as string, val);
      return encodeComposite(o);
    }
    const parts: string[] = [];
    for (const [k, val] of v.map.values()) parts.push(encodeInner(k) + ":" + encodeInner(val));
    if (parts.length > 1) parts.sort();
    return "{" + parts.join(",") + "}";
  }
  // a plain object: keys in raw string order
  const ks = Object.keys(v);
  if (ks.length > 1) ks.sort();
  let s = "{";
  for (let i = 0; i < ks.length; i++) {
    if (i > 0) s += ",";
    s += quoteFast(ks[i]!) + ":" + encodeInner(v[ks[i]!]!);
  }
  return s + "}";
}

// ---------------------------------------------------------------------------
// Classes

/** A Rego set: unique values under structural equality; iterates in OPA's sorted order. */
export class RegoSet {
  /** canonical key -> value. Do not mutate once the set is shared. */
  readonly map: Map<string, Value> = new Map();
  private sortedCache: Value[] | null = null;

  constructor(values?: Iterable<Value>) {
    if (values) for (const v of values) this.add(v);
  }

  /** Adds a value (construction only); returns true when it was new. */
  add(v: Value): boolean {
    const m = this.map;
    const n = m.size;
    m.set(canonicalKey(v), v); // one hash lookup; an equal element already present is replaced by an equal one
    if (m.size === n) return false;
    this.sortedCache = null;
    return true;
  }

  /** True when the set holds a value equal to `v`. */
  has(v: Value): boolean {
    return this.map.has(canonicalKey(v));
  }

  /** Number of elements. */
  get size(): number {
    return this.map.size;
  }

  /** Elements in OPA's order (sorted by `compare`); cached, do not mutate. */
  sorted(): readonly Value[] {
    let s = this.sortedCache;
    if (s === null) {
      s = Array.from(this.map.values());
      if (s.length > 1) s.sort(compare);
      this.sortedCache = s;
    }
    return s;
  }

  [Symbol.iterator](): Iterator<Value> {
    return this.sorted()[Symbol.iterator]();
  }
}

/** A Rego object whose keys are not all strings, keyed by canonical key. */
export class RegoMap {
  /** canonical key -> [key, value]. Do not mutate once the object is shared. */
  readonly map: Map<string, [Value, Value]> = new Map();
  private sortedCache: [Value, Value][] | null = null;

  constructor(entries?: Iterable<readonly [Value, Value]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  /** Sets a key (construction only). */
  set(k: Value, v: Value): void {
    this.map.set(canonicalKey(k), [k, v]);
    this.sortedCache = null;
  }

  /** Value for key `k`, or undefined. */
  get(k: Value): Value | undefined {
    const e = this.map.get(canonicalKey(k));
    return e === undefined ? undefined : e[1];
  }

  /** Number of keys. */
  get size(): number {
    return this.map.size;
  }

  /** Entries sorted by key (OPA's order); cached, do not mutate. */
  sortedEntries(): readonly [Value, Value][] {
    let s = this.sortedCache;
    if (s === null) {
      s = Array.from(this.map.values());
      if (s.length > 1) s.sort((a, b) => compare(a[0], b[0]));
      this.sortedCache = s;
    }
    return s;
  }
}

/** Error thrown by builtins (type errors and others); the evaluator maps it to OPA's behaviour. */
export class BuiltinError extends Error {
  /** Name of the builtin, e.g. "sum". */
  readonly builtin: string;
  /** OPA error code: "eval_type_error" for operand type errors, else "eval_builtin_error". */
  readonly code: "eval_type_error" | "eval_builtin_error";
  /** Message without the builtin name prefix. */
  readonly detail: string;
  /**
   * True when OPA's type checker would already reject the call with constant
   * operands (an operand or element of the wrong type); false for errors only
   * found at run time, e.g. "must be integer number but got floating-point number".
   */
  readonly typeCheck: boolean;
  constructor(builtin: string, detail: string, code: "eval_type_error" | "eval_builtin_error" = "eval_builtin_error", typeCheck = false) {
    super(`${builtin}: ${detail}`);
    this.name = "BuiltinError";
    this.builtin = builtin;
    this.code = code;
    this.detail = detail;
    this.typeCheck = typeCheck;
  }
}

// ---------------------------------------------------------------------------
// Type tests

/** OPA type name of a value: "null","boolean","number","string","array","object","set". */
export function typeName(v: Value): TypeName {
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      if (v === null) return "null";
      if (Array.isArray(v)) return "array";
      if (v instanceof RegoSet) return "set";
      return "object";
  }
}

/** True for either kind of Rego object (plain JS object or RegoMap). */
export function isObject(v: Value | undefined): v is RegoObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RegoSet);
}

/** True for a plain JS object (a Rego object with string keys). */
export function isPlainObject(v: Value | undefined): v is PlainObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RegoSet) && !(v instanceof RegoMap);
}

/** True for a Rego set. */
export function isSet(v: Value | undefined): v is RegoSet {
  return v instanceof RegoSet;
}

// ---------------------------------------------------------------------------
// Objects

const hasOwn = Object.hasOwn;

/** Value at `key` in an object (either kind), or undefined. Never returns inherited JS properties. */
export function objectGet(o: RegoObject, key: Value): Value | undefined {
  if (o instanceof RegoMap) return o.get(key);
  if (typeof key !== "string") return undefined;
  const v = o[key];
  if (v === undefined || typeof v === "function") return undefined;
  if (key === "__proto__" && !hasOwn(o, key)) return undefined;
  return v;
}

/** Keys of an object, sorted in OPA's order. */
export function objectKeys(o: RegoObject): Value[] {
  if (o instanceof RegoMap) return o.sortedEntries().map((e) => e[0]);
  const ks = Object.keys(o);
  if (ks.length > 1) ks.sort();
  return ks;
}

/** [key, value] pairs of an object, sorted by key in OPA's order (fresh array). */
export function objectEntries(o: RegoObject): [Value, Value][] {
  if (o instanceof RegoMap) return o.sortedEntries().slice();
  const ks = Object.keys(o);
  if (ks.length > 1) ks.sort();
  const out: [Value, Value][] = new Array(ks.length);
  for (let i = 0; i < ks.length; i++) out[i] = [ks[i]!, o[ks[i]!]!];
  return out;
}

/** Number of keys of an object. */
export function objectSize(o: RegoObject): number {
  if (o instanceof RegoMap) return o.size;
  let n = 0;
  for (const k in o) if (hasOwn(o, k)) n++;
  return n;
}

/** Sets `o[key] = v` on a plain object being built, safe for the key "__proto__". */
export function plainSet(o: PlainObject, key: string, v: Value): void {
  if (key === "__proto__") Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  else o[key] = v;
}

/** Builds an object from entries: a plain object when every key is a string, else a RegoMap. Later duplicates win. */
export function makeObject(entries: Iterable<readonly [Value, Value]>): RegoObject {
  const list = Array.isArray(entries) ? (entries as readonly (readonly [Value, Value])[]) : Array.from(entries);
  let allStrings = true;
  for (const e of list) {
    if (typeof e[0] !== "string") {
      allStrings = false;
      break;
    }
  }
  if (allStrings) {
    const o: PlainObject = {};
    for (const [k, v] of list) plainSet(o, k as string, v);
    return o;
  }
  return new RegoMap(list);
}

/** Returns a copy of `o` with `key` set to `v` (object stays plain while keys are strings). */
export function objectWith(o: RegoObject, key: Value, v: Value): RegoObject {
  if (!(o instanceof RegoMap) && typeof key === "string") {
    const c: PlainObject = {};
    for (const k of Object.keys(o)) plainSet(c, k, o[k]!);
    plainSet(c, key, v);
    return c;
  }
  const m = new RegoMap(objectEntries(o));
  m.set(key, v);
  return m;
}

// ---------------------------------------------------------------------------
// Sets

/** Builds a set from values (duplicates collapse). */
export function makeSet(values: Iterable<Value> = []): RegoSet {
  return new RegoSet(values);
}

/** True when set `s` holds a value equal to `v`. */
export function setHas(s: RegoSet, v: Value): boolean {
  return s.map.has(canonicalKey(v));
}

/** Elements of a set in OPA's sorted order (shared cached array: do not mutate). */
export function setValues(s: RegoSet): readonly Value[] {
  return s.sorted();
}

// ---------------------------------------------------------------------------
// Order and equality

function typeRank(v: Value): number {
  switch (typeof v) {
    case "boolean":
      return 1;
    case "number":
      return 2;
    case "string":
      return 3;
    default:
      if (v === null) return 0;
      if (Array.isArray(v)) return 4;
      if (v instanceof RegoSet) return 6;
      return 5;
  }
}

/**
 * OPA's total order: null < boolean < number < string < array < object < set;
 * arrays lexicographically; objects by sorted keys then values; sets by sorted elements.
 * Strings compare by UTF-16 code unit (differs from Go's byte order only for astral vs U+E000..U+FFFF).
 */
export function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  const ta = typeof a;
  if (ta === typeof b) {
    if (ta === "number") return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    if (ta === "string") return (a as string) < (b as string) ? -1 : 1;
    if (ta === "boolean") return a ? 1 : -1;
  }
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 4:
      return compareLists(a as Value[], b as Value[]);
    case 5: {
      const ea = objectEntries(a as RegoObject);
      const eb = objectEntries(b as RegoObject);
      const n = Math.min(ea.length, eb.length);
      for (let i = 0; i < n; i++) {
        let c = compare(ea[i]![0], eb[i]![0]);
        if (c !== 0) return c;
        c = compare(ea[i]![1], eb[i]![1]);
        if (c !== 0) return c;
      }
      return ea.length === eb.length ? 0 : ea.length < eb.length ? -1 : 1;
    }
    case 6:
      return compareLists((a as RegoSet).sorted(), (b as RegoSet).sorted());
  }
  return 0;
}

function compareLists(a: readonly Value[], b: readonly Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Structural equality (1 and 1.0 are equal; plain objects equal RegoMaps with the same entries). */
export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i]!, b[i]!)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof RegoSet) {
    if (!(b instanceof RegoSet) || a.map.size !== b.map.size) return false;
    for (const k of a.map.keys()) if (!b.map.has(k)) return false;
    return true;
  }
  if (b instanceof RegoSet) return false;
  if (!(a instanceof RegoMap) && !(b instanceof RegoMap)) {
    let n = 0;
    for (const k in a) {
      if (!hasOwn(a, k)) continue;
      n++;
      const bv = objectGet(b, k);
      if (bv === undefined || !equal(a[k]!, bv)) return false;
    }
    return n === objectSize(b);
  }
  if (objectSize(a) !== objectSize(b)) return false;
  for (const [k, v] of objectEntries(a)) {
    const bv = objectGet(b, k);
    if (bv === undefined || !equal(v, bv)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Conversion and formatting

/** JSON input is already a Value: identity (kept as a function so callers have one seam). */
export function fromJSON(x: unknown): Value {
  return x as Value;
}

/**
 * Converts to plain JSON for output: sets become sorted arrays, objects with
 * non-string keys get keys written as Rego text (as OPA does), object keys sorted.
 */
export function toJSON(v: Value): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map(toJSON);
  if (v instanceof RegoSet) return v.sorted().map(toJSON);
  const out: Record<string, unknown> = {};
  for (const [k, val] of objectEntries(v)) {
    // OPA (ast.JSON) writes a non-string key as its compact JSON text: 1 -> "1", [1, 2] -> "[1,2]"
    const ks = typeof k === "string" ? k : toJSONText(k);
    if (ks === "__proto__") Object.defineProperty(out, ks, { value: toJSON(val), enumerable: true, writable: true, configurable: true });
    else out[ks] = toJSON(val);
  }
  return out;
}

/**
 * Formats a number for output: integers without a decimal point, else the
 * shortest round-trip form (so a literal such as 1703444325734390000 keeps its
 * digits even though it is above 2^53); 1e21 and beyond use exponent form.
 */
export function formatNumber(n: number): string {
  if (n === 0) return "0";
  return String(n);
}

/**
 * Go's strconv.Quote, as OPA prints strings inside Rego text: \a \b \f \n \r \t \v,
 * \xNN for other control bytes and DEL, \uNNNN for C1 controls, U+2028/U+2029 and
 * lone surrogates (as U+FFFD); other code points are printed as they are.
 */
export function quoteString(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return '"' + s + '"';
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (c) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += "\\\\";
        continue;
      case 0x07:
        out += "\\a";
        continue;
      case 0x08:
        out += "\\b";
        continue;
      case 0x0c:
        out += "\\f";
        continue;
      case 0x0a:
        out += "\\n";
        continue;
      case 0x0d:
        out += "\\r";
        continue;
      case 0x09:
        out += "\\t";
        continue;
      case 0x0b:
        out += "\\v";
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0x2028 || c === 0x2029) out += "\\u" + c.toString(16).padStart(4, "0");
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return out + '"';
}

/**
 * Serializes a value as JSON text with keys in OPA's (Go's) sorted order, sets
 * as sorted arrays: compact by default (json.marshal), or indented like Go's
 * json.MarshalIndent(v, "", indent) when `indent` is given (e.g. "  " as `opa eval` prints).
 * Unlike JSON.stringify(toJSON(v)), integer-like keys stay in string order ("10" before "9").
 */
export function toJSONText(v: Value, indent?: string): string {
  if (indent !== undefined) return indentJSON(v, indent, "");
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return formatNumber(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      if (v === null) return "null";
      if (Array.isArray(v)) return "[" + v.map((x) => toJSONText(x)).join(",") + "]";
      if (v instanceof RegoSet)
        return (
          "[" +
          v
            .sorted()
            .map((x) => toJSONText(x))
            .join(",") +
          "]"
        );
      // Go's encoding/json writes map keys in byte order of their (string) form
      return (
        "{" +
        objectEntries(v)
          .map(([k, val]): [string, string] => [typeof k === "string" ? k : toJSONText(k), toJSONText(val)])
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map(([k, val]) => JSON.stringify(k) + ":" + val)
          .join(",") +
        "}"
      );
  }
}

function indentJSON(v: Value, indent: string, cur: string): string {
  if (typeof v !== "object" || v === null) return toJSONText(v);
  const inner = cur + indent;
  if (Array.isArray(v) || v instanceof RegoSet) {
    const xs = Array.isArray(v) ? v : v.sorted();
    if (xs.length === 0) return "[]";
    return "[\n" + xs.map((x) => inner + indentJSON(x, indent, inner)).join(",\n") + "\n" + cur + "]";
  }
  const es = objectEntries(v);
  if (es.length === 0) return "{}";
  const keyed = es.map(([k, x]): [string, Value] => [typeof k === "string" ? k : toJSONText(k), x]);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return "{\n" + keyed.map(([k, x]) => inner + JSON.stringify(k) + ": " + indentJSON(x, indent, inner)).join(",\n") + "\n" + cur + "}";
}

/** Rego text of a value, as OPA prints terms: `[1, "a"]`, `{"a": 1}`, `{1, 2}`, `set()` (strings quoted as Go does). */
export function formatValue(v: Value): string {
  switch (typeof v) {
    case "string":
      return quoteString(v);
    case "number":
      return formatNumber(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      if (v === null) return "null";
      if (Array.isArray(v)) return "[" + v.map(formatValue).join(", ") + "]";
      if (v instanceof RegoSet) return v.size === 0 ? "set()" : "{" + v.sorted().map(formatValue).join(", ") + "}";
      return (
        "{" +
        objectEntries(v)
          .map(([k, val]) => formatValue(k) + ": " + formatValue(val))
          .join(", ") +
        "}"
      );
  }
}
