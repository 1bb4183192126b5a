// Owning one live class: the fenced lease (taken, renewed, retaken, released), taking the class
// over from the state in Redis, sharing it again after Redis came back (empty, or failed over),
// and giving it up, handing back what was acknowledged while cut off. The rules of issue 14:
//  - an owner that still reaches Redis retakes its lease and shares its state again before any
//    fenced write can step it down (a missing lease is not another owner: redis-class-state.ts);
//  - a class live before the Redis we reach started is left to its owner from before for
//    SETTLE_MS (scripts.ts), so a new owner never starts it from an empty Redis;
//  - a cut-off owner that lost the class hands its answers to the shared records (HSETNX).
import type { ChatMessage, ChatSettings, Hand } from "@edgeclass/client/protocol";
import { liveClassOf } from "../live/hub.ts";
import { LiveRoom } from "../live/room.ts";
import type { ModerationState } from "../live/shared-state.ts";
import type { AttendanceSession } from "../store/live-types.ts";
import type { ClusterContext } from "./cluster-hub.ts";
import { readSharedRecords } from "./class-records.ts";
import { readRemovals, reshareRemovals } from "./class-removals.ts";
import { encodeEvent } from "./codec.ts";
import type { ClassKeys } from "./keys.ts";
import { RedisClassState, attendanceField } from "./redis-class-state.ts";
import { RedisFanout } from "./redis-fanout.ts";
import { unavailable } from "./rpc.ts";
import { LEASE_MS, SETTLE_MS, type AcquireReply, type FencedOp } from "./scripts.ts";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => Date.now(), sleep: (ms) => Bun.sleep(ms) };

/**
 * Takes a class's lease if it is free. While Redis answers "wait" (the class was live before this
 * Redis started and its owner from before may still retake it), asks again every 250 ms for at
 * most SETTLE_MS; past that the owner from before is gone (it died too), and the class is taken as
 * after a kill -9. `seen.under` is the Redis run_id under which this process last saw the class
 * owned, kept up to date here. Returns [1 taken | 0 held, lease value | holder].
 */
export async function acquireWaiting(
  tryOnce: (seenUnder: string) => Promise<AcquireReply>,
  seen: { under: string },
  onWait: () => void,
  clock: Clock = realClock,
): Promise<[number, string]> {
  const deadline = clock.now() + SETTLE_MS;
  for (let attempt = 0; ; attempt++) {
    const r = await tryOnce(seen.under);
    if (r[0] !== 2) {
      seen.under = r[2];
      return [r[0], r[1]];
    }
    if (attempt === 0) onWait();
    if (clock.now() > deadline) {
      if (seen.under === r[2]) throw unavailable(); // Redis itself still says wait (cannot happen past SETTLE_MS)
      seen.under = r[2]; // the owner from before is gone: this Redis is the class's now
      continue;
    }
    await clock.sleep(Math.min(250, Number(r[1])));
  }
}

export class ClassOwner {
  /** The class's room while this instance owns it. */
  room: LiveRoom | null = null;
  private lease: string | null = null;
  private renewTimer: ReturnType<typeof setInterval> | null = null;
  /** The reconciliation under way: every write that finds no lease waits for this one. */
  private reconciling: Promise<void> | null = null;
  private readonly seen = { under: "" };

  constructor(
    private readonly ctx: ClusterContext,
    readonly classId: string,
    private readonly keys: ClassKeys,
  ) {}

  private get link() {
    return this.ctx.link;
  }

  /** Takes the lease if free (waiting for an owner from before Redis started): [1, lease] taken, [0, holder] held. */
  acquire(): Promise<[number, string]> {
    const startedAt = this.ctx.store.classes.get(this.classId)?.startedAt ?? 0;
    return acquireWaiting(
      (seenUnder) =>
        this.link.timed(() =>
          this.link.scripts.acquireClass(this.keys.owner, this.keys.fence, this.ctx.instanceId, LEASE_MS, startedAt, SETTLE_MS, seenUnder),
        ),
      this.seen,
      () => this.ctx.logger.info({ classId: this.classId }, "waiting for the class's owner from before Redis started"),
    );
  }

