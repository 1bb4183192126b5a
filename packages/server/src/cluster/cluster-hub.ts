// Live classes across instances, with Redis as the shared engine. One instance owns a
// class at a time (a fenced lease, renewed while alive) and runs its room; the others
// forward their participants' joins and commands to it and deliver its events to their
// sockets. Events travel on one Redis channel per class, so every instance sees them in
// the owner's order. When the owner dies or Redis loses its lease, another instance
// takes the class over from the state kept in Redis.
// The parts: the hub (here: this instance's classes and the messages it hears),
// cluster-class.ts (a class: owned room or proxy), class-owner.ts (lease and takeover),
// redis-class-state.ts (fenced writes), redis-fanout.ts, rpc.ts, codec.ts, keys.ts, scripts.ts.
import type { Store } from "../store/types.ts";
import { AppError } from "../domain/errors.ts";
import type { Fanout } from "../live/fanout.ts";
import { liveClassOf } from "../live/hub.ts";
import type { LiveHub, RoomPort } from "../live/ports.ts";
import type { RoomDeps } from "../live/room.ts";
import type { Logger } from "../obs/logger.ts";
import { ClusterClass } from "./cluster-class.ts";
import { decodeRequest } from "./codec.ts";
import { classChannel } from "./keys.ts";
import type { RedisLink, RedisMetrics } from "./redis.ts";
import { ClusterRpc } from "./rpc.ts";

/** What the cluster needs from this instance's WebSocket gateway. */
export interface LocalSockets extends Fanout {
  /** Admits this instance's sockets of the class again (the class has a new owner). */
  readmit(classId: string): void;
  hasUser(classId: string, userId: string): boolean;
}

/** What a class (cluster-class.ts, class-owner.ts) uses of this instance. */
export interface ClusterContext {
  readonly link: RedisLink;
  readonly instanceId: string;
  /** This process, apart from earlier lives of the same INSTANCE_ID (rpc.ts, codec.ts). */
  readonly processTag: string;
  readonly store: Store;
  readonly roomDeps: Omit<RoomDeps, "onEnded" | "fanout" | "shared">;
  readonly sockets: LocalSockets;
  readonly metrics: RedisMetrics;
  readonly logger: Logger;
  readonly rpc: ClusterRpc;
  /** The class ended: forget it here. */
  forget(classId: string): void;
}

export class ClusterHub implements LiveHub, ClusterContext {
  onClassEnded: (classId: string) => void = () => {};
  private readonly classes = new Map<string, ClusterClass>();
  /**
   * This process, apart from earlier lives of the same INSTANCE_ID (a restarted pod): in RPC
   * ids, so it never takes a reply meant for them, and on the events it publishes, so it
   * skips its own (it delivered them to its sockets already).
   */
  readonly processTag = Math.random().toString(36).slice(2, 8);
  readonly rpc: ClusterRpc;
  private closed = false;
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(
    readonly link: RedisLink,
    readonly instanceId: string,
    readonly store: Store,
    readonly roomDeps: Omit<RoomDeps, "onEnded" | "fanout" | "shared">,
    readonly sockets: LocalSockets,
    readonly metrics: RedisMetrics,
    readonly logger: Logger,
  ) {
    this.rpc = new ClusterRpc(link, instanceId, this.processTag, metrics, logger);
    link.onMessage((channel, message) => this.onMessage(channel, message));
    link.onReady(() => void this.afterReconnect());
    // The owner's rooms run their clock here, as ClassHub does for a single instance.
    this.ticker = setInterval(() => {
      const now = roomDeps.now();
      for (const c of this.classes.values()) c.ownedRoom?.tick(now);
    }, 250);
  }

  async start(): Promise<void> {
    await this.rpc.listen();
  }

  room(classId: string): RoomPort {
    if (this.closed) throw new AppError("unavailable", "server is shutting down");
    let c = this.classes.get(classId);
    if (!c) {
      liveClassOf(this.store, classId); // not live: say so now
      c = new ClusterClass(this, classId);
      this.classes.set(classId, c);
    }
    return c;
  }

  isAdmitted(classId: string, userId: string): boolean {
    const c = this.classes.get(classId);
    return (c?.ownedRoom?.isAdmitted(userId) ?? false) || this.sockets.hasUser(classId, userId);
  }

  async end(classId: string): Promise<boolean> {
    const c = this.classes.get(classId) ?? (this.room(classId) as ClusterClass);
    return c.end();
  }

  revoke(courseId: string, userId: string | null): void {
    for (const c of this.classes.values()) if (c.ownedRoom?.courseId === courseId) c.ownedRoom.revokeAccess(userId);
  }

  counts(): { participants: number; classes: number } {
    let participants = 0;
    let classes = 0;
    for (const c of this.classes.values()) {
      if (c.ownedRoom) {
        classes++;
        participants += c.ownedRoom.participantCount;
      }
    }
    return { participants, classes };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    await Promise.all([...this.classes.values()].map((c) => c.owner.release()));
  }

  forget(classId: string): void {
    this.classes.delete(classId);
    this.onClassEnded(classId);
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.rpc.channel) return this.rpc.onReply(message);
    const ch = classChannel(channel);
    const c = ch ? this.classes.get(ch.classId) : undefined;
    if (!ch || !c) return;
    this.metrics.messages.labels("in", ch.kind).inc();
    if (ch.kind === "events") return c.deliver(message);
    const r = decodeRequest(message);
    if (r) c.serve(r);
    else this.logger.warn({ classId: ch.classId }, "cluster request not understood; dropped");
  }

  /** Redis is back (or restarted empty): owners confirm or retake their leases and share their state again. */
  private async afterReconnect(): Promise<void> {
    try {
      await this.rpc.listen();
    } catch {}
    await Promise.all([...this.classes.values()].map((c) => c.owner.reconcile().catch(() => {})));
  }
}
