// A Sentinel connection that ioredis gives up for good must come back. ioredis ends a connection
// ("end", no retry) when it is disconnected while it is still asking the sentinels for the
// primary: its failover detector does exactly that on +switch-master, and in the Sentinel fault
// one instance then stayed away from Redis for the rest of the run (20 of 40 students refused,
// their answers missing from its results). Real redis-server and redis-sentinel; the sentinel is
// frozen (SIGSTOP) to hold the connection in that phase, which is otherwise a race.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type Subprocess } from "bun";
import { createRedisMetrics, RedisLink } from "../src/cluster/redis.ts";
import { createLogging } from "../src/obs/logger.ts";
import { Registry } from "../src/obs/prom.ts";
import { eventually, freePort, privateRedis } from "./support/instances.ts";

const procs: Subprocess[] = [];
const dir = mkdtempSync(join(tmpdir(), "edgeclass-sentinel-link-"));
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("a Sentinel connection ended while it asked the sentinel for the primary connects again", async () => {
  const primary = await privateRedis();
  const primaryPort = Number(new URL(primary.url).port);
  const port = await freePort();
  const conf = join(dir, "sentinel.conf");
  writeFileSync(conf, [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, `sentinel monitor m 127.0.0.1 ${primaryPort} 1`, ""].join("\n"));
  const sentinel = spawn([Bun.which("redis-sentinel") ?? "redis-sentinel", conf], { stdout: "ignore", stderr: "ignore" });
  procs.push(sentinel);
  await eventually(async () => {
    const probe = spawn(["redis-cli", "-p", String(port), "sentinel", "get-master-addr-by-name", "m"], { stdout: "pipe" });
    const out = await new Response(probe.stdout).text();
    if (!out.includes(String(primaryPort))) throw new Error("the sentinel does not know the primary yet");
  });

  const link = new RedisLink(
    { url: "redis://127.0.0.1/0", prefix: "t:", sentinels: `127.0.0.1:${port}`, sentinelName: "m" },
    createRedisMetrics(new Registry()),
    createLogging("silent").logger,
  );
  try {
    sentinel.kill("SIGSTOP"); // the connection now waits for the sentinel's answer
    const connecting = link.connect().catch(() => {});
    await Bun.sleep(300);
    link.cmd.disconnect(true); // what the failover detector does on +switch-master
    sentinel.kill("SIGCONT"); // it answers: too late, the connect fails with "Connection is closed."
    await connecting;
    await eventually(async () => {
      if (!link.healthy()) throw new Error(`not connected again: ${link.cmd.status}`);
    }, 10_000);
    expect(await link.cmd.ping()).toBe("PONG");
  } finally {
    await link.close();
    await primary.kill();
  }
}, 30_000);
