/**
 * JSON Schema (draft 4/6/7 core) for json.verify_schema and json.match_schema.
 * Error objects follow gojsonschema's shape ({error, type, field, desc}) and
 * wording for the common keywords; `format` is not checked; `$ref` resolves
 * local pointers ("#", "#/definitions/x") only.
 */
import { BuiltinError, RegoSet, equal, formatValue, isObject, objectEntries, objectGet, type RegoObject, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { compileRE2 } from "./regex.ts";
import { builtinErr, def, typeErr } from "./util.ts";

class SchemaError extends Error {}

interface Err {
  type: string;
  field: string;
  desc: string;
}

const TYPES = new Set(["null", "boolean", "object", "array", "number", "string", "integer"]);

function jsonType(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "string") return "string";
  if (Array.isArray(v) || v instanceof RegoSet) return "array";
  return "object";
}

function typeMatches(t: string, v: Value): boolean {
  const jt = jsonType(v);
  return t === jt || (t === "number" && jt === "integer");
}

function items(v: Value): readonly Value[] {
  return Array.isArray(v) ? v : v instanceof RegoSet ? v.sorted() : [];
}

function show(v: Value): string {
  return typeof v === "string" ? v : formatValue(v);
}

/** Checks that a schema is well-formed enough to validate with; throws SchemaError. */
function checkSchema(s: Value, path: string): void {
  if (typeof s === "boolean") return;
  if (!isObject(s)) throw new SchemaError(`Invalid JSON schema at ${path}: must be an object or boolean`);
  const t = objectGet(s, "type");
  if (t !== undefined) {
    const ts = typeof t === "string" ? [t] : Array.isArray(t) ? t : null;
    if (ts === null || ts.some((x) => typeof x !== "string" || !TYPES.has(x))) throw new SchemaError(`Invalid type ${show(t)} at ${path}`);
  }
  const pat = objectGet(s, "pattern");
  if (pat !== undefined) {
    if (typeof pat !== "string") throw new SchemaError(`Invalid pattern at ${path}`);
    try {
      compileRE2(pat);
    } catch {
      throw new SchemaError(`Invalid regular expression ${JSON.stringify(pat)} at ${path}`);
    }
  }
  const req = objectGet(s, "required");
  if (req !== undefined && (!Array.isArray(req) || req.some((x) => typeof x !== "string")))
    throw new SchemaError(`Invalid required at ${path}`);
  for (const k of ["properties", "patternProperties", "definitions", "$defs", "dependencies"]) {
    const o = objectGet(s, k);
    if (o === undefined) continue;
    if (!isObject(o)) throw new SchemaError(`Invalid ${k} at ${path}`);
    for (const [name, sub] of objectEntries(o))
      if (!(k === "dependencies" && Array.isArray(sub))) checkSchema(sub, `${path}.${k}.${show(name)}`);
  }
  for (const k of ["additionalProperties", "additionalItems", "not", "propertyNames", "contains", "if", "then", "else"]) {
    const sub = objectGet(s, k);
    if (sub !== undefined) checkSchema(sub, `${path}.${k}`);
  }
  const it = objectGet(s, "items");
  if (it !== undefined) {
    if (Array.isArray(it)) it.forEach((x, i) => checkSchema(x, `${path}.items.${i}`));
    else checkSchema(it, `${path}.items`);
  }
  for (const k of ["allOf", "anyOf", "oneOf"]) {
    const xs = objectGet(s, k);
    if (xs === undefined) continue;
    if (!Array.isArray(xs) || xs.length === 0) throw new SchemaError(`Invalid ${k} at ${path}: must be a non-empty array`);
    xs.forEach((x, i) => checkSchema(x, `${path}.${k}.${i}`));
  }
  for (const k of [
    "minimum",
    "maximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
  ]) {
    const n = objectGet(s, k);
    if (n !== undefined && typeof n !== "number") throw new SchemaError(`Invalid ${k} at ${path}: must be a number`);
  }
  const en = objectGet(s, "enum");
  if (en !== undefined && !Array.isArray(en)) throw new SchemaError(`Invalid enum at ${path}: must be an array`);
}

