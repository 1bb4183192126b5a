// Evaluation-time state and value helpers shared by the compiled closures.

import type { BuiltinContext } from "./builtins/index.ts";
import { RegoError } from "./errors.ts";
import { RegoMap, RegoSet, type PlainObject, type RegoObject, type Value, canonicalKey, equal, formatValue } from "./value.ts";

/** Variable slots of one rule body (undefined = unbound). */
export type Frame = (Value | undefined)[];
/** Continuation: returns true to stop the enumeration. */
export type K = () => boolean;
/** A compiled expression or body: calls `k` once per solution. */
export type Step = (c: Ctx, f: Frame, k: K) => boolean;
/** Evaluates a term whose variables are all bound. */
export type Ev = (c: Ctx, f: Frame) => Value | undefined;
/** Enumerates the values of a term (binding generated variables). */
export type Gen = (c: Ctx, f: Frame, k: (v: Value) => boolean) => boolean;
/** Unifies a pattern with a value. */
export type Unifier = (c: Ctx, f: Frame, v: Value, k: K) => boolean;

/** A function (user or builtin) replacing another under `with`. */
export type MockTarget = { kind: "value"; value: Value } | { kind: "func"; call: (c: Ctx, args: Value[]) => Value | undefined };

export interface Limits {
  /** maximum number of iteration steps per evaluation (default 10,000,000) */
  maxSteps?: number;
  /** maximum nesting of rule/function evaluation (default 1,000) */
  maxDepth?: number;
  /** wall-clock budget per evaluation in milliseconds (default: none) */
  timeoutMs?: number;
  /** clock used for timeoutMs (default Date.now) */
  clock?: () => number;
  /** steps between clock reads (default 1,000) */
  checkInterval?: number;
}

export interface DataPatch {
  path: string[];
  value: Value;
}

export const NOT_COMPUTED: unique symbol = Symbol("not computed");

export class Ctx implements BuiltinContext {
  input: Value | undefined = undefined;
  data: Value = {};
  memo: (Value | undefined | typeof NOT_COMPUTED)[];
  patches: DataPatch[] | null = null;
  mocks: Map<string, MockTarget> | null = null;
  steps = 0;
  maxSteps: number;
  depth = 0;
  maxDepth: number;
  strict = false;
  print: ((msg: string) => void) | null = null;
  private now: number | bigint | null = null;
  private cacheMap: Map<string, Value> | undefined = undefined;
  get cache(): Map<string, Value> {
    if (this.cacheMap === undefined) this.cacheMap = new Map();
    return this.cacheMap;
  }
  busy = false;

  private readonly timeoutMs: number | null;
  private readonly clock: () => number;
  private readonly checkInterval: number;
  private deadlineStart = 0;
  private nextCheck = 0;

  constructor(memoSize: number, limits: Limits) {
    this.memo = new Array<Value | undefined | typeof NOT_COMPUTED>(memoSize).fill(NOT_COMPUTED);
    this.maxSteps = limits.maxSteps ?? 10_000_000;
    this.maxDepth = limits.maxDepth ?? 1000;
    this.timeoutMs = limits.timeoutMs ?? null;
    this.clock = limits.clock ?? Date.now;
    this.checkInterval = Math.max(1, limits.checkInterval ?? 1000);
  }

  reset(input: Value | undefined, data: Value): void {
    this.input = input;
    this.data = data;
    // a loop, not memo.fill(): fill is a native call that cost ~18% of a small policy's decision (bun 1.4 profile)
    const memo = this.memo;
    for (let i = 0; i < memo.length; i++) memo[i] = NOT_COMPUTED;
    this.patches = null;
    this.mocks = null;
    this.steps = 0;
    this.depth = 0;
    this.now = null;
    this.cacheMap = undefined;
    if (this.timeoutMs !== null) {
      this.deadlineStart = this.clock();
      this.nextCheck = this.checkInterval;
    }
  }

  nowNs(): number | bigint {
    if (this.now === null) this.now = Date.now() * 1e6;
    return this.now;
  }

  step(): void {
    if (++this.steps > this.maxSteps) {
      throw new RegoError(
        "eval_limit_error",
        `evaluation exceeded the limit of ${this.maxSteps} steps (raise limits.maxSteps if the policy is expected to do this much work)`,
      );
    }
    if (this.timeoutMs !== null && this.steps >= this.nextCheck) {
      this.nextCheck = this.steps + this.checkInterval;
      if (this.clock() - this.deadlineStart > this.timeoutMs) {
        throw new RegoError("eval_limit_error", `execution exceeded time limit of ${this.timeoutMs} ms`);
      }
    }
  }
}

const hasOwn = Object.hasOwn;

/** `v[key]` as Rego indexes: arrays by integer, objects by key, sets by membership. */
export function getKey(v: Value | undefined, key: Value): Value | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  if (Array.isArray(v)) {
    if (typeof key !== "number" || !Number.isInteger(key) || key < 0) return undefined;
    return v[key];
  }
  if (v instanceof RegoSet) return v.map.has(canonicalKey(key)) ? key : undefined;
  if (v instanceof RegoMap) return v.get(key);
  if (typeof key !== "string") return undefined;
  const r = (v as PlainObject)[key];
  if (r === undefined || typeof r === "function") return undefined;
  if (key === "__proto__" && !hasOwn(v, key)) return undefined;
  return r;
}

