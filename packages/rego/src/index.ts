// Public API of the Rego engine. Pure ES2023: no I/O, no runtime APIs.
//
//   const policy = compile([{ path: "policies/education.rego", source }], { limits: { maxSteps: 1e6 } });
//   const allow = policy.prepare("data.education.allow");
//   allow.evaluate(input)                 // Value | undefined
//   policy.query("data.education.deny_reasons", { input })   // OPA-shaped result set

import type { Module } from "./ast.ts";
import { Compiler, type CompiledQuery } from "./compile.ts";
import { RegoError } from "./errors.ts";
import { parseModule, parseQuery } from "./parser.ts";
import { Ctx, type Frame, type Limits } from "./runtime.ts";
import { toJSON, type Value } from "./value.ts";

export { RegoError } from "./errors.ts";
export type { Location, RegoErrorCode } from "./errors.ts";
export type { Limits } from "./runtime.ts";
export type { Value } from "./value.ts";
export { RegoSet, RegoMap, toJSON, fromJSON, equal, compare, formatValue } from "./value.ts";
export { parseModule, parseQuery } from "./parser.ts";

export interface ModuleSource {
  /** file name used in error messages */
  path: string;
  source: string;
}

export interface CompileOptions {
  /** parse every module as Rego v1 (default: v0 syntax unless the module imports rego.v1; v1 keywords are always understood) */
  regoV1?: boolean;
  /** evaluation limits (steps, call depth) */
  limits?: Limits;
  /** raise builtin errors instead of making the expression undefined (OPA's --strict-builtin-errors) */
  strictBuiltinErrors?: boolean;
  /** base documents under `data` used when an evaluation passes none */
  data?: Value;
  /** receives the output of `print(...)` (default: discarded) */
  print?: (msg: string) => void;
}

export interface EvalOptions {
  input?: Value;
  data?: Value;
  strictBuiltinErrors?: boolean;
}

export interface ExpressionResult {
  value: unknown;
  text: string;
  location: { row: number; col: number };
}

export interface QueryResult {
  expressions: ExpressionResult[];
  bindings: Record<string, unknown>;
}

/** One query compiled against a policy; evaluate it many times. */
export class PreparedQuery {
  private readonly ctx: Ctx;
  private readonly fast: ((c: Ctx, f: Frame) => Value | undefined) | null;

  constructor(
    private readonly policy: Policy,
    private readonly q: CompiledQuery,
    fast: ((c: Ctx, f: Frame) => Value | undefined) | null,
  ) {
    this.fast = fast;
    this.ctx = policy.newCtx();
  }

  private acquire(input: Value | undefined, data: Value | undefined, strict: boolean | undefined): Ctx {
    if (data !== undefined && data !== this.policy.data) this.policy.checkData(data);
    let c = this.ctx;
    if (c.busy) c = this.policy.newCtx();
    c.busy = true;
    c.reset(input, data ?? this.policy.data);
    c.strict = strict ?? this.policy.strict;
    c.print = this.policy.print;
    return c;
  }

  /** Value of the (first) expression of the first result, or undefined when the query has no result. */
  evaluate(input?: Value, data?: Value): Value | undefined {
    const c = this.acquire(input, data, undefined);
    try {
      if (this.fast) return this.fast(c, EMPTY);
      return this.slowEvaluate(c);
    } catch (e) {
      throw asRegoError(e);
    } finally {
      c.busy = false;
    }
  }

  private slowEvaluate(c: Ctx): Value | undefined {
    {
      const q = this.q;
      const n = q.nslots();
      const f: Frame = new Array<Value | undefined>(n);
      let out: Value | undefined = undefined;
      q.step(c, f, () => {
        out = f[q.capSlots[0]];
        return true;
      });
      return out;
    }
  }

  /** Every result, shaped as OPA's `rego.ResultSet` (values converted to JSON). */
  results(opts: EvalOptions = {}): QueryResult[] {
    return this.rawResults(opts).map((r) => ({
      expressions: r.expressions.map((e) => ({ ...e, value: toJSON(e.value as Value) })),
      bindings: Object.fromEntries(Object.entries(r.bindings).map(([k, v]) => [k, toJSON(v as Value)])),
    }));
  }

