// What a room shares with other instances when it runs in a cluster (Redis): seats,
// questions, answers and chat, written by the owner under its lease before it
// acknowledges. Absent on a single instance.
import type { ChatMessage } from "../../../client/src/protocol.ts";
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";

export interface SharedClassState {
  /** Takes a seat for a student; false when the class is full. Exact across instances. */
  takeSeat(userId: string, capacity: number): Promise<boolean>;
  releaseSeat(userId: string): void;
  saveQuestion(q: LaunchedQuestion): Promise<void>;
  /** Records an answer once; "exists" when one was recorded before (by any owner). */
  saveAnswer(questionId: string, a: GradedAnswer): Promise<"saved" | "exists">;
  saveChat(m: ChatMessage): Promise<void>;
  deleteChat(messageId: string): Promise<void>;
}