class Validator {
  errors: Err[] = [];
  constructor(private readonly root: Value) {}

  private add(type: string, ctx: string[], desc: string, property?: string): void {
    const field = property ?? (ctx.length === 0 ? "(root)" : ctx.join("."));
    this.errors.push({ type, field, desc });
  }

  private resolve(ref: string): Value {
    if (ref === "#") return this.root;
    if (!ref.startsWith("#/")) throw new SchemaError(`unsupported $ref ${JSON.stringify(ref)} (only local references)`);
    let cur: Value = this.root;
    for (const raw of ref.slice(2).split("/")) {
      const seg = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
      const next: Value | undefined = isObject(cur) ? objectGet(cur, seg) : Array.isArray(cur) ? cur[Number(seg)] : undefined;
      if (next === undefined) throw new SchemaError(`$ref ${JSON.stringify(ref)} not found`);
      cur = next;
    }
    return cur;
  }

  /** Validates without recording (for anyOf/oneOf/not/if). */
  private ok(s: Value, v: Value, ctx: string[], depth: number): boolean {
    const saved = this.errors;
    this.errors = [];
    this.validate(s, v, ctx, depth);
    const good = this.errors.length === 0;
    this.errors = saved;
    return good;
  }

  validate(s: Value, v: Value, ctx: string[], depth = 0): void {
    if (depth > 256) throw new SchemaError("schema recursion too deep");
    if (s === true) return;
    if (s === false) {
      this.add("false", ctx, "False always fails validation");
      return;
    }
    if (!isObject(s)) return;
    const sch: RegoObject = s;
    const get = (k: string): Value | undefined => objectGet(sch, k);
    const ref = get("$ref");
    if (typeof ref === "string") {
      this.validate(this.resolve(ref), v, ctx, depth + 1);
      return;
    }

    const t = get("type");
    if (t !== undefined) {
      const ts = (typeof t === "string" ? [t] : (t as Value[])) as string[];
      if (!ts.some((x) => typeMatches(x, v))) {
        this.add("invalid_type", ctx, `Invalid type. Expected: ${ts.join(", ")}, given: ${jsonType(v)}`);
        return;
      }
    }
    const en = get("enum");
    if (Array.isArray(en) && !en.some((x) => equal(x, v)))
      this.add(
        "enum",
        ctx,
        `${ctx.length ? ctx.join(".") : "(root)"} must be one of the following: ${en.map((x) => JSON.stringify(x)).join(", ")}`,
      );
    const cn = get("const");
    if (cn !== undefined && !equal(cn, v))
      this.add("const", ctx, `${ctx.length ? ctx.join(".") : "(root)"} does not match: ${JSON.stringify(cn)}`);

    if (typeof v === "number") this.number(get, v, ctx);
    if (typeof v === "string") this.string(get, v, ctx);
    if (Array.isArray(v) || v instanceof RegoSet) this.array(get, items(v), ctx, depth);
    if (isObject(v)) this.object(get, v, ctx, depth);

    const allOf = get("allOf");
    if (Array.isArray(allOf)) {
      let all = true;
      for (const sub of allOf)
        if (!this.ok(sub, v, ctx, depth + 1)) {
          all = false;
          this.validate(sub, v, ctx, depth + 1);
        }
      if (!all) this.add("number_all_of", ctx, "Must validate all the schemas (allOf)");
    }
    const anyOf = get("anyOf");
    if (Array.isArray(anyOf) && !anyOf.some((sub) => this.ok(sub, v, ctx, depth + 1)))
      this.add("number_any_of", ctx, "Must validate at least one schema (anyOf)");
    const oneOf = get("oneOf");
    if (Array.isArray(oneOf) && oneOf.filter((sub) => this.ok(sub, v, ctx, depth + 1)).length !== 1)
      this.add("number_one_of", ctx, "Must validate one and only one schema (oneOf)");
    const not = get("not");
    if (not !== undefined && this.ok(not, v, ctx, depth + 1)) this.add("number_not", ctx, "Must not validate the schema (not)");
    const iff = get("if");
    if (iff !== undefined) {
      if (this.ok(iff, v, ctx, depth + 1)) {
        const th = get("then");
        if (th !== undefined && !this.ok(th, v, ctx, depth + 1)) {
          this.validate(th, v, ctx, depth + 1);
          this.add("condition_then", ctx, 'Must validate "then" as "if" was valid');
        }
      } else {
        const el = get("else");
        if (el !== undefined && !this.ok(el, v, ctx, depth + 1)) {
          this.validate(el, v, ctx, depth + 1);
          this.add("condition_else", ctx, 'Must validate "else" as "if" was not valid');
        }
      }
    }
  }

