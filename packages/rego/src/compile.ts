// Compiler: resolves names, orders body expressions for safety, and turns
// rules and queries into closures over (Ctx, Frame). Variable boundness is
// decided at compile time, so the closures never test whether a slot is bound.

import type { Expr, Module, Rule, Term, With } from "./ast.ts";
import { BUILTINS, type Builtin } from "./builtins/index.ts";
import { RegoError, type Location } from "./errors.ts";
import {
  Ctx,
  NOT_COMPUTED,
  ObjectBuilder,
  getField,
  getKey,
  isObj,
  iterate,
  upsert,
  type Ev,
  type Frame,
  type Gen,
  type JsGen,
  type K,
  type MockTarget,
  type Plan,
  type Step,
  type Unifier,
} from "./runtime.ts";
import { jitTests, makeFieldPath } from "./codegen.ts";
import {
  COMPR_SHADOW,
  checkLiteralShapes,
  checkModules,
  constOf,
  displayVar,
  exprText,
  exprVarsDeep,
  firstVar,
  invalidDefault,
  outerComprehensions,
  parseNumber,
  staticPrefixLen,
  strTerm,
  termVars,
} from "./astutil.ts";
import { NestedBuilder, evalGroup, lookupDataPath, materialize } from "./documents.ts";
import { refPath } from "./parser.ts";
import {
  DEPRECATED_IN_V1,
  FALLBACK_BUILTINS,
  RELATIONAL,
  builtinHint,
  checkConstantCall,
  member,
  objSize,
  relational,
  walkValue,
} from "./natives.ts";
import { andTests, chainExprs, combine, constPlan, evPlan, genThenUnify, testStep, type CExpr } from "./plan.ts";
import { RuleTree, childHasRules, type Group, type RuleDef, type TreeNode } from "./tree.ts";
import { BuiltinError, RegoSet, canonicalKey, equal, formatValue, objectEntries, typeName, type PlainObject, type Value } from "./value.ts";

/**
 * Thrown while compiling when a variable is not yet bound; the body's scheduler catches it to try another
 * order, and the compiler turns an escaping one into a rego_unsafe_var_error. Not an Error: the stack
 * trace an Error captures cost ~0.2 ms a throw in cold code, ~4 ms of education.rego's compile at start.
 */
class Unsafe {
  constructor(
    readonly varName: string,
    readonly loc: Location,
  ) {}
}

interface Level {
  vars: Map<string, number>;
  parent: Level | null;
}

interface Scope {
  module: Module | null;
  /** package path, e.g. ["data","pkg"] */
  pkg: string[];
  imports: Map<string, string[]>;
  nslots: number;
  slotNames: string[];
  slotLevel: Level[];
  group: Group | null;
  /** slots declared with `x := <constant>`: their values are known to the type check of builtin calls */
  slotConst: Map<number, Value>;
}

interface BC {
  scope: Scope;
  level: Level;
  bound: Set<number>;
  noBind: Set<number>;
}

const EMPTY_FRAME: Frame = [];
const NO_SLOTS: Set<number> = new Set();
const TRUE_K: K = () => true;

type Resolved = { kind: "local"; slot: number } | { kind: "root"; root: "input" | "data"; path: string[] };

const SPECIAL_CALLS = new Set(["print", "walk", "trace", "internal.print", "rego.metadata.rule", "rego.metadata.chain"]);

export interface CompilerOptions {
  strictBuiltinErrors?: boolean;
}

export class Compiler {
  readonly tree: RuleTree;
  /** locations of print calls written as statements (anywhere else print is used as a value) */
  private readonly printStatements = new WeakSet<Location>();
  readonly modules: Module[];
  private wildcard = 0;
  private lastDefFast: { test: ((c: Ctx, f: Frame) => boolean) | null; step: Step; nslots: number } | null = null;

  constructor(
    modules: Module[],
    readonly options: CompilerOptions = {},
  ) {
    this.modules = modules;
    checkModules(modules);
    this.tree = new RuleTree(modules);
    for (const g of this.tree.groups) {
      try {
        this.compileGroup(g);
      } catch (e) {
        if (e instanceof Unsafe) throw new RegoError("rego_unsafe_var_error", `var ${displayVar(e.varName)} is unsafe`, e.loc);
        throw e;
      }
    }
    this.checkRecursion();
  }

  // ------------------------------------------------------------------ groups

  private scopeFor(m: Module | null, group: Group | null): Scope {
    const imports = new Map<string, string[]>();
    if (m) {
      for (const imp of m.imports) {
        const p = refPath(imp.path);
        if (!p) continue;
        if (p[0] === "future") continue;
        const alias = imp.alias ?? p[p.length - 1];
        if (p.length === 1 && alias === p[0]) continue; // `import input` / `import data`
        imports.set(alias, p);
      }
    }
    return { module: m, pkg: m ? m.pkg : ["data"], imports, nslots: 0, slotNames: [], slotLevel: [], group, slotConst: new Map() };
  }

  private compileGroup(g: Group): void {
    if (g.compiled || g.compiling) return;
    g.compiling = true;
    switch (g.kind) {
      case "complete":
        this.compileComplete(g);
        break;
      case "set":
        this.compileSet(g);
        break;
      case "object":
        this.compileObject(g);
        break;
      case "function":
        this.compileFunction(g);
        break;
    }
    g.compiling = false;
    g.compiled = true;
  }

  private compileDefault(g: Group): Ev | null {
    if (g.defaults.length === 0) return null;
    const d = g.defaults[0];
    const scope = this.scopeFor(d.module, g);
    const level: Level = { vars: new Map(), parent: null };
    const bc: BC = { scope, level, bound: new Set(), noBind: new Set() };
    const t = d.rule.value!;
    const bad = invalidDefault(t);
    if (bad)
      throw new RegoError(
        "rego_compile_error",
        `invalid \`${bad.kind}\` in default value: default rule ${g.name} must have a constant ` +
          `value${bad.kind === "membership" ? " (unexpected keyword `in`)" : ""}`,
        bad.loc,
      );
    const p = this.compileTerm(t, bc);
    if (!p.ev) throw new RegoError("rego_compile_error", `default rule ${g.name} value must be ground`, t.loc);
    return p.ev;
  }

  /** compiles one definition (with its else chain): returns a runner calling emit per value */
  private compileDef(g: Group, d: RuleDef, rule: Rule): (c: Ctx, args: Value[] | null, emit: (v: Value) => boolean) => boolean {
    const scope = this.scopeFor(d.module, g);
    const level: Level = { vars: new Map(), parent: null };
    const headTerms: Term[] = [];
    const declared: Term[] = [];
    if (rule.args) for (const a of rule.args) declared.push(a);
    if (rule.value) headTerms.push(rule.value);
    if (rule.key) headTerms.push(rule.key);
    for (const t of rule.ref.slice(1)) if (t.type !== "string") headTerms.push(t);
    // function args are declared locals
    const argNames: string[] = [];
    for (const a of declared) termVars(a, argNames, true);
    for (const n of argNames) if (!level.vars.has(n)) this.newSlot(scope, level, n);
    this.declareBody(rule.body, level, scope, headTerms, argNames);
    const bc: BC = { scope, level, bound: new Set(), noBind: new Set() };
    // arguments
    let bindArgs: ((c: Ctx, f: Frame, args: Value[], k: K) => boolean) | null = null;
    if (rule.args) {
      const us: Unifier[] = rule.args.map((a) => this.compileUnifier(a, bc));
      const n = us.length;
      bindArgs = (c, f, args, k) => {
        const rec = (i: number): boolean => (i === n ? k() : us[i](c, f, args[i], () => rec(i + 1)));
        return rec(0);
      };
    }
    const headSlots = new Set<number>();
    for (const t of headTerms) for (const s of this.slotsOf(t, bc)) headSlots.add(s);
    const bodyX = this.compileBodyX(rule.body, bc, headSlots);
    const body = bodyX.step;

    // head
    let emitPlan: Plan;
    if (g.kind === "set") {
      emitPlan = this.compileHeadTerm(rule.key!, bc);
    } else if (g.kind === "object") {
      const dyn = rule.ref.slice(staticPrefixLen(rule.ref));
      const parts = dyn.map((t) => this.compileHeadTerm(t, bc));
      // `q[a] contains x` (set leaf): the element takes the value's place in the tuple
      const val = rule.key ? this.compileHeadTerm(rule.key, bc) : rule.value ? this.compileHeadTerm(rule.value, bc) : constPlan(true);
      // emit [keys..., value] tuples as arrays
      const all = [...parts, val];
      emitPlan = combine(all, (vals) => vals.slice());
    } else {
      emitPlan = rule.value ? this.compileHeadTerm(rule.value, bc) : constPlan(true);
    }
    const nslotsN = scope.nslots; // final: body and head are compiled
    const nslots = () => nslotsN;
    const fast = !rule.args && !rule.elseRule && g.kind === "complete" ? { test: bodyX.test, step: body, nslots: nslotsN } : null;
    const elseRunner = rule.elseRule ? this.compileDef(g, d, rule.elseRule) : null;
    const gen = emitPlan.gen;
    const ev = emitPlan.ev;
    this.lastDefFast = fast;
    const constHead =
      (g.kind === "set" && rule.key !== null && constOf(rule.key) !== undefined) ||
      (g.kind === "object" &&
        rule.ref.slice(staticPrefixLen(rule.ref)).every((t) => constOf(t) !== undefined) &&
        (rule.key === null || constOf(rule.key) !== undefined) &&
        (rule.value === null || constOf(rule.value) !== undefined));
    if (constHead) {
      const cev = ev!;
      return (c, _args, emit) => {
        const n = nslots();
        const f: Frame = n === 0 ? EMPTY_FRAME : new Array<Value | undefined>(n);
        let any = false;
        body(c, f, () => {
          any = true;
          return true;
        });
        if (any) {
          const v = cev(c, f);
          if (v !== undefined) return emit(v);
        }
        return false;
      };
    }
    // a body of plain tests and a single-valued head: no continuations at all
    const btest = bodyX.test;
    const simpleArgs = rule.args ? rule.args.map((a) => (a.type === "var" ? this.resolveVar(a.name, bc) : null)) : [];
    const argSlots = simpleArgs.every((r) => r !== null && r.kind === "local") ? simpleArgs.map((r) => (r as { slot: number }).slot) : null;
    if (btest !== null && ev !== null && argSlots !== null && new Set(argSlots).size === argSlots.length) {
      const na = argSlots.length;
      return (c, args, emit) => {
        const n = nslots();
        const f: Frame = n === 0 ? EMPTY_FRAME : new Array<Value | undefined>(n);
        for (let i = 0; i < na; i++) f[argSlots[i]] = args![i];
        if (btest(c, f)) {
          const v = ev(c, f);
          if (v !== undefined) return emit(v);
        }
        return elseRunner ? elseRunner(c, args, emit) : false;
      };
    }
    return (c, args, emit) => {
      const n = nslots();
      const f: Frame = n === 0 ? EMPTY_FRAME : new Array<Value | undefined>(n);
      let any = false;
      const onBody: K = ev
        ? () => {
            const v = ev(c, f);
            if (v === undefined) return false;
            any = true;
            return emit(v);
          }
        : () =>
            gen(c, f, (v) => {
              any = true;
              return emit(v);
            });
      const stopped = bindArgs ? bindArgs(c, f, args!, () => body(c, f, onBody)) : body(c, f, onBody);
      if (!any && elseRunner) return elseRunner(c, args, emit);
      return stopped;
    };
  }

