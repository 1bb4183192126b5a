// Live classes across instances, with Redis as the shared engine. One instance owns a
// class at a time (a fenced lease, renewed while alive) and runs its room; the others
// forward their participants' joins and commands to it and deliver its events to their
// sockets. Events travel on one Redis channel per class, so every instance sees them in
// the owner's order. When the owner dies or Redis loses its lease, another instance
// takes the class over from the state kept in Redis.
import type { ChatMessage, ChatSettings, ClientMessage, ErrorCode, Hand } from "../../../client/src/protocol.ts";
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import type { Principal } from "../domain/model.ts";
import { LiveError } from "../live/errors.ts";
import type { Fanout, Outgoing } from "../live/fanout.ts";
import { liveClassOf } from "../live/hub.ts";
import type { LiveHub, RoomPort } from "../live/ports.ts";
import { LiveRoom, type AdmitResult, type RoomDeps } from "../live/room.ts";
import type { ModerationState, SharedClassState } from "../live/shared-state.ts";
import type { Logger } from "../obs/logger.ts";
import type { AttendanceSession, Removal } from "../store/live-types.ts";
import type { Store } from "../store/types.ts";
import { readSharedRecords } from "./class-records.ts";
import { readRemovals, reshareRemovals } from "./class-removals.ts";
import { classChannel, classKeys, repliesChannel, type ClassKeys } from "./keys.ts";
import type { RedisLink, RedisMetrics } from "./redis.ts";
import { LEASE_MS, SETTLE_MS, type FencedOp } from "./scripts.ts";

/** How long a forwarded join or command waits for the owner (a join burst queues at the owner). */
const RPC_TIMEOUT_MS = { admit: 5000, cmd: 3000, end: 5000 } as const;
const CHAT_KEEP = 50;

/** What the cluster needs from this instance's WebSocket gateway. */
export interface LocalSockets extends Fanout {
  /** Admits this instance's sockets of the class again (the class has a new owner). */
  readmit(classId: string): void;
  hasUser(classId: string, userId: string): boolean;
}

type RpcBody = { t: "admit"; principal: Principal; enrolled: boolean } | { t: "cmd"; userId: string; msg: ClientMessage } | { t: "end" };
type Rpc = (RpcBody & { id: string; from: string }) | { t: "left"; from: string; userId: string };

type Reply = { id: string; ok: true; result: unknown } | { id: string; ok: false; code: ErrorCode; message: string };

const unavailable = () => new LiveError("unavailable", "the class's shared engine (Redis) is unreachable; try again shortly");

