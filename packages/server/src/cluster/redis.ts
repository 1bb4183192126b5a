// Connections to the Redis that ties instances together. Three shapes: one Redis
// (REDIS_URL), Sentinel (REDIS_SENTINELS) or Redis Cluster (REDIS_CLUSTER_NODES).
// On one Redis or Sentinel: one connection for commands and scripts, one for plain
// pub/sub. On Cluster: one ioredis Cluster client for commands and scripts, and every
// channel uses sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7) on one subscriber
// connection per master (ShardedSubscriptions, sharded-pubsub.ts), so a class's events stay on the
// shard that holds its keys instead of being broadcast to every node.
// Commands fail fast while Redis is unreachable (no offline queue), so callers can
// refuse clearly instead of hanging.
import Redis, { Cluster, type ClusterOptions, type DNSLookupFunction, type RedisOptions } from "ioredis";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Gauge, Histogram, Registry } from "../obs/prom.ts";
import { Scripts } from "./scripts.ts";
import { ShardedSubscriptions } from "./sharded-pubsub.ts";

export interface RedisSettings {
  url: string;
  /** Key and channel prefix, so several deployments (or test runs) can share one Redis. */
  prefix: string;
  /** Sentinel: "host:port,host:port" and the master's name; the URL then gives password and db. */
  sentinels?: string;
  sentinelName?: string;
  /** Redis Cluster seed nodes "host:port,host:port" (the others are discovered); the URL then
   *  gives user, password and TLS (rediss://). */
  clusterNodes?: string;
}

/** "host:port,host:port" into addresses (port defaults to `defaultPort`; "[::1]:7000" for IPv6). */
export function parseHostList(list: string, defaultPort: number): { host: string; port: number }[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((hp) => {
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(hp) ?? /^([^:]+)(?::(\d+))?$/.exec(hp);
      if (!m) throw new Error(`expected host:port, got ${JSON.stringify(hp)}`);
      return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
    });
}

export interface RedisMetrics {
  latency: Histogram;
  errors: Counter;
  up: Gauge;
  ownershipChanges: Counter;
  messages: Counter;
}

