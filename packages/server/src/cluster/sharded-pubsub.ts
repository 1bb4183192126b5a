// Sharded pub/sub on Redis Cluster (SPUBLISH/SSUBSCRIBE, Redis 7): each channel is subscribed on
// the master of its slot, so a class's events stay on the shard that holds its keys.
import type { Cluster, RedisOptions } from "ioredis";
import Redis from "ioredis";

/** The Redis Cluster hash slot of a key or channel (CRC16/XMODEM of its hash tag, or of all of it). */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of new TextEncoder().encode(key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

const SUBSCRIBE_TIMEOUT_MS = 3000;

/** Sharded pub/sub on Redis Cluster: each channel is subscribed on the master of its slot,
 *  over one subscriber connection per master, and moved when the slot map changes
 *  (failover, resharding). Done here rather than with ioredis's `shardedSubscribers`, whose
 *  resubscription leaves rejected promises unhandled (fatal under Bun) and spins
 *  reconnecting while a master is down; these connections back off like the others. */
export class ShardedSubscriptions {
  /** Where each subscribed channel lives: channel -> node ("host:port"). */
  private readonly placed = new Map<string, string>();
  private readonly conns = new Map<string, Redis>();
  private readonly listeners: ((channel: string, message: string) => void)[] = [];
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly nodeOptions: RedisOptions,
    private readonly onError: (e: Error, node: string) => void,
  ) {
    cluster.on("refresh", () => this.rebalance());
  }

  onMessage(fn: (channel: string, message: string) => void): void {
    this.listeners.push(fn);
  }

  /** Resolves once the master of the channel's slot confirmed the subscription. */
  async subscribe(channel: string): Promise<void> {
    const node = this.nodeOf(channel);
    if (!node) throw new Error("redis cluster: slot map not known yet");
    this.placed.set(channel, node);
    const conn = this.conn(node);
    // A subscription sent to a node that no longer holds the slot is answered MOVED, which
    // ioredis never settles: bound the wait, and refresh the slot map.
    await withTimeout(
      this.whenReady(conn).then(() => conn.ssubscribe(channel)),
      SUBSCRIBE_TIMEOUT_MS,
      () => this.cluster.refreshSlotsCache(),
    );
  }

  async unsubscribe(channel: string): Promise<void> {
    const node = this.placed.get(channel);
    this.placed.delete(channel);
    const conn = node ? this.conns.get(node) : undefined;
    if (conn?.status === "ready") await withTimeout(conn.sunsubscribe(channel), SUBSCRIBE_TIMEOUT_MS);
    this.closeUnused();
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) c.disconnect();
    this.conns.clear();
  }

  private nodeOf(channel: string): string | undefined {
    return this.cluster.slots[keySlot(channel)]?.[0];
  }

  private conn(node: string): Redis {
    let c = this.conns.get(node);
    if (c) return c;
    const colon = node.lastIndexOf(":");
    c = new Redis({
      ...this.nodeOptions,
      host: node.slice(0, colon),
      port: Number(node.slice(colon + 1)),
      lazyConnect: false,
      enableOfflineQueue: false,
      autoResubscribe: false, // done on "ready" below, with every rejection handled
      retryStrategy: (times) => Math.min(100 * times, 1000),
    });
    const conn = c;
    conn.on("error", (e: Error) => this.onError(e, node));
    conn.on("smessage", (channel: string, message: string) => {
      for (const fn of this.listeners) fn(channel, message);
    });
    conn.on("ready", () => {
      for (const [channel, at] of this.placed) if (at === node) conn.ssubscribe(channel).catch((e: Error) => this.onError(e, node));
    });
    this.conns.set(node, conn);
    return conn;
  }

  private readonly readyWaits = new WeakMap<Redis, Promise<void>>();

  /** One "ready" listener per connection however many subscriptions wait for it. */
  private whenReady(conn: Redis): Promise<void> {
    if (conn.status === "ready") return Promise.resolve();
    let wait = this.readyWaits.get(conn);
    if (!wait) {
      wait = new Promise((resolve) =>
        conn.once("ready", () => {
          this.readyWaits.delete(conn);
          resolve();
        }),
      );
      this.readyWaits.set(conn, wait);
    }
    return wait;
  }

  /** The slot map changed: move channels whose slot has a new master. */
  private rebalance(): void {
    if (this.closed) return;
    for (const [channel, node] of this.placed) {
      const target = this.nodeOf(channel);
      if (!target || target === node) continue;
      this.placed.set(channel, target);
      const old = this.conns.get(node);
      if (old?.status === "ready") old.sunsubscribe(channel).catch(() => {});
      const conn = this.conn(target);
      if (conn.status === "ready") conn.ssubscribe(channel).catch((e: Error) => this.onError(e, target));
    }
    this.closeUnused();
  }

  /** Connections to nodes that hold none of our channels any more (a failed-over master) are closed. */
  private closeUnused(): void {
    const used = new Set(this.placed.values());
    for (const [node, c] of this.conns) {
      if (used.has(node)) continue;
      c.disconnect();
      this.conns.delete(node);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(new Error(`redis cluster: no answer within ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
