/**
 * Objects: object.get object.keys object.remove object.union object.union_n
 * object.filter object.subset, and the JSON-document helpers json.filter
 * json.remove json.patch.
 */
import {
  BuiltinError,
  RegoSet,
  canonicalKey,
  compare,
  equal,
  isObject,
  isPlainObject,
  plainSet,
  makeObject,
  makeSet,
  objectEntries,
  objectGet,
  objectKeys,
  type PlainObject,
  type RegoObject,
  type Value,
} from "../value.ts";
import type { Builtin } from "./index.ts";
import { arr, def, elemErr, obj, operandErr, typeErr } from "./util.ts";

/** Follows `path` through objects, arrays (integer index) and sets (membership); undefined when absent. */
function findPath(root: Value, path: readonly Value[]): Value | undefined {
  let cur: Value = root;
  for (const k of path) {
    if (Array.isArray(cur)) {
      if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k >= cur.length) return undefined;
      cur = cur[k]!;
    } else if (cur instanceof RegoSet) {
      if (!cur.has(k)) return undefined;
      cur = k;
    } else if (isObject(cur)) {
      const v = objectGet(cur, k);
      if (v === undefined) return undefined;
      cur = v;
    } else return undefined;
  }
  return cur;
}

function get(a: Value[]): Value {
  const o = obj("object.get", a, 0);
  const key = a[1]!;
  if (!Array.isArray(key)) return objectGet(o, key) ?? a[2]!;
  if (key.length === 0) return o;
  return findPath(o, key) ?? a[2]!;
}

function keysParam(name: string, v: Value): RegoSet {
  if (Array.isArray(v)) return makeSet(v);
  if (v instanceof RegoSet) return v;
  if (isObject(v)) return makeSet(objectKeys(v));
  throw typeErr(name, 2, v, "object", "set", "array");
}

function remove(a: Value[]): Value {
  const o = obj("object.remove", a, 0);
  const ks = keysParam("object.remove", a[1]!);
  return makeObject(objectEntries(o).filter(([k]) => !ks.has(k)));
}

function filter(a: Value[]): Value {
  const o = obj("object.filter", a, 0);
  const ks = keysParam("object.filter", a[1]!);
  return makeObject(objectEntries(o).filter(([k]) => ks.has(k)));
}

/** Recursive merge where y wins, nested objects merged (OPA's mergeWithOverwrite). */
function mergeWithOverwrite(x: RegoObject, y: RegoObject): RegoObject {
  if (isPlainObject(x) && isPlainObject(y)) {
    const out: PlainObject = {};
    for (const k of Object.keys(x)) plainSet(out, k, x[k]!);
    for (const k of Object.keys(y)) {
      const prev = objectGet(out, k);
      const v2 = y[k]!;
      plainSet(out, k, prev !== undefined && isObject(prev) && isObject(v2) ? mergeWithOverwrite(prev, v2) : v2);
    }
    return out;
  }
  const out = new Map<string, [Value, Value]>();
  for (const e of objectEntries(x)) out.set(canonicalKey(e[0]), e);
  for (const [k, v2] of objectEntries(y)) {
    const ck = canonicalKey(k);
    const prev = out.get(ck);
    if (prev !== undefined && isObject(prev[1]) && isObject(v2)) out.set(ck, [k, mergeWithOverwrite(prev[1], v2)]);
    else out.set(ck, [k, v2]);
  }
  return makeObject(out.values());
}

function union(a: Value[]): Value {
  const x = obj("object.union", a, 0),
    y = obj("object.union", a, 1);
  return mergeWithOverwrite(x, y);
}

function unionN(a: Value[]): Value {
  const xs = arr("object.union_n", a, 0);
  let acc: RegoObject = {};
  for (const x of xs) {
    if (!isObject(x)) throw elemErr("object.union_n", 1, xs, x, "object");
    acc = mergeWithOverwrite(acc, x);
  }
  return acc;
}

