// The owner's writes of a class's shared state to Redis, each under the owner's lease (fenced
// scripts, scripts.ts). While Redis is unreachable the owner keeps going on its local store
// (nobody else can take the class meanwhile) and shares everything again on reconnect.
// Fencing rules: -1 (another instance holds the lease) steps the owner down; -2 (nobody does:
// Redis restarted empty, or the lease expired while Redis was slow) is not another owner, so the
// owner retakes its lease and shares its state again first, then writes once more.
import type { ChatMessage, ChatSettings, Hand } from "@edgeclass/client/protocol";
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import { AppError } from "../domain/errors.ts";
import type { SharedClassState } from "../live/shared-state.ts";
import type { AttendanceSession, Removal } from "../store/live-types.ts";
import type { ClassKeys } from "./keys.ts";
import type { FencedOp } from "./scripts.ts";

const CHAT_KEEP = 50;

/** A fenced script's reply (scripts.ts): the op's own, -1 another owner, -2 no owner. Throws when Redis is unreachable. */
export type FencedWrite = (op: FencedOp, owner: string, key: string, lease: string, ...args: (string | number)[]) => Promise<number>;

interface OwnerHooks {
  /** The current lease value; null once this instance gave the class up. */
  lease(): string | null;
  /** Another instance holds the lease: give the class up. */
  fenced(): void;
  /** Keeps, retakes or gives up the lease and shares the owner's state again. */
  reconcile(): Promise<void>;
}

export class RedisClassState implements SharedClassState {
  constructor(
    private readonly write: FencedWrite,
    private readonly keys: Pick<
      ClassKeys,
      "owner" | "seats" | "questions" | "answers" | "chat" | "chatDeleted" | "chatSettings" | "muted" | "hands" | "removed" | "attendance"
    >,
    private readonly owner: OwnerHooks,
  ) {}

  /** The op's reply; null when decided locally (Redis unreachable, or its lease lost again). */
  private async run(op: FencedOp, key: string, ...args: (string | number)[]): Promise<number | null> {
    let r = await this.once(op, key, args);
    if (r === -2) {
      await this.owner.reconcile().catch(() => {});
      r = await this.once(op, key, args);
      // Still none: Redis lost it again; decided locally, shared again by the next reconciliation.
      if (r === -2) return null;
    }
    if (r === -1) {
      this.owner.fenced();
      throw new AppError("unavailable", "the class moved to another instance; reconnect");
    }
    return r;
  }

  private async once(op: FencedOp, key: string, args: (string | number)[]): Promise<number | null> {
    const lease = this.owner.lease();
    if (!lease) throw new AppError("unavailable", "this instance no longer owns the class; reconnect");
    try {
      return await this.write(op, this.keys.owner, key, lease, ...args);
    } catch {
      return null;
    }
  }

  seatsTaken(userId: string): Promise<number | null> {
    return this.run("seatsTaken", this.keys.seats, userId);
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
    this.run("hset", this.keys.attendance, attendanceField(session), JSON.stringify(session)).catch(() => {});
  }
}

/** An attendance session's field in the class's attendance hash. */
export const attendanceField = (s: Pick<AttendanceSession, "userId" | "joinedAt">) => `${s.userId}@${s.joinedAt}`;
