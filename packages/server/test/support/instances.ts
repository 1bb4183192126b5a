// Server processes for scale-out tests: spawn, wait for readiness, call the API, and a
// private redis-server that a test may kill and start again.
import { spawn, type Subprocess } from "bun";
import { mintToken } from "../../src/auth/tokens.ts";
import { fetchUnpooled } from "../../src/http/fetch-unpooled.ts";

export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port as number;
  s.stop(true);
  return port;
}

export async function waitReady(base: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`${base} not ready within ${timeoutMs} ms`);
}

/** Retries a check until it passes (replication is asynchronous); the last failure is thrown. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await Bun.sleep(100);
    }
  }
}

export interface Instance {
  proc: Subprocess;
  base: string;
  /** What the process (and its media workers) wrote to stderr, line by line. */
  stderr: string[];
}

/** Processes and folders to clean up after the file's tests. */
export const spawned: Subprocess[] = [];

/** A JSON log line below error level (pino's 50): warnings such as Redis going away are a test's business. */
const isQuietLogLine = (line: string) => line.startsWith('{"level":') && Number(line.slice(9, 11)) < 50;

/**
 * Copies a child's errors to the test's stderr, each line marked with the instance's port: its error
 * log lines (JSON on stdout) and anything else it prints (a crash) then sit next to a failing test's
 * assertion, where npm test's failure summary shows them.
 */
async function echoLines(stream: ReadableStream<Uint8Array>, mark: string, kept?: string[]): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (!isQuietLogLine(line)) process.stderr.write(`${mark} ${line}\n`);
    kept?.push(...lines);
  }
}

export async function startInstance(env: Record<string, string>, opts: { waitReady?: boolean } = {}): Promise<Instance> {
  const port = await freePort();
  const proc = spawn([process.execPath, "packages/server/src/main.ts"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  spawned.push(proc);
  const stderr: string[] = [];
  void echoLines(proc.stdout, `[instance :${port}]`);
  void echoLines(proc.stderr, `[instance :${port}]`, stderr);
  const base = `http://127.0.0.1:${port}`;
  if (opts.waitReady ?? true) await waitReady(base);
  return { proc, base, stderr };
}

export const uniquePrefix = () => `test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}:`;

/** Calls the REST API (a connection per call: see fetch-unpooled.ts); the body is whatever JSON came back. */
export async function api(base: string, method: string, path: string, tok: string, body?: unknown) {
  const r = await fetchUnpooled(base + path, {
    method,
    headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

export function apiClient(secret: string) {
  const token = (role: "student" | "teacher" | "admin", sub: string, name?: string, school?: string) =>
    mintToken(secret, { sub, role, name, school, ttlSeconds: 600 });
  return { token, api };
}

/** A redis-server of the test's own, on a free port, that keeps nothing on disk. */
export async function privateRedis() {
  const bin = Bun.which("redis-server");
  if (!bin) throw new Error("redis-server is missing: install Debian's redis-server (.ci/run expects it)");
  const port = await freePort();
  let proc: Subprocess | null = null;
  const start = async () => {
    proc = spawn([bin, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    spawned.push(proc);
    await Bun.sleep(300);
  };
  const kill = async () => {
    proc?.kill("SIGKILL");
    await proc?.exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, kill };
}
