// Reactions: counted between ticks and sent as one `reactions` message; a student's reaction of
// one kind counts once in a window, so clicking again does not inflate the count.
import type { Reaction } from "@edgeclass/client/protocol";
import type { RoomCore } from "./context.ts";

/** A student's reaction of one kind counts once in this window; repeats are dropped (issue 16 defect 15). */
export const REACTION_WINDOW_MS = 3000;

export class Reactions {
  private counts: Partial<Record<Reaction, number>> = {};
  /** When each "userId reaction" last counted (pruned at the ticks). */
  private readonly last = new Map<string, number>();

  constructor(private readonly room: RoomCore) {}

  react(userId: string, reaction: Reaction, now: number): undefined {
    const key = `${userId} ${reaction}`;
    const last = this.last.get(key);
    if (last !== undefined && now - last < REACTION_WINDOW_MS) return undefined;
    this.last.set(key, now);
    this.counts[reaction] = (this.counts[reaction] ?? 0) + 1;
    return undefined;
  }

  flush(now: number): void {
    if (this.last.size > 0) for (const [k, at] of this.last) if (now - at >= REACTION_WINDOW_MS) this.last.delete(k);
    let any = false;
    for (const _ in this.counts) any = true;
    if (!any) return;
    this.room.deps.fanout.all(this.room.classId, { type: "reactions", seq: this.room.nextSeq(), counts: this.counts });
    this.counts = {};
  }
}
