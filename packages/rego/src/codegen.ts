// Small generated accessors: a chain of constant field lookups (`input.course.status`)
// compiled with `new Function`, so each lookup site gets its own inline cache.
// Falls back to null (the caller keeps its closure) where code generation is not
// available, e.g. in hosts that forbid eval.

import { getField } from "./runtime.ts";
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