  /** Becomes the owner: imports the shared state into the local store, opens the room, tells the others. */
  async takeOver(lease: string): Promise<void> {
    const { store, roomDeps, sockets, logger, metrics, processTag } = this.ctx;
    const cmd = this.link.cmd;
    const [records, chatRaw, deleted, seats, chatSettingsRaw, muted, handsRaw] = await Promise.all([
      readSharedRecords(this.link, this.keys),
      cmd.lrange(this.keys.chat, 0, -1),
      cmd.smembers(this.keys.chatDeleted),
      cmd.smembers(this.keys.seats),
      cmd.get(this.keys.chatSettings),
      cmd.smembers(this.keys.muted),
      cmd.hgetall(this.keys.hands),
    ]);
    const { questions, answers, attendance } = records;
    const chat = chatRaw.map((j) => JSON.parse(j) as ChatMessage);
    await store.write(() => {
      store.live.importShared(this.classId, questions, answers, chat, deleted, roomDeps.now());
      store.live.importAttendance(this.classId, attendance);
    });
    const { cls, course } = liveClassOf(store, this.classId);
    this.lease = lease;
    const events = this.keys.events;
    const fanout = new RedisFanout(
      sockets,
      processTag,
      (m) => void this.link.publish(events, m).catch(() => metrics.messages.labels("out", "dropped").inc()),
    );
    const write = (op: FencedOp, owner: string, key: string, l: string, ...args: (string | number)[]) =>
      this.link.timed(() => this.link.scripts.fenced(op, owner, key, l, ...args));
    const shared = new RedisClassState(write, this.keys, {
      lease: () => this.lease,
      fenced: () => this.stepDown("fenced"),
      reconcile: () => this.reconcile(),
    });
    const room = new LiveRoom({ ...roomDeps, fanout, shared, onEnded: () => this.ended() }, cls, course);
    room.restoreSeats(seats);
    // Hands in queue order: by when they were raised (ties by user id).
    const hands = Object.values(handsRaw)
      .map((j) => JSON.parse(j) as Hand)
      .sort((x, y) => x.raisedAt - y.raisedAt || (x.userId < y.userId ? -1 : 1));
    const moderation: ModerationState = {
      chatSettings: chatSettingsRaw ? (JSON.parse(chatSettingsRaw) as ChatSettings) : { enabled: true, slowModeSeconds: 0 },
      muted,
      hands,
    };
    room.restoreModeration(moderation);
    room.restoreRemovals(await readRemovals(this.link, this.keys));
    this.room = room;
    this.renewTimer = setInterval(() => void this.renew(), LEASE_MS / 3);
    metrics.ownershipChanges.labels("acquired").inc();
    logger.info(
      { classId: this.classId, lease, seats: seats.length, questions: questions.length, hands: hands.length, muted: muted.length },
      "took over class",
    );
    // Everyone (this instance too) admits their sockets again, with the new owner.
    await this.link.publish(events, encodeEvent(processTag, { op: "owner", instanceId: this.ctx.instanceId }));
    sockets.readmit(this.classId);
  }

  private async renew(): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    try {
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
    if (!this.room || !this.lease) return;
    const cur = await this.link.cmd.get(this.keys.owner).catch(() => undefined);
    if (cur === undefined) return;
    if (cur === null) {
      // Ours until now (expired, or Redis restarted empty): take it back, ahead of anyone else.
      const [taken, value, run] = await this.link.scripts.acquireClass(
        this.keys.owner,
        this.keys.fence,
        this.ctx.instanceId,
        LEASE_MS,
        "owner",
        SETTLE_MS,
        "",
      );
      if (taken !== 1) return this.stepDown("lost");
      if (!this.room) return; // ended or released meanwhile
      this.lease = value;
      this.seen.under = run;
      this.ctx.logger.info({ classId: this.classId, lease: value }, "retook class lease");
    } else if (cur !== this.lease) {
      return this.stepDown("lost");
    }
    await this.reshare();
  }

