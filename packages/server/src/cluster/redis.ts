// Connections to the Redis that ties instances together: one for commands and
// scripts, one for subscriptions. Commands fail fast while Redis is unreachable (no
// offline queue), so callers can refuse clearly instead of hanging.
import Redis, { type RedisOptions } from "ioredis";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Gauge, Histogram, Registry } from "../obs/prom.ts";

export interface RedisSettings {
  url: string;
  /** Key and channel prefix, so several deployments (or test runs) can share one Redis. */
  prefix: string;
  /** Sentinel: "host:port,host:port" and the master's name; the URL then gives password and db. */
  sentinels?: string;
  sentinelName?: string;
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
    latency: registry.histogram({ name: "edgeclass_redis_command_seconds", help: "Latency of Redis commands and scripts on the live path.", buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5] }),
    errors: registry.counter({ name: "edgeclass_redis_errors_total", help: "Redis commands that failed or timed out." }),
    up: registry.gauge({ name: "edgeclass_redis_up", help: "1 while the Redis connection is ready, else 0." }),
    ownershipChanges: registry.counter({ name: "edgeclass_cluster_ownership_changes_total", help: "Live classes this instance took over or gave up.", labelNames: ["change"] }),
    messages: registry.counter({ name: "edgeclass_cluster_messages_total", help: "Messages exchanged with other instances through Redis, by direction and kind.", labelNames: ["direction", "kind"] }),
  };
}

export class RedisLink {
  readonly cmd: Redis;
  readonly sub: Redis;
  private readyListeners: (() => void)[] = [];

  constructor(
    readonly settings: RedisSettings,
    private readonly metrics: RedisMetrics,
    private readonly logger: Logger,
  ) {
    const common: RedisOptions = {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      lazyConnect: true,
    };
    const make = () => {
      if (settings.sentinels) {
        const url = new URL(settings.url);
        return new Redis({
          ...common,
          sentinels: settings.sentinels.split(",").map((hp) => ({ host: hp.split(":")[0], port: Number(hp.split(":")[1] ?? 26379) })),
          name: settings.sentinelName ?? "mymaster",
          password: url.password || undefined,
          db: Number(url.pathname.slice(1) || 0),
        });
      }
      return new Redis(settings.url, common);
    };
    this.cmd = make();
    this.sub = make();
    this.cmd.on("ready", () => {
      metrics.up.set(1);
      logger.info({ prefix: settings.prefix }, "redis ready");
      for (const fn of this.readyListeners) fn();
    });
    for (const conn of [this.cmd, this.sub]) {
      conn.on("error", (e: Error) => {
        metrics.errors.inc();
        logger.warn({ err: e.message }, "redis error");
      });
      conn.on("close", () => metrics.up.set(0));
    }
  }

  async connect(): Promise<void> {
    await Promise.all([this.cmd.connect(), this.sub.connect()]);
  }

  healthy(): boolean {
    return this.cmd.status === "ready" && this.sub.status === "ready";
  }

  /** Runs after every reconnection of the command connection. */
  onReady(fn: () => void): void {
    this.readyListeners.push(fn);
  }

  key(...parts: string[]): string {
    return this.settings.prefix + parts.join(":");
  }

  /** Times a call and counts its failure. */
  async timed<T>(fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } catch (e) {
      this.metrics.errors.inc();
      throw e;
    } finally {
      this.metrics.latency.observe((performance.now() - started) / 1000);
    }
  }

  async close(): Promise<void> {
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}