  private compileHeadTerm(t: Term, bc: BC): Plan {
    try {
      return this.compileTerm(t, bc);
    } catch (e) {
      if (e instanceof Unsafe) throw new RegoError("rego_unsafe_var_error", `var ${displayVar(e.varName)} is unsafe`, e.loc);
      throw e;
    }
  }

  private compileComplete(g: Group): void {
    const fasts: ({ test: ((c: Ctx, f: Frame) => boolean) | null; step: Step; nslots: number } | null)[] = [];
    const runners = g.defs.map((d) => {
      const r = this.compileDef(g, d, d.rule);
      fasts.push(this.lastDefFast);
      return r;
    });
    const dflt = this.compileDefault(g);
    // all definitions give the same constant value: stop at the first solution
    let constVal: Value | undefined = undefined;
    let allConst = g.defs.length > 0;
    for (const d of g.defs) {
      const v = d.rule.value ? constOf(d.rule.value) : true;
      if (v === undefined || d.rule.elseRule) {
        allConst = false;
        break;
      }
      if (constVal === undefined) constVal = v;
      else if (!equal(constVal, v)) allConst = false;
    }
    const name = g.name;
    if (allConst && constVal !== undefined && fasts.every((x) => x !== null)) {
      // every definition yields the same constant: the first successful body decides
      const cv = constVal;
      const fs = fasts.map((x) => x!);
      g.compute = (c) => {
        for (let i = 0; i < fs.length; i++) {
          const d = fs[i];
          const n = d.nslots;
          const f: Frame = n === 0 ? EMPTY_FRAME : new Array<Value | undefined>(n);
          if (d.test !== null ? d.test(c, f) : d.step(c, f, TRUE_K)) return cv;
        }
        return dflt ? dflt(c, EMPTY_FRAME) : undefined;
      };
      return;
    }
    g.compute = (c) => {
      let result: Value | undefined = undefined;
      const emit = (v: Value): boolean => {
        if (result === undefined) result = v;
        else if (!equal(result, v)) {
          throw new RegoError(
            "eval_conflict_error",
            `complete rules must not produce multiple outputs: rule ${name} produced conflicting values (rules should not ` +
              `produce multiple outputs; rule conflicts with the following rule)`,
          );
        }
        return allConst;
      };
      for (let i = 0; i < runners.length; i++) {
        runners[i](c, null, emit);
        if (allConst && result !== undefined) break;
      }
      if (result === undefined && dflt) result = dflt(c, EMPTY_FRAME);
      return result;
    };
  }

  private compileSet(g: Group): void {
    const runners = g.defs.map((d) => this.compileDef(g, d, d.rule));
    g.compute = (c) => {
      const s = new RegoSet();
      const emit = (v: Value): boolean => {
        s.add(v);
        return false;
      };
      for (const r of runners) r(c, null, emit);
      return s;
    };
  }

  private compileObject(g: Group): void {
    const runners = g.defs.map((d) => this.compileDef(g, d, d.rule));
    const name = g.name;
    // `default p[k] := v` with constant keys: entries used when no rule defines the key
    const defaults: Value[][] = [];
    for (const d of g.defaults) {
      const parts = [...d.rule.ref.slice(staticPrefixLen(d.rule.ref)), d.rule.value!].map((t) => constOf(t));
      if (parts.some((p) => p === undefined))
        throw new RegoError("rego_compile_error", `default rule ${name} must have constant keys and value`, d.rule.loc);
      defaults.push(parts as Value[]);
    }
    const setLeaf = g.defs.map((d) => d.rule.key !== null);
    g.compute = (c) => {
      const root = new NestedBuilder(name);
      const emit = (v: Value): boolean => {
        root.insert(v as Value[], 0);
        return false;
      };
      const emitSet = (v: Value): boolean => {
        root.insertSet(v as Value[], 0);
        return false;
      };
      for (let i = 0; i < runners.length; i++) runners[i](c, null, setLeaf[i] ? emitSet : emit);
      for (const d of defaults) if (!root.has(d)) root.insert(d, 0);
      return root.build();
    };
  }

  private compileFunction(g: Group): void {
    const runners = g.defs.map((d) => this.compileDef(g, d, d.rule));
    const dflt = this.compileDefault(g);
    const name = g.name;
    g.call = (c, args) => {
      if (++c.depth > c.maxDepth) throw new RegoError("eval_limit_error", `maximum call depth ${c.maxDepth} exceeded in ${name}`);
      let result: Value | undefined = undefined;
      const emit = (v: Value): boolean => {
        if (result === undefined) result = v;
        else if (!equal(result, v)) {
          throw new RegoError(
            "eval_conflict_error",
            `functions must not produce multiple outputs for same inputs: function ${name} produced conflicting values for the same inputs`,
          );
        }
        return false;
      };
      for (const r of runners) r(c, args, emit);
      c.depth--;
      if (result === undefined && dflt) result = dflt(c, EMPTY_FRAME);
      return result;
    };
  }

  // ------------------------------------------------------------------ recursion

  private checkRecursion(): void {
    const state = new Map<Group, number>();
    const stack: Group[] = [];
    const visit = (g: Group): void => {
      const s = state.get(g);
      if (s === 2) return;
      if (s === 1) {
        const i = stack.indexOf(g);
        const cycle = [...stack.slice(i), g].map((x) => x.name).join(" -> ");
        const loc = g.defs[0]?.rule.loc ?? g.defaults[0]?.rule.loc;
        throw new RegoError("rego_recursion_error", `rule ${g.name} is recursive: ${cycle} (recursion detected)`, loc);
      }
      state.set(g, 1);
      stack.push(g);
      for (const d of g.deps) visit(d);
      stack.pop();
      state.set(g, 2);
    };
    for (const g of this.tree.groups) visit(g);
  }

  private addDep(bc: BC, g: Group): void {
    if (bc.scope.group) bc.scope.group.deps.add(g);
  }

  private addNodeDeps(bc: BC, n: TreeNode): void {
    if (!bc.scope.group) return;
    const walk = (x: TreeNode): void => {
      if (x.group && x.group.kind !== "function") bc.scope.group!.deps.add(x.group);
      for (const ch of x.children.values()) walk(ch);
    };
    walk(n);
  }

  // ------------------------------------------------------------------ scopes

  private newSlot(scope: Scope, level: Level, name: string): number {
    const s = scope.nslots++;
    scope.slotNames.push(name);
    scope.slotLevel.push(level);
    level.vars.set(name, s);
    return s;
  }

  private resolveGlobal(name: string, scope: Scope): Resolved | null {
    if (name === "input") return { kind: "root", root: "input", path: [] };
    if (name === "data") return { kind: "root", root: "data", path: [] };
    const imp = scope.imports.get(name);
    if (imp) return { kind: "root", root: imp[0] as "input" | "data", path: imp.slice(1) };
    if (scope.module) {
      const pkgNode = this.tree.find(scope.pkg);
      if (pkgNode && pkgNode.children.has(name)) return { kind: "root", root: "data", path: [...scope.pkg.slice(1), name] };
    }
    return null;
  }

  private resolveVar(name: string, bc: BC): Resolved | null {
    for (let l: Level | null = bc.level; l; l = l.parent) {
      const s = l.vars.get(name);
      if (s !== undefined) return { kind: "local", slot: s };
    }
    return this.resolveGlobal(name, bc.scope);
  }

  private isDeclaredInChain(name: string, level: Level): boolean {
    for (let l: Level | null = level; l; l = l.parent) if (l.vars.has(name)) return true;
    return false;
  }

