// Shared helpers for the deployment tests: render kustomizations, read YAML, validate objects
// against the Kubernetes API schemas that the npm package kubernetes-models carries.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export const ROOT = resolve(import.meta.dir, "../../../..");
export const DEPLOY = join(ROOT, "deploy");

export type Obj = Record<string, any>;

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  return { status: r.status ?? (r.error ? -1 : 0), stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

export function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

function parseYamlDocs(text: string, where = "yaml"): Obj[] {
  const out: Obj[] = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length) throw new Error(`${where}: ${d.errors[0]!.message}`);
    const js = d.toJS();
    if (js && typeof js === "object") out.push(js);
  }
  return out;
}

export function readYaml(path: string): Obj[] {
  return parseYamlDocs(readFileSync(path, "utf8"), path);
}

const renderCache = new Map<string, Obj[]>();

/** `kubectl kustomize <dir>` (kubectl carries kustomize v5; no cluster needed). */
export function kustomize(dir: string): Obj[] {
  const cached = renderCache.get(dir);
  if (cached) return cached;
  const r = run("kubectl", ["kustomize", join(ROOT, dir)]);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  const objs = parseYamlDocs(r.stdout, dir);
  renderCache.set(dir, objs);
  return objs;
}

/** The Wasm policy-decision service (the Wasm artefact's own kustomization). */
export const WASM_DIR = "deploy/k3s/wasm";

export const OVERLAYS = ["deploy/k3s/overlays/single-node", "deploy/k3s/overlays/edge-city"] as const;

export function find(objs: Obj[], kind: string, name?: string): Obj {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata?.name === name));
  if (!o) throw new Error(`no ${kind}${name ? " " + name : ""} rendered`);
  return o;
}

export function podSpec(o: Obj): Obj | undefined {
  if (o.kind === "Pod") return o.spec;
  if (o.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

// ---- Kubernetes API schemas ---------------------------------------------------------

/** Where kubernetes-models (and its CRD companions) keep the model for an apiVersion/kind. */
function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const candidates =
    group === ""
      ? [`kubernetes-models/${version}/${kind}`]
      : [`kubernetes-models/${group}/${version}/${kind}`, `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`];
  return candidates.find((c) => existsSync(join(ROOT, "node_modules", c + ".js")));
}

/**
 * Validates objects two ways, both offline:
 *  1. the model's JSON-schema validator (types, enums, required fields, formats);
 *  2. TypeScript's excess-property check against the model's interface, so a misspelt
 *     field name (which the JSON schemas of the Kubernetes API do not forbid) fails too.
 * Takes named groups of objects and runs the compiler once for all of them; returns the
 * problems of each group, one message per problem.
 */
export async function validateSchemaGroups(groups: Record<string, Obj[]>): Promise<Record<string, string[]>> {
  const problems: Record<string, string[]> = Object.fromEntries(Object.keys(groups).map((g) => [g, [] as string[]]));
  const imports = new Map<string, string>(); // module -> alias
  const decls: { group: string; where: string; line: string }[] = [];
  for (const [group, objs] of Object.entries(groups)) {
    for (const o of objs) {
      const where = `${o.kind}/${o.metadata?.name}`;
      const mod = modelModule(String(o.apiVersion), String(o.kind));
      if (!mod) {
        problems[group]!.push(`${where}: no schema for ${o.apiVersion} ${o.kind}`);
        continue;
      }
      const exported = await import(mod);
      const Model = exported[o.kind] ?? exported.default;
      try {
        new Model(o).validate();
      } catch (e) {
        problems[group]!.push(`${where}: ${(e as Error).message}`);
      }
      if (!imports.has(mod)) imports.set(mod, `T${imports.size}`);
      decls.push({ group, where, line: `export const o${decls.length}: ${imports.get(mod)} = ${JSON.stringify(o)};` });
    }
  }
  const head = [...imports].map(([mod, alias]) => {
    const kind = mod.slice(mod.lastIndexOf("/") + 1);
    return `import type { I${kind} as ${alias} } from ${JSON.stringify(join(ROOT, "node_modules", mod + ".js"))};`;
  });
  const dir = mkdtempSync(join(tmpdir(), "edgeclass-schema-"));
  try {
    writeFileSync(join(dir, "objects.ts"), [...head, ...decls.map((d) => d.line)].join("\n") + "\n");
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: "preserve", moduleResolution: "bundler", skipLibCheck: true, types: [] },
        files: ["objects.ts"],
      }),
    );
    const r = run(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")]);
    if (r.status !== 0) {
      const lines = (r.stdout + r.stderr).split("\n").filter((l) => l.includes("error TS"));
      if (lines.length === 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
      for (const line of lines) {
        const m = /objects\.ts\((\d+),\d+\): (.*)/.exec(line);
        const d = m ? decls[Number(m[1]) - 1 - head.length] : undefined;
        if (d) problems[d.group]!.push(`${d.where}: ${m![2]}`);
        else for (const g of Object.keys(problems)) problems[g]!.push(line);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}

export async function validateSchemas(objs: Obj[]): Promise<string[]> {
  return (await validateSchemaGroups({ all: objs })).all!;
}
