// Shared helpers for the builtin tests (not a test file itself).
import { BUILTINS, fixedContext, type BuiltinContext } from "../src/builtins/index.ts";
import { BuiltinError, toJSON, type Value } from "../src/value.ts";

export const ctx: BuiltinContext = fixedContext(1_700_000_000_000_000_000);

/** Calls a builtin and returns its raw result (undefined for undefined). */
export function call(name: string, ...args: Value[]): Value | undefined {
  const b = BUILTINS.get(name);
  if (!b) throw new Error(`no builtin ${name}`);
  if (b.arity !== args.length) throw new Error(`${name} takes ${b.arity} args`);
  return b.fn(args, ctx);
}

/** Calls a builtin and converts the result to plain JSON (sets -> sorted arrays). */
export function j(name: string, ...args: Value[]): unknown {
  const r = call(name, ...args);
  return r === undefined ? undefined : toJSON(r);
}

/** Returns the BuiltinError message thrown by a call, or fails. */
export function err(name: string, ...args: Value[]): string {
  try {
    call(name, ...args);
  } catch (e) {
    if (e instanceof BuiltinError) return e.message;
    throw e;
  }
  throw new Error(`${name} did not throw`);
}