  /** declares the variables of a body at `level` */
  private declareBody(body: Expr[], level: Level, scope: Scope, extra: Term[], params: string[] = [], isQuery = false): void {
    if (!isQuery) checkUnusedSome(body, extra);
    const declared: string[] = [];
    const used: string[] = [];
    const declSoFar = new Set<string>(params);
    const paramSet = new Set<string>(params);
    const someNames = new Set<string>();
    const usedSoFar = new Set<string>();
    const comprsSoFar: Term[] = [];
    for (const e of body) {
      const d0 = declared.length;
      const u0 = used.length;
      switch (e.kind) {
        case "some":
          for (const v of e.vars) if (v.type === "var") declared.push(v.name);
          break;
        case "assign":
          // OPA (rewriteDeclaredAssignment): only variables, arrays and objects can be assigned
          if (e.left.type !== "var" && e.left.type !== "array" && e.left.type !== "object") {
            const detail = `cannot assign to ${e.left.type}: assignment operator := requires left-hand side to have bindable variables`;
            throw new RegoError("rego_compile_error", detail, e.loc);
          }
          termVars(e.left, declared, true);
          termVars(e.right, used, false);
          break;
        case "somein":
          if (e.key) termVars(e.key, declared, true);
          termVars(e.value, declared, true);
          termVars(e.collection, used, false);
          break;
        case "every":
          termVars(e.domain, used, false);
          break;
        case "term":
          termVars(e.term, used, false);
          break;
        case "unify":
          termVars(e.left, used, false);
          termVars(e.right, used, false);
          break;
      }
      for (const w of e.with) {
        // `with f as g`: g may name a builtin, not a variable
        if (w.value.type === "var" && (BUILTINS.has(w.value.name) || FALLBACK_BUILTINS.has(w.value.name))) continue;
        termVars(w.value, used, false);
      }
      const here: Term[] = [];
      switch (e.kind) {
        case "term":
          outerComprehensions(e.term, here);
          break;
        case "unify":
        case "assign":
          outerComprehensions(e.left, here);
          outerComprehensions(e.right, here);
          break;
        case "somein":
          outerComprehensions(e.collection, here);
          break;
        case "every":
          outerComprehensions(e.domain, here);
          break;
      }
      for (const w of e.with) outerComprehensions(w.value, here);
      comprsSoFar.push(...here);
      for (let i = d0; i < declared.length; i++) {
        const n = declared[i];
        if (n.startsWith("$") || declSoFar.has(n) || this.isDeclaredInChain(n, level)) continue;
        // comprehensions up to this declaration keep their own `n`
        for (const c of comprsSoFar) {
          const inner: string[] = [];
          termVars(c, inner, true, true);
          if (!inner.includes(n)) continue;
          const prev = COMPR_SHADOW.get(c);
          COMPR_SHADOW.set(c, new Set([...(prev ?? []), n]));
        }
      }
      for (let i = d0; i < declared.length; i++) {
        const n = declared[i];
        if (n.startsWith("$")) continue;
        if ((n === "input" || n === "data") && scope.module?.regoV1) {
          throw new RegoError(
            "rego_compile_error",
            `variables must not shadow ${n} (use a different variable name; ${n} cannot be shadowed)`,
            e.loc,
          );
        }
        // OPA's rewriteDeclaredVar: every declaration (`:=`, `some x`, `some x in xs`) must be the
        // first occurrence of its name in the body; the error says how the name occurred before
        if (declSoFar.has(n) || usedSoFar.has(n)) {
          const how = paramSet.has(n) ? null : declSoFar.has(n) ? (someNames.has(n) ? "declared" : "assigned") : "referenced";
          const msg = how === null ? `arg ${n} redeclared` : `var ${n} ${how} above`;
          throw new RegoError("rego_compile_error", `${msg} (var \`${n}\` used before definition below)`, e.loc);
        }
        declSoFar.add(n);
        if (e.kind === "some" || e.kind === "somein") someNames.add(n);
      }
      for (let i = u0; i < used.length; i++) usedSoFar.add(used[i]);
    }
    for (const t of extra) termVars(t, used, false);
    for (const n of declared) if (!level.vars.has(n)) this.newSlot(scope, level, n);
    for (const n of used) {
      if (level.vars.has(n) || this.isDeclaredInChain(n, level)) continue;
      if (this.resolveGlobal(n, scope)) continue;
      this.newSlot(scope, level, n);
    }
  }

