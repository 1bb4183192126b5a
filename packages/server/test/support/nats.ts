// A NATS topology of the test's own: a hub nats-server and leaf nodes, each with its own
// JetStream domain, written as config files in a temp folder, on free ports. A leaf can be
// killed and started again (same store, same port) to cut a city's link.
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hubConfig, leafConfig, type LiteralCityCredentials } from "../../src/central/nats-config.ts";
import { freePort } from "./instances.ts";

interface NatsProcess {
  url: string;
  start(): Promise<void>;
  kill(): Promise<void>;
}

function natsBin(): string {
  const bin = Bun.which("nats-server") ?? (Bun.file("/usr/sbin/nats-server").size > 0 ? "/usr/sbin/nats-server" : null);
  if (!bin) throw new Error("nats-server is missing: install Debian's nats-server (.ci/run expects it)");
  return bin;
}

async function waitPort(port: number, proc: Subprocess, log: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null)
      throw new Error(
        `nats-server exited (${proc.exitCode}): ${await Bun.file(log)
          .text()
          .catch(() => "")}`,
      );
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(
    `nats-server on ${port} did not listen within ${timeoutMs} ms: ${await Bun.file(log)
      .text()
      .catch(() => "")}`,
  );
}

function serverProcess(conf: string, port: number, log: string): NatsProcess {
  let proc: Subprocess | null = null;
  return {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      proc = spawn([natsBin(), "-c", conf, "-l", log], { stdout: "ignore", stderr: "ignore" });
      await waitPort(port, proc, log);
    },
    async kill() {
      proc?.kill("SIGKILL");
      await proc?.exited;
      proc = null;
    },
  };
}

export interface Topology {
  dir: string;
  hub: NatsProcess & { leafPort: number };
  /** Credentials the central service uses at the hub. */
  central: { user: string; pass: string };
  leaves: Map<string, NatsProcess & { creds: LiteralCityCredentials }>;
  /** Another leaf signed in with a city's hub credentials, configured as its operator likes. */
  rogueLeaf(city: string, opts: { localPublish: string[]; domain: string }): Promise<NatsProcess & { creds: LiteralCityCredentials }>;
  close(): Promise<void>;
}

/** Starts a hub and one leaf per city; each city gets its own credentials at its leaf and at the hub. */
export async function natsTopology(cities: string[]): Promise<Topology> {
  const dir = mkdtempSync(join(tmpdir(), "edgeclass-nats-"));
  const hubPort = await freePort();
  const leafPort = await freePort();
  const central = { user: "central", pass: crypto.randomUUID() };
  const creds = new Map(
    cities.map((c) => [
      c,
      {
        city: c,
        user: c,
        pass: crypto.randomUUID(),
        leafUser: `leaf-${c}`,
        leafPass: crypto.randomUUID(),
      } satisfies LiteralCityCredentials,
    ]),
  );
  const hubConf = join(dir, "hub.conf");
  writeFileSync(hubConf, hubConfig({ port: hubPort, leafPort, storeDir: join(dir, "hub-js"), central, cities: [...creds.values()] }));
  const hub = Object.assign(serverProcess(hubConf, hubPort, join(dir, "hub.log")), { leafPort });
  await hub.start();
  const leaves = new Map<string, NatsProcess & { creds: LiteralCityCredentials }>();
  for (const c of creds.values()) {
    const port = await freePort();
    const conf = join(dir, `${c.city}.conf`);
    writeFileSync(
      conf,
      leafConfig({ port, hubLeafUrl: `nats-leaf://127.0.0.1:${leafPort}`, storeDir: join(dir, `${c.city}-js`), creds: c }),
    );
    const leaf = Object.assign(serverProcess(conf, port, join(dir, `${c.city}.log`)), { creds: c });
    await leaf.start();
    leaves.set(c.city, leaf);
  }
  const extra: NatsProcess[] = [];
  return {
    dir,
    hub,
    central,
    leaves,
    async rogueLeaf(city, opts) {
      const c = creds.get(city)!;
      const port = await freePort();
      const conf = join(dir, `rogue-${city}.conf`);
      writeFileSync(
        conf,
        leafConfig({ port, hubLeafUrl: `nats-leaf://127.0.0.1:${leafPort}`, storeDir: join(dir, `rogue-${city}-js`), creds: c, ...opts }),
      );
      const leaf = Object.assign(serverProcess(conf, port, join(dir, `rogue-${city}.log`)), { creds: c });
      extra.push(leaf);
      await leaf.start();
      await Bun.sleep(500); // the leaf connection to the hub
      return leaf;
    },
    async close() {
      for (const l of extra) await l.kill();
      for (const l of leaves.values()) await l.kill();
      await hub.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