export class ClusterHub implements LiveHub {
  onClassEnded: (classId: string) => void = () => {};
  private readonly classes = new Map<string, ClusterClass>();
  private readonly pending = new Map<string, { resolve(r: Reply): void; timer: ReturnType<typeof setTimeout> }>();
  private readonly repliesChannel: string;
  private rpcSeq = 0;
  /**
   * This process, apart from earlier lives of the same INSTANCE_ID (a restarted pod): in RPC
   * ids, so it never takes a reply meant for them, and on the events it publishes, so it
   * skips its own (it delivered them to its sockets already).
   */
  readonly processTag = Math.random().toString(36).slice(2, 8);
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
    this.repliesChannel = repliesChannel(link, instanceId);
    link.onMessage((channel, message) => this.onMessage(channel, message));
    link.onReady(() => void this.afterReconnect());
    // The owner's rooms run their clock here, as ClassHub does for a single instance.
    this.ticker = setInterval(() => {
      const now = roomDeps.now();
      for (const c of this.classes.values()) c.ownedRoom?.tick(now);
    }, 250);
  }

  async start(): Promise<void> {
    await this.link.subscribe(this.repliesChannel);
  }

  room(classId: string): RoomPort {
    if (this.closed) throw new LiveError("unavailable", "server is shutting down");
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
    await Promise.all([...this.classes.values()].map((c) => c.release()));
  }

  forget(classId: string): void {
    this.classes.delete(classId);
    this.onClassEnded(classId);
  }

  // ---- Messages ----------------------------------------------------------------

  async rpc(classId: string, body: RpcBody): Promise<unknown> {
    const id = `${this.instanceId}:${this.processTag}:${++this.rpcSeq}`;
    const reply = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false, code: "unavailable", message: "the class's owner did not answer in time; try again" });
      }, RPC_TIMEOUT_MS[body.t]);
      this.pending.set(id, { resolve, timer });
    });
    try {
      await this.link.timed(() => this.link.publish(classKeys(this.link, classId).commands, JSON.stringify({ ...body, id, from: this.instanceId })));
    } catch {
      clearTimeout(this.pending.get(id)?.timer);
      this.pending.delete(id);
      throw unavailable();
    }
    this.metrics.messages.labels("out", body.t).inc();
    const r = await reply;
    if (!r.ok) throw new LiveError(r.code, r.message);
    return r.result;
  }

  publishLeft(classId: string, userId: string): void {
    const body: Rpc = { t: "left", from: this.instanceId, userId };
    this.link.publish(classKeys(this.link, classId).commands, JSON.stringify(body)).catch(() => {});
  }

  reply(to: string, r: Reply): void {
    this.link.publish(repliesChannel(this.link, to), JSON.stringify(r)).catch((e: Error) => this.logger.warn({ err: e.message }, "cluster reply failed"));
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.repliesChannel) {
      const r = JSON.parse(message) as Reply;
      const p = this.pending.get(r.id);
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(r.id);
        p.resolve(r);
      }
      return;
    }
    const ch = classChannel(channel);
    const c = ch ? this.classes.get(ch.classId) : undefined;
    if (!ch || !c) return;
    this.metrics.messages.labels("in", ch.kind).inc();
    if (ch.kind === "events") c.deliver(message);
    else c.serve(JSON.parse(message) as Rpc);
  }

  /** Redis is back (or restarted empty): owners confirm or retake their leases and share their state again. */
  private async afterReconnect(): Promise<void> {
    try {
      await this.link.subscribe(this.repliesChannel);
    } catch {}
    await Promise.all([...this.classes.values()].map((c) => c.reconcile().catch(() => {})));
  }
}

/** One class as this instance sees it: its room when it owns the class, a proxy to the owner otherwise. */
class ClusterClass implements RoomPort {
  ownedRoom: LiveRoom | null = null;
  private lease: string | null = null;
  private renewTimer: ReturnType<typeof setInterval> | null = null;
  private readonly keys: ClassKeys;
  private subscribed: Promise<void> | null = null;
  private resolving: Promise<void> | null = null;
  /** Set while this instance is taking the class over: commands that arrive meanwhile wait for it. */
  private takingOver: Promise<void> | null = null;
  /** The reconciliation under way: every write that finds no lease waits for this one. */
  private reconciling: Promise<void> | null = null;
  /** The Redis (its run_id) under which this process last saw the class owned, by itself or another instance. */
  private ownedUnder = "";

  constructor(
    private readonly hub: ClusterHub,
    readonly classId: string,
  ) {
    this.keys = classKeys(hub.link, classId);
  }

  private get link() {
    return this.hub.link;
  }

  /** Makes sure someone owns the class, taking it if nobody does; subscribes to its events. */
  private async resolveOwner(): Promise<void> {
    this.subscribed ??= this.link.subscribe(this.keys.events);
    await this.subscribed.catch(() => {
      this.subscribed = null;
      throw unavailable();
    });
    if (this.ownedRoom) return;
    this.resolving ??= (async () => {
      try {
        // Listen for forwarded joins before taking the lease: other instances start sending the
        // moment they see it, and Redis pub/sub keeps nothing for late subscribers.
        await this.link.subscribe(this.keys.commands);
        const [taken, value] = await this.acquire();
        if (taken === 1) {
          this.takingOver = this.takeOver(value);
          await this.takingOver.finally(() => (this.takingOver = null));
        } else {
          await this.link.unsubscribe(this.keys.commands);
        }
      } catch (e) {
        if (e instanceof LiveError) throw e;
        throw unavailable();
      } finally {
        this.resolving = null;
      }
    })();
    await this.resolving;
  }