  /** slots of the current level used anywhere in a term/expr */
  private slotsOf(t: Term | Expr, bc: BC): number[] {
    const names: string[] = [];
    if ("kind" in t) exprVarsDeep(t, names);
    else termVars(t, names, true, true);
    const out: number[] = [];
    for (const n of names) {
      const s = bc.level.vars.get(n);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  // ------------------------------------------------------------------ bodies

  compileBody(body: Expr[], bc: BC, extraOther: Set<number>): Step {
    return this.compileBodyX(body, bc, extraOther).step;
  }

  /** body as a step, plus a plain test when every expression is a test */
  compileBodyX(body: Expr[], bc: BC, extraOther: Set<number>): { step: Step; test: ((c: Ctx, f: Frame) => boolean) | null } {
    const remaining = body.slice();
    const compiled: CExpr[] = [];
    const slotSets = new Map<Expr, number[]>();
    for (const e of remaining) slotSets.set(e, this.slotsOf(e, bc));
    let lenient = false;
    while (remaining.length > 0) {
      let progressed = false;
      for (let i = 0; i < remaining.length; i++) {
        const e = remaining[i];
        const other = new Set<number>(extraOther);
        if (!lenient) {
          for (const o of remaining) if (o !== e) for (const s of slotSets.get(o)!) other.add(s);
        }
        const saved = new Set(bc.bound);
        try {
          const ce = this.compileExpr(e, { scope: bc.scope, level: bc.level, bound: bc.bound, noBind: other });
          compiled.push(ce);
          remaining.splice(i, 1);
          progressed = true;
          lenient = false;
          break;
        } catch (err) {
          if (!(err instanceof Unsafe)) throw err;
          bc.bound.clear();
          for (const s of saved) bc.bound.add(s);
        }
      }
      if (!progressed) {
        if (!lenient) {
          lenient = true;
          continue;
        }
        // report the first unsafe variable; a variable of an enclosing body may
        // still be bound there later, so let the enclosing scheduler retry
        const e = remaining[0];
        try {
          this.compileExpr(e, { scope: bc.scope, level: bc.level, bound: new Set(bc.bound), noBind: new Set() });
        } catch (err) {
          if (err instanceof Unsafe) {
            for (const r of remaining) {
              for (const name of this.unboundOuterVars(r, bc)) throw new Unsafe(name, r.loc);
            }
            throw new RegoError("rego_unsafe_var_error", `var ${displayVar(err.varName)} is unsafe`, err.loc);
          }
          throw err;
        }
        throw new RegoError("rego_unsafe_var_error", "body is unsafe", e.loc);
      }
    }
    const allTests = compiled.every((x) => x.test !== null);
    let test: ((c: Ctx, f: Frame) => boolean) | null = null;
    if (allTests) {
      test = compiled.length === 0 ? () => true : andTests(compiled.map((x) => x.test!));
      if (compiled.length > 0 && compiled.every((x) => x.js))
        test =
          jitTests(
            compiled.map((x) => x.js!),
            test,
          ) ?? test;
    }
    return { step: chainExprs(compiled), test };
  }

  private compileExpr(e: Expr, bc: BC): CExpr {
    if (e.with.length > 0) return this.compileWith(e, bc);
    if (e.negated && e.kind === "term" && isHoistable(e.term)) {
      // OPA's rewriteDynamicTerms evaluates reference and call operands of a call
      // before the call, outside the negation: `not f(x.y)` and `not x.y == 1` are
      // undefined, not true, when x.y is undefined (plain `not x.y` is true).
      const pre: CExpr[] = [];
      const hoist = (a: Term): Term => {
        if (a.type !== "ref" && !(a.type === "call" && !SPECIAL_CALLS.has(a.name)) && a.type !== "membership") return a;
        const p = this.attempt(bc, () => this.compileTerm(a, bc));
        if (!p) return a;
        const name = `$dyn${this.wildcard++}`;
        const slot = this.newSlot(bc.scope, bc.level, name);
        bc.bound.add(slot);
        const gen = p.gen;
        const ev = p.ev;
        const test = ev
          ? (c: Ctx, f: Frame): boolean => {
              const v = ev(c, f);
              if (v === undefined) return false;
              f[slot] = v;
              return true;
            }
          : null;
        pre.push({ test, step: (c, f, k) => gen(c, f, (v) => ((f[slot] = v), k())) });
        return { type: "var", name, loc: a.loc };
      };
      const t = e.term;
      const term: Term =
        t.type === "call"
          ? { ...t, args: t.args.map(hoist) }
          : t.type === "membership"
            ? { ...t, key: t.key ? hoist(t.key) : null, value: hoist(t.value), collection: hoist(t.collection) }
            : t;
      if (pre.length > 0) {
        const rest = this.compileExpr({ ...e, term }, bc);
        const all = [...pre, rest];
        const tests = all.every((x) => x.test !== null) ? andTests(all.map((x) => x.test!)) : null;
        return { test: tests, step: tests ? testStep(tests) : chainExprs(all) };
      }
    }
    if (e.negated) {
      const inner = this.compileExprInner(e, { scope: bc.scope, level: bc.level, bound: new Set(bc.bound), noBind: bc.noBind });
      if (inner.test) {
        const t = inner.test;
        const test = (c: Ctx, f: Frame): boolean => !t(c, f);
        return { test, step: testStep(test) };
      }
      const s = inner.step;
      const test = (c: Ctx, f: Frame): boolean => !s(c, f, TRUE_K);
      return { test, step: testStep(test) };
    }
    return this.compileExprInner(e, bc.noBind.size === 0 ? bc : { scope: bc.scope, level: bc.level, bound: bc.bound, noBind: NO_SLOTS });
  }

  private compileExprInner(e: Expr, bc: BC): CExpr {
    switch (e.kind) {
      case "some":
        return { test: () => true, step: (_c, _f, k) => k() };
      case "term":
        return this.compileTermExpr(e.term, bc);
      case "unify":
        return this.compileUnify(e.left, e.right, bc, e.loc);
      case "assign": {
        const names: string[] = [];
        termVars(e.left, names, true);
        for (const n of names) {
          const r = this.resolveVar(n, bc);
          if (r && r.kind === "local" && bc.bound.has(r.slot) && bc.scope.slotLevel[r.slot] === bc.level) {
            throw new RegoError("rego_compile_error", `var ${n} assigned above (var \`${n}\` used before definition below)`, e.loc);
          }
        }
        if (e.left.type !== "var" && e.left.type !== "array" && e.left.type !== "object") {
          throw new RegoError(
            "rego_compile_error",
            `cannot assign to ${e.left.type}: assignment operator := requires left-hand side to have bindable variables`,
            e.loc,
          );
        }
        if (e.left.type === "var") {
          // OPA's type checker knows `x`'s type from here on (`x := 1; count(x)` is a type error)
          const k = constOf(e.right);
          const r = this.resolveVar(e.left.name, bc);
          if (k !== undefined && r && r.kind === "local") bc.scope.slotConst.set(r.slot, k);
        }
        return this.compileUnify(e.left, e.right, bc, e.loc);
      }
      case "somein":
        return this.compileSomeIn(e.key, e.value, e.collection, bc);
      case "every":
        return this.compileEvery(e, bc);
    }
  }

  private compileTermExpr(t: Term, bc: BC): CExpr {
    // print is a statement: only here may it appear (OPA: checkVoidCalls)
    if (t.type === "call" && (t.name === "print" || t.name === "internal.print")) this.printStatements.add(t.loc);
    // a call with an output argument, e.g. count(x, n)
    if (t.type === "call") {
      const out = this.callWithOutput(t, bc);
      if (out) return out;
      const fast = this.relationalConstTest(t, bc);
      if (fast) return { test: fast.test, step: testStep(fast.test), js: fast.js };
    }
    const p = this.compileTerm(t, bc);
    if (p.ev) {
      const ev = p.ev;
      const test = (c: Ctx, f: Frame): boolean => {
        const v = ev(c, f);
        return v !== undefined && v !== false;
      };
      const pjs = p.js;
      return { test, step: testStep(test), js: pjs ? (e) => `${e.h(truthy)}(${pjs(e)})` : undefined };
    }
    const gen = p.gen;
    return { test: null, step: (c, f, k) => gen(c, f, (v) => (v === false ? false : k())) };
  }

  /** `x == "lit"`, `x > 3`, ...: a test without calls or allocation (hot path of simple policies) */
  private relationalConstTest(t: Extract<Term, { type: "call" }>, bc: BC): { test: (c: Ctx, f: Frame) => boolean; js?: JsGen } | null {
    if (!t.infix || !RELATIONAL.has(t.name) || t.args.length !== 2) return null;
    let [l, r] = t.args;
    let name = t.name;
    let k = constOf(r);
    if (k === undefined || (typeof k === "object" && k !== null)) {
      const lk = constOf(l);
      if (lk === undefined || (typeof lk === "object" && lk !== null)) return null;
      // constant on the left: mirror the comparison
      [l, r] = [r, l];
      k = lk;
      name = ({ lt: "gt", gt: "lt", lte: "gte", gte: "lte" } as Record<string, string>)[name] ?? name;
    }
    const saved = new Set(bc.bound);
    const p = this.attempt(bc, () => this.compileTerm(l, bc));
    if (!p || !p.ev) {
      bc.bound.clear();
      for (const s of saved) bc.bound.add(s);
      return null;
    }
    const ev = p.ev;
    const K = k;
    const pjs = p.js;
    const withJs = (test: (c: Ctx, f: Frame) => boolean, js: JsGen | undefined) => ({ test, js });
    const fn = this.resolveBuiltin(name)!;
    const mocked = this.makeCaller(fn, t);
    const slow = relational(name);
    const viaMock = (c: Ctx, x: Value): boolean => {
      const v = mocked(c, [x, K]);
      return v !== undefined && v !== false;
    };
    const constCmp = relConstHelper(name, K);
    const js: JsGen | undefined = pjs ? (e) => (name === "equal" ? `${pjs(e)} === ${e.k(K)}` : `${e.h(constCmp)}(${pjs(e)})`) : undefined;
    switch (name) {
      case "equal":
        return withJs((c, f) => {
          const x = ev(c, f);
          if (c.mocks !== null && x !== undefined) return viaMock(c, x);
          return x === K;
        }, js);
      case "neq":
        return withJs((c, f) => {
          const x = ev(c, f);
          if (x === undefined) return false;
          if (c.mocks !== null) return viaMock(c, x);
          return x !== K;
        }, js);
      default: {
        const numeric = typeof K === "number";
        return withJs((c, f) => {
          const x = ev(c, f);
          if (x === undefined) return false;
          if (c.mocks !== null) return viaMock(c, x);
          if (numeric && typeof x === "number") {
            switch (name) {
              case "lt":
                return x < (K as number);
              case "lte":
                return x <= (K as number);
              case "gt":
                return x > (K as number);
              default:
                return x >= (K as number);
            }
          }
          return slow(x, K);
        }, js);
      }
    }
  }

  private compileUnify(a: Term, b: Term, bc: BC, loc: Location): CExpr {
    checkLiteralShapes(a, b, loc);
    // evaluable left?
    const pa = this.attempt(bc, () => this.compileTerm(a, bc));
    if (pa) {
      const pb = this.attempt(bc, () => this.compileTerm(b, bc));
      if (pb) {
        if (pa.ev && pb.ev) {
          const ea = pa.ev;
          const eb = pb.ev;
          const test = (c: Ctx, f: Frame): boolean => {
            const x = ea(c, f);
            if (x === undefined) return false;
            const y = eb(c, f);
            return y !== undefined && equal(x, y);
          };
          return { test, step: testStep(test) };
        }
        const ga = pa.gen;
        const gb = pb.gen;
        return { test: null, step: (c, f, k) => ga(c, f, (x) => gb(c, f, (y) => (equal(x, y) ? k() : false))) };
      }
      const ub = this.compileUnifier(b, bc);
      return deterministicUnify(pa, ub, b);
    }
    const pb = this.attempt(bc, () => this.compileTerm(b, bc));
    if (pb) {
      const ua = this.compileUnifier(a, bc);
      return deterministicUnify(pb, ua, a);
    }
    // both sides are patterns
    if (a.type === "array" && b.type === "array" && a.items.length === b.items.length) {
      const pairs = a.items.map((x, i) => [x, b.items[i]] as const);
      const steps: CExpr[] = [];
      const rem = pairs.slice();
      while (rem.length) {
        let ok = false;
        for (let i = 0; i < rem.length; i++) {
          const r = this.attempt(bc, () => this.compileUnify(rem[i][0], rem[i][1], bc, loc));
          if (r) {
            steps.push(r);
            rem.splice(i, 1);
            ok = true;
            break;
          }
        }
        if (!ok) return this.compileUnify(rem[0][0], rem[0][1], bc, loc);
      }
      return { test: null, step: chainExprs(steps) };
    }
    if (a.type === "object" && b.type === "object" && a.items.length === b.items.length) {
      const bk = new Map<string, Term>();
      for (const [k, v] of b.items) {
        const kv = constOf(k);
        if (kv === undefined) break;
        bk.set(canonicalKey(kv), v);
      }
      const steps: CExpr[] = [];
      let ok = bk.size === b.items.length;
      for (const [k, v] of a.items) {
        const kv = constOf(k);
        const other = kv === undefined ? undefined : bk.get(canonicalKey(kv));
        if (!other) {
          ok = false;
          break;
        }
        steps.push(this.compileUnify(v, other, bc, loc));
      }
      if (ok) return { test: null, step: chainExprs(steps) };
      return { test: () => false, step: () => false };
    }
    // report
    this.compileTerm(a, bc);
    throw new Unsafe(this.firstUnbound([a, b], bc) ?? "?", loc);
  }

  private attempt<T>(bc: BC, fn: () => T): T | null {
    const saved = new Set(bc.bound);
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof Unsafe)) throw e;
      bc.bound.clear();
      for (const s of saved) bc.bound.add(s);
      return null;
    }
  }

  /** a pattern that receives a value, binding its unbound variables */
  private compileUnifier(t: Term, bc: BC): Unifier {
    if (t.type === "var") {
      const r = this.resolveVar(t.name, bc);
      if (r && r.kind === "local") {
        const s = r.slot;
        if (bc.bound.has(s)) {
          return (_c, f, v, k) => (equal(f[s]!, v) ? k() : false);
        }
        this.checkBind(s, t, bc);
        bc.bound.add(s);
        return (_c, f, v, k) => {
          f[s] = v;
          return k();
        };
      }
    }
    const p = this.attempt(bc, () => this.compileTerm(t, bc));
    if (p) {
      if (p.ev) {
        const ev = p.ev;
        return (c, f, v, k) => {
          const x = ev(c, f);
          return x !== undefined && equal(x, v) ? k() : false;
        };
      }
      const gen = p.gen;
      return (c, f, v, k) => gen(c, f, (x) => (equal(x, v) ? k() : false));
    }
    if (t.type === "array") {
      const n = t.items.length;
      const us: Unifier[] = [];
      for (const it of t.items) us.push(this.compileUnifier(it, bc));
      return (c, f, v, k) => {
        if (!Array.isArray(v) || v.length !== n) return false;
        const rec = (i: number): boolean => (i === n ? k() : us[i](c, f, v[i], () => rec(i + 1)));
        return rec(0);
      };
    }
    if (t.type === "object") {
      const keys: Ev[] = [];
      const us: Unifier[] = [];
      for (const [kt, vt] of t.items) {
        const kp = this.compileTerm(kt, bc);
        if (!kp.ev) throw new Unsafe(firstVar(kt) ?? "?", kt.loc);
        keys.push(kp.ev);
        us.push(this.compileUnifier(vt, bc));
      }
      const n = keys.length;
      return (c, f, v, k) => {
        if (!isObj(v)) return false;
        if (objSize(v) !== n) return false;
        const rec = (i: number): boolean => {
          if (i === n) return k();
          const key = keys[i](c, f);
          if (key === undefined) return false;
          const x = getKey(v, key);
          return x === undefined ? false : us[i](c, f, x, () => rec(i + 1));
        };
        return rec(0);
      };
    }
    // not evaluable and not a pattern: report its unsafe var
    this.compileTerm(t, bc);
    throw new Unsafe(this.firstUnbound([t], bc) ?? "?", t.loc);
  }

  /** variables of an expression that belong to an enclosing body and are not bound yet */
  private unboundOuterVars(e: Expr, bc: BC): string[] {
    if (bc.level.parent === null) return [];
    const names: string[] = [];
    exprVarsDeep(e, names);
    const out: string[] = [];
    for (const n of names) {
      const r = this.resolveVar(n, bc);
      if (r && r.kind === "local" && !bc.bound.has(r.slot) && bc.scope.slotLevel[r.slot] !== bc.level) out.push(n);
    }
    return out;
  }

  /** name of the first variable of the terms that is not bound yet (for error messages) */
  private firstUnbound(ts: Term[], bc: BC): string | null {
    const names: string[] = [];
    for (const t of ts) termVars(t, names, true);
    for (const n of names) {
      const r = this.resolveVar(n, bc);
      if (!r || (r.kind === "local" && !bc.bound.has(r.slot))) return n;
    }
    return null;
  }

  private checkBind(slot: number, t: Term, bc: BC): void {
    if (bc.scope.slotLevel[slot] !== bc.level || bc.noBind.has(slot)) {
      throw new Unsafe(bc.scope.slotNames[slot], t.loc);
    }
  }

  private compileSomeIn(key: Term | null, value: Term, coll: Term, bc: BC): CExpr {
    checkCollectionLiteral(coll, "`some .. in collection`");
    if ((coll.type === "array" || coll.type === "set") && coll.items.length > 0) {
      // a static shape mismatch is an error only when no element can match
      let first: unknown = null;
      let ok = false;
      for (const it of coll.items) {
        try {
          checkLiteralShapes(value, it, value.loc);
          ok = true;
        } catch (e) {
          first ??= e;
        }
      }
      if (!ok) throw first;
    }
    const cp = this.compileTerm(coll, bc);
    const uk = key ? this.compileUnifier(key, bc) : null;
    const uv = this.compileUnifier(value, bc);
    const gen = cp.gen;
    const step: Step = (c, f, k) =>
      gen(c, f, (cv) => iterate(c, cv, (kk, vv) => (uk ? uk(c, f, kk, () => uv(c, f, vv, k)) : uv(c, f, vv, k))));
    return { test: null, step };
  }

  private compileEvery(e: Extract<Expr, { kind: "every" }>, bc: BC): CExpr {
    const dp = this.compileTerm(e.domain, bc);
    const level: Level = { vars: new Map(), parent: bc.level };
    const declared: string[] = [];
    if (e.key) termVars(e.key, declared, true);
    termVars(e.value, declared, true);
    for (const n of declared) this.newSlot(bc.scope, level, n);
    this.declareBody(e.body, level, bc.scope, []);
    const inner: BC = { scope: bc.scope, level, bound: new Set(bc.bound), noBind: new Set() };
    const uk = e.key ? this.compileUnifier(e.key, inner) : null;
    const uv = this.compileUnifier(e.value, inner);
    const body = this.compileBody(e.body, inner, new Set());
    const gen = dp.gen;
    const test = (c: Ctx, f: Frame): boolean => {
      let ok = false;
      gen(c, f, (dom) => {
        if (typeof dom !== "object" || dom === null) return false;
        ok = true;
        const failed = iterate(c, dom, (kk, vv) => {
          const found = uk ? uk(c, f, kk, () => uv(c, f, vv, () => body(c, f, TRUE_K))) : uv(c, f, vv, () => body(c, f, TRUE_K));
          return !found;
        });
        if (failed) ok = false;
        return true;
      });
      return ok;
    };
    return { test, step: testStep(test) };
  }

  // ------------------------------------------------------------------ with

  private compileWith(e: Expr, bc: BC): CExpr {
    type Mod =
      | { kind: "input"; path: string[]; ev: Ev }
      | { kind: "data"; path: string[]; ev: Ev }
      | { kind: "mock"; name: string; target: (c: Ctx, f: Frame) => MockTarget };
    const mods: Mod[] = [];
    for (const w of e.with) mods.push(this.compileWithMod(w, bc) as Mod);
    const inner = this.compileExpr({ ...e, with: [] }, bc);
    const innerStep = inner.step;
    const step: Step = (c, f, k) => {
      const saved = { input: c.input, data: c.data, patches: c.patches, mocks: c.mocks, memo: c.memo };
      for (const m of mods) {
        if (m.kind === "mock") {
          const mocks = new Map(c.mocks ?? []);
          mocks.set(m.name, m.target(c, f));
          c.mocks = mocks;
          continue;
        }
        const v = m.ev(c, f);
        if (v === undefined) {
          restore(c, saved);
          return false;
        }
        if (m.kind === "input") c.input = upsert(c.input, m.path, v);
        else {
          c.data = upsert(c.data, m.path, v);
          c.patches = [...(c.patches ?? []), { path: ["data", ...m.path], value: v }];
        }
      }
      c.memo = new Array(c.memo.length).fill(NOT_COMPUTED);
      const mine = { input: c.input, data: c.data, patches: c.patches, mocks: c.mocks, memo: c.memo };
      const r = innerStep(c, f, () => {
        restore(c, saved);
        const r2 = k();
        restore(c, mine);
        return r2;
      });
      restore(c, saved);
      return r;
    };
    return { test: null, step };
  }

  private compileWithMod(w: With, bc: BC): unknown {
    const t = w.target;
    const path = refPath(t);
    if (!path) throw new RegoError("rego_compile_error", "with target must be a reference to input, data or a function", w.loc);
    if (path[0] === "input") {
      const vp = this.compileTerm(w.value, bc);
      if (!vp.ev) throw new RegoError("rego_compile_error", "with value must not contain unbound variables", w.loc);
      return { kind: "input", path: path.slice(1), ev: vp.ev };
    }
    // function targets
    const fname = path.join(".");
    checkWithBuiltinTarget(fname, w);
    const fn = this.resolveFunction(fname, bc);
    if (fn) {
      const target = this.mockTargetFor(w.value, bc);
      return { kind: "mock", name: fn.name, target };
    }
    if (path[0] === "data") {
      this.checkWholeVirtualDocs(path.slice(1), w);
      const vp = this.compileTerm(w.value, bc);
      if (!vp.ev) throw new RegoError("rego_compile_error", "with value must not contain unbound variables", w.loc);
      return { kind: "data", path: path.slice(1), ev: vp.ev };
    }
    const r = this.resolveGlobal(path[0], bc.scope);
    if (r && r.kind === "root") {
      const full = [...r.path, ...path.slice(1)];
      if (r.root === "data") this.checkWholeVirtualDocs(full, w);
      const vp = this.compileTerm(w.value, bc);
      if (!vp.ev) throw new RegoError("rego_compile_error", "with value must not contain unbound variables", w.loc);
      return { kind: r.root, path: full, ev: vp.ev };
    }
    throw new RegoError("rego_type_error", `with keyword target must reference existing input, data, or a function (${fname})`, w.loc);
  }

  /** OPA's validateWith: a `with` below a rule's path would replace part of a virtual document. */
  private checkWholeVirtualDocs(path: readonly string[], w: With): void {
    let node = this.tree.root;
    for (let i = 0; i < path.length - 1; i++) {
      const ch = node.children.get(path[i]!);
      if (!ch) return;
      if (ch.group) throw new RegoError("rego_compile_error", "with keyword cannot partially replace virtual document(s)", w.loc);
      node = ch;
    }
  }

  private mockTargetFor(v: Term, bc: BC): (c: Ctx, f: Frame) => MockTarget {
    const path = refPath(v);
    if (path) {
      const local = v.type === "var" ? this.resolveVar(v.name, bc) : null;
      if (!local || local.kind !== "local") {
        const fn = this.resolveFunction(path.join("."), bc);
        if (fn) {
          // a builtin as replacement reports its errors like any builtin call (strict: error, else undefined)
          const inner = fn.call;
          const name = fn.name;
          const call = fn.builtin ? (c: Ctx, args: Value[]) => callBuiltin(c, name, inner, args, v.loc) : inner;
          const mt: MockTarget = { kind: "func", call };
          return () => mt;
        }
      }
    }
    const p = this.compileTerm(v, bc);
    if (!p.ev) throw new RegoError("rego_compile_error", "with value must not contain unbound variables", v.loc);
    const ev = p.ev;
    return (c, f) => ({ kind: "value", value: ev(c, f) ?? null });
  }

  // ------------------------------------------------------------------ terms

  compileTerm(t: Term, bc: BC): Plan {
    switch (t.type) {
      case "null":
        return constPlan(null);
      case "boolean":
        return constPlan(t.value);
      case "number":
        return constPlan(parseNumber(t.text, t.loc));
      case "string":
        return constPlan(t.value);
      case "var": {
        const r = this.resolveVar(t.name, bc);
        if (!r) throw new Unsafe(t.name, t.loc);
        if (r.kind === "local") {
          const s = r.slot;
          if (!bc.bound.has(s)) throw new Unsafe(t.name, t.loc);
          return evPlan((_c, f) => f[s]);
        }
        return this.compileRootRef(
          r.root,
          r.path.map((p) => strTerm(p, t.loc)),
          bc,
          t.loc,
        );
      }
      case "ref":
        return this.compileRef(t, bc);
      case "array": {
        const plans = t.items.map((x) => this.compileTerm(x, bc));
        return combine(plans, (vals) => vals.slice());
      }
      case "set": {
        const plans = t.items.map((x) => this.compileTerm(x, bc));
        return combine(plans, (vals) => new RegoSet(vals));
      }
      case "object": {
        // constant, distinct, ordinary string keys: build a plain object directly
        const keys = t.items.map(([k]) => (k.type === "string" ? k.value : null));
        if (keys.every((k) => k !== null && k !== "__proto__") && new Set(keys).size === keys.length) {
          const names = keys as string[];
          const vplans = t.items.map(([, v]) => this.compileTerm(v, bc));
          return combine(vplans, (vals) => {
            const o: PlainObject = {};
            for (let i = 0; i < names.length; i++) o[names[i]] = vals[i];
            return o;
          });
        }
        const plans: Plan[] = [];
        for (const [k, v] of t.items) {
          plans.push(this.compileTerm(k, bc));
          plans.push(this.compileTerm(v, bc));
        }
        return combine(plans, (vals) => {
          const ob = new ObjectBuilder("object");
          for (let i = 0; i < vals.length; i += 2) {
            // a duplicate key in a literal: the later one wins, as OPA's object insert does
            ob.put(vals[i], vals[i + 1]);
          }
          return ob.build();
        });
      }
      case "arraycompr":
      case "setcompr":
      case "objectcompr":
        return this.compileComprehension(t, bc);
      case "call":
        return this.compileCall(t, bc);
      case "membership":
        return this.compileMembership(t, bc);
    }
  }

  private compileMembership(t: Extract<Term, { type: "membership" }>, bc: BC): Plan {
    const kp = t.key ? this.compileTerm(t.key, bc) : null;
    const vp = this.compileTerm(t.value, bc);
    const cp = this.compileTerm(t.collection, bc);
    const plans = kp ? [kp, vp, cp] : [vp, cp];
    return combine(plans, (vals) => {
      if (kp) {
        const [k, v, coll] = vals;
        if (coll instanceof RegoSet) return equal(k, v) && coll.has(v);
        const x = getKey(coll, k);
        return x !== undefined && equal(x, v);
      }
      return member(vals[0], vals[1]);
    });
  }

  private compileComprehension(t: Extract<Term, { type: "arraycompr" | "setcompr" | "objectcompr" }>, bc: BC): Plan {
    const level: Level = { vars: new Map(), parent: bc.level };
    for (const n of COMPR_SHADOW.get(t) ?? []) this.newSlot(bc.scope, level, n);
    const heads = t.type === "objectcompr" ? [t.key, t.value] : [t.head];
    this.declareBody(t.body, level, bc.scope, heads);
    const inner: BC = { scope: bc.scope, level, bound: new Set(bc.bound), noBind: new Set() };
    const body = this.compileBody(t.body, inner, new Set());
    if (t.type === "objectcompr") {
      const kp = this.compileTerm(t.key, inner);
      const vp = this.compileTerm(t.value, inner);
      const pair = combine([kp, vp], (vals) => vals.slice());
      const g = pair.gen;
      return evPlan((c, f) => {
        const ob = new ObjectBuilder("object comprehension");
        body(c, f, () =>
          g(c, f, (kv) => {
            const [k, v] = kv as Value[];
            ob.set(k, v);
            return false;
          }),
        );
        return ob.build();
      });
    }
    const hp = this.compileTerm(t.head, inner);
    const hg = hp.gen;
    const hev = hp.ev;
    // Array and set comprehensions differ only in the collection the head's values go into.
    const collect = <C extends Value>(make: () => C, add: (out: C, v: Value) => void) =>
      evPlan((c, f) => {
        const out = make();
        body(
          c,
          f,
          hev
            ? () => {
                const v = hev(c, f);
                if (v !== undefined) add(out, v);
                return false;
              }
            : () =>
                hg(c, f, (v) => {
                  add(out, v);
                  return false;
                }),
        );
        return out;
      });
    return t.type === "arraycompr"
      ? collect<Value[]>(
          () => [],
          (out, v) => void out.push(v),
        )
      : collect(
          () => new RegoSet(),
          (out, v) => out.add(v),
        );
  }

  // ------------------------------------------------------------------ refs

  private compileRef(t: Extract<Term, { type: "ref" }>, bc: BC): Plan {
    const head = t.head;
    if (head.type === "var") {
      const r = this.resolveVar(head.name, bc);
      if (!r) throw new Unsafe(head.name, head.loc);
      if (r.kind === "local") {
        if (!bc.bound.has(r.slot)) throw new Unsafe(head.name, head.loc);
        const known = bc.scope.slotConst.get(r.slot);
        if (known !== undefined) checkScalarRef(known, head.name, t);
        const s = r.slot;
        return this.applyOps(
          evPlan((_c, f) => f[s]),
          t.path,
          bc,
        );
      }
      return this.compileRootRef(r.root, [...r.path.map((p) => strTerm(p, head.loc)), ...t.path], bc, t.loc);
    }
    const k = constOf(head);
    if (k !== undefined) checkScalarRef(k, formatValue(k), t);
    const base = this.compileTerm(head, bc);
    return this.applyOps(base, t.path, bc);
  }

  private compileRootRef(root: "input" | "data", ops: Term[], bc: BC, _loc: Location): Plan {
    if (root === "input") return this.applyOps({ ...evPlan((c) => c.input), isInput: true }, ops, bc);
    // data: walk the rule tree along the static prefix
    let node = this.tree.root;
    let i = 0;
    while (i < ops.length) {
      const op = ops[i];
      if (op.type !== "string") break;
      const ch = node.children.get(op.value);
      if (!ch) break;
      node = ch;
      i++;
      if (node.group && node.group.kind !== "function") break;
    }
    const rest = ops.slice(i);
    if (node.group && node.group.kind === "function") {
      // OPA's type checker: a function is not a value ('undefined ref: data.p.f', have: (any) => any)
      throw new RegoError(
        "rego_type_error",
        `undefined ref: ${refText(node.path, rest)} (function ${node.path.join(".")} used as a value)`,
        _loc,
      );
    }
    if (node.group && !childHasRules(node)) {
      const g = node.group;
      this.addDep(bc, g);
      return this.applyOps(
        evPlan((c) => evalGroup(c, g)),
        rest,
        bc,
      );
    }
    if (!node.hasRules) {
      // base data only
      const staticPath: Value[] = node.path.slice(1);
      let j = 0;
      while (j < rest.length) {
        const c = constOf(rest[j]);
        if (c === undefined) break;
        staticPath.push(c);
        j++;
      }
      const sp = staticPath;
      if (sp.length === 1 && typeof sp[0] === "string") {
        const k0 = sp[0];
        return this.applyOps(
          evPlan((c) => getField(c.data, k0)),
          rest.slice(j),
          bc,
        );
      }
      return this.applyOps(
        evPlan((c) => lookupDataPath(c.data, sp)),
        rest.slice(j),
        bc,
      );
    }
    if (rest.length > 0 && (rest[0].type === "string" || rest[0].type === "number") && !node.group) {
      // static key not among the rule children: base data below this node
      const k0 = constOf(rest[0])!;
      const p = [...node.path.slice(1), k0];
      return this.applyOps(
        evPlan((c) => lookupDataPath(c.data, p)),
        rest.slice(1),
        bc,
      );
    }
    this.addNodeDeps(bc, node);
    const n = node;
    return this.applyOps(
      evPlan((c) => materialize(c, n)),
      rest,
      bc,
    );
  }

  private applyOps(base: Plan, ops: Term[], bc: BC): Plan {
    if (ops.length === 0) return base;
    type Op =
      | { kind: "const"; key: Value }
      | { kind: "ev"; ev: Ev }
      | { kind: "gen"; gen: Gen }
      | { kind: "bind"; slot: number }
      | { kind: "unify"; u: Unifier };
    const compiled: Op[] = [];
    for (const op of ops) {
      const cv = constOf(op);
      if (cv !== undefined) {
        compiled.push({ kind: "const", key: cv });
        continue;
      }
      if (op.type === "var") {
        const r = this.resolveVar(op.name, bc);
        if (r && r.kind === "local" && !bc.bound.has(r.slot)) {
          this.checkBind(r.slot, op, bc);
          bc.bound.add(r.slot);
          compiled.push({ kind: "bind", slot: r.slot });
          continue;
        }
      }
      const p = this.attempt(bc, () => this.compileTerm(op, bc));
      if (p) {
        compiled.push(p.ev ? { kind: "ev", ev: p.ev } : { kind: "gen", gen: p.gen });
        continue;
      }
      compiled.push({ kind: "unify", u: this.compileUnifier(op, bc) });
    }
    // fast path: all static string keys
    if (base.ev && compiled.every((o) => o.kind === "const" || o.kind === "ev")) {
      const bev = base.ev;
      if (compiled.every((o) => o.kind === "const" && typeof o.key === "string")) {
        const keys = compiled.map((o) => (o as { key: string }).key);
        const acc = makeFieldPath(keys);
        if (acc) {
          if (base.isInput) return { ...evPlan((c) => acc(c.input)), js: (e) => `${e.h(acc)}(c.input)` };
          return evPlan((c, f) => acc(bev(c, f)));
        }
        if (keys.length === 1) {
          const k0 = keys[0];
          return evPlan((c, f) => getField(bev(c, f), k0));
        }
        if (keys.length === 2) {
          const [k0, k1] = keys;
          return evPlan((c, f) => getField(getField(bev(c, f), k0), k1));
        }
        if (keys.length === 3) {
          const [k0, k1, k2] = keys;
          return evPlan((c, f) => getField(getField(getField(bev(c, f), k0), k1), k2));
        }
        return evPlan((c, f) => {
          let v = bev(c, f);
          for (let i = 0; i < keys.length && v !== undefined; i++) v = getField(v, keys[i]);
          return v;
        });
      }
      const n = compiled.length;
      return evPlan((c, f) => {
        let v = bev(c, f);
        for (let i = 0; i < n && v !== undefined; i++) {
          const o = compiled[i];
          const key = o.kind === "const" ? o.key : (o as { ev: Ev }).ev(c, f);
          if (key === undefined) return undefined;
          v = getKey(v, key);
        }
        return v;
      });
    }
    // compile the operand chain back to front into closures (no per-call dispatch)
    type OpK = (c: Ctx, f: Frame, v: Value, k: (v: Value) => boolean) => boolean;
    let next: OpK = (_c, _f, v, k) => k(v);
    for (let i = compiled.length - 1; i >= 0; i--) {
      const o = compiled[i];
      const nx = next;
      switch (o.kind) {
        case "const": {
          const key = o.key;
          next = (c, f, v, k) => {
            const x = getKey(v, key);
            return x === undefined ? false : nx(c, f, x, k);
          };
          break;
        }
        case "ev": {
          const kev = o.ev;
          next = (c, f, v, k) => {
            const key = kev(c, f);
            if (key === undefined) return false;
            const x = getKey(v, key);
            return x === undefined ? false : nx(c, f, x, k);
          };
          break;
        }
        case "gen": {
          const kgen = o.gen;
          next = (c, f, v, k) =>
            kgen(c, f, (key) => {
              const x = getKey(v, key);
              return x === undefined ? false : nx(c, f, x, k);
            });
          break;
        }
        case "bind": {
          const slot = o.slot;
          next = (c, f, v, k) =>
            iterate(c, v, (kk, vv) => {
              f[slot] = kk;
              return nx(c, f, vv, k);
            });
          break;
        }
        case "unify": {
          const u = o.u;
          next = (c, f, v, k) => iterate(c, v, (kk, vv) => u(c, f, kk, () => nx(c, f, vv, k)));
          break;
        }
      }
    }
    const chain = next;
    const bgen = base.gen;
    const bev = base.ev;
    const gen: Gen = bev
      ? (c, f, k) => {
          const v = bev(c, f);
          return v === undefined ? false : chain(c, f, v, k);
        }
      : (c, f, k) => bgen(c, f, (v) => chain(c, f, v, k));
    return { ev: null, gen };
  }

  // ------------------------------------------------------------------ calls

  /** resolves a function name to a user function group or a builtin */
  private resolveFunction(
    name: string,
    bc: BC,
  ): {
    name: string;
    arity: number;
    call: (c: Ctx, args: Value[]) => Value | undefined;
    group: Group | null;
    builtin: Builtin | null;
  } | null {
    const parts = name.split(".");
    let full: string[] | null = null;
    const first = parts[0];
    const local = this.resolveVarLocalOnly(first, bc);
    if (!local) {
      if (first === "data") full = parts;
      else {
        const imp = bc.scope.imports.get(first);
        if (imp && imp[0] === "data") full = [...imp, ...parts.slice(1)];
        else if (bc.scope.module) {
          const pkgNode = this.tree.find(bc.scope.pkg);
          if (pkgNode && pkgNode.children.has(first)) full = [...bc.scope.pkg, ...parts];
        }
      }
    }
    if (full) {
      const node = this.tree.find(full);
      if (node && node.group && node.group.kind === "complete" && node.group.defs.some((d) => d.rule.args !== null)) {
        const g = node.group;
        this.addDep(bc, g);
        return { name: g.name, arity: 0, call: (c) => evalGroup(c, g), group: g, builtin: null };
      }
      if (node && node.group && node.group.kind === "function") {
        const g = node.group;
        this.addDep(bc, g);
        return { name: g.name, arity: g.arity, call: (c, args) => g.call!(c, args), group: g, builtin: null };
      }
      if (first === "data" || full.length > parts.length) {
        if (node && node.group) {
          // zero-arg "function" referencing a complete rule is not callable
          return null;
        }
      }
    }
    if (bc.scope.module?.regoV1 && DEPRECATED_IN_V1.has(name)) return null;
    const b = BUILTINS.get(name) ?? FALLBACK_BUILTINS.get(name);
    if (b) return { name, arity: b.arity, call: (c, args) => b.fn(args, c), group: null, builtin: b };
    return null;
  }

  private resolveBuiltin(name: string): {
    name: string;
    arity: number;
    call: (c: Ctx, args: Value[]) => Value | undefined;
    group: Group | null;
    builtin: Builtin | null;
  } | null {
    const b = BUILTINS.get(name) ?? FALLBACK_BUILTINS.get(name);
    if (!b) return null;
    return { name, arity: b.arity, call: (c, args) => b.fn(args, c), group: null, builtin: b };
  }

  /** OPA's rewriteDeclaredVarsInTerm: a local variable hides the function (or builtin) it is named after. */
  private checkCallShadowed(t: Extract<Term, { type: "call" }>, bc: BC): void {
    if (!t.infix && this.resolveVarLocalOnly(t.name.split(".")[0]!, bc)) {
      throw new RegoError("rego_compile_error", `called function ${t.name} shadowed`, t.loc);
    }
  }

  /** OPA names an undefined function by its resolved ref: `f` defined as a rule in package p is `data.p.f`. */
  private refName(name: string, bc: BC): string {
    const parts = name.split(".");
    const first = parts[0]!;
    if (first === "data" || this.resolveVarLocalOnly(first, bc)) return name;
    const imp = bc.scope.imports.get(first);
    if (imp) return [...imp, ...parts.slice(1)].join(".");
    const pkgNode = bc.scope.module ? this.tree.find(bc.scope.pkg) : null;
    if (pkgNode && pkgNode.children.has(first)) return [...bc.scope.pkg, ...parts].join(".");
    return name;
  }

  private resolveVarLocalOnly(name: string, bc: BC): boolean {
    for (let l: Level | null = bc.level; l; l = l.parent) if (l.vars.has(name)) return true;
    return false;
  }

  /** `f(a, b, out)`: a call whose last argument receives the result */
  private callWithOutput(t: Extract<Term, { type: "call" }>, bc: BC): CExpr | null {
    this.checkCallShadowed(t, bc);
    if (SPECIAL_CALLS.has(t.name)) {
      if (t.name === "walk" && t.args.length === 2) {
        const xp = this.compileTerm(t.args[0], bc);
        const u = this.compileUnifier(t.args[1], bc);
        const gen = xp.gen;
        return {
          test: null,
          step: (c, f, k) => gen(c, f, (x) => walkValue(c, x, [], (path, v) => u(c, f, [path, v], k))),
        };
      }
      return null;
    }
    const fn = t.infix ? this.resolveBuiltin(t.name) : this.resolveFunction(t.name, bc);
    if (!fn) return null;
    if (t.args.length !== fn.arity + 1) return null;
    const argPlans = t.args.slice(0, -1).map((a) => this.compileTerm(a, bc));
    const call = this.makeCaller(fn, t);
    const u = this.compileUnifier(t.args[t.args.length - 1], bc);
    const ap = combine(argPlans, (vals) => vals.slice());
    const agen = ap.gen;
    return {
      test: null,
      step: (c, f, k) =>
        agen(c, f, (args) => {
          const r = call(c, args as Value[]);
          return r === undefined ? false : u(c, f, r, k);
        }),
    };
  }

  private makeCaller(
    fn: { name: string; call: (c: Ctx, args: Value[]) => Value | undefined; builtin: Builtin | null },
    t: Extract<Term, { type: "call" }>,
  ): (c: Ctx, args: Value[]) => Value | undefined {
    const name = fn.name;
    const inner = fn.call;
    const loc = t.loc;
    if (fn.builtin) {
      return (c, args) => {
        if (c.mocks !== null) {
          const m = c.mocks.get(name);
          if (m) return m.kind === "value" ? m.value : callMock(c, m.call, args);
        }
        return callBuiltin(c, name, inner, args, loc);
      };
    }
    return (c, args) => {
      if (c.mocks !== null) {
        const m = c.mocks.get(name);
        if (m) return m.kind === "value" ? m.value : callMock(c, m.call, args);
      }
      return inner(c, args);
    };
  }

  private compileCall(t: Extract<Term, { type: "call" }>, bc: BC): Plan {
    const name = t.name;
    this.checkCallShadowed(t, bc);
    if (SPECIAL_CALLS.has(name)) return this.compileSpecial(t, bc);
    const fn = t.infix ? this.resolveBuiltin(name) : this.resolveFunction(name, bc);
    if (!fn) {
      if (bc.scope.module?.regoV1 && DEPRECATED_IN_V1.has(name)) {
        // OPA's checkDeprecatedBuiltins (v1 modules): the builtin exists but may not be called
        throw new RegoError(
          "rego_type_error",
          `deprecated built-in function calls in expression: ${name} (could not find function ${name})`,
          t.loc,
        );
      }
      throw new RegoError("rego_type_error", `undefined function ${this.refName(name, bc)} (could not find function ${name})`, t.loc);
    }
    if (t.args.length !== fn.arity) {
      if (t.args.length === fn.arity + 1) {
        const last = t.args[t.args.length - 1];
        if (last.type === "var") throw new Unsafe(last.name, t.loc);
      }
      const got = t.args.length;
      // OPA: builtins say `count: arity mismatch`, user functions `function data.p.f has arity 1, got 3 arguments`
      const detail = fn.builtin
        ? `${name}: arity mismatch: \`${name}\` expects ${fn.arity} argument${fn.arity === 1 ? "" : "s"}, got ${got}`
        : `function ${fn.name} has arity ${fn.arity}, got ${got} argument${got === 1 ? "" : "s"}`;
      throw new RegoError("rego_type_error", detail, t.loc);
    }
    const plans = t.args.map((a) => this.compileTerm(a, bc));
    if (fn.builtin) {
      checkConstantCall(fn.builtin, t, (a) => {
        if (a.type !== "var") return undefined;
        const r = this.resolveVar(a.name, bc);
        return r && r.kind === "local" ? bc.scope.slotConst.get(r.slot) : undefined;
      });
    }
    if (fn.builtin && RELATIONAL.has(name) && plans[0].ev && plans[1].ev) {
      const a = plans[0].ev;
      const b = plans[1].ev;
      const cmp = relational(name);
      const mockable = this.makeCaller(fn, t);
      const [ja, jb] = [plans[0].js, plans[1].js];
      const rel = (x: Value | undefined, y: Value | undefined): boolean | undefined =>
        x === undefined || y === undefined ? undefined : cmp(x, y);
      return {
        ...evPlan((c, f) => {
          const x = a(c, f);
          if (x === undefined) return undefined;
          const y = b(c, f);
          if (y === undefined) return undefined;
          if (c.mocks !== null) return mockable(c, [x, y]);
          return cmp(x, y);
        }),
        js: ja && jb ? (e) => `${e.h(rel)}(${ja(e)}, ${jb(e)})` : undefined,
      };
    }
    const call = this.makeCaller(fn, t);
    if (plans.every((p) => p.ev)) {
      const evs = plans.map((p) => p.ev!);
      if (evs.length === 1) {
        const a = evs[0];
        const ja = plans[0].js;
        const call1 = (c: Ctx, x: Value | undefined): Value | undefined => (x === undefined ? undefined : call(c, [x]));
        return {
          ...evPlan((c, f) => {
            const x = a(c, f);
            return x === undefined ? undefined : call(c, [x]);
          }),
          js: ja ? (e) => `${e.h(call1)}(c, ${ja(e)})` : undefined,
        };
      }
      if (evs.length === 2) {
        const [a, b] = evs;
        return evPlan((c, f) => {
          const x = a(c, f);
          if (x === undefined) return undefined;
          const y = b(c, f);
          return y === undefined ? undefined : call(c, [x, y]);
        });
      }
      const n = evs.length;
      return evPlan((c, f) => {
        const args = new Array<Value>(n);
        for (let i = 0; i < n; i++) {
          const v = evs[i](c, f);
          if (v === undefined) return undefined;
          args[i] = v;
        }
        return call(c, args);
      });
    }
    return combine(plans, () => undefined, call);
  }

  private compileSpecial(t: Extract<Term, { type: "call" }>, bc: BC): Plan {
    switch (t.name) {
      case "print":
      case "internal.print": {
        if (!this.printStatements.has(t.loc)) throw new RegoError("rego_type_error", `${t.name}(...) used as value`, t.loc);
        const plans = t.args.map((a) => {
          try {
            return this.compileTerm(a, bc);
          } catch (e) {
            // OPA's rewritePrintCalls: print's operands may only use variables declared before it
            if (e instanceof Unsafe) throw new RegoError("rego_compile_error", `var ${displayVar(e.varName)} is undeclared`, e.loc);
            throw e;
          }
        });
        return evPlan((c, f) => {
          const parts: string[] = [];
          for (const p of plans) {
            if (p.ev) {
              const v = p.ev(c, f);
              parts.push(v === undefined ? "<undefined>" : typeof v === "string" ? v : formatValue(v));
            } else {
              const s = new RegoSet();
              p.gen(c, f, (v) => {
                s.add(v);
                return false;
              });
              parts.push(s.size === 0 ? "<undefined>" : formatValue(s));
            }
          }
          if (c.print) c.print(parts.join(" "));
          return true;
        });
      }
      case "trace":
        return constPlan(true);
      case "rego.metadata.rule":
        return evPlan(() => ({}));
      case "rego.metadata.chain":
        return evPlan(() => []);
      case "walk":
        throw new RegoError("rego_type_error", "walk: expects an output argument", t.loc);
    }
    throw new RegoError("rego_type_error", `undefined function ${t.name}`, t.loc);
  }

  // ------------------------------------------------------------------ queries

  /** ev of a variable-free query term (fast path for prepared queries), or null */
  compileGroundTerm(t: Term): Ev | null {
    const scope = this.scopeFor(null, null);
    const bc: BC = { scope, level: { vars: new Map(), parent: null }, bound: new Set(), noBind: new Set() };
    try {
      return this.compileTerm(t, bc).ev;
    } catch (e) {
      if (e instanceof Unsafe) return null;
      throw e;
    }
  }

  compileQuery(body: Expr[], captureFalse: boolean): CompiledQuery {
    try {
      return this.compileQueryInner(body, captureFalse);
    } catch (e) {
      if (e instanceof Unsafe) throw new RegoError("rego_unsafe_var_error", `var ${displayVar(e.varName)} is unsafe`, e.loc);
      throw e;
    }
  }

  private compileQueryInner(body: Expr[], captureFalse: boolean): CompiledQuery {
    const scope = this.scopeFor(null, null);
    const level: Level = { vars: new Map(), parent: null };
    this.declareBody(body, level, scope, [], [], true);
    const bc: BC = { scope, level, bound: new Set(), noBind: new Set() };
    // capture the value of each term expression in a hidden slot
    const capSlots: number[] = [];
    const wrapped: Expr[] = body.map((e, i) => {
      const slot = this.newSlot(scope, level, `$cap${i}`);
      capSlots.push(slot);
      return e;
    });
    const exprs: CExpr[] = [];
    const remaining = wrapped.map((e, i) => ({ e, i }));
    const slotSets = remaining.map((r) => this.slotsOf(r.e, bc));
    let lenient = false;
    while (remaining.length) {
      let progressed = false;
      for (let j = 0; j < remaining.length; j++) {
        const { e, i } = remaining[j];
        const other = new Set<number>();
        if (!lenient) remaining.forEach((r, jj) => jj !== j && slotSets[r.i].forEach((s) => other.add(s)));
        const sub: BC = { scope, level, bound: bc.bound, noBind: other };
        const saved = new Set(bc.bound);
        try {
          exprs.push(this.compileQueryExpr(e, sub, capSlots[i], captureFalse && body.length === 1));
          remaining.splice(j, 1);
          progressed = true;
          lenient = false;
          break;
        } catch (err) {
          if (!(err instanceof Unsafe)) throw err;
          bc.bound.clear();
          for (const s of saved) bc.bound.add(s);
        }
      }
      if (!progressed) {
        if (!lenient) {
          lenient = true;
          continue;
        }
        try {
          this.compileQueryExpr(
            remaining[0].e,
            { scope, level, bound: new Set(bc.bound), noBind: new Set() },
            capSlots[remaining[0].i],
            false,
          );
        } catch (err) {
          if (err instanceof Unsafe) throw new RegoError("rego_unsafe_var_error", `var ${displayVar(err.varName)} is unsafe`, err.loc);
          throw err;
        }
      }
    }
    const step = chainExprs(exprs);
    const vars: { name: string; slot: number }[] = [];
    for (const [name, slot] of level.vars) {
      if (name.startsWith("$")) continue;
      vars.push({ name, slot });
    }
    return { step, nslots: () => scope.nslots, capSlots, vars, texts: body.map((e) => exprText(e)), locs: body.map((e) => e.loc) };
  }

  private compileQueryExpr(e: Expr, bc: BC, cap: number, captureFalse: boolean): CExpr {
    if (e.kind === "term" && !e.negated && e.with.length === 0) {
      if (e.term.type === "call") {
        const out = this.callWithOutput(e.term, bc);
        if (out) {
          const s = out.step;
          return { test: null, step: (c, f, k) => s(c, f, () => ((f[cap] = true), k())) };
        }
      }
      const p = this.compileTerm(e.term, bc);
      const isCall = e.term.type === "call";
      const gen = p.gen;
      return {
        test: null,
        step: (c, f, k) =>
          gen(c, f, (v) => {
            if (v === false && isCall && !captureFalse) return false;
            f[cap] = v;
            return k();
          }),
      };
    }
    const inner = this.compileExpr(e, bc);
    const s = inner.step;
    return { test: null, step: (c, f, k) => s(c, f, () => ((f[cap] = true), k())) };
  }
}

