// Running the component here: `jco transpile` (cached by the component's digest) and a Node
// process serving it with preview2-shim's HTTP server. Used by the tests and the benchmark.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const ROOT = join(import.meta.dir, "..", "..");
const JCO = join(ROOT, "node_modules", ".bin", "jco");

export interface Transpiled {
  dir: string;
  /** the ES module jco wrote (<name>.js) */
  module: string;
  cached: boolean;
  ms: number;
}

function digest(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** `jco transpile <component> -o <dir>`, skipped when <dir> already holds this component's output. */
export function transpile(component: string, dir: string, opts: { instantiation?: "async" | "sync" } = {}): Transpiled {
  const name = "component";
  const stampFile = join(dir, ".stamp");
  const stamp = `${digest(component)} ${opts.instantiation ?? "esm"}`;
  const module = join(dir, `${name}.js`);
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp && existsSync(module)) return { dir, module, cached: true, ms: 0 };
  // Written next to <dir> and swapped in, so a test or benchmark running at the same time
  // (the workspace is shared) never sees a half-written or deleted directory for long.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const started = performance.now();
  const args = ["transpile", component, "-o", tmp, "--name", name, "--no-typescript", "--quiet"];
  if (opts.instantiation) args.push("--instantiation", opts.instantiation);
  const r = spawnSync(JCO, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_EXTRA_CA_CERTS: "" } });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`jco transpile failed (${r.status}): ${r.stderr}${r.stdout}`);
  }
  writeFileSync(join(tmp, ".stamp"), stamp);
  swapDir(tmp, dir);
  return { dir, module, cached: false, ms: Math.round(performance.now() - started) };
}

/** Replaces directory `dir` by `fresh` (two renames; the old one is removed afterwards). */
export function swapDir(fresh: string, dir: string): void {
  const old = `${dir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(fresh, dir);
  rmSync(old, { recursive: true, force: true });
}

export interface JcoServer {
  url: string;
  /**
   * serve-jco: import of the transpiled module (compile + instantiate + start); serve-fresh: compiling the core modules + a first instance
   */
  importMs: number;
  process: ChildProcess;
  close(): Promise<void>;
}

/** Starts `node scripts/wasm/serve-jco.mjs <module>` (one instance for every request) and waits until it answers. */
export function startJcoServer(module: string, timeoutMs = 60_000, core: number | null = null): Promise<JcoServer> {
  return startNodeServer("serve-jco.mjs", module, timeoutMs, core);
}

/**
 * Starts `node scripts/wasm/serve-fresh.mjs <dir>`: a fresh instance per request, as wasmtime
 * serve and runwasi's wasmtime shim run the component (`dir`: jco `--instantiation sync` output).
 */
export function startFreshInstanceServer(dir: string, timeoutMs = 60_000, core: number | null = null): Promise<JcoServer> {
  return startNodeServer("serve-fresh.mjs", dir, timeoutMs, core);
}

async function startNodeServer(script: string, target: string, timeoutMs: number, core: number | null): Promise<JcoServer> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "NODE_EXTRA_CA_CERTS") env[k] = v;
  const argv = ["node", join(ROOT, "scripts", "wasm", script), target];
  const cmd = core !== null && Bun.which("taskset") !== null ? ["taskset", "-c", String(core), ...argv] : argv;
  const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<{ port: number; importMs?: number; compileMs?: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jco server did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`jco server exited (${code}): ${stderr}`));
    });
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as { port: number; importMs?: number; compileMs?: number });
      } catch {
        reject(new Error(`unexpected output from the jco server: ${line}`));
      }
    });
  });
  const url = `http://127.0.0.1:${ready.port}`;
  // The listener starts on a worker thread after the line is printed: wait until it answers.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/health`);
      await r.arrayBuffer();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await Bun.sleep(50);
    }
  }
  let closed: Promise<void> | null = null;
  return {
    url,
    importMs: ready.importMs ?? ready.compileMs ?? 0,
    process: child,
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
      return closed;
    },
  };
}