  private number(get: (k: string) => Value | undefined, v: number, ctx: string[]): void {
    const min = get("minimum"),
      max = get("maximum");
    const exMin = get("exclusiveMinimum"),
      exMax = get("exclusiveMaximum");
    if (typeof min === "number") {
      if (exMin === true ? v <= min : v < min)
        this.add(exMin === true ? "number_gt" : "number_gte", ctx, `Must be greater than ${exMin === true ? "" : "or equal to "}${min}`);
    }
    if (typeof exMin === "number" && v <= exMin) this.add("number_gt", ctx, `Must be greater than ${exMin}`);
    if (typeof max === "number") {
      if (exMax === true ? v >= max : v > max)
        this.add(exMax === true ? "number_lt" : "number_lte", ctx, `Must be less than ${exMax === true ? "" : "or equal to "}${max}`);
    }
    if (typeof exMax === "number" && v >= exMax) this.add("number_lt", ctx, `Must be less than ${exMax}`);
    const mul = get("multipleOf");
    if (typeof mul === "number" && mul > 0) {
      const q = v / mul;
      if (Math.abs(q - Math.round(q)) > 1e-9) this.add("multiple_of", ctx, `Must be a multiple of ${mul}`);
    }
  }

  private string(get: (k: string) => Value | undefined, v: string, ctx: string[]): void {
    const n = Array.from(v).length;
    const minL = get("minLength"),
      maxL = get("maxLength");
    if (typeof minL === "number" && n < minL) this.add("string_gte", ctx, `String length must be greater than or equal to ${minL}`);
    if (typeof maxL === "number" && n > maxL) this.add("string_lte", ctx, `String length must be less than or equal to ${maxL}`);
    const pat = get("pattern");
    if (typeof pat === "string" && !compileRE2(pat).test(v)) this.add("pattern", ctx, `Does not match pattern '${pat}'`);
  }

  private array(get: (k: string) => Value | undefined, xs: readonly Value[], ctx: string[], depth: number): void {
    const minI = get("minItems"),
      maxI = get("maxItems");
    if (typeof minI === "number" && xs.length < minI) this.add("array_min_items", ctx, `Array must have at least ${minI} items`);
    if (typeof maxI === "number" && xs.length > maxI) this.add("array_max_items", ctx, `Array must have at most ${maxI} items`);
    if (get("uniqueItems") === true) {
      outer: for (let i = 0; i < xs.length; i++) {
        for (let j = i + 1; j < xs.length; j++) {
          if (equal(xs[i]!, xs[j]!)) {
            this.add("unique", ctx, `array items[${i},${j}] must be unique`);
            break outer;
          }
        }
      }
    }
    const it = get("items");
    if (Array.isArray(it)) {
      xs.forEach((x, i) => {
        if (i < it.length) this.validate(it[i]!, x, [...ctx, String(i)], depth + 1);
      });
      const add = get("additionalItems");
      if (add === false && xs.length > it.length) this.add("array_no_additional_items", ctx, "No additional items allowed on array");
      else if (add !== undefined && typeof add !== "boolean")
        for (let i = it.length; i < xs.length; i++) this.validate(add, xs[i]!, [...ctx, String(i)], depth + 1);
    } else if (it !== undefined) xs.forEach((x, i) => this.validate(it, x, [...ctx, String(i)], depth + 1));
    const contains = get("contains");
    if (contains !== undefined && !xs.some((x, i) => this.ok(contains, x, [...ctx, String(i)], depth + 1)))
      this.add("contains", ctx, "At least one of the items must match");
  }

