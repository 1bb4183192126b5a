// One live class as this instance sees it: its room when this instance owns the class
// (class-owner.ts), a proxy to the owner otherwise (rpc.ts). It also serves the requests other
// instances forward when this instance is the owner, and delivers the owner's events to this
// instance's sockets.
import type { ClientMessage } from "@edgeclass/client/protocol";
import type { Principal } from "../domain/model.ts";
import { AppError } from "../domain/errors.ts";
import type { RoomPort } from "../live/ports.ts";
import type { AdmitResult, LiveRoom } from "../live/room.ts";
import { ClassOwner } from "./class-owner.ts";
import type { ClusterContext } from "./cluster-hub.ts";
import { decodeEvent, eventSender, type Request } from "./codec.ts";
import { classKeys, type ClassKeys } from "./keys.ts";
import { unavailable } from "./rpc.ts";

export class ClusterClass implements RoomPort {
  readonly owner: ClassOwner;
  private readonly keys: ClassKeys;
  private subscribed: Promise<void> | null = null;
  private resolving: Promise<void> | null = null;
  /** Set while this instance is taking the class over: requests that arrive meanwhile wait for it. */
  private takingOver: Promise<void> | null = null;

  constructor(
    private readonly ctx: ClusterContext,
    readonly classId: string,
  ) {
    this.keys = classKeys(ctx.link, classId);
    this.owner = new ClassOwner(ctx, classId, this.keys);
  }

  /** The room, while this instance owns the class. */
  get ownedRoom(): LiveRoom | null {
    return this.owner.room;
  }

  private get link() {
    return this.ctx.link;
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
        const [taken, value] = await this.owner.acquire();
        if (taken === 1) {
          this.takingOver = this.owner.takeOver(value);
          await this.takingOver.finally(() => (this.takingOver = null));
        } else {
          await this.link.unsubscribe(this.keys.commands);
        }
      } catch (e) {
        if (e instanceof AppError) throw e;
        throw unavailable();
      } finally {
        this.resolving = null;
      }
    })();
    await this.resolving;
  }

  // ---- RoomPort ------------------------------------------------------------------

  async admit(p: Principal, enrolled: boolean): Promise<AdmitResult> {
    await this.resolveOwner();
    if (this.ownedRoom) return this.ownedRoom.admit(p, enrolled);
    // Pub/sub keeps nothing for a subscriber that blinked, so a join whose reply is lost is asked
    // again (admission is idempotent: a user already admitted gets a fresh welcome).
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.ctx.rpc.call(this.classId, { t: "admit", principal: p, enrolled })) as AdmitResult;
      } catch (e) {
        if (attempt < 3 && e instanceof AppError && e.code === "unavailable" && this.link.healthy()) {
          await this.resolveOwner();
          const room = this.ownedRoom as LiveRoom | null; // the owner may be gone and this instance taken over
          if (room) return room.admit(p, enrolled);
          continue;
        }
        // The owner may have admitted the user after all: let their seat go through the grace period.
        this.ctx.rpc.left(this.classId, p.id);
        throw e;
      }
    }
  }

  async handle(userId: string, msg: ClientMessage): Promise<unknown> {
    if (this.ownedRoom) return this.ownedRoom.handle(userId, msg);
    try {
      return await this.ctx.rpc.call(this.classId, { t: "cmd", userId, msg });
    } catch (e) {
      // The owner may be gone: take the class if it is free, then try once more.
      if (e instanceof AppError && e.code === "unavailable" && this.link.healthy()) {
        await this.resolveOwner();
        const room = this.ownedRoom as LiveRoom | null; // may have changed while awaiting
        if (room) return room.handle(userId, msg);
      }
      throw e;
    }
  }

  disconnected(userId: string): void {
    if (this.ownedRoom) this.ownedRoom.disconnected(userId);
    else this.ctx.rpc.left(this.classId, userId);
  }

  async end(): Promise<boolean> {
    await this.resolveOwner();
    if (this.ownedRoom) {
      await this.ownedRoom.end();
      return true;
    }
    await this.ctx.rpc.call(this.classId, { t: "end" });
    return true;
  }

  // ---- Owner side: serving other instances -------------------------------------------

  serve(r: Request): void {
    if (!this.ownedRoom && this.takingOver) {
      this.takingOver.then(
        () => this.serve(r),
        () => {},
      );
      return;
    }
    const room = this.ownedRoom;
    if (r.t === "left") return room?.disconnected(r.userId);
    if (!room) return; // not ours (any more): the caller times out and retries with the new owner
    const work: Promise<unknown> =
      r.t === "admit" ? room.admit(r.principal, r.enrolled) : r.t === "cmd" ? room.handle(r.userId, r.msg) : room.end().then(() => true);
    this.ctx.rpc.answer(r, work);
  }

  /** An event from the owner (codec.ts): deliver it to this instance's sockets. */
  deliver(message: string): void {
    if (eventSender(message) === this.ctx.processTag) return; // ours: delivered when sent
    const e = decodeEvent(message)?.event;
    const s = this.ctx.sockets;
    switch (e?.op) {
      case "all":
        return s.all(this.classId, { raw: e.raw });
      case "staff":
        return s.staff(this.classId, { raw: e.raw });
      case "user":
        return s.user(this.classId, e.userId, { raw: e.raw });
      case "closeUser":
        return s.closeUser(this.classId, e.userId, e.code, e.reason);
      case "closeAll":
        return s.closeAll(this.classId, e.code, e.reason);
      case "owner":
        if (e.instanceId !== this.ctx.instanceId && this.ownedRoom) this.owner.stepDown("another instance took over");
        s.readmit(this.classId);
        return;
      case "released":
        s.readmit(this.classId);
        return;
    }
  }
}