  /**
   * Takes the lease if it is free. A class that was live before the Redis we now reach started
   * (restarted empty, or a replica promoted by a failover) is left to its owner from before for
   * SETTLE_MS: that owner is still running it, with answers Redis may lack, and retakes it as
   * soon as it is reconnected. Wait for that instead of starting the class from what Redis holds;
   * if the owner does not come back (it died too), take the class as after a kill -9.
   */
  private async acquire(): Promise<[number, string]> {
    const startedAt = this.hub.store.classes.get(this.classId)?.startedAt ?? 0;
    const deadline = Date.now() + SETTLE_MS;
    for (let attempt = 0; ; attempt++) {
      const r = await this.link.timed(() => this.link.scripts.acquireClass(this.keys.owner, this.keys.fence, this.hub.instanceId, LEASE_MS, startedAt, SETTLE_MS, this.ownedUnder));
      if (r[0] !== 2) {
        this.ownedUnder = r[2];
        return [r[0], r[1]];
      }
      if (attempt === 0) this.hub.logger.info({ classId: this.classId }, "waiting for the class's owner from before Redis started");
      if (Date.now() > deadline) {
        if (this.ownedUnder === r[2]) throw unavailable(); // Redis itself still says wait (cannot happen past SETTLE_MS)
        this.ownedUnder = r[2]; // the owner from before is gone: this Redis is the class's now
        continue;
      }
      await Bun.sleep(Math.min(250, Number(r[1])));
    }
  }

  /** Becomes the owner: imports the shared state into the local store, opens the room, tells the others. */
  private async takeOver(lease: string): Promise<void> {
    const { store } = this.hub;
    const [records, chatRaw, deleted, seats, chatSettingsRaw, muted, handsRaw] = await Promise.all([
      readSharedRecords(this.link, this.keys),
      this.link.cmd.lrange(this.keys.chat, 0, -1),
      this.link.cmd.smembers(this.keys.chatDeleted),
      this.link.cmd.smembers(this.keys.seats),
      this.link.cmd.get(this.keys.chatSettings),
      this.link.cmd.smembers(this.keys.muted),
      this.link.cmd.hgetall(this.keys.hands),
    ]);
    const { questions, answers, attendance } = records;
    const chat = chatRaw.map((j) => JSON.parse(j) as ChatMessage);
    await store.write(() => {
      store.live.importShared(this.classId, questions, answers, chat, deleted, this.hub.roomDeps.now());
      store.live.importAttendance(this.classId, attendance);
    });
    const { cls, course } = liveClassOf(store, this.classId);
    this.lease = lease;
    const room = new LiveRoom(
      {
        ...this.hub.roomDeps,
        fanout: new RedisFanout(this.hub, this.keys.events),
        shared: new RedisClassState(this.hub, this.keys, () => this.lease, () => this.stepDown("fenced"), () => this.reconcile()),
        onEnded: () => this.ended(),
      },
      cls,
      course,
    );
    room.restoreSeats(seats);
    // Hands in queue order: by when they were raised (ties by user id).
    const hands = Object.values(handsRaw)
      .map((j) => JSON.parse(j) as Hand)
      .sort((x, y) => x.raisedAt - y.raisedAt || (x.userId < y.userId ? -1 : 1));
    const moderation: ModerationState = { chatSettings: chatSettingsRaw ? (JSON.parse(chatSettingsRaw) as ChatSettings) : { enabled: true, slowModeSeconds: 0 }, muted, hands };
    room.restoreModeration(moderation);
    room.restoreRemovals(await readRemovals(this.link, this.keys));
    this.ownedRoom = room;
    this.renewTimer = setInterval(() => void this.renew(), LEASE_MS / 3);
    this.hub.metrics.ownershipChanges.labels("acquired").inc();
    this.hub.logger.info({ classId: this.classId, lease, seats: seats.length, questions: questions.length, hands: hands.length, muted: muted.length }, "took over class");
    // Everyone (this instance too) admits their sockets again, with the new owner.
    await this.link.publish(this.keys.events, `${this.hub.processTag}\to\t${this.hub.instanceId}`);
    this.hub.sockets.readmit(this.classId);
  }

