// Presence batching: joins, drops and released seats are collected between ticks and sent as
// one `presence` message (the count to everyone, the changes to staff), so a join burst of a
// thousand students is a few messages a second, not a thousand.
import { participantView, type Member, type RoomCore } from "./context.ts";

export class PresenceBatch {
  /** Roster changes since the last tick, latest state per user: who joined, reconnected or dropped. */
  private changes = new Map<string, Member>();
  /** Users whose seat was released (grace period over) since the last tick. */
  private released = new Set<string>();
  private dirty = false;

  constructor(private readonly room: RoomCore) {}

  /** A new seat (a released one earlier in the same tick no longer counts as released). */
  seated(m: Member): void {
    this.changes.set(m.id, m);
    this.released.delete(m.id);
    this.dirty = true;
  }

  /** Connected or dropped (seat kept), or a seat restored after a takeover. */
  changed(m: Member): void {
    this.changes.set(m.id, m);
    this.dirty = true;
  }

  /** The seat was released. */
  left(userId: string): void {
    this.changes.delete(userId);
    this.released.add(userId);
    this.dirty = true;
  }

  /** The count must go out at the next tick even without changes. */
  touch(): void {
    this.dirty = true;
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const { classId, members, deps } = this.room;
    const seq = this.room.nextSeq();
    deps.fanout.all(classId, { type: "presence", seq, count: members.size });
    if (this.changes.size || this.released.size) {
      // joined: each changed participant once, with `connected` as it is now; removed: seats released.
      const joined = [...this.changes.values()].map(participantView);
      deps.fanout.staff(classId, { type: "presence", seq, count: members.size, joined, removed: [...this.released] });
    }
    this.changes = new Map();
    this.released = new Set();
  }
}
