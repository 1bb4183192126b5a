// A throwaway Redis Cluster for tests: N masters (no replicas) of the installed
// `redis-server` on free loopback ports, in a temporary folder, created with
// `redis-cli --cluster create` and ready (cluster_state:ok on every node) when this resolves.
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisCluster {
  /** The nodes' client ports. */
  ports: number[];
  /** "127.0.0.1:p1,127.0.0.1:p2,..." as REDIS_CLUSTER_NODES takes it. */
  nodes: string;
  dir: string;
  /** Kills node i (SIGKILL); its data is gone (no persistence), its cluster config stays. */
  kill(i: number): Promise<void>;
  /** Starts node i again on the same ports and config; resolves once the cluster is ok again. */
  restart(i: number): Promise<void>;
  /** Kills every node (SIGKILL) and removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = s.port as number;
    s.stop(true);
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

function cli(...args: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(["redis-cli", ...args], { stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: r.stdout.toString() + r.stderr.toString() };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const redisServer = Bun.which("redis-server");
  if (!redisServer || !Bun.which("redis-cli"))
    throw new Error("redis-server / redis-cli are missing: install Debian's redis-server (.ci/run does)");
  const dir = mkdtempSync(join(tmpdir(), "edgeclass-redis-cluster-"));
  const procs: Subprocess[] = [];
  const args: string[][] = [];
  const taken = new Set<number>();
  const ports: number[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus gets its own free port (cluster-port, Redis 7) rather than port + 10000.
      const port = await freePort(taken);
      const busPort = await freePort(taken);
      ports.push(port);
      args.push([
        redisServer,
        ...["--port", String(port), "--cluster-port", String(busPort), "--bind", "127.0.0.1"],
        ...["--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "2000"],
        ...["--dir", dir, "--save", "", "--appendonly", "no"],
      ]);
      procs.push(spawn(args[i], { stdout: "ignore", stderr: "ignore" }));
    }
    for (const port of ports) await until(`node ${port} answers`, () => cli("-p", String(port), "ping").out.includes("PONG"), 5000);
    const created = cli("--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes");
    if (!created.ok) throw new Error(`redis-cli --cluster create failed:\n${created.out}`);
    await allOk();
  } catch (e) {
    await stop();
    throw e;
  }
  async function allOk() {
    for (const port of ports)
      await until(
        `node ${port} reports cluster_state:ok`,
        () => cli("-p", String(port), "cluster", "info").out.includes("cluster_state:ok"),
        10_000,
      );
  }
  return {
    ports,
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(","),
    dir,
    stop,
    async kill(i) {
      procs[i].kill("SIGKILL");
      await procs[i].exited;
    },
    async restart(i) {
      procs[i] = spawn(args[i], { stdout: "ignore", stderr: "ignore" });
      await until(`node ${ports[i]} answers`, () => cli("-p", String(ports[i]), "ping").out.includes("PONG"), 5000);
      await allOk();
    },
  };
}
