// Helpers over the AST: constants, variables, references, static checks.

import type { Expr, Module, Rule, Term } from "./ast.ts";
import { RegoError, type Location } from "./errors.ts";
import { ObjectBuilder } from "./runtime.ts";
import { RegoSet, canonicalKey, formatValue, type Value } from "./value.ts";
import { RELATIONAL } from "./natives.ts";

export function strTerm(s: string, loc: Location): Term {
  return { type: "string", value: s, loc };
}

export function parseNumber(text: string, loc: Location): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new RegoError("rego_parse_error", `number ${text} out of range`, loc);
  return n;
}

/** constant value of a literal term, or undefined */
export function constOf(t: Term): Value | undefined {
  switch (t.type) {
    case "null":
      return null;
    case "boolean":
      return t.value;
    case "number":
      return Number(t.text);
    case "string":
      return t.value;
    case "array": {
      const out: Value[] = [];
      for (const x of t.items) {
        const v = constOf(x);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case "object": {
      const ob = new ObjectBuilder("object");
      for (const [k, v] of t.items) {
        const kv = constOf(k);
        const vv = constOf(v);
        if (kv === undefined || vv === undefined) return undefined;
        ob.put(kv, vv); // a later duplicate key wins, as in OPA's parser
      }
      return ob.build();
    }
    case "set": {
      const s = new RegoSet();
      for (const x of t.items) {
        const v = constOf(x);
        if (v === undefined) return undefined;
        s.add(v);
      }
      return s;
    }
    default:
      return undefined;
  }
}

export function checkLiteralShapes(a: Term, b: Term, loc: Location): void {
  const coll = (t: Term) => t.type === "array" || t.type === "object";
  if (!coll(a) || !coll(b)) return;
  if (a.type !== b.type) {
    throw new RegoError(
      "rego_type_error",
      "match error: incompatible destructuring patterns: both sides must be arrays or objects with matching structure",
      loc,
    );
  }
  if (a.type === "array" && b.type === "array" && a.items.length !== b.items.length) {
    throw new RegoError(
      "rego_type_error",
      `match error: mismatch in number of array elements (${a.items.length} and ${b.items.length})`,
      loc,
    );
  }
  if (a.type === "object" && b.type === "object" && a.items.length !== b.items.length) {
    throw new RegoError(
      "rego_type_error",
      `match error: object field count mismatch in assignment: left has ${a.items.length} fields, right has ${b.items.length} fields`,
      loc,
    );
  }
  if (a.type === "object" && b.type === "object") {
    const ka = a.items.map(([k]) => constOf(k));
    const kb = b.items.map(([k]) => constOf(k));
    if (ka.some((k) => k === undefined) || kb.some((k) => k === undefined)) return;
    const sa = new Set(ka.map((k) => canonicalKey(k!)));
    const missing = kb.find((k) => !sa.has(canonicalKey(k!)));
    if (missing === undefined) return;
    if (constOf(b) !== undefined) {
      const fmt = (ks: (Value | undefined)[]) =>
        "[" +
        ks
          .map((k) => formatValue(k!))
          .sort()
          .join(", ") +
        "]";
      throw new RegoError("rego_type_error", `match error: object literal keys mismatch. Expected keys ${fmt(ka)} got ${fmt(kb)}.`, loc);
    }
    throw new RegoError(
      "rego_type_error",
      `match error: key ${formatValue(missing)} not found in left-hand side object during destructuring`,
      loc,
    );
  }
}

export function invalidDefault(t: Term): { kind: string; loc: Location } | null {
  switch (t.type) {
    case "null":
    case "boolean":
    case "number":
    case "string":
      return null;
    case "array":
    case "set":
      for (const x of t.items) {
        const b = invalidDefault(x);
        if (b) return b;
      }
      return null;
    case "object":
      for (const [k, v] of t.items) {
        const b = invalidDefault(k) ?? invalidDefault(v);
        if (b) return b;
      }
      return null;
    case "call": {
      if (t.unary) return { kind: "unaryexpr", loc: t.loc };
      if (!t.infix) return { kind: "call", loc: t.loc };
      if (t.name === "or" || t.name === "and") return { kind: "binexpr", loc: t.loc };
      if (RELATIONAL.has(t.name)) return { kind: "boolexpr", loc: t.loc };
      return { kind: "arithexpr", loc: t.loc };
    }
    case "arraycompr":
    case "setcompr":
    case "objectcompr":
      return null;
    default:
      return { kind: t.type, loc: t.loc };
  }
}

export function staticPrefixLen(ref: Term[]): number {
  let i = 0;
  while (i < ref.length && ref[i].type === "string") i++;
  return i;
}

export function firstVar(t: Term): string | null {
  const out: string[] = [];
  termVars(t, out, true);
  return out[0] ?? null;
}

export function displayVar(name: string): string {
  return name.startsWith("$_") ? "_" : name;
}

/** collects variable names of a term; closures are skipped unless deep */
/**
 * Names a comprehension keeps to itself although its enclosing body declares them (with `:=`
 * or `some`) at or after the comprehension's expression: OPA resolves `:=`/`some` declarations
 * in order, so `y := {x | xs[x]}; x := count(y)` has two different `x`.
 */
export const COMPR_SHADOW = new WeakMap<Term, ReadonlySet<string>>();

/** comprehensions directly in a term (not those nested inside another comprehension) */
export function outerComprehensions(t: Term, out: Term[]): void {
  switch (t.type) {
    case "arraycompr":
    case "setcompr":
    case "objectcompr":
      out.push(t);
      return;
    case "ref":
      outerComprehensions(t.head, out);
      for (const p of t.path) outerComprehensions(p, out);
      return;
    case "array":
    case "set":
      for (const x of t.items) outerComprehensions(x, out);
      return;
    case "object":
      for (const [k, v] of t.items) {
        outerComprehensions(k, out);
        outerComprehensions(v, out);
      }
      return;
    case "call":
      for (const a of t.args) outerComprehensions(a, out);
      return;
    case "membership":
      if (t.key) outerComprehensions(t.key, out);
      outerComprehensions(t.value, out);
      outerComprehensions(t.collection, out);
      return;
    default:
      return;
  }
}

export function termVars(t: Term, out: string[], _patternOnly: boolean, deep = false): void {
  switch (t.type) {
    case "var":
      out.push(t.name);
      return;
    case "ref":
      termVars(t.head, out, _patternOnly, deep);
      for (const p of t.path) termVars(p, out, _patternOnly, deep);
      return;
    case "array":
    case "set":
      for (const x of t.items) termVars(x, out, _patternOnly, deep);
      return;
    case "object":
      for (const [k, v] of t.items) {
        termVars(k, out, _patternOnly, deep);
        termVars(v, out, _patternOnly, deep);
      }
      return;
    case "call":
      for (const a of t.args) termVars(a, out, _patternOnly, deep);
      return;
    case "membership":
      if (t.key) termVars(t.key, out, _patternOnly, deep);
      termVars(t.value, out, _patternOnly, deep);
      termVars(t.collection, out, _patternOnly, deep);
      return;
    case "arraycompr":
    case "setcompr":
    case "objectcompr":
      if (deep) {
        const shadow = COMPR_SHADOW.get(t);
        const into = shadow ? [] : out;
        if (t.type === "objectcompr") {
          termVars(t.key, into, _patternOnly, deep);
          termVars(t.value, into, _patternOnly, deep);
        } else termVars(t.head, into, _patternOnly, deep);
        for (const e of t.body) exprVarsDeep(e, into);
        if (shadow) for (const n of into) if (!shadow.has(n)) out.push(n);
      }
      return;
    default:
      return;
  }
}

export function exprVarsDeep(e: Expr, out: string[]): void {
  switch (e.kind) {
    case "term":
      termVars(e.term, out, false, true);
      break;
    case "unify":
    case "assign":
      termVars(e.left, out, false, true);
      termVars(e.right, out, false, true);
      break;
    case "some":
      break;
    case "somein":
      if (e.key) termVars(e.key, out, false, true);
      termVars(e.value, out, false, true);
      termVars(e.collection, out, false, true);
      break;
    case "every":
      termVars(e.domain, out, false, true);
      for (const b of e.body) exprVarsDeep(b, out);
      break;
  }
  for (const w of e.with) termVars(w.value, out, false, true);
}

export function exprText(e: Expr): string {
  const src = e.loc.source;
  if (!src) return "";
  const lines = src.split("\n");
  const line = lines[e.loc.line - 1] ?? "";
  return line.slice(e.loc.col - 1).trim();
}

export function checkModules(modules: Module[]): void {
  for (const m of modules) {
    if (m.pkg[0] !== "data") throw new RegoError("rego_parse_error", "package must be under data", m.pkgLoc);
    for (const r of m.rules) if (r.isDefault) checkDefaultRule(r);
  }
}

/** OPA's value names (ast.ValueName) for the terms a default rule may not hold */
const OPA_VALUE_NAME: Record<string, string> = { var: "var", ref: "ref", membership: "call" };

/**
 * OPA's parser (validateDefaultRuleValue/Args): a default value holds no variables, refs or
 * calls (comprehensions aside); default function arguments are distinct variables.
 * Regorus's wording (`invalid \`var\` in default value`) follows OPA's.
 */
function checkDefaultRule(r: Rule): void {
  const bad = r.value ? invalidDefault(r.value) : null;
  if (bad) {
    const name = OPA_VALUE_NAME[bad.kind] ?? "call";
    const extra = bad.kind === "membership" ? " (unexpected keyword `in`)" : "";
    const detail = `illegal default rule (value cannot contain ${name}): invalid \`${bad.kind}\` in default value${extra}`;
    throw new RegoError("rego_parse_error", detail, r.loc);
  }
  const seen = new Set<string>();
  for (const a of r.args ?? []) {
    if (a.type !== "var") {
      throw new RegoError("rego_parse_error", `illegal default rule (arguments cannot contain ${a.type})`, r.loc);
    }
    if (a.name.startsWith("$")) continue; // wildcards
    if (seen.has(a.name)) throw new RegoError("rego_parse_error", `illegal default rule (arguments cannot be repeated ${a.name})`, r.loc);
    seen.add(a.name);
  }
}