  private object(get: (k: string) => Value | undefined, o: RegoObject, ctx: string[], depth: number): void {
    const entries = objectEntries(o);
    const minP = get("minProperties"),
      maxP = get("maxProperties");
    if (typeof minP === "number" && entries.length < minP) this.add("array_min_properties", ctx, `Must have at least ${minP} properties`);
    if (typeof maxP === "number" && entries.length > maxP) this.add("array_max_properties", ctx, `Must have at most ${maxP} properties`);
    const req = get("required");
    if (Array.isArray(req))
      for (const r of req) if (typeof r === "string" && objectGet(o, r) === undefined) this.add("required", ctx, `${r} is required`, r);
    const props = get("properties");
    const pats = get("patternProperties");
    const addl = get("additionalProperties");
    for (const [k, v] of entries) {
      const key = show(k);
      let matched = false;
      if (isObject(props)) {
        const sub = objectGet(props, k);
        if (sub !== undefined) {
          matched = true;
          this.validate(sub, v, [...ctx, key], depth + 1);
        }
      }
      if (isObject(pats)) {
        for (const [p, sub] of objectEntries(pats)) {
          if (typeof p === "string" && compileRE2(p).test(key)) {
            matched = true;
            this.validate(sub, v, [...ctx, key], depth + 1);
          }
        }
      }
      if (!matched && addl !== undefined) {
        if (addl === false) this.add("additional_property_not_allowed", ctx, `Additional property ${key} is not allowed`, key);
        else this.validate(addl, v, [...ctx, key], depth + 1);
      }
    }
    const pn = get("propertyNames");
    if (pn !== undefined)
      for (const [k] of entries)
        if (!this.ok(pn, k, ctx, depth + 1)) this.add("invalid_property_name", ctx, `Property "${show(k)}" does not match pattern`);
    const deps = get("dependencies");
    if (isObject(deps)) {
      for (const [k, d] of objectEntries(deps)) {
        if (objectGet(o, k) === undefined) continue;
        if (Array.isArray(d)) {
          for (const need of d)
            if (objectGet(o, need) === undefined) this.add("missing_dependency", ctx, `Has a dependency on ${show(need)}`);
        } else this.validate(d, o, ctx, depth + 1);
      }
    }
  }
}

function schemaOperand(name: string, v: Value, pos: number): Value {
  if (typeof v === "string") {
    try {
      return JSON.parse(v) as Value;
    } catch {
      throw new SchemaError("schema is not valid JSON");
    }
  }
  if (isObject(v) || typeof v === "boolean") return v;
  throw typeErr(name, pos, v, "string", "object");
}

function verifySchema(a: Value[]): Value {
  try {
    const s = schemaOperand("json.verify_schema", a[0]!, 1);
    checkSchema(s, "(root)");
    return [true, null];
  } catch (e) {
    if (e instanceof SchemaError) return [false, e.message];
    throw e;
  }
}

function matchSchema(a: Value[]): Value {
  const name = "json.match_schema";
  let doc: Value = a[0]!;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc) as Value;
    } catch {
      throw builtinErr(name, "document is not valid JSON");
    }
  }
  try {
    const s = schemaOperand(name, a[1]!, 2);
    checkSchema(s, "(root)");
    const val = new Validator(s);
    val.validate(s, doc, []);
    return [
      val.errors.length === 0,
      val.errors.map((e) => ({ error: `${e.field}: ${e.desc}`, type: e.type, field: e.field, desc: e.desc })),
    ];
  } catch (e) {
    if (e instanceof BuiltinError) throw e;
    throw builtinErr(name, e instanceof Error ? e.message : String(e));
  }
}

export const schemaBuiltins: readonly Builtin[] = [def("json.verify_schema", 1, verifySchema), def("json.match_schema", 2, matchSchema)];