  private async renew(): Promise<void> {
    if (!this.lease) return;
    try {
      const lease = this.lease;
      const ok = await this.link.timed(() => this.link.scripts.renew(this.keys.owner, lease, LEASE_MS));
      if (ok === 0) await this.reconcile();
    } catch {
      // Redis unreachable: nobody else can take the lease meanwhile; reconcile when it is back.
    }
  }

  /**
   * After a reconnect, a failed renewal or a fenced write that found no lease: keep, retake or give
   * up the lease, and share our state again. One at a time: writes that find no lease all wait for it.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce().finally(() => (this.reconciling = null));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (!this.ownedRoom || !this.lease) return;
    const cur = await this.link.cmd.get(this.keys.owner).catch(() => undefined);
    if (cur === undefined) return;
    if (cur === null) {
      // Ours until now (expired, or Redis restarted empty): take it back, ahead of anyone else.
      const [taken, value, run] = await this.link.scripts.acquireClass(this.keys.owner, this.keys.fence, this.hub.instanceId, LEASE_MS, "owner", SETTLE_MS, "");
      if (taken !== 1) return this.stepDown("lost");
      if (!this.ownedRoom) return; // ended or released meanwhile
      this.lease = value;
      this.ownedUnder = run;
      this.hub.logger.info({ classId: this.classId, lease: value }, "retook class lease");
    } else if (cur !== this.lease) {
      return this.stepDown("lost");
    }
    await this.reshare();
  }

  /** Shares the owner's state again (Redis may have restarted empty): seats, questions, answers, moderation, attendance. */
  private async reshare(): Promise<void> {
    const room = this.ownedRoom;
    if (!room || !this.lease) return;
    const { store } = this.hub;
    // Writes decided locally while Redis was away may still be queued for the group commit:
    // let them commit first, so the copy below has them.
    await store.write(() => {});
    const l = this.lease;
    const scripts = this.link.scripts;
    const evals: Promise<unknown>[] = [];
    const fenced = (op: FencedOp, key: string, ...args: (string | number)[]) => evals.push(scripts.fenced(op, this.keys.owner, key, l, ...args));
    for (const id of room.seatHolders()) fenced("sadd", this.keys.seats, id);
    // Moderation is replaced whole: changes made while Redis was unreachable are only here.
    const mod = room.moderation();
    fenced("set", this.keys.chatSettings, JSON.stringify(mod.chatSettings));
    fenced("replaceSet", this.keys.muted, ...mod.muted);
    fenced("replaceHash", this.keys.hands, ...mod.hands.flatMap((h) => [h.userId, JSON.stringify(h)]));
    evals.push(reshareRemovals(this.link, this.keys, l, room.removals()));
    for (const q of store.live.launchedQuestions(this.classId)) {
      const live = room.openQuestion()?.id === q.id ? room.openQuestion()! : q;
      fenced("hset", this.keys.questions, q.id, JSON.stringify(live));
      for (const a of store.live.answers(q.id)) fenced("hsetnx", this.keys.answers(q.id), a.userId, JSON.stringify(a));
    }
    for (const r of store.live.attendance(this.classId)) {
      const session: AttendanceSession = { userId: r.userId, role: r.role, joinedAt: r.joinedAt, leftAt: r.leftAt };
      fenced("hset", this.keys.attendance, `${r.userId}@${r.joinedAt}`, JSON.stringify(session));
    }
    // Pipelined (auto-pipelining): one round trip per batch instead of one per row. Timed, so a
    // refusal on a connection that stays up (NOREPLICAS right after a failover) has the link run
    // this again once Redis takes writes (redis.ts).
    await this.link.timed(() => Promise.all(evals));
    this.hub.logger.info({ classId: this.classId }, "shared class state again after reconnect");
  }

  stepDown(why: string): void {
    if (!this.ownedRoom) return;
    this.hub.logger.warn({ classId: this.classId, why }, "gave up class ownership");
    this.hub.metrics.ownershipChanges.labels("lost").inc();
    this.ownedRoom.detach();
    this.ownedRoom = null;
    this.lease = null;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    this.link.unsubscribe(this.keys.commands).catch(() => {});
    this.hub.sockets.readmit(this.classId);
    void this.handBack();
  }