/** `v.field` for a string field (fast path). */
export function getField(v: Value | undefined, key: string): Value | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  if (v instanceof RegoMap) return v.get(key);
  if (v instanceof RegoSet) return v.map.has(canonicalKey(key)) ? key : undefined;
  const r = (v as PlainObject)[key];
  if (r === undefined || typeof r === "function") return undefined;
  if (key === "__proto__" && !hasOwn(v, key)) return undefined;
  return r;
}

/** Enumerates (key, value) pairs of a collection; returns true when stopped. */
export function iterate(c: Ctx, v: Value | undefined, fn: (k: Value, val: Value) => boolean): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      c.step();
      if (fn(i, v[i])) return true;
    }
    return false;
  }
  if (v instanceof RegoSet) {
    for (const x of v.sorted()) {
      c.step();
      if (fn(x, x)) return true;
    }
    return false;
  }
  if (v instanceof RegoMap) {
    for (const [k, val] of v.sortedEntries()) {
      c.step();
      if (fn(k, val)) return true;
    }
    return false;
  }
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  for (const k of keys) {
    c.step();
    if (fn(k, (v as PlainObject)[k])) return true;
  }
  return false;
}

/** Builds objects key by key, detecting conflicting values. */
export class ObjectBuilder {
  private m = new Map<string, [Value, Value]>();
  private allStrings = true;
  constructor(private readonly what: string) {}
  set(k: Value, v: Value): void {
    const ck = canonicalKey(k);
    const old = this.m.get(ck);
    if (old !== undefined) {
      if (!equal(old[1], v)) {
        throw new RegoError(
          "eval_conflict_error",
          `${this.what}: object keys must be unique (value for key \`${formatValue(k)}\` generated multiple times: ` +
            `\`${formatValue(old[1])}\` and \`${formatValue(v)}\`)`,
        );
      }
      return;
    }
    if (typeof k !== "string") this.allStrings = false;
    this.m.set(ck, [k, v]);
  }
  /** Sets or replaces (an object literal's later duplicate key wins, as OPA's parser and object insert do). */
  put(k: Value, v: Value): void {
    if (typeof k !== "string") this.allStrings = false;
    this.m.set(canonicalKey(k), [k, v]);
  }
  get(k: Value): Value | undefined {
    return this.m.get(canonicalKey(k))?.[1];
  }
  build(): RegoObject {
    if (this.allStrings) {
      const o: PlainObject = {};
      for (const [k, v] of this.m.values()) {
        if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k as string] = v;
      }
      return o;
    }
    return new RegoMap(this.m.values());
  }
}

/** Deep-merges b into a for virtual documents; throws on conflict. */
export function mergeDocs(a: Value | undefined, b: Value | undefined, path: string): Value | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (isObj(a) && isObj(b)) {
    const ob = new ObjectBuilder(path);
    const keys = new Map<string, Value>();
    for (const [k, v] of entries(a)) keys.set(canonicalKey(k), k), ob.set(k, v);
    for (const [k, v] of entries(b)) {
      const existing = ob.get(k);
      if (existing === undefined) ob.set(k, v);
      else {
        const merged = mergeDocs(existing, v, path + "." + (typeof k === "string" ? k : formatValue(k)));
        replaceKey(ob, k, merged as Value);
      }
    }
    return ob.build();
  }
  if (equal(a, b)) return a;
  // OPA's objectDocKeyConflictErr: rules writing different values at one path
  throw new RegoError("eval_conflict_error", `object keys must be unique (conflicting values for ${path})`);
}

function replaceKey(ob: ObjectBuilder, k: Value, v: Value): void {
  (ob as unknown as { m: Map<string, [Value, Value]> }).m.set(canonicalKey(k), [k, v]);
}

export function isObj(v: Value | undefined): v is RegoObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RegoSet);
}

export function entries(o: RegoObject): [Value, Value][] {
  if (o instanceof RegoMap) return o.sortedEntries().slice();
  return Object.keys(o).map((k) => [k, (o as PlainObject)[k]]);
}

/** Returns a copy of `root` with `value` at `path` (creating objects on the way). */
export function upsert(root: Value | undefined, path: readonly Value[], value: Value): Value {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const base: RegoObject = isObj(root) ? root : {};
  const ob = new ObjectBuilder("with");
  let found = false;
  for (const [k, v] of entries(base)) {
    if (equal(k, head)) {
      found = true;
      replaceKey(ob, k, upsert(v, rest, value));
    } else replaceKey(ob, k, v);
  }
  if (!found) replaceKey(ob, head, upsert(undefined, rest, value));
  return ob.build();
}

export function lookupPath(v: Value | undefined, path: readonly Value[], from = 0): Value | undefined {
  let cur = v;
  for (let i = from; i < path.length && cur !== undefined; i++) cur = getKey(cur, path[i]);
  return cur;
}

/** registers constants and helpers for generated code; returns the identifiers to use */
export interface JsEmitter {
  k(v: Value): string;
  h(fn: unknown): string;
}

/** JavaScript source (an expression over `c` and `f`) equivalent to a plan or test */
export type JsGen = (e: JsEmitter) => string;

/** How a term is evaluated: `ev` when it yields one value without binding, else only `gen`. */
export interface Plan {
  ev: Ev | null;
  gen: Gen;
  /** generated-code form of `ev`, when the term is simple enough */
  js?: JsGen;
  /** the plan is the input document itself */
  isInput?: boolean;
}
