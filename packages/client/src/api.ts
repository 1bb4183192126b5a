// The REST API's response bodies, shared by the server that builds them (http/views.ts, the
// routes, services/live-service.ts) and the web client that reads them, so tsc checks both sides
// against one definition. Times are RFC 3339 strings unless a field says epoch milliseconds.
import type { QuestionDraft } from "./protocol.ts";

/** One page of a list; `nextCursor` asks for the next page, null on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CourseView {
  id: string;
  title: string;
  description: string;
  status: "draft" | "active" | "archived";
  capacity: number;
  teacherId: string;
  schoolId: string;
  createdAt: string;
  updatedAt: string;
  /** GET /api/courses/:id: students enrolled now. */
  enrolled?: number;
}

export interface ClassView {
  id: string;
  courseId: string;
  title: string;
  startsAt: string;
  durationMinutes: number;
  status: "scheduled" | "live" | "ended" | "cancelled";
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  schoolId: string;
}

/** A question of a course's bank: its draft, flattened. */
export type BankQuestionView = QuestionDraft & { id: string; courseId: string; createdAt: string };

export interface QuizSetView {
  id: string;
  courseId: string;
  schoolId: string;
  title: string;
  /** Bank questions, in the order they are asked. */
  questionIds: string[];
  /** Reveal by itself when time is up. */
  autoReveal: boolean;
  /** Show the leaderboard by itself after each reveal. */
  autoLeaderboard: boolean;
  timeLimitSeconds: number;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/classes/:id/turned-away: the joins the class refused. */
export interface TurnedAwayView {
  /** Distinct students refused at least once. */
  students: number;
  /** Refused joins (a "class full" page retries by itself, so one student may count several times). */
  attempts: number;
  /** One row per policy reason, most students first. */
  reasons: { reason: string; students: number; attempts: number }[];
  /** The latest refusal, or null. */
  last: string | null;
}

/** One launched question of GET /api/classes/:id/results. */
export interface QuestionResult {
  questionId: string;
  bankQuestionId: string | null;
  kind: string;
  prompt: string;
  /** Choice questions: the options, so an export can name the answers. */
  options?: { id: string; text: string }[];
  correct: unknown;
  /** Epoch milliseconds. */
  launchedAt: number;
  /** Epoch milliseconds. */
  deadline: number;
  eligible: number;
  answered: number;
  correctCount: number;
  distribution: Record<string, number>;
  /** `answeredAt` in epoch milliseconds. */
  answers: { userId: string; name: string; answerId: string; response: unknown; correct: boolean; points: number; answeredAt: number }[];
}

/** GET /api/classes/:id/results (JSON). */
export interface ClassResults {
  classId: string;
  courseId: string;
  title: string;
  questions: QuestionResult[];
  students: { userId: string; name: string; score: number; rank: number; answered: number; correct: number }[];
}

/** One person in GET /api/classes/:id/attendance (`people`): their sessions added up. */
export interface PresenceView {
  userId: string;
  name: string;
  role: string;
  /** Sessions (a reload or a dropped connection starts another). */
  sessions: number;
  firstJoinedAt: string;
  /** Null while still in the class. */
  lastLeftAt: string | null;
  /** Sum of the sessions (overlaps, e.g. two tabs, counted once), rounded to whole minutes. */
  minutesPresent: number;
}

/** One join decision in GET /api/admin/decisions, with the titles and the person's name (null when unknown). */
export interface DecisionView {
  at: string;
  classId: string;
  courseId: string;
  schoolId: string;
  userId: string;
  role: string;
  decision: "allow" | "deny";
  reasons: string[];
  classTitle: string | null;
  courseTitle: string | null;
  userName: string | null;
}
