// Evaluator-side builtins and builtin glue: relational operators, membership,
// walk, compile-time checks of constant calls, and a second phrasing of builtin
// errors as other engines (Regorus) word them.

import type { Term } from "./ast.ts";
import type { Builtin } from "./builtins/index.ts";
import { RegoError } from "./errors.ts";
import { Ctx, entries, isObj, iterate } from "./runtime.ts";
import { constOf } from "./astutil.ts";
import {
  BuiltinError,
  RegoMap,
  RegoSet,
  compare,
  equal,
  formatValue,
  typeName,
  type PlainObject,
  type TypeName,
  type Value,
} from "./value.ts";

export const RELATIONAL = new Set(["equal", "neq", "lt", "lte", "gt", "gte"]);

export function walkValue(c: Ctx, v: Value, path: Value[], fn: (path: Value[], v: Value) => boolean): boolean {
  c.step();
  if (fn(path.slice(), v)) return true;
  if (typeof v !== "object" || v === null) return false;
  return iterate(c, v, (k, x) => {
    path.push(k);
    const r = walkValue(c, x, path, fn);
    path.pop();
    return r;
  });
}

export function member(x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) {
    for (const e of coll) if (equal(e, x)) return true;
    return false;
  }
  if (coll instanceof RegoSet) return coll.has(x);
  if (isObj(coll)) {
    for (const [, v] of entries(coll)) if (equal(v, x)) return true;
    return false;
  }
  return false;
}

/** cheap builtins whose operand types are checked at compile time when every operand is a constant */
/**
 * OPA's type checker checks every builtin call against its declared operand types; with
 * constant operands this engine does the same by calling the builtin and keeping only
 * operand *type* errors (BuiltinError.typeCheck). These builtins are left to evaluation.
 */
const NOT_TYPE_CHECKED = new Set([
  "http.send",
  "opa.runtime",
  "trace",
  "print",
  "walk",
  // results can be large: not worth computing at compile time just to check types
  "numbers.range",
  "numbers.range_step",
  "net.cidr_expand",
]);

/**
 * Operand types OPA declares as unions, where only the combination is checked at evaluation:
 * `minus` is (any<number, set>, any<number, set>), so `{1} - 1` passes the type checker and
 * fails at evaluation with eval_type_error (v1/ast/builtins.go).
 */
const UNION_OPERANDS: Record<string, readonly (readonly TypeName[])[]> = {
  minus: [
    ["number", "set"],
    ["number", "set"],
  ],
};

/** OPA's type checker rejects `count(1)` or `1 + "a"` before evaluation; do the same for constant operands */
export function checkConstantCall(b: Builtin, t: Extract<Term, { type: "call" }>, known?: (a: Term) => Value | undefined): void {
  if (NOT_TYPE_CHECKED.has(b.name) || b.nondeterministic) return;
  const args: Value[] = [];
  for (const a of t.args) {
    const v = constOf(a) ?? known?.(a);
    if (v === undefined) return;
    args.push(v);
  }
  const unions = UNION_OPERANDS[b.name];
  if (unions && args.every((a, i) => unions[i]?.includes(typeName(a)))) return;
  try {
    b.fn(args, TYPECHECK_CTX);
  } catch (e) {
    // only operand *type* mismatches; value constraints (e.g. integer vs float) are left to evaluation, as OPA's checker does
    if (e instanceof BuiltinError && e.code === "eval_type_error" && e.typeCheck) {
      // OPA's checker says `count: invalid argument(s)` (then the types it has and wants); the
      // evaluator's text follows, so both OPA phrasings name the builtin and the operand
      throw new RegoError("rego_type_error", `${b.name}: invalid argument(s); ${e.message}` + builtinHint(b.name, e, args), t.loc);
    }
  }
}

const TYPECHECK_CTX = { nowNs: () => 0 };

/** builtins OPA v1 no longer offers to v1 modules */
export const DEPRECATED_IN_V1 = new Set([
  "any",
  "all",
  "re_match",
  "net.cidr_overlap",
  "set_diff",
  "cast_array",
  "cast_set",
  "cast_string",
  "cast_boolean",
  "cast_null",
  "cast_object",
]);

const AGGREGATES = new Set(["count", "sum", "product", "max", "min", "sort"]);
// Regorus names the arithmetic operators by their symbol's verb: + add, - sub, % mod
const DISPLAY_NAMES: Record<string, string> = { plus: "add", minus: "sub", rem: "mod" };

/** a second phrasing of builtin type errors, as other Rego engines (Regorus) word them */
export function builtinHint(name: string, e: BuiltinError, args: Value[]): string {
  const display = DISPLAY_NAMES[name] ?? name;
  if (name === "to_number" && e.code === "eval_builtin_error") return " (could not parse string as number)";
  if (name === "format_int" && /operand 2 must be one of/.test(e.detail)) return " (`format_int` expects base to be one of 2, 8, 10, 16)";
  const tm = /operand (\d+) must be either number \(ns\) or \[number \(ns\), string \(tz\)\]/.exec(e.detail);
  if (tm) {
    const a = args[Number(tm[1]) - 1];
    return (
      ` (\`${display}\` expects \`ns\` to be a \`number\` or \`array[number, string]\`. Got ` +
      `\`${a === undefined ? "undefined" : formatValue(a)}\` instead)`
    );
  }
  const first = args[0];
  const badLayout = Array.isArray(first) && first.length > 2 && typeof first[2] !== "string";
  if (name === "time.format" && badLayout && /^operand 1 must be string/.test(e.detail)) {
    return ` (\`time.format\` expects 3rd element of \`ns\` to be a \`string\`. Got \`${formatValue(first[2]!)}\` instead)`;
  }
  const m = /operand (\d+) must be (?:one of \{([^}]*)\}|([a-z -]+?)) but got/.exec(e.detail);
  if (!m) return "";
  const idx = Number(m[1]) - 1;
  let types = m[2]
    ? m[2]
        .split(",")
        .map((x) => x.trim())
        .sort()
        .join("/")
    : (m[3] ?? "");
  if (types === "number" || types === "integer number" || types === "integer" || types.split("/").includes("number")) types = "numeric";
  if (name === "concat" && idx === 1) return " (`concat` expects array/set of strings.)";
  if (AGGREGATES.has(name)) return ` (\`${display}\` requires ${types} argument.)`;
  const arg = args[idx];
  return ` (\`${display}\` expects ${types} argument. Got \`${arg === undefined ? "undefined" : formatValue(arg)}\` instead)`;
}

export const FALLBACK_BUILTINS = new Map<string, Builtin>(
  [...RELATIONAL].map((name) => {
    const f = relational(name);
    return [name, { name, arity: 2, fn: (args: Value[]) => f(args[0], args[1]) }] as const;
  }),
);

export function relational(name: string): (a: Value, b: Value) => boolean {
  switch (name) {
    case "equal":
      return equal;
    case "neq":
      return (a, b) => !equal(a, b);
    case "lt":
      return (a, b) => compare(a, b) < 0;
    case "lte":
      return (a, b) => compare(a, b) <= 0;
    case "gt":
      return (a, b) => compare(a, b) > 0;
    default:
      return (a, b) => compare(a, b) >= 0;
  }
}

export function objSize(o: Value): number {
  if (o instanceof RegoMap) return o.size;
  return Object.keys(o as PlainObject).length;
}
