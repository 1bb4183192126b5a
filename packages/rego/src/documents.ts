// Virtual documents at evaluation time: rule groups (memoized per evaluation,
// honouring `with data...` patches), packages materialized as objects, and the
// builder for partial objects and nested multi-value rules.

import { RegoError } from "./errors.ts";
import { Ctx, NOT_COMPUTED, ObjectBuilder, entries, getKey, isObj, lookupPath, mergeDocs, upsert } from "./runtime.ts";
import { childHasRules, type Group, type TreeNode } from "./tree.ts";
import { RegoSet, canonicalKey, equal, formatValue, type Value } from "./value.ts";

/** base-document lookup: as OPA's storage paths, number keys also address object keys ("1") */
export function lookupDataPath(v: Value | undefined, path: readonly Value[]): Value | undefined {
  let cur = v;
  for (let i = 0; i < path.length && cur !== undefined; i++) {
    const k = path[i];
    if (typeof k === "number" && isObj(cur)) cur = getKey(cur, String(k));
    else cur = getKey(cur, k);
  }
  return cur;
}

export function evalGroup(c: Ctx, g: Group): Value | undefined {
  if (c.patches !== null) {
    for (const p of c.patches) {
      if (isPrefix(p.path, g.path)) return lookupPath(p.value, g.path.slice(p.path.length));
    }
  }
  const m = c.memo[g.id];
  if (m !== NOT_COMPUTED) return m;
  c.step();
  let v = g.compute!(c);
  if (c.patches !== null && v !== undefined) {
    for (const p of c.patches) {
      if (p.path.length > g.path.length && isPrefix(g.path, p.path)) v = upsert(v, p.path.slice(g.path.length), p.value);
    }
  }
  c.memo[g.id] = v;
  return v;
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function materialize(c: Ctx, n: TreeNode): Value | undefined {
  if (c.patches !== null) {
    for (const p of c.patches) {
      if (isPrefix(p.path, n.path)) return lookupPath(p.value, n.path.slice(p.path.length));
    }
  }
  const m = c.memo[n.id];
  if (m !== NOT_COMPUTED) return m;
  if (!n.hasRules) {
    const v = lookupPath(c.data, n.path.slice(1));
    c.memo[n.id] = v;
    return v;
  }
  const base = lookupPath(c.data, n.path.slice(1));
  let result: Value | undefined;
  if (n.group && n.group.kind !== "function" && !childHasRules(n)) {
    const gv = evalGroup(c, n.group);
    result = base === undefined ? gv : gv === undefined ? base : mergeDocs(base, gv, n.path.join("."));
  } else {
    const ob = new ObjectBuilder(n.path.join("."));
    const childNames = new Set<string>();
    for (const [name, ch] of n.children) {
      if (!ch.hasRules) continue;
      childNames.add(name);
      if (ch.group && ch.group.kind !== "function" && isObj(base) && getKey(base, name) !== undefined && c.patches === null) {
        throw new RegoError(
          "eval_conflict_error",
          `rule ${ch.path.join(".")} conflicts with the base document: value for rule has already been specified in data`,
        );
      }
      const cv = materialize(c, ch);
      if (cv !== undefined) ob.set(name, cv);
    }
    if (isObj(base)) {
      for (const [k, v] of entries(base)) {
        if (typeof k === "string" && childNames.has(k)) continue;
        ob.set(k, v);
      }
    }
    result = ob.build();
    if (n.group && n.group.kind !== "function") {
      const gv = evalGroup(c, n.group);
      if (gv !== undefined) result = mergeDocs(result, gv, n.path.join("."));
    }
  }
  c.memo[n.id] = result;
  return result;
}

export class NestedBuilder {
  private m = new Map<string, { k: Value; v?: Value; child?: NestedBuilder; set?: RegoSet }>();
  constructor(private readonly name: string) {}
  /** adds tuple[last] to the set at keys tuple[i..last-1] */
  insertSet(tuple: Value[], i: number): void {
    const k = tuple[i];
    const ck = canonicalKey(k);
    const e = this.m.get(ck);
    if (i === tuple.length - 2) {
      if (!e) this.m.set(ck, { k, set: new RegoSet([tuple[i + 1]]) });
      else if (e.set) e.set.add(tuple[i + 1]);
      else
        throw new RegoError(
          "eval_conflict_error",
          `object keys must be unique (rule ${this.name}, key ${formatValue(k)}): rules must not produce multiple outputs`,
        );
      return;
    }
    if (!e) {
      const child = new NestedBuilder(this.name);
      this.m.set(ck, { k, child });
      child.insertSet(tuple, i + 1);
    } else if (e.child) e.child.insertSet(tuple, i + 1);
    else
      throw new RegoError(
        "eval_conflict_error",
        `object keys must be unique (rule ${this.name}, key ${formatValue(k)}): rules must not produce multiple outputs`,
      );
  }
  insert(tuple: Value[], i: number): void {
    const k = tuple[i];
    const ck = canonicalKey(k);
    const last = i === tuple.length - 2;
    const e = this.m.get(ck);
    if (last) {
      const v = tuple[i + 1];
      if (!e) this.m.set(ck, { k, v });
      else if (e.child || e.set || !equal(e.v!, v)) {
        throw new RegoError(
          "eval_conflict_error",
          `object keys must be unique (rule ${this.name}, key ${formatValue(k)}): rules must not produce multiple outputs`,
        );
      }
      return;
    }
    if (!e) {
      const child = new NestedBuilder(this.name);
      this.m.set(ck, { k, child });
      child.insert(tuple, i + 1);
    } else if (e.child) e.child.insert(tuple, i + 1);
    else
      throw new RegoError(
        "eval_conflict_error",
        `object keys must be unique (rule ${this.name}, key ${formatValue(k)}): rules must not produce multiple outputs`,
      );
  }
  has(tuple: Value[]): boolean {
    let cur: NestedBuilder | undefined = this;
    for (let i = 0; i < tuple.length - 1 && cur; i++) {
      const e: { k: Value; v?: Value; child?: NestedBuilder } | undefined = cur.m.get(canonicalKey(tuple[i]));
      if (!e) return false;
      if (i === tuple.length - 2) return true;
      cur = e.child;
    }
    return false;
  }
  build(): Value {
    const ob = new ObjectBuilder(this.name);
    for (const e of this.m.values()) ob.set(e.k, e.child ? e.child.build() : e.set ? e.set : e.v!);
    return ob.build();
  }
}
