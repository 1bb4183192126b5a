// The rule tree: every rule of every module, placed under `data` by package
// and head reference. A node may hold a group of rule definitions (all of the
// same kind) and child nodes.

import type { Module, Rule, RuleKind, Term } from "./ast.ts";
import { RegoError } from "./errors.ts";
import { lookupPath, type Ctx, type Plan } from "./runtime.ts";
import { isObject, type Value } from "./value.ts";

export interface RuleDef {
  rule: Rule;
  module: Module;
}

export interface Group {
  id: number;
  path: string[];
  name: string;
  kind: RuleKind;
  defs: RuleDef[];
  defaults: RuleDef[];
  arity: number;
  node: TreeNode;
  /** filled by the compiler */
  compute: ((c: Ctx) => Value | undefined) | null;
  call: ((c: Ctx, args: Value[]) => Value | undefined) | null;
  compiled: boolean;
  compiling: boolean;
  deps: Set<Group>;
  /** value plan for the query fast path */
  plan?: Plan;
}

export interface TreeNode {
  path: string[];
  id: number;
  children: Map<string, TreeNode>;
  group: Group | null;
  /** packages declared at exactly this path */
  isPackage: boolean;
  /** true unless the node is a function leaf (it is part of the virtual document) */
  hasRules: boolean;
}

export class RuleTree {
  readonly root: TreeNode;
  readonly groups: Group[] = [];
  readonly nodes: TreeNode[] = [];
  memoSize = 0;

  constructor(modules: Module[]) {
    this.root = this.newNode(["data"]);
    for (const m of modules) {
      let pkgNode = this.root;
      for (const p of m.pkg.slice(1)) pkgNode = this.child(pkgNode, p);
      pkgNode.isPackage = true;
      for (const rule of m.rules) this.addRule(m, pkgNode, rule);
    }
    // OPA reports both kinds of conflict together (rule tree first, then packages)
    const errs: RegoError[] = [];
    for (const check of [() => checkExtentConflicts(this.root), () => checkPackageConflicts(modules)]) {
      try {
        check();
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        errs.push(e);
      }
    }
    if (errs.length === 1) throw errs[0];
    if (errs.length > 1) throw new RegoError(errs[0]!.code, errs.map((e) => e.detail).join("; "), errs[0]!.location);
    this.markRules(this.root);
  }

  /**
   * OPA's compiler refuses base data at the path of a rule (`conflicting rule for data path
   * a/p found`, v1/ast/conflicts.go) when the data is known at compile time.
   */
  checkDataConflicts(data: Value): void {
    const visit = (n: TreeNode): void => {
      const g = n.group;
      if (g && dataAt(data, n.path.slice(1))) {
        const first = g.defs[0] ?? g.defaults[0];
        throw new RegoError(
          "rego_compile_error",
          `conflicting rule for data path ${n.path.slice(1).join("/")} found (value for rule has already been specified in data)`,
          first?.rule.loc,
        );
      }
      for (const c of n.children.values()) visit(c);
    };
    visit(this.root);
  }

  private newNode(path: string[]): TreeNode {
    const n: TreeNode = { path, id: this.memoSize++, children: new Map(), group: null, isPackage: false, hasRules: false };
    this.nodes.push(n);
    return n;
  }

  private child(n: TreeNode, name: string): TreeNode {
    let c = n.children.get(name);
    if (!c) {
      c = this.newNode([...n.path, name]);
      n.children.set(name, c);
    }
    return c;
  }

  private addRule(m: Module, pkgNode: TreeNode, rule: Rule): void {
    let node = pkgNode;
    // static prefix of the head reference
    const ref = rule.ref;
    let i = 0;
    for (; i < ref.length; i++) {
      const t = ref[i];
      if (t.type !== "string") break;
      node = this.child(node, t.value);
    }
    const first = ref[0];
    if (m.regoV1 && first.type === "string" && (first.value === "input" || first.value === "data")) {
      throw new RegoError(
        "rego_compile_error",
        `rules must not shadow ${first.value} (use a different rule name; ${first.value} cannot be shadowed)`,
        rule.loc,
      );
    }
    let kind = rule.kind;
    if (kind === "function" && rule.args && rule.args.length === 0) kind = "complete";
    if (kind === "complete" && i < ref.length) kind = "object";
    if (kind === "object" && i === ref.length) kind = "complete";
    if (kind === "set" && i < ref.length) kind = "object"; // q[a][b] contains x: nested objects with set leaves
    const arity = rule.args && rule.args.length > 0 ? rule.args.length : -1;
    let g = node.group;
    const name = node.path.join(".");
    if (!g) {
      g = {
        id: this.memoSize++,
        path: node.path,
        name,
        kind,
        defs: [],
        defaults: [],
        arity,
        node,
        compute: null,
        call: null,
        compiled: false,
        compiling: false,
        deps: new Set(),
      };
      node.group = g;
      this.groups.push(g);
    } else {
      // OPA names the conflict by the (last) rule's ref, variables included: data.p.q[k]
      const shown = headRefText(m.pkg, rule.ref);
      if (g.kind !== kind) {
        throw new RegoError("rego_type_error", `conflicting rules ${shown} found (${g.kind} and ${kind} definitions)`, rule.loc);
      }
      if (g.arity !== arity) {
        throw new RegoError("rego_type_error", `conflicting rules ${shown} found: function arity mismatch`, rule.loc);
      }
    }
    if (rule.isDefault) {
      if (g.defaults.length > 0 && g.kind !== "object") {
        const at = [g.defaults[0]!.rule.loc, rule.loc].map((l) => `${l.file}:${l.line}`).join(", ");
        throw new RegoError("rego_type_error", `multiple default rules ${name} found at ${at}`, m.pkgLoc);
      }
      g.defaults.push({ rule, module: m });
    } else g.defs.push({ rule, module: m });
  }

