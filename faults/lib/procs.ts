// Real processes for the fault suite: redis-server (primary, replica), redis-sentinel,
// EdgeClass server instances, each on a free loopback port, and the folders they use.
// A Topology owns what it started and removes all of it in stop().
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { freePort } from "../../bench/lib/process.ts";

const ROOT = join(import.meta.dir, "..", "..");

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await Bun.sleep(everyMs);
  }
}

export function redisCli(port: number, ...args: string[]): string {
  const r = Bun.spawnSync(["redis-cli", "-h", "127.0.0.1", "-p", String(port), ...args], { stdout: "pipe", stderr: "pipe" });
  return r.stdout.toString().trim();
}

function need(bin: string, pkg: string): string {
  const path = Bun.which(bin);
  if (!path) throw new Error(`${bin} is missing: install Debian's ${pkg} (.ci/run does)`);
  return path;
}

export interface RedisProc {
  port: number;
  url: string;
  /** kill -9: everything in memory is gone (these servers keep nothing on disk). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Sends a signal (SIGSTOP/SIGCONT: a frozen primary whose connections stay open). */
  signal(sig: NodeJS.Signals): void;
}

export interface SentinelSet {
  /** "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3" as REDIS_SENTINELS takes it. */
  addresses: string;
  name: string;
  /** The primary's port as the sentinels see it now. */
  primaryPort(): number;
}

export interface InstanceProc {
  name: string;
  base: string;
  port: number;
  dataDir: string;
  proc: Subprocess;
  pid: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface InstanceOptions {
  name: string;
  env?: Record<string, string>;
  /** Run inside a private mount namespace with DATA_DIR on a tmpfs of this many MiB (disk-full fault). */
  tmpfsMiB?: number;
  waitReady?: boolean;
}

/** Everything one run of a fault starts. stop() kills it all (SIGKILL) and removes the folders. */
export class Topology {
  readonly jwtSecret = `faults-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  readonly dir = mkdtempSync(join(tmpdir(), "edgeclass-faults-"));
  private readonly procs: Subprocess[] = [];
  private stopped = false;

  private track(p: Subprocess): Subprocess {
    this.procs.push(p);
    return p;
  }

  /** A redis-server without persistence; `replicaOf` makes it a replica of that port. */
  async redis(opts: { replicaOf?: number; port?: number; args?: string[] } = {}): Promise<RedisProc> {
    const bin = need("redis-server", "redis-server");
    const port = opts.port ?? (await freePort());
    const dir = mkdtempSync(join(this.dir, `redis-${port}-`));
    const args = [
      bin,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--protected-mode",
      "no",
    ];
    if (opts.replicaOf) args.push("--replicaof", "127.0.0.1", String(opts.replicaOf));
    args.push(...(opts.args ?? []));
    let proc: Subprocess | null = null;
    const start = async () => {
      proc = this.track(spawn(args, { stdout: "ignore", stderr: "ignore" }));
      await until(`redis on ${port} answers`, () => redisCli(port, "ping") === "PONG", 10_000);
    };
    await start();
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      start,
      async kill() {
        proc?.kill("SIGKILL");
        await proc?.exited;
      },
      signal(sig) {
        proc?.kill(sig);
      },
    };
  }

  /** Three (or n) sentinels watching `primaryPort` with low timeouts, ready once they see the
   *  replica and each other (so a failover can start at once). */
  async sentinels(
    primaryPort: number,
    opts: { n?: number; downAfterMs?: number; failoverTimeoutMs?: number; replicaPorts?: number[] } = {},
  ): Promise<SentinelSet> {
    const n = opts.n ?? 3;
    const name = "edgeclass";
    // Debian ships redis-sentinel as a link to redis-server; `redis-server <conf> --sentinel` is the same.
    const sentinelBin = Bun.which("redis-sentinel");
    const serverBin = need("redis-server", "redis-server");
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const port = await freePort();
      ports.push(port);
      const conf = join(this.dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          "protected-mode no",
          `dir ${this.dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} ${Math.floor(n / 2) + 1}`,
          `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs ?? 3000}`,
          `sentinel parallel-syncs ${name} 1`,
          // Known from the start: otherwise a sentinel finds replicas in the primary's INFO, every 10 s.
          ...(opts.replicaPorts ?? []).map((p) => `sentinel known-replica ${name} 127.0.0.1 ${p}`),
          "",
        ].join("\n"),
      );
      this.track(spawn(sentinelBin ? [sentinelBin, conf] : [serverBin, conf, "--sentinel"], { stdout: "ignore", stderr: "ignore" }));
    }
    const replicas = opts.replicaPorts?.length ?? 1;
    for (const port of ports) {
      await until(
        `sentinel ${port} knows the primary, ${replicas} replica(s) and ${n - 1} other sentinels`,
        () => {
          const master = redisCli(port, "sentinel", "master", name);
          const field = (k: string) => Number(new RegExp(`^${k}\\n(\\d+)$`, "m").exec(master)?.[1] ?? -1);
          return field("num-slaves") >= replicas && field("num-other-sentinels") >= n - 1;
        },
        20_000,
        100,
      );
    }
    return {
      addresses: ports.map((p) => `127.0.0.1:${p}`).join(","),
      name,
      primaryPort() {
        for (const p of ports) {
          const out = redisCli(p, "sentinel", "get-master-addr-by-name", name).split("\n");
          if (out.length === 2) return Number(out[1]);
        }
        return -1;
      },
    };
  }

  /** One EdgeClass server process on a free port with a data folder of its own. */
  async instance(opts: InstanceOptions): Promise<InstanceProc> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(this.dir, `data-${opts.name}-`));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      JWT_SECRET: this.jwtSecret,
      INSTANCE_ID: opts.name,
      LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? "error",
      DEMO: "false",
      RECONNECT_GRACE_MS: "10000",
      ...opts.env,
    };
    let cmd = [process.execPath, join(ROOT, "packages/server/src/main.ts")];
    if (opts.tmpfsMiB) {
      // A private mount namespace (unprivileged through a user namespace when not root): the
      // tmpfs exists only for this process and goes away with it.
      need("unshare", "util-linux");
      cmd = ["unshare", "-Urm", "sh", "-c", `mount -t tmpfs -o size=${opts.tmpfsMiB}m tmpfs "$0" && exec "$@"`, dataDir, ...cmd];
    }
    const proc = this.track(
      spawn(cmd, {
        cwd: ROOT,
        env,
        stdout: process.env.FAULTS_VERBOSE ? "inherit" : "ignore",
        stderr: process.env.FAULTS_VERBOSE ? "inherit" : "ignore",
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    if (opts.waitReady ?? true) await waitReady(base, 30_000, proc);
    return {
      name: opts.name,
      base,
      port,
      dataDir,
      proc,
      pid: proc.pid,
      async kill(signal = "SIGKILL") {
        proc.kill(signal);
        await proc.exited;
      },
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.procs) p.kill("SIGKILL");
    await Promise.all(this.procs.map((p) => p.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitReady(base: string, timeoutMs = 30_000, proc?: Subprocess): Promise<void> {
  await until(
    `${base}/readyz is 200`,
    async () => {
      if (proc?.exitCode !== null && proc?.exitCode !== undefined) throw new Error(`${base}: the server exited with ${proc.exitCode}`);
      return (await fetch(`${base}/readyz`).catch(() => null))?.status === 200;
    },
    timeoutMs,
    100,
  );
}