function objectSubset(sup: RegoObject, sub: RegoObject): boolean {
  for (const [k, sv] of objectEntries(sub)) {
    const pv = objectGet(sup, k);
    if (pv === undefined) return false;
    if (equal(sv, pv)) continue;
    if (isObject(pv) && isObject(sv)) {
      if (!objectSubset(pv, sv)) return false;
      continue;
    }
    if (pv instanceof RegoSet && sv instanceof RegoSet) {
      if (!setSubset(pv, sv)) return false;
      continue;
    }
    if (Array.isArray(pv) && Array.isArray(sv)) {
      if (!arraySubset(pv, sv)) return false;
      continue;
    }
    return false;
  }
  return true;
}

function setSubset(sup: RegoSet, sub: RegoSet): boolean {
  for (const k of sub.map.keys()) if (!sup.map.has(k)) return false;
  return true;
}

function arraySubset(sup: Value[], sub: Value[]): boolean {
  if (sub.length > sup.length) return false;
  let supC = 0,
    subC = 0;
  for (;;) {
    if (subC === sub.length) return true;
    if (supC + subC === sup.length) return false;
    if (compare(sup[supC + subC]!, sub[subC]!) === 0) subC++;
    else {
      supC++;
      subC = 0;
    }
  }
}

function arraySetSubset(sup: Value[], sub: RegoSet): boolean {
  let unmatched = sub.size;
  for (const x of sup) {
    if (sub.has(x)) unmatched--;
    if (unmatched === 0) return true;
  }
  return false;
}

function subset(a: Value[]): Value {
  const sup = a[0]!,
    sub = a[1]!;
  if (isObject(sup) && isObject(sub)) return objectSubset(sup, sub);
  if (sup instanceof RegoSet && sub instanceof RegoSet) return setSubset(sup, sub);
  if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
  if (Array.isArray(sup) && sub instanceof RegoSet) return arraySetSubset(sup, sub);
  throw new BuiltinError("object.subset", "both arguments object.subset must be of the same type or array and set", "eval_type_error");
}

// ---------------------------------------------------------------------------
// json.filter / json.remove

function parsePath(name: string, p: Value): Value[] {
  if (typeof p === "string") {
    if (p === "") return [];
    return p
      .replace(/^\/+/, "")
      .split("/")
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  }
  if (Array.isArray(p)) return p;
  throw operandErr(
    name,
    2,
    `must be one of {set, array} containing string paths or array of path segments but got ` +
      `${p === null ? "null" : typeof p === "object" ? (p instanceof RegoSet ? "set" : "object") : typeof p}`,
  );
}

function getPaths(name: string, v: Value): Value[][] {
  if (Array.isArray(v)) return v.map((p) => parsePath(name, p));
  if (v instanceof RegoSet) return v.sorted().map((p) => parsePath(name, p));
  throw typeErr(name, 2, v, "set", "array");
}

/** Filter tree node: child per path segment (by canonical key); null marks a leaf. */
class PathNode {
  readonly children = new Map<string, PathNode | null>();
}
type PathTree = PathNode | null;

function pathsToTree(paths: Value[][]): PathNode {
  const root = new PathNode();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node: PathNode = root;
    let done = false;
    for (let i = 0; i < path.length - 1 && !done; i++) {
      const ck = canonicalKey(path[i]!);
      const child = node.children.get(ck);
      if (child === undefined) {
        const m = new PathNode();
        node.children.set(ck, m);
        node = m;
      } else if (child === null) done = true;
      else node = child;
    }
    if (!done) node.children.set(canonicalKey(path[path.length - 1]!), null);
  }
  return root;
}

function treeGet(t: PathNode, k: Value): PathTree | undefined {
  return t.children.get(canonicalKey(k));
}

function filterValue(v: Value, f: PathTree): Value {
  if (f === null) return v;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    for (let i = 0; i < v.length; i++) {
      const sf = treeGet(f, String(i));
      if (sf !== undefined) out.push(filterValue(v[i]!, sf));
    }
    return out;
  }
  if (v instanceof RegoSet) {
    const out = new RegoSet();
    for (const x of v.sorted()) {
      const sf = treeGet(f, x);
      if (sf !== undefined) out.add(filterValue(x, sf));
    }
    return out;
  }
  if (isObject(v)) {
    const out: [Value, Value][] = [];
    for (const [k, x] of objectEntries(v)) {
      const sf = treeGet(f, k);
      if (sf !== undefined) out.push([k, filterValue(x, sf)]);
    }
    return makeObject(out);
  }
  return v;
}