export interface CompiledQuery {
  step: Step;
  nslots: () => number;
  capSlots: number[];
  vars: { name: string; slot: number }[];
  texts: string[];
  locs: Location[];
}

// -------------------------------------------------------------------- runtime helpers

/** A data ref as OPA prints it: `data.p.f`, `data.p.f[x]`, `data.p.f["a-b"]`. */
function refText(path: readonly string[], rest: readonly Term[]): string {
  let s = path.join(".");
  for (const t of rest) {
    if (t.type === "string") s += /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value) ? `.${t.value}` : `[${JSON.stringify(t.value)}]`;
    else if (t.type === "var") s += `[${t.name.startsWith("$") ? "_" : t.name}]`;
    else if (t.type === "number") s += `[${t.text}]`;
    else s += "[_]";
  }
  return s;
}

/** OPA's checkUnusedDeclaredVars: a variable declared with `some x` must be used in its body (or the head). */
function checkUnusedSome(body: Expr[], extra: Term[]): void {
  for (let i = 0; i < body.length; i++) {
    const e = body[i]!;
    if (e.kind !== "some") continue;
    let seen: Set<string> | null = null;
    for (const v of e.vars) {
      if (v.type !== "var" || v.name.startsWith("$")) continue;
      if (!seen) {
        const names: string[] = [];
        body.forEach((x, j) => j !== i && exprVarsDeep(x, names));
        for (const t of extra) termVars(t, names, false, true);
        seen = new Set(names);
      }
      if (!seen.has(v.name)) throw new RegoError("rego_compile_error", `declared var ${v.name} unused`, e.loc);
    }
  }
}

