// Three server processes sharing a Redis of the test's own, for the media tests across
// instances (media home, cascade): their API, students who join and watch with synthetic WebRTC
// peers, and what to clean up.
import { readFileSync, rmSync } from "node:fs";
import { join as joinPath } from "node:path";
import { CountingSubscriber, signalAs } from "../../../../bench/sfu/ndc-peer.ts";
import { apiClient, privateRedis, spawned, startInstance, uniquePrefix, type Instance } from "./instances.ts";
import { tempDir } from "./server.ts";
import { join, type Peer } from "./ws.ts";

export const CLASS = "demo-class-1";

export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await Bun.sleep(50);
  }
  return cond();
}

export async function metric(base: string, pattern: RegExp): Promise<number> {
  const m = pattern.exec(await (await fetch(`${base}/metrics`)).text());
  return m ? Number(m[1]) : 0;
}

export interface MediaCluster {
  inst: Instance[];
  secret: string;
  /** The cluster's Redis and key prefix (to read what the instances keep there). */
  redisUrl: string;
  prefix: string;
  token: ReturnType<typeof apiClient>["token"];
  api: ReturnType<typeof apiClient>["api"];
  /** Things to close when the file's tests end. */
  closers: (() => void)[];
  /** A student who joins the live class through `base` and watches its video there. */
  watcher(base: string, student: string): Promise<CountingSubscriber>;
  close(): Promise<void>;
}

/** Instances "home-a", "b" and "c" on one data folder (one catalogue), with `env` added. */
export async function startMediaCluster(env: Record<string, string> = {}): Promise<MediaCluster> {
  const redis = await privateRedis();
  const dataDir = tempDir("edgeclass-media-cluster-");
  const prefix = uniquePrefix();
  const inst: Instance[] = [];
  for (const name of ["home-a", "b", "c"]) {
    inst.push(
      await startInstance({ DATA_DIR: dataDir, REDIS_URL: redis.url, REDIS_PREFIX: prefix, INSTANCE_ID: name, MEDIA_WORKERS: "1", ...env }),
    );
  }
  const secret = readFileSync(joinPath(dataDir, "jwt-secret"), "utf8").trim();
  const { token, api } = apiClient(secret);
  const peers: Peer[] = [];
  const closers: (() => void)[] = [];
  return {
    inst,
    secret,
    redisUrl: redis.url,
    prefix,
    token,
    api,
    closers,
    async watcher(base, student) {
      const tok = await token("student", student);
      const { peer } = await join(base, CLASS, tok);
      peers.push(peer);
      const sub = new CountingSubscriber(student);
      closers.push(() => sub.close());
      await sub.connect(`${base}/api/classes/${CLASS}/whep`, signalAs(tok));
      return sub;
    },
    async close() {
      for (const c of closers) c();
      for (const p of peers) p.close();
      for (const p of spawned) p.kill("SIGKILL");
      await redis.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