  /**
   * A cut-off owner may have acknowledged answers from its own store while its writes to Redis
   * failed; another instance took the class meanwhile. Hand them over to the shared records
   * (HSETNX: where the new owner already holds an answer of that student, the new owner's wins),
   * so results read anywhere keep them and the student cannot answer that question twice.
   */
  private async handBack(): Promise<void> {
    const { store, logger } = this.hub;
    const scripts = this.link.scripts;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        let handed = 0;
        const keep = (key: string, field: string, value: unknown) => scripts.keep(key, field, JSON.stringify(value));
        for (const q of store.live.launchedQuestions(this.classId)) {
          await keep(this.keys.questions, q.id, q);
          for (const a of store.live.answers(q.id)) handed += await keep(this.keys.answers(q.id), a.userId, a);
        }
        for (const r of store.live.attendance(this.classId)) {
          const session: AttendanceSession = { userId: r.userId, role: r.role, joinedAt: r.joinedAt, leftAt: r.leftAt };
          await keep(this.keys.attendance, `${r.userId}@${r.joinedAt}`, session);
        }
        if (handed > 0) logger.warn({ classId: this.classId, answers: handed }, "handed answers acknowledged while cut off to the class's new owner");
        return;
      } catch (e) {
        if (attempt === 3) logger.error({ classId: this.classId, err: (e as Error).message }, "could not hand answers over; they stay in this instance's store");
        else await Bun.sleep(1000 * attempt);
      }
    }
  }

  /** Shutdown: hand the class over at once instead of waiting for the lease to expire, and
   *  tell the other instances ("g"), whose sockets then find the next owner. */
  async release(): Promise<void> {
    if (!this.ownedRoom || !this.lease) return;
    const lease = this.lease;
    this.ownedRoom.detach();
    this.ownedRoom = null;
    this.lease = null;
    if (this.renewTimer) clearInterval(this.renewTimer);
    try {
      await this.link.scripts.release(this.keys.owner, lease);
      await this.link.publish(this.keys.events, `${this.hub.processTag}\tg\t${this.hub.instanceId}`);
    } catch {
      // Redis away: the lease expires on its own.
    }
  }

  private ended(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    const lease = this.lease;
    this.ownedRoom = null;
    this.lease = null;
    if (lease) this.link.scripts.release(this.keys.owner, lease).catch(() => {});
    this.hub.forget(this.classId);
  }

  // ---- RoomPort ------------------------------------------------------------------

  async admit(p: Principal, enrolled: boolean): Promise<AdmitResult> {
    await this.resolveOwner();
    if (this.ownedRoom) return this.ownedRoom.admit(p, enrolled);
    // Pub/sub keeps nothing for a subscriber that blinked, so a join whose reply is lost is asked
    // again (admission is idempotent: a user already admitted gets a fresh welcome).
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.hub.rpc(this.classId, { t: "admit", principal: p, enrolled })) as AdmitResult;
      } catch (e) {
        if (attempt < 3 && e instanceof LiveError && e.code === "unavailable" && this.link.healthy()) {
          await this.resolveOwner();
          const room = this.ownedRoom as LiveRoom | null; // the owner may be gone and this instance taken over
          if (room) return room.admit(p, enrolled);
          continue;
        }
        // The owner may have admitted the user after all: let their seat go through the grace period.
        this.hub.publishLeft(this.classId, p.id);
        throw e;
      }
    }
  }

  async handle(userId: string, msg: ClientMessage): Promise<unknown> {
    if (this.ownedRoom) return this.ownedRoom.handle(userId, msg);
    try {
      return await this.hub.rpc(this.classId, { t: "cmd", userId, msg });
    } catch (e) {
      // The owner may be gone: take the class if it is free, then try once more.
      if (e instanceof LiveError && e.code === "unavailable" && this.link.healthy()) {
        await this.resolveOwner();
        const room = this.ownedRoom as LiveRoom | null; // may have changed while awaiting
        if (room) return room.handle(userId, msg);
      }
      throw e;
    }
  }

  disconnected(userId: string): void {
    if (this.ownedRoom) this.ownedRoom.disconnected(userId);
    else this.hub.publishLeft(this.classId, userId);
  }

  async end(): Promise<boolean> {
    await this.resolveOwner();
    if (this.ownedRoom) {
      await this.ownedRoom.end();
      return true;
    }
    await this.hub.rpc(this.classId, { t: "end" });
    return true;
  }

  // ---- Owner side: serving other instances -------------------------------------------

  serve(r: Rpc): void {
    if (!this.ownedRoom && this.takingOver) {
      this.takingOver.then(() => this.serve(r), () => {});
      return;
    }
    const room = this.ownedRoom;
    if (r.t === "left") return room?.disconnected(r.userId);
    if (!room) return; // not ours (any more): the caller times out and retries with the new owner
    const work: Promise<unknown> = r.t === "admit" ? room.admit(r.principal, r.enrolled) : r.t === "cmd" ? room.handle(r.userId, r.msg) : room.end().then(() => true);
    work.then(
      (result) => this.hub.reply(r.from, { id: r.id, ok: true, result }),
      (e: unknown) =>
        this.hub.reply(r.from, e instanceof LiveError ? { id: r.id, ok: false, code: e.code, message: e.message } : { id: r.id, ok: false, code: "internal", message: "something went wrong" }),
    );
  }

  /** An event from the owner ("<process tag>\t<op>\t..."): deliver it to this instance's sockets. */
  deliver(message: string): void {
    const s = this.hub.sockets;
    const tagEnd = message.indexOf("\t");
    if (message.slice(0, tagEnd) === this.hub.processTag) return; // ours: delivered when sent
    const tab = message.indexOf("\t", tagEnd + 1);
    const op = message.slice(tagEnd + 1, tab);
    const rest = message.slice(tab + 1);
    switch (op) {
      case "a":
        return s.all(this.classId, { raw: rest });
      case "s":
        return s.staff(this.classId, { raw: rest });
      case "u": {
        const t = rest.indexOf("\t");
        return s.user(this.classId, rest.slice(0, t), { raw: rest.slice(t + 1) });
      }
      case "c": {
        const [userId, code, reason] = rest.split("\t");
        return s.closeUser(this.classId, userId, Number(code), reason);
      }
      case "x": {
        const [code, reason] = rest.split("\t");
        return s.closeAll(this.classId, Number(code), reason);
      }
      case "o":
        if (rest !== this.hub.instanceId && this.ownedRoom) this.stepDown("another instance took over");
        s.readmit(this.classId);
        return;
      case "g": // the owner is shutting down and released the class: admitting again finds the next one
        s.readmit(this.classId);
        return;
    }
  }
}

