// What a room shares with other instances when it runs in a cluster (Redis): seats,
// questions, answers, chat, and the moderation state (chat settings, mutes, raised
// hands), written by the owner under its lease before it acknowledges. A new owner
// restores them. Absent on a single instance.
import type { ChatMessage, ChatSettings, Hand } from "@edgeclass/client/protocol";
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import type { AttendanceSession, Removal } from "../store/live-types.ts";

export interface SharedClassState {
  /** Seats held by students other than this one, across instances (the join policy's snapshot);
   *  null when the shared engine cannot say (the room's own count stands in). */
  seatsTaken(userId: string): Promise<number | null>;
  /** Takes a seat for a student; false when the class is full. Exact across instances. */
  takeSeat(userId: string, capacity: number): Promise<boolean>;
  releaseSeat(userId: string): void;
  saveQuestion(q: LaunchedQuestion): Promise<void>;
  /** Records an answer once; "exists" when one was recorded before (by any owner). */
  saveAnswer(questionId: string, a: GradedAnswer): Promise<"saved" | "exists">;
  saveChat(m: ChatMessage): Promise<void>;
  deleteChat(messageId: string): Promise<void>;
  saveChatSettings(settings: ChatSettings): Promise<void>;
  saveMute(userId: string, muted: boolean): Promise<void>;
  /** A hand raised (with its place in the queue: raisedAt) or lowered (null). */
  saveHand(userId: string, hand: Hand | null): Promise<void>;
  clearHands(): Promise<void>;
  /** A participant's session started or ended (so results read on any instance list who attended). */
  saveAttendance(session: AttendanceSession): void;
  /** Staff removed a participant: a new owner must refuse them too. */
  saveRemoval(r: Removal): Promise<void>;
}

/** The moderation state a room keeps in memory, as shared with (and restored from) other instances. */
export interface ModerationState {
  chatSettings: ChatSettings;
  muted: string[];
  /** In queue order. */
  hands: Hand[];
}
