// Storage for live classes: the question bank, attendance, chat, launched questions and answers.
import type { ChatMessage, QuestionDraft } from "@edgeclass/client/protocol";
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import type { Page, PageRequest, Role } from "../domain/model.ts";

export interface BankQuestion {
  id: string;
  courseId: string;
  draft: QuestionDraft;
  createdAt: number;
  /** The course's school. */
  schoolId: string;
}

export interface AttendanceRow {
  userId: string;
  name: string;
  role: Role;
  joinedAt: number;
  leftAt: number | null;
}

/** One participant's session in a class, as shared between instances. */
export interface AttendanceSession {
  userId: string;
  role: Role;
  joinedAt: number;
  leftAt: number | null;
}

/** A participant staff took out of a live class: refused for the rest of that class. */
export interface Removal {
  userId: string;
  /** The close reason they were given. */
  reason: string;
  at: number;
}

/** A course's bank questions in an order, run one after another with "Next" (issue 16 build 2). */
export interface QuizSet {
  id: string;
  courseId: string;
  schoolId: string;
  title: string;
  questionIds: string[];
  /** Reveal by itself when time is up. */
  autoReveal: boolean;
  /** Show the leaderboard by itself after each reveal. */
  autoLeaderboard: boolean;
  timeLimitSeconds: number;
  createdAt: number;
  updatedAt: number;
}

export interface LiveStore {
  insertQuestion(q: BankQuestion): void;
  getQuestion(id: string): BankQuestion | undefined;
  listQuestions(courseId: string, page: PageRequest): Page<BankQuestion>;
  archiveQuestion(id: string, at: number): boolean;
  /** Replaces a bank question's draft (not an archived one); false when there is none. Questions already launched keep their own copy. */
  updateQuestion(id: string, draft: QuestionDraft): boolean;

  /** A participant's session starts (a reconnect within the grace period does not start a new one). */
  attendanceJoin(classId: string, userId: string, role: Role, at: number): void;
  /** Closes the participant's open session, if any. */
  attendanceLeave(classId: string, userId: string, at: number): void;
  /** Closes every open session of the class (class end, or recovery after a crash). */
  attendanceCloseAll(classId: string, at: number): void;
  attendance(classId: string): AttendanceRow[];
  /** Sessions recorded by other instances, added when missing (an ended one closes ours). */
  importAttendance(classId: string, sessions: readonly AttendanceSession[]): void;

  insertChat(classId: string, m: ChatMessage): void;
  deleteChat(classId: string, messageId: string, at: number): boolean;
  recentChat(classId: string, limit: number): ChatMessage[];

  insertLaunched(q: LaunchedQuestion): void;
  markClosed(questionId: string, at: number): void;
  markRevealed(questionId: string, at: number): void;
  launchedQuestions(classId: string): LaunchedQuestion[];

  insertAnswer(questionId: string, a: GradedAnswer): void;
  /** Takeover from another instance: rows the shared engine holds, added when missing (questions updated). */
  importShared(
    classId: string,
    questions: LaunchedQuestion[],
    answers: Map<string, GradedAnswer[]>,
    chat: ChatMessage[],
    deletedChat: string[],
    at: number,
  ): void;
  answers(questionId: string): GradedAnswer[];

  /** Records a removal once (the first reason stays). */
  insertRemoval(classId: string, r: Removal): void;
  removals(classId: string): Removal[];
}