  /** Like results() but values stay Rego values (sets are RegoSet). */
  rawResults(
    opts: EvalOptions = {},
  ): { expressions: { value: Value; text: string; location: { row: number; col: number } }[]; bindings: Record<string, Value> }[] {
    const c = this.acquire(opts.input, opts.data, opts.strictBuiltinErrors);
    try {
      const q = this.q;
      const out: {
        expressions: { value: Value; text: string; location: { row: number; col: number } }[];
        bindings: Record<string, Value>;
      }[] = [];
      const f: Frame = new Array<Value | undefined>(q.nslots());
      q.step(c, f, () => {
        const bindings: Record<string, Value> = {};
        for (const v of q.vars) {
          const x = f[v.slot];
          if (x !== undefined) bindings[v.name] = x;
        }
        out.push({
          expressions: q.capSlots.map((s, i) => ({
            value: f[s] as Value,
            text: q.texts[i],
            location: { row: q.locs[i].line, col: q.locs[i].col },
          })),
          bindings,
        });
        return false;
      });
      return out;
    } catch (e) {
      throw asRegoError(e);
    } finally {
      c.busy = false;
    }
  }
}

const EMPTY: Frame = [];

/** stack exhaustion (deeply nested data or recursion through data) becomes a coded error */
function asRegoError(e: unknown): unknown {
  if (e instanceof RegoError) return e;
  if (e instanceof RangeError) return new RegoError("eval_limit_error", `evaluation exceeded the available stack: ${e.message}`);
  return e;
}

/** A compiled set of modules. */
export class Policy {
  readonly modules: Module[];
  readonly data: Value;
  readonly strict: boolean;
  readonly print: ((msg: string) => void) | null;
  private readonly compiler: Compiler;
  private readonly limits: Limits;
  private readonly cache = new Map<string, PreparedQuery>();
  private readonly checkedData = new WeakSet<object>();

  constructor(modules: Module[], opts: CompileOptions) {
    this.modules = modules;
    this.data = opts.data ?? {};
    this.strict = opts.strictBuiltinErrors === true;
    this.print = opts.print ?? null;
    this.limits = opts.limits ?? {};
    this.compiler = new Compiler(modules, { strictBuiltinErrors: this.strict });
    if (opts.data !== undefined) this.compiler.tree.checkDataConflicts(opts.data);
  }

  /**
   * Base data given to an evaluation must not sit where rules are, as OPA checks its store when it
   * prepares a query (conflicting rule for data path p/a found); each data object is checked once.
   */
  checkData(data: Value): void {
    if (typeof data === "object" && data !== null) {
      if (this.checkedData.has(data)) return;
      this.compiler.tree.checkDataConflicts(data);
      this.checkedData.add(data);
    } else this.compiler.tree.checkDataConflicts(data);
  }

  newCtx(): Ctx {
    return new Ctx(this.compiler.tree.memoSize, this.limits);
  }

  /** Compiles a query (e.g. "data.education.allow") once. */
  prepare(query: string, opts: { captureFalse?: boolean } = {}): PreparedQuery {
    const body = parseQuery(query, "query");
    if (body.length === 0) throw new RegoError("rego_parse_error", "empty query");
    const q = this.compiler.compileQuery(body, opts.captureFalse ?? true);
    let fast: ((c: Ctx, f: Frame) => Value | undefined) | null = null;
    const e = body[0];
    if (body.length === 1 && e.kind === "term" && !e.negated && e.with.length === 0 && (e.term.type === "ref" || e.term.type === "var")) {
      fast = this.compiler.compileGroundTerm(e.term);
    }
    return new PreparedQuery(this, q, fast);
  }

  /** Runs a query once (prepared queries are cached by text). */
  query(query: string, opts: EvalOptions = {}): QueryResult[] {
    let p = this.cache.get(query);
    if (!p) {
      p = this.prepare(query);
      if (this.cache.size > 256) this.cache.clear();
      this.cache.set(query, p);
    }
    return p.results(opts);
  }
}

/** Parses and compiles modules; throws RegoError with file:line:col on bad policies. */
export function compile(modules: readonly ModuleSource[], opts: CompileOptions = {}): Policy {
  const parsed = modules.map((m) => parseModule(m.source, m.path, { regoV1: opts.regoV1 }));
  return new Policy(parsed, opts);
}