function removeValue(v: Value, f: PathTree | undefined): Value | undefined {
  if (f === undefined) return v;
  if (f === null) return undefined;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = removeValue(v[i]!, treeGet(f, String(i)));
      if (r !== undefined) out.push(r);
    }
    return out;
  }
  if (v instanceof RegoSet) {
    const out = new RegoSet();
    for (const x of v.sorted()) {
      const r = removeValue(x, treeGet(f, x));
      if (r !== undefined) out.add(r);
    }
    return out;
  }
  if (isObject(v)) {
    const out: [Value, Value][] = [];
    for (const [k, x] of objectEntries(v)) {
      const r = removeValue(x, treeGet(f, k));
      if (r !== undefined) out.push([k, r]);
    }
    return makeObject(out);
  }
  return v;
}

function jsonFilter(a: Value[]): Value {
  const o = obj("json.filter", a, 0);
  return filterValue(o, pathsToTree(getPaths("json.filter", a[1]!)));
}

function jsonRemove(a: Value[]): Value | undefined {
  const o = obj("json.remove", a, 0);
  return removeValue(o, pathsToTree(getPaths("json.remove", a[1]!)));
}

// ---------------------------------------------------------------------------
// json.patch (RFC 6902 over Rego values; any failure makes the result undefined, as in OPA)

class PatchError extends Error {}

function arrayIndex(seg: Value, len: number, forInsert: boolean): number {
  const s = typeof seg === "number" ? String(seg) : seg;
  if (forInsert && s === "-") return len;
  if (typeof s !== "string" || !/^(0|[1-9][0-9]*)$/.test(s)) throw new PatchError("bad index");
  const i = Number(s);
  if (i > len || (!forInsert && i === len)) throw new PatchError("index out of range");
  return i;
}

function setAt(doc: Value, path: readonly Value[], value: Value, i = 0): Value {
  if (i === path.length) return value;
  const seg = path[i]!;
  const last = i === path.length - 1;
  if (Array.isArray(doc)) {
    const idx = arrayIndex(seg, doc.length, last);
    const out = doc.slice();
    if (last) out.splice(idx, 0, value);
    else out[idx] = setAt(doc[idx]!, path, value, i + 1);
    return out;
  }
  if (doc instanceof RegoSet) {
    if (last) {
      // a set member is addressed by its value: the inserted value must equal the path segment
      if (!equal(seg, value)) throw new PatchError("set member mismatch");
      const out = new RegoSet(doc.sorted());
      out.add(value);
      return out;
    }
    if (!doc.has(seg)) throw new PatchError("missing");
    const out = new RegoSet(doc.sorted().filter((x) => !equal(x, seg)));
    out.add(setAt(seg, path, value, i + 1));
    return out;
  }
  if (isObject(doc)) {
    const entries = objectEntries(doc);
    if (last) return makeObject([...entries.filter(([k]) => !equal(k, seg)), [seg, value]]);
    const child = objectGet(doc, seg);
    if (child === undefined) throw new PatchError("missing");
    return makeObject(entries.map(([k, v]) => [k, equal(k, seg) ? setAt(child, path, value, i + 1) : v] as [Value, Value]));
  }
  throw new PatchError("scalar");
}