/** OPA's validateWithBuiltinTarget: builtins that `with` may not replace. */
function checkWithBuiltinTarget(name: string, w: With): void {
  const bad = (why: string): never => {
    throw new RegoError("rego_compile_error", `with keyword replacing built-in function: ${why}`, w.loc);
  };
  if (name === "eq" || name === "rego.metadata.chain" || name === "rego.metadata.rule")
    bad(`replacement of ${JSON.stringify(name)} invalid`);
  if (name.startsWith("internal.")) bad(`replacement of internal function ${JSON.stringify(name)} invalid`);
  if (name === "walk") bad("target must not be a relation");
  if (name === "print") bad("target must not be a void function");
}

/** Calls a builtin: its errors become undefined, or with strict builtin errors a located RegoError. */
function callBuiltin(
  c: Ctx,
  name: string,
  inner: (c: Ctx, args: Value[]) => Value | undefined,
  args: Value[],
  loc: Location,
): Value | undefined {
  try {
    return inner(c, args);
  } catch (e) {
    if (e instanceof BuiltinError) {
      if (c.strict) throw new RegoError(e.code, e.message + builtinHint(name, e, args), loc);
      return undefined;
    }
    if (e instanceof RegoError) throw e;
    // a defect or resource error inside a builtin must not crash the caller
    throw new RegoError("eval_builtin_error", `${name}: ${e instanceof Error ? e.message : String(e)}`, loc);
  }
}