  private markRules(n: TreeNode): boolean {
    // as OPA's rule tree: only function leaves are left out of the document; a node
    // that exists as a prefix of a rule head (even a function's, `foo["bar"](x)`) is an object
    const has = n.isPackage || (n.group !== null && n.group.kind !== "function") || n.children.size > 0;
    for (const c of n.children.values()) this.markRules(c);
    n.hasRules = has;
    return has;
  }

  /** node at a path below data (["data", ...]) or null */
  find(path: readonly string[]): TreeNode | null {
    let n: TreeNode | undefined = this.root;
    for (let i = 1; i < path.length && n; i++) n = n.children.get(path[i]);
    return n ?? null;
  }
}

/**
 * OPA's storage.NonEmpty: a rule's path is taken when data has a value there, or when the
 * nearest value on the way down is not an object (`data.p = 5` blocks a rule at `p.q`).
 */
function dataAt(data: Value, path: readonly string[]): boolean {
  if (lookupPath(data, path) !== undefined) return true;
  for (let i = path.length - 1; i > 0; i--) {
    const v = lookupPath(data, path.slice(0, i));
    if (v !== undefined) return !isObject(v);
  }
  return false;
}

/** OPA's Ref.String for a rule head: `data.p.q`, `data.p.q[x]`, `data.p["a-b"]`. */
function headRefText(pkg: readonly string[], ref: readonly Term[]): string {
  let s = pkg.join(".");
  for (const t of ref) {
    if (t.type === "string") s += /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value) ? `.${t.value}` : `[${JSON.stringify(t.value)}]`;
    else if (t.type === "var") s += `[${t.name}]`;
    else if (t.type === "number") s += `[${t.text}]`;
    else s += "[_]";
  }
  return s;
}

/**
 * OPA's checkRuleConflicts: a rule whose head is ground (complete rules, `contains` sets,
 * functions) owns its whole extent, so no other rule may be defined below it
 * (`a.b := 1` with `a.b.c := 2` is `rule data.p.a.b conflicts with [data.p.a.b.c]`).
 * Rules with a variable in their head ref may have rules inside their extent.
 */
function checkExtentConflicts(n: TreeNode): void {
  const g = n.group;
  if (g && n.children.size > 0) {
    const ground = [...g.defaults, ...g.defs].find((d) => d.rule.ref.every((t) => t.type === "string"));
    if (ground) {
      const refs: string[] = [];
      const collect = (c: TreeNode): void => {
        if (c.group) {
          for (const d of [...c.group.defaults, ...c.group.defs]) refs.push(headRefText(d.module.pkg, d.rule.ref));
          return; // OPA keeps only the shortest ref of a prefix chain
        }
        for (const cc of c.children.values()) collect(cc);
      };
      for (const c of n.children.values()) collect(c);
      if (refs.length > 0) {
        const sorted = [...new Set(refs)].sort();
        throw new RegoError("rego_type_error", `rule ${n.path.join(".")} conflicts with [${sorted.join(" ")}]`, ground.rule.loc);
      }
    }
  }
  for (const c of n.children.values()) checkExtentConflicts(c);
}

/**
 * A rule whose whole head is ground and names the path of another module's package conflicts
 * with that package, as in OPA (`package a.b conflicts with rule b defined at ...`).
 */
function checkPackageConflicts(modules: Module[]): void {
  const byPkg = new Map<string, Module[]>();
  for (const m of modules) {
    const k = m.pkg.join(".");
    const list = byPkg.get(k);
    if (list) list.push(m);
    else byPkg.set(k, [m]);
  }
  for (const m of modules) {
    for (const rule of m.rules) {
      const names: string[] = [];
      for (const t of rule.ref) {
        if (t.type !== "string") break;
        names.push(t.value);
      }
      if (names.length !== rule.ref.length) continue; // a dynamic head can only conflict at evaluation
      for (const other of byPkg.get([...m.pkg, ...names].join(".")) ?? []) {
        if (other === m) continue;
        throw new RegoError(
          "rego_type_error",
          `package ${other.pkg.slice(1).join(".")} conflicts with rule ${names.join(".")} defined at ${rule.loc.file}:${rule.loc.line}`,
          m.pkgLoc,
        );
      }
    }
  }
}

export function childHasRules(n: TreeNode): boolean {
  for (const c of n.children.values()) if (c.hasRules) return true;
  return false;
}
