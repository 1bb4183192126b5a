// Helpers for benchmarks: spawn servers pinned to a core, wait for them, run wrk, summarise.
import { spawn, spawnSync, type Subprocess } from "bun";

export const hasTaskset = Bun.which("taskset") !== null;

/** Spawns a command, pinned to `core` when taskset exists, so the load generator gets the other core. */
export function spawnPinned(cmd: string[], env: Record<string, string>, core: number | null): Subprocess {
  const argv = core !== null && hasTaskset ? ["taskset", "-c", String(core), ...cmd] : cmd;
  return spawn(argv, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
}

/**
 * The image's entrypoint form (scripts/image.ts): one executable with the runtime and the program as
 * JSC bytecode, split so lazily loaded parts are not evaluated at start. Built from `cwd`.
 */
export function compileServer(outfile: string, cwd = process.cwd()): void {
  const opts = ["--compile", "--bytecode", "--splitting", "--format", "esm", "--minify", "--outfile", outfile];
  const built = spawnSync([process.execPath, "build", "packages/server/src/main.ts", ...opts], { cwd, stdout: "pipe", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`bun build --compile failed in ${cwd}: ${built.stderr}`);
}

export async function waitForHttp(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {}
    await Bun.sleep(20);
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}

/** A free TCP port on 127.0.0.1, never one handed out before in this process (the kernel may
 *  give a just-released port again before its first taker binds it). */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
  for (;;) {
    const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = s.port as number;
    s.stop(true);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function parseFlags(argv: string[]): { json: boolean; values: Record<string, string> } {
  const values: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2);
      values[k] = v ?? argv[++i] ?? "";
    }
  }
  return { json, values };
}
