/** Graphs given as objects of node -> array/set of neighbours: graph.reachable, graph.reachable_paths. */
import { RegoSet, objectGet, type RegoObject, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { def, obj, typeErr } from "./util.ts";

function vertices(v: Value | undefined): readonly Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  return [];
}

function initial(name: string, a: Value[]): readonly Value[] {
  const v = a[1]!;
  if (!Array.isArray(v) && !(v instanceof RegoSet)) throw typeErr(name, 2, v, "{array, set}");
  return vertices(v);
}

function reachable(a: Value[]): Value {
  const graph = obj("graph.reachable", a, 0);
  const queue = initial("graph.reachable", a).slice();
  const reached = new RegoSet();
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    const edges = objectGet(graph, node);
    if (edges === undefined) continue;
    for (const n of vertices(edges)) if (!reached.has(n)) queue.push(n);
    reached.add(node);
  }
  return reached;
}

function pathBuilder(graph: RegoObject, root: Value, path: Value[], out: RegoSet, reached: RegoSet): void {
  const edges = objectGet(graph, root);
  if (edges === undefined) {
    out.add(path);
    return;
  }
  const p = [...path, root];
  const ns = vertices(edges);
  if (ns.length === 0) {
    out.add(p);
    return;
  }
  const r = new RegoSet(reached.sorted());
  r.add(root);
  for (const n of ns) {
    if (r.has(n)) out.add(p);
    else pathBuilder(graph, n, p, out, r);
  }
}

function reachablePaths(a: Value[]): Value {
  const graph = obj("graph.reachable_paths", a, 0);
  const out = new RegoSet();
  for (const node of initial("graph.reachable_paths", a)) {
    const edges = objectGet(graph, node);
    if (edges === undefined) continue;
    const ns = vertices(edges);
    if (ns.length === 0) out.add([node]);
    else for (const n of ns) pathBuilder(graph, n, [node], out, new RegoSet([node]));
  }
  return out;
}

export const graphBuiltins: readonly Builtin[] = [def("graph.reachable", 2, reachable), def("graph.reachable_paths", 2, reachablePaths)];