export function createRedisMetrics(registry: Registry): RedisMetrics {
  return {
    latency: registry.histogram({
      name: "edgeclass_redis_command_seconds",
      help: "Latency of Redis commands and scripts on the live path.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    }),
    errors: registry.counter({ name: "edgeclass_redis_errors_total", help: "Redis commands that failed or timed out." }),
    up: registry.gauge({ name: "edgeclass_redis_up", help: "1 while the Redis connection is ready, else 0." }),
    ownershipChanges: registry.counter({
      name: "edgeclass_cluster_ownership_changes_total",
      help: "Live classes this instance took over or gave up.",
      labelNames: ["change"],
    }),
    messages: registry.counter({
      name: "edgeclass_cluster_messages_total",
      help: "Messages exchanged with other instances through Redis, by direction and kind.",
      labelNames: ["direction", "kind"],
    }),
  };
}

type Connection = Redis | Cluster;

export class RedisLink {
  /** Commands and scripts (on Cluster, routed to the node of the first key's slot). */
  readonly cmd: Connection;
  /** Plain pub/sub on one Redis or Sentinel; on Cluster the same client as `cmd` (channels go through `shards`). */
  readonly sub: Connection;
  /** True on Redis Cluster: channels use sharded pub/sub. */
  readonly cluster: boolean;
  /** The Lua scripts, registered once on `cmd` (scripts.ts). */
  readonly scripts: Scripts;
  private readonly shards: ShardedSubscriptions | null = null;
  private readyListeners: (() => void)[] = [];

  constructor(
    readonly settings: RedisSettings,
    private readonly metrics: RedisMetrics,
    logger: Logger,
  ) {
    const common: RedisOptions = {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      lazyConnect: true,
      enableAutoPipelining: true,
    };
    this.cluster = Boolean(settings.clusterNodes);
    if (settings.clusterNodes) {
      const options = clusterOptions(settings.url);
      const cluster = new Cluster(parseHostList(settings.clusterNodes, 6379), options);
      this.cmd = this.sub = cluster;
      this.shards = new ShardedSubscriptions(cluster, options.redisOptions ?? {}, (e, node) => {
        metrics.errors.inc();
        logger.warn({ err: e.message, node }, "redis shard subscriber error");
      });
    } else {
      const make = () => {
        if (settings.sentinels) {
          const url = new URL(settings.url);
          return new Redis({
            ...common,
            sentinels: parseHostList(settings.sentinels, 26379),
            name: settings.sentinelName ?? "mymaster",
            // A primary that froze (or was cut off) keeps its clients' connections open while the
            // sentinels promote a replica: leave it as soon as they announce the switch, and
            // whenever it answers READONLY (it was turned into a replica).
            failoverDetector: true,
            reconnectOnError: (e: Error) => e.message.startsWith("READONLY"),
            password: url.password || undefined,
            db: Number(url.pathname.slice(1) || 0),
          });
        }
        return new Redis(settings.url, common);
      };
      this.cmd = make();
      this.sub = make();
    }
    this.scripts = new Scripts(this.cmd);
    // Ready once every connection is: subscribing on a connection that is still in its own
    // ready check puts it in subscriber mode too early, and the check fails.
    const whenAllReady = () => {
      if (!this.healthy()) return;
      metrics.up.set(1);
      logger.info({ prefix: settings.prefix, mode: this.cluster ? "cluster" : settings.sentinels ? "sentinel" : "single" }, "redis ready");
      for (const fn of this.readyListeners) fn();
    };
    for (const conn of this.connections()) conn.on("ready", whenAllReady);
    for (const conn of this.connections()) {
      conn.on("error", (e: Error) => {
        metrics.errors.inc();
        logger.warn({ err: e.message }, "redis error");
      });
      conn.on("close", () => metrics.up.set(0));
      // ioredis gives a connection up for good ("end") when it is disconnected while still asking
      // the sentinels for the primary: the failover detector does that on +switch-master, and the
      // connect fails with "Connection is closed." with no retry after it. Start it again.
      if (conn instanceof Redis) conn.on("end", () => restartEnded(conn, () => this.closing));
    }
    if (this.cmd instanceof Cluster) {
      // One node failing is reported here; the client keeps routing to the others.
      this.cmd.on("node error", (e: Error, node: string) => {
        metrics.errors.inc();
        logger.warn({ err: e.message, node }, "redis cluster node error");
      });
    }
  }

  private connections(): Connection[] {
    return this.cmd === this.sub ? [this.cmd] : [this.cmd, this.sub];
  }

  async connect(): Promise<void> {
    await Promise.all(this.connections().map((c) => c.connect()));
  }

  healthy(): boolean {
    return this.connections().every((c) => c.status === "ready");
  }

  /** Runs each time every connection is ready again (after start, and after each reconnection),
   *  and when commands succeed again after failing on connections that stayed up. */
  onReady(fn: () => void): void {
    this.readyListeners.push(fn);
  }

  // ---- Pub/sub: plain on one Redis or Sentinel, sharded on Cluster -----------------------

  /** Resolves once Redis confirmed the subscription. */
  async subscribe(channel: string): Promise<void> {
    if (this.shards) await this.shards.subscribe(channel);
    else await this.sub.subscribe(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (this.shards) await this.shards.unsubscribe(channel);
    else await this.sub.unsubscribe(channel);
  }

  /** Publishes on the command connection (on Cluster: to the master of the channel's slot). */
  async publish(channel: string, message: string): Promise<number> {
    return (await (this.cluster ? this.cmd.spublish(channel, message) : this.cmd.publish(channel, message))) as number;
  }

  /** Every message on a channel this link subscribed to. */
  onMessage(fn: (channel: string, message: string) => void): void {
    if (this.shards) this.shards.onMessage(fn);
    else this.sub.on("message", fn);
  }

  /** A command failed while every connection stayed up (NOREPLICAS from a primary that lost its
   *  replicas, OOM): no reconnection will follow, so the ready listeners (owners share what they
   *  decided locally meanwhile) run when a command succeeds again. */
  private failedWhileUp = false;

  /** Times a call and counts its failure. */
  async timed<T>(fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const r = await fn();
      if (this.failedWhileUp) {
        this.failedWhileUp = false;
        for (const l of this.readyListeners) l();
      }
      return r;
    } catch (e) {
      this.metrics.errors.inc();
      if (this.healthy()) this.failedWhileUp = true;
      throw e;
    } finally {
      this.metrics.latency.observe((performance.now() - started) / 1000);
    }
  }

  private closing = false;

  async close(): Promise<void> {
    this.closing = true;
    this.shards?.close();
    for (const c of this.connections()) c.disconnect();
  }
}

/** Connects a connection that ioredis ended on its own again, shortly, unless we are closing. */
function restartEnded(conn: Redis, closing: () => boolean): void {
  setTimeout(() => {
    if (!closing() && conn.status === "end") conn.connect().catch(() => {}); // failing again ends again: retried again
  }, 250);
}

/** Cluster client options: credentials and TLS from REDIS_URL (its host is not used; the seeds are). */
export function clusterOptions(url: string | undefined): ClusterOptions {
  const u = url ? new URL(url) : undefined;
  const tls = u?.protocol === "rediss:";
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
    slotsRefreshTimeout: 2000,
    // Notice failovers and resharding without waiting for a MOVED reply.
    slotsRefreshInterval: 5000,
    // With TLS, connect to nodes by the names they announce so certificates verify.
    ...(tls ? { dnsLookup: ((address, callback) => callback(null, address)) satisfies DNSLookupFunction } : {}),
    redisOptions: {
      connectTimeout: 2000,
      maxRetriesPerRequest: 1,
      username: u?.username ? decodeURIComponent(u.username) : undefined,
      password: u?.password ? decodeURIComponent(u.password) : undefined,
      tls: tls ? {} : undefined,
    },
  };
}
