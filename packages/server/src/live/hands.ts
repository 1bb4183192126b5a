// Raised hands: a queue in the order hands went up. The raiser hears at once (`hand.state`);
// staff get the queue batched at the next tick. Shared (in a cluster) before the ack.
import type { AckResults, Hand } from "@edgeclass/client/protocol";
import { AppError } from "../domain/errors.ts";
import type { Member, RoomCore } from "./context.ts";

export class Hands {
  private readonly queue = new Map<string, Hand>();
  private dirty = false;

  constructor(private readonly room: RoomCore) {}

  async set(m: Member, raised: boolean, now: number): Promise<AckResults["hand.raise"]> {
    if (m.role !== "student") throw new AppError("forbidden", "only students raise hands");
    const { classId, deps } = this.room;
    const had = this.queue.has(m.id);
    if (raised && !had) this.queue.set(m.id, { userId: m.id, name: m.name, raisedAt: now });
    if (!raised && had) this.queue.delete(m.id);
    if (had !== raised) this.dirty = true;
    deps.fanout.user(classId, m.id, { type: "hand.state", raised });
    const position = raised ? [...this.queue.keys()].indexOf(m.id) + 1 : null;
    if (had !== raised) await deps.shared?.saveHand(m.id, raised ? this.queue.get(m.id)! : null);
    return { raised, position };
  }

  async answer(userId: string): Promise<AckResults["hand.answer"]> {
    const hand = this.queue.get(userId);
    if (!hand) throw new AppError("not-found", `${userId} has no hand raised`);
    const { classId, deps } = this.room;
    this.queue.delete(userId);
    this.dirty = true;
    deps.fanout.user(classId, userId, { type: "hand.state", raised: false });
    deps.fanout.all(classId, { type: "hand.answered", seq: this.room.nextSeq(), userId, name: hand.name });
    await deps.shared?.saveHand(userId, null);
    return { answered: userId };
  }

  async clear(): Promise<AckResults["hand.clear"]> {
    const { classId, deps } = this.room;
    for (const id of this.queue.keys()) deps.fanout.user(classId, id, { type: "hand.state", raised: false });
    this.queue.clear();
    this.dirty = true;
    await deps.shared?.clearHands();
    return { cleared: true };
  }

  /** The user's seat was released: their hand goes down. */
  forget(userId: string): void {
    if (!this.queue.delete(userId)) return;
    this.dirty = true;
    this.room.deps.shared?.saveHand(userId, null).catch(() => {});
  }

  isRaised(userId: string): boolean {
    return this.queue.has(userId);
  }

  /** In queue order. */
  list(): Hand[] {
    return [...this.queue.values()];
  }

  /** After a takeover: the previous owner's queue, for students still seated. */
  restore(hands: readonly Hand[]): void {
    for (const h of hands) if (this.room.members.has(h.userId) && !this.queue.has(h.userId)) this.queue.set(h.userId, h);
    if (this.queue.size > 0) this.dirty = true;
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.room.deps.fanout.staff(this.room.classId, { type: "hands", seq: this.room.nextSeq(), queue: this.list() });
  }
}