const serialise = (m: Outgoing) => ("raw" in m ? m.raw : JSON.stringify(m));

/** The owner's fan-out: to its own sockets at once, and through the class's Redis channel to every other instance (one publisher: one order everywhere). */
class RedisFanout implements Fanout {
  private readonly local: Fanout;
  private readonly tag: string;
  constructor(
    private readonly hub: ClusterHub,
    private readonly channel: string,
  ) {
    this.local = hub.sockets;
    this.tag = `${hub.processTag}\t`;
  }

  private send(text: string): void {
    this.hub.link.publish(this.channel, this.tag + text).catch(() => this.hub.metrics.messages.labels("out", "dropped").inc());
  }
  all(classId: string, msg: Outgoing): void {
    const raw = serialise(msg);
    this.local.all(classId, { raw });
    this.send(`a\t${raw}`);
  }
  staff(classId: string, msg: Outgoing): void {
    const raw = serialise(msg);
    this.local.staff(classId, { raw });
    this.send(`s\t${raw}`);
  }
  user(classId: string, userId: string, msg: Outgoing): void {
    const raw = serialise(msg);
    this.local.user(classId, userId, { raw });
    this.send(`u\t${userId}\t${raw}`);
  }
  closeUser(classId: string, userId: string, code: number, reason: string): void {
    this.local.closeUser(classId, userId, code, reason);
    this.send(`c\t${userId}\t${code}\t${reason}`);
  }
  closeAll(classId: string, code: number, reason: string): void {
    this.local.closeAll(classId, code, reason);
    this.send(`x\t${code}\t${reason}`);
  }
}

