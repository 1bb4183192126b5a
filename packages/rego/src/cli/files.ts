// File helpers for the CLI (Node/Bun APIs allowed here only).

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
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

/** loads .rego files from files or directories */
export function loadModules(paths: string[]): ModuleSource[] {
  const out: ModuleSource[] = [];
  for (const p of paths) {
    for (const f of findFiles(p, (n) => n.endsWith(".rego"))) out.push({ path: f, source: readFileSync(f, "utf8") });
  }
  return out;
}