/**
 * A replacement function runs without any function mocks, as in OPA: `g(x) := f(x)` used
 * `with f as g` calls the real f, and a mock never calls another mock. Rules it evaluates get
 * their own memo, since the enclosing memo holds values computed under the mocks.
 */
function callMock(c: Ctx, call: (c: Ctx, args: Value[]) => Value | undefined, args: Value[]): Value | undefined {
  const mocks = c.mocks;
  const memo = c.memo;
  c.mocks = null;
  c.memo = new Array(memo.length).fill(NOT_COMPUTED);
  try {
    return call(c, args);
  } finally {
    c.mocks = mocks;
    c.memo = memo;
  }
}

function restore(
  c: Ctx,
  s: { input: Value | undefined; data: Value; patches: Ctx["patches"]; mocks: Ctx["mocks"]; memo: Ctx["memo"] },
): void {
  c.input = s.input;
  c.data = s.data;
  c.patches = s.patches;
  c.mocks = s.mocks;
  c.memo = s.memo;
}

/**
 * `x := <expr>` (or a destructuring of variables and constants) against a value
 * that has at most one solution: a plain test that binds, so bodies of such
 * expressions run as one && chain without continuations.
 */
function deterministicUnify(p: Plan, u: Unifier, pattern: Term): CExpr {
  const step = genThenUnify(p, u);
  if (!p.ev || !isPurePattern(pattern)) return { test: null, step };
  const ev = p.ev;
  const test = (c: Ctx, f: Frame): boolean => {
    const v = ev(c, f);
    return v !== undefined && u(c, f, v, TRUE_K);
  };
  return { test, step };
}

