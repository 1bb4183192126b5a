// Small generated accessors: a chain of constant field lookups (`input.course.status`)
// compiled with `new Function`, so each lookup site gets its own inline cache.
// Falls back to null (the caller keeps its closure) where code generation is not
// available, e.g. in hosts that forbid eval.

import { getField, type Ctx, type Frame, type JsEmitter, type JsGen } from "./runtime.ts";
import type { Value } from "./value.ts";

export type FieldPath = (v: Value | undefined) => Value | undefined;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty"]);
let available: boolean | null = null;
const cache = new Map<string, FieldPath>();

function canGenerate(): boolean {
  if (available === null) {
    try {
      available = new Function("return 1")() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}

/** accessor for v.k0.k1... (undefined when any step is missing), or null */
export function makeFieldPath(keys: readonly string[]): FieldPath | null {
  if (keys.length === 0 || keys.length > 8 || !canGenerate()) return null;
  const id = JSON.stringify(keys);
  const hit = cache.get(id);
  if (hit) return hit;
  let body = "return function fieldPath(v) {\n";
  for (const k of keys) {
    const prop = IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
    if (UNSAFE_KEYS.has(k)) {
      body += `  v = getField(v, ${JSON.stringify(k)}); if (v === undefined) return undefined;\n`;
      continue;
    }
    body +=
      `  if (typeof v !== "object" || v === null) return undefined;\n` +
      `  if (v.constructor === Object) { v = v${prop}; if (v === undefined || typeof v === "function") return undefined; }\n` +
      `  else { v = getField(v, ${JSON.stringify(k)}); if (v === undefined) return undefined; }\n`;
  }
  body += "  return v;\n};";
  try {
    const fn = new Function("getField", body)(getField) as FieldPath;
    cache.set(id, fn);
    return fn;
  } catch {
    return null;
  }
}

/**
 * One generated function for a body made only of simple tests (field paths of
 * the input, constants, comparisons, builtin calls): `t1 && t2 && ...`.
 * Under `with` function mocks it defers to the closure form `slow`.
 */
export function jitTests(parts: readonly JsGen[], slow: (c: Ctx, f: Frame) => boolean): ((c: Ctx, f: Frame) => boolean) | null {
  if (parts.length === 0 || !canGenerate()) return null;
  const consts: unknown[] = [];
  const helpers: unknown[] = [];
  const e: JsEmitter = {
    k(v) {
      if (v === null || typeof v === "boolean" || typeof v === "number") return Object.is(v, -0) ? "0" : String(v);
      if (typeof v === "string") return JSON.stringify(v);
      consts.push(v);
      return `K${consts.length - 1}`;
    },
    h(fn) {
      let i = helpers.indexOf(fn);
      if (i < 0) {
        helpers.push(fn);
        i = helpers.length - 1;
      }
      return `H${i}`;
    },
  };
  const exprs = parts.map((p) => `(${p(e)})`);
  let src = "";
  consts.forEach((_, i) => (src += `const K${i} = K[${i}];\n`));
  helpers.forEach((_, i) => (src += `const H${i} = H[${i}];\n`));
  src += `return function jitBody(c, f) {\n  if (c.mocks !== null) return SLOW(c, f);\n  return ${exprs.join(" &&\n    ")};\n};`;
  try {
    return new Function("K", "H", "SLOW", src)(consts, helpers, slow) as (c: Ctx, f: Frame) => boolean;
  } catch {
    return null;
  }
}