  /** Shares the owner's state again (Redis may have restarted empty): seats, questions, answers, moderation, attendance. */
  private async reshare(): Promise<void> {
    const room = this.room;
    if (!room || !this.lease) return;
    const { store } = this.ctx;
    // Writes decided locally while Redis was away may still be queued for the group commit:
    // let them commit first, so the copy below has them.
    await store.write(() => {});
    const l = this.lease;
    if (!l) return; // gave the class up meanwhile
    const scripts = this.link.scripts;
    const evals: Promise<unknown>[] = [];
    const fenced = (op: FencedOp, key: string, ...args: (string | number)[]) =>
      evals.push(scripts.fenced(op, this.keys.owner, key, l, ...args));
    for (const id of room.seatHolders()) fenced("sadd", this.keys.seats, id);
    // Moderation is replaced whole: changes made while Redis was unreachable are only here.
    const mod = room.moderation();
    fenced("set", this.keys.chatSettings, JSON.stringify(mod.chatSettings));
    fenced("replaceSet", this.keys.muted, ...mod.muted);
    fenced("replaceHash", this.keys.hands, ...mod.hands.flatMap((h) => [h.userId, JSON.stringify(h)]));
    evals.push(reshareRemovals(this.link, this.keys, l, room.removals()));
    for (const q of store.live.launchedQuestions(this.classId)) {
      const open = room.openQuestion();
      fenced("hset", this.keys.questions, q.id, JSON.stringify(open?.id === q.id ? open : q));
      for (const a of store.live.answers(q.id)) fenced("hsetnx", this.keys.answers(q.id), a.userId, JSON.stringify(a));
    }
    for (const r of store.live.attendance(this.classId)) {
      const session: AttendanceSession = { userId: r.userId, role: r.role, joinedAt: r.joinedAt, leftAt: r.leftAt };
      fenced("hset", this.keys.attendance, attendanceField(session), JSON.stringify(session));
    }
    // Pipelined (auto-pipelining): one round trip per batch instead of one per row. Timed, so a
    // refusal on a connection that stays up (NOREPLICAS right after a failover) has the link run
    // this again once Redis takes writes (redis.ts).
    await this.link.timed(() => Promise.all(evals));
    this.ctx.logger.info({ classId: this.classId }, "shared class state again after reconnect");
  }

  stepDown(why: string): void {
    if (!this.room) return;
    this.ctx.logger.warn({ classId: this.classId, why }, "gave up class ownership");
    this.ctx.metrics.ownershipChanges.labels("lost").inc();
    this.room.detach();
    this.room = null;
    this.lease = null;
    this.stopRenewing();
    this.link.unsubscribe(this.keys.commands).catch(() => {});
    this.ctx.sockets.readmit(this.classId);
    void this.handBack();
  }

  /**
   * A cut-off owner may have acknowledged answers from its own store while its writes to Redis
   * failed; another instance took the class meanwhile. Hand them over to the shared records
   * (HSETNX: where the new owner already holds an answer of that student, the new owner's wins),
   * so results read anywhere keep them and the student cannot answer that question twice.
   */
  private async handBack(): Promise<void> {
    const { store, logger } = this.ctx;
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
          await keep(this.keys.attendance, attendanceField(session), session);
        }
        if (handed > 0)
          logger.warn({ classId: this.classId, answers: handed }, "handed answers acknowledged while cut off to the class's new owner");
        return;
      } catch (e) {
        if (attempt === 3)
          logger.error(
            { classId: this.classId, err: (e as Error).message },
            "could not hand answers over; they stay in this instance's store",
          );
        else await Bun.sleep(1000 * attempt);
      }
    }
  }

  /** Shutdown: hand the class over at once instead of waiting for the lease to expire, and tell
   *  the other instances, whose sockets then find the next owner. */
  async release(): Promise<void> {
    if (!this.room || !this.lease) return;
    const lease = this.lease;
    this.room.detach();
    this.room = null;
    this.lease = null;
    this.stopRenewing();
    try {
      await this.link.scripts.release(this.keys.owner, lease);
      await this.link.publish(this.keys.events, encodeEvent(this.ctx.processTag, { op: "released", instanceId: this.ctx.instanceId }));
    } catch {
      // Redis away: the lease expires on its own.
    }
  }

  /** The room ended the class. */
  private ended(): void {
    this.stopRenewing();
    const lease = this.lease;
    this.room = null;
    this.lease = null;
    if (lease) this.link.scripts.release(this.keys.owner, lease).catch(() => {});
    this.ctx.forget(this.classId);
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }
}
