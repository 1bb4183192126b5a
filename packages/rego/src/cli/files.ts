// File helpers for the CLI (Node/Bun APIs allowed here only).

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import type { ModuleSource } from "../index.ts";

/** every file under dir (sorted, recursive) whose name passes the filter */
export function findFiles(dir: string, accept: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    const names = readdirSync(d).sort();
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (accept(n)) out.push(p);
    }
  };
  if (statSync(dir).isDirectory()) walk(dir);
  else out.push(dir);
  return out;
}

export function relativeTo(base: string, p: string): string {
  const r = relative(base, p);
  return r === "" ? p : r;
}

type Json = Record<string, unknown>;

function mergeInto(target: Json, path: string[], value: unknown): void {
  let cur = target;
  for (const p of path) {
    if (typeof cur[p] !== "object" || cur[p] === null || Array.isArray(cur[p])) cur[p] = {};
    cur = cur[p] as Json;
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Json)) {
      if (typeof v === "object" && v !== null && !Array.isArray(v) && typeof cur[k] === "object" && cur[k] !== null) mergeInto(cur, [k], v);
      else cur[k] = v;
    }
  }
}

function parseData(file: string): unknown {
  const text = readFileSync(file, "utf8");
  return file.endsWith(".json") ? JSON.parse(text) : Bun.YAML.parse(text);
}

/** OPA's loader: .rego files become modules; data.json / data.yaml files are merged under data at their directory's path */
export function loadBundle(paths: string[]): { modules: ModuleSource[]; data: Json } {
  const modules: ModuleSource[] = [];
  const data: Json = {};
  for (const p of paths) {
    const isDir = statSync(p).isDirectory();
    for (const f of findFiles(p, (n) => n.endsWith(".rego") || /^data\.(json|ya?ml)$/.test(n) || (!isDir && /\.(json|ya?ml)$/.test(n)))) {
      if (f.endsWith(".rego")) {
        modules.push({ path: f, source: readFileSync(f, "utf8") });
        continue;
      }
      const rel = isDir ? relative(p, dirname(f)) : "";
      const segs = rel === "" ? [] : rel.split(sep);
      mergeInto(data, segs, parseData(f));
    }
  }
  return { modules, data };
}