/** The owner's fenced writes to Redis. While Redis is unreachable the owner keeps going on its
 *  local store (nobody else can take the class meanwhile) and shares everything again on reconnect. */
class RedisClassState implements SharedClassState {
  constructor(
    private readonly hub: ClusterHub,
    private readonly keys: ClassKeys,
    private readonly lease: () => string | null,
    private readonly fenced: () => void,
    /** Keeps, retakes or gives up the lease and shares the owner's state again. */
    private readonly reconcile: () => Promise<void>,
  ) {}

  private async run(op: FencedOp, key: string, ...args: (string | number)[]): Promise<number | null> {
    let r = await this.eval(op, key, args);
    if (r === -2) {
      // Nobody holds the lease (Redis restarted empty, or it expired while Redis was slow): that
      // is not another owner. Retake it and share our state again first, then write once more.
      await this.reconcile().catch(() => {});
      r = await this.eval(op, key, args);
      // Still none: Redis lost it again; decided locally, shared again by the next reconciliation.
      if (r === -2) return null;
    }
    if (r === -1) {
      this.fenced();
      throw new LiveError("unavailable", "the class moved to another instance; reconnect");
    }
    return r;
  }

  /** The script's reply, or null when Redis is unreachable (decided locally, shared again on reconnect). */
  private async eval(op: FencedOp, key: string, args: (string | number)[]): Promise<number | null> {
    const lease = this.lease();
    if (!lease) throw new LiveError("unavailable", "this instance no longer owns the class; reconnect");
    try {
      return await this.hub.link.timed(() => this.hub.link.scripts.fenced(op, this.keys.owner, key, lease, ...args));
    } catch {
      return null;
    }
  }

  async takeSeat(userId: string, capacity: number): Promise<boolean> {
    const r = await this.run("takeSeat", this.keys.seats, userId, capacity);
    return r === null || r === 1;
  }
  releaseSeat(userId: string): void {
    this.run("releaseSeat", this.keys.seats, userId).catch(() => {});
  }
  async saveQuestion(q: LaunchedQuestion): Promise<void> {
    await this.run("hset", this.keys.questions, q.id, JSON.stringify(q));
  }
  async saveAnswer(questionId: string, a: GradedAnswer): Promise<"saved" | "exists"> {
    return (await this.run("hsetnx", this.keys.answers(questionId), a.userId, JSON.stringify(a))) === 0 ? "exists" : "saved";
  }
  async saveChat(m: ChatMessage): Promise<void> {
    await this.run("push", this.keys.chat, JSON.stringify(m), CHAT_KEEP);
  }
  async deleteChat(messageId: string): Promise<void> {
    await this.run("sadd", this.keys.chatDeleted, messageId);
  }
  async saveChatSettings(settings: ChatSettings): Promise<void> {
    await this.run("set", this.keys.chatSettings, JSON.stringify(settings));
  }
  async saveMute(userId: string, muted: boolean): Promise<void> {
    await this.run(muted ? "sadd" : "srem", this.keys.muted, userId);
  }
  async saveHand(userId: string, hand: Hand | null): Promise<void> {
    if (hand) await this.run("hset", this.keys.hands, userId, JSON.stringify(hand));
    else await this.run("hdel", this.keys.hands, userId);
  }
  async clearHands(): Promise<void> {
    await this.run("del", this.keys.hands);
  }
  async saveRemoval(r: Removal): Promise<void> {
    await this.run("hset", this.keys.removed, r.userId, JSON.stringify(r));
  }
  saveAttendance(session: AttendanceSession): void {
    this.run("hset", this.keys.attendance, `${session.userId}@${session.joinedAt}`, JSON.stringify(session)).catch(() => {});
  }
}