function isPurePattern(t: Term): boolean {
  switch (t.type) {
    case "var":
    case "null":
    case "boolean":
    case "number":
    case "string":
      return true;
    case "array":
      return t.items.every(isPurePattern);
    case "object":
      return t.items.every(([k, v]) => constOf(k) !== undefined && isPurePattern(v));
    default:
      return false;
  }
}

/**
 * OPA's type checker knows the type of a constant (or a local declared with one) and refuses a
 * reference that indexes into a scalar: `[1, 2][i][j]` is `undefined ref: ...[i][j]` (have: number).
 */
function checkScalarRef(v: Value, headText: string, t: Extract<Term, { type: "ref" }>): void {
  let cur: Value[] = [v];
  let text = headText;
  for (const op of t.path) {
    if (cur.every((x) => x === null || typeof x !== "object")) {
      throw new RegoError("rego_type_error", `undefined ref: ${text}${refOpText(op)} (cannot index ${typeName(cur[0]!)})`, t.loc);
    }
    text += refOpText(op);
    const k = constOf(op);
    const next: Value[] = [];
    for (const x of cur) {
      if (x === null || typeof x !== "object") continue;
      if (k !== undefined) {
        const c = getKey(x, k);
        if (c !== undefined) next.push(c);
      } else if (Array.isArray(x)) next.push(...x);
      else if (x instanceof RegoSet) next.push(...x.sorted());
      else for (const [, c] of objectEntries(x)) next.push(c);
    }
    if (next.length === 0) return;
    cur = next;
  }
}

function refOpText(op: Term): string {
  if (op.type === "string") return /^[A-Za-z_][A-Za-z0-9_]*$/.test(op.value) ? `.${op.value}` : `[${JSON.stringify(op.value)}]`;
  if (op.type === "var") return `[${op.name.startsWith("$") ? "_" : op.name}]`;
  const k = constOf(op);
  return k !== undefined ? `[${formatValue(k)}]` : "[_]";
}

/** a scalar literal can never be iterated: a type error at compile time, as OPA's checker reports */
function checkCollectionLiteral(t: Term, what: string): void {
  if (t.type === "null" || t.type === "boolean" || t.type === "number" || t.type === "string") {
    const v = constOf(t);
    const text = v === undefined ? t.type : formatValue(v);
    // OPA rewrites `some x in c` to a reference into c, so its checker says `undefined ref` (have: string)
    throw new RegoError("rego_type_error", `undefined ref: ${text}[_] (${what} expects array/set/object. Got \`${text}\` instead)`, t.loc);
  }
}

/** a negated call or membership whose operands OPA evaluates first */
function isHoistable(t: Term): boolean {
  if (t.type === "membership") return true;
  return (
    t.type === "call" && !SPECIAL_CALLS.has(t.name) && t.args.some((a) => a.type === "ref" || a.type === "call" || a.type === "membership")
  );
}

/** truthiness of an expression value: defined and not false */
function truthy(v: Value | undefined): boolean {
  return v !== undefined && v !== false;
}

/** comparison of a value with a scalar constant, for generated code */
function relConstHelper(name: string, K: Value): (x: Value | undefined) => boolean {
  const cmp = relational(name);
  return (x) => x !== undefined && cmp(x, K);
}