function deleteAt(doc: Value, path: readonly Value[], i = 0): Value {
  if (path.length === 0) throw new PatchError("cannot delete root");
  const seg = path[i]!;
  const last = i === path.length - 1;
  if (Array.isArray(doc)) {
    const idx = arrayIndex(seg, doc.length, false);
    const out = doc.slice();
    if (last) out.splice(idx, 1);
    else out[idx] = deleteAt(doc[idx]!, path, i + 1);
    return out;
  }
  if (doc instanceof RegoSet) {
    if (!doc.has(seg)) throw new PatchError("missing");
    const rest = doc.sorted().filter((x) => !equal(x, seg));
    if (last) return new RegoSet(rest);
    const out = new RegoSet(rest);
    out.add(deleteAt(seg, path, i + 1));
    return out;
  }
  if (isObject(doc)) {
    const child = objectGet(doc, seg);
    if (child === undefined) throw new PatchError("missing");
    const entries = objectEntries(doc);
    if (last) return makeObject(entries.filter(([k]) => !equal(k, seg)));
    return makeObject(entries.map(([k, v]) => [k, equal(k, seg) ? deleteAt(child, path, i + 1) : v] as [Value, Value]));
  }
  throw new PatchError("scalar");
}

function getAt(doc: Value, path: readonly Value[]): Value {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(seg, cur.length, false)]!;
    else if (cur instanceof RegoSet) {
      if (!cur.has(seg)) throw new PatchError("missing");
      cur = seg;
    } else if (isObject(cur)) {
      const v = objectGet(cur, seg);
      if (v === undefined) throw new PatchError("missing");
      cur = v;
    } else throw new PatchError("scalar");
  }
  return cur;
}

function patchPath(p: Value | undefined): Value[] {
  if (p === undefined) throw new PatchError("missing path");
  if (typeof p === "string") {
    if (p === "") return [];
    return p
      .replace(/^\/+/, "")
      .split("/")
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  }
  if (Array.isArray(p)) return p;
  throw new PatchError("bad path");
}

function jsonPatch(a: Value[]): Value | undefined {
  // `doc` is undefined after the root has been removed; only a root add can restore it.
  let doc: Value | undefined = a[0]!;
  const ops = arr("json.patch", a, 1);
  const present = (d: Value | undefined): Value => {
    if (d === undefined) throw new PatchError("document removed");
    return d;
  };
  try {
    for (const opv of ops) {
      if (!isObject(opv)) return undefined;
      const op = objectGet(opv, "op");
      if (typeof op !== "string") return undefined;
      const path = patchPath(objectGet(opv, "path"));
      const need = (k: string): Value => {
        const v = objectGet(opv, k);
        if (v === undefined) throw new PatchError(`missing '${k}' attribute`);
        return v;
      };
      switch (op) {
        case "add": {
          const v = need("value");
          doc = path.length === 0 ? v : setAt(present(doc), path, v);
          break;
        }
        case "remove":
          doc = path.length === 0 ? (present(doc), undefined) : deleteAt(present(doc), path);
          break;
        case "replace": {
          const v = need("value");
          if (path.length === 0) {
            present(doc);
            doc = v;
            break;
          }
          doc = setAt(deleteAt(present(doc), path), path, v);
          break;
        }
        case "move": {
          const from = patchPath(need("from"));
          const chunk = getAt(present(doc), from);
          const rest: Value | undefined = from.length === 0 ? undefined : deleteAt(present(doc), from);
          doc = path.length === 0 ? chunk : setAt(present(rest), path, chunk);
          break;
        }
        case "copy": {
          const from = patchPath(need("from"));
          const chunk = getAt(present(doc), from);
          doc = path.length === 0 ? chunk : setAt(present(doc), path, chunk);
          break;
        }
        case "test":
          if (!equal(getAt(present(doc), path), need("value"))) return undefined;
          break;
        default:
          return undefined;
      }
    }
  } catch (e) {
    if (e instanceof PatchError) return undefined;
    throw e;
  }
  return doc;
}

export const objectsBuiltins: readonly Builtin[] = [
  def("object.get", 3, get),
  def("object.keys", 1, (a) => makeSet(objectKeys(obj("object.keys", a, 0)))),
  def("object.remove", 2, remove),
  def("object.filter", 2, filter),
  def("object.union", 2, union),
  def("object.union_n", 1, unionN),
  def("object.subset", 2, subset),
  def("json.filter", 2, jsonFilter),
  def("json.remove", 2, jsonRemove),
  def("json.patch", 2, jsonPatch),
];
