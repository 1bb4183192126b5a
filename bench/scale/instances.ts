// bench:scale helpers: start N server instances of one run (one shared data folder, one
// Redis prefix, distinct instance ids, each pinned to a core), stop them, and remove the
// run's keys from Redis.
import type { Subprocess } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import Redis from "ioredis";
import { freePort, spawnPinned, waitForHttp } from "../lib/process.ts";

const CLK_TCK = 100;

export interface Instance {
  index: number;
  id: string;
  base: string;
  core: number | null;
  proc: Subprocess;
}

export interface InstanceSettings {
  count: number;
  dataDir: string;
  /** Unset: no REDIS_URL, one instance on embedded defaults. */
  redis: { url: string; prefix: string } | null;
  /** Core of instance i (null: not pinned). */
  coreOf(i: number): number | null;
  idPrefix: string;
  env: Record<string, string>;
}

/**
 * Starts the instances one after the other (the first creates the SQLite file and runs its
 * migrations; the others open it), each ready (GET /readyz 200: with Redis, connected) before
 * the next starts.
 */
export async function startInstances(s: InstanceSettings): Promise<Instance[]> {
  const out: Instance[] = [];
  try {
    for (let i = 0; i < s.count; i++) {
      const port = await freePort();
      const id = `${s.idPrefix}-${i}`;
      const env: Record<string, string> = { ...s.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: s.dataDir, INSTANCE_ID: id };
      if (s.redis) Object.assign(env, { REDIS_URL: s.redis.url, REDIS_PREFIX: s.redis.prefix });
      const core = s.coreOf(i);
      const proc = spawnPinned([process.execPath, "packages/server/src/main.ts"], env, core);
      const base = `http://127.0.0.1:${port}`;
      out.push({ index: i, id, base, core, proc });
      await waitForReady(`${base}/readyz`, proc);
    }
    return out;
  } catch (e) {
    await stopInstances(out);
    throw e;
  }
}

async function waitForReady(url: string, proc: Subprocess, timeoutMs = 20_000): Promise<void> {
  await waitForHttp(url.replace("/readyz", "/healthz"), timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`instance exited with ${proc.exitCode} before it was ready`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`${url} not 200 within ${timeoutMs} ms`);
}

/** SIGTERM (the server drains and checkpoints SQLite), SIGKILL after 10 s. */
export async function stopInstances(list: Instance[]): Promise<void> {
  for (const x of list) x.proc.kill("SIGTERM");
  await Promise.race([Promise.all(list.map((x) => x.proc.exited)), Bun.sleep(10_000)]);
  for (const x of list) if (x.proc.exitCode === null) x.proc.kill("SIGKILL");
}

/** PING, so that a missing Redis fails the run at once with a clear message. */
export async function redisReachable(url: string): Promise<string | null> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    r.disconnect();
  }
}

/**
 * Redis's own CPU time so far (INFO cpu: used_cpu_user + used_cpu_sys, seconds): Redis shares the machine's cores with the instances and
 * clients.
 */
export async function redisCpuSeconds(r: Redis): Promise<number> {
  try {
    const info = await r.info("cpu");
    const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, "m").exec(info)?.[1] ?? NaN);
    return get("used_cpu_user") + get("used_cpu_sys");
  } catch {
    return NaN;
  }
}

/** CPU seconds every core has spent busy since boot (/proc/stat: all but idle and iowait). */
export function machineBusySeconds(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK;
}

/** CPU seconds of a process and all its live descendants (this bench: instances, their media workers, client processes). */
export function treeCpuSeconds(root: number): number {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(name), Number(f[1]));
      cpu.set(Number(name), (Number(f[11]) + Number(f[12])) / CLK_TCK);
    } catch {}
  }
  let total = 0;
  for (const [pid, secs] of cpu) {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) {
      if (p === root) {
        total += secs;
        break;
      }
    }
  }
  return total;
}

/** Deletes every key under `prefix` (SCAN + DEL); returns how many. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    let n = 0;
    const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) n += await r.del(...keys);
    } while (cursor !== "0");
    return n;
  } finally {
    r.disconnect();
  }
}
