// The live-class protocol: one WebSocket per person, JSON text frames.
// Client messages are valibot schemas (the server validates with them, the types come
// from them); server messages are plain types. docs/protocol.md describes each one.
import * as v from "valibot";
import type { ErrorCode } from "./codes.ts";

export const PROTOCOL_VERSION = 1;
/** Largest client frame the server reads; larger frames are refused. */
export const MAX_CLIENT_FRAME_BYTES = 4096;
export const MAX_CHAT_LENGTH = 500;
/** A close reason is at most 123 bytes; the server prefixes the teacher's reason with "removed by the teacher: ". */
export const MAX_REMOVE_REASON_LENGTH = 80;
export const REACTIONS = ["thumbs_up", "clap", "laugh", "wow", "heart", "confused"] as const;
export type Reaction = (typeof REACTIONS)[number];
export const QUESTION_KINDS = ["single", "multiple", "true_false", "numeric", "text"] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

// ---- Questions -------------------------------------------------------------

const optionId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,32}$/, "option ids are 1-32 letters, digits, _ or -"));
const prompt = v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty"), v.maxLength(1000));
const options = v.pipe(
  v.array(v.strictObject({ id: optionId, text: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200)) })),
  v.minLength(2, "at least two options"),
  v.maxLength(10, "at most ten options"),
  v.check((os) => new Set(os.map((o) => o.id)).size === os.length, "option ids must be unique"),
);
const points = v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10_000)));

/** A picture shown with the question: an id from POST /api/courses/:id/images, and words for who cannot see it. */
const picture = {
  image: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/, "must be an image id from POST /api/courses/:id/images"))),
  imageAlt: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(300))),
};

/** A question as a teacher writes it (bank or on the fly), including the correct answer. */
export const QuestionDraftSchema = v.variant("kind", [
  v.strictObject({ kind: v.literal("single"), prompt, options, correct: optionId, points, ...picture }),
  v.strictObject({
    kind: v.literal("multiple"),
    prompt,
    options,
    correct: v.pipe(v.array(optionId), v.minLength(1)),
    points,
    /** Part of the points for part of the right options (each wrong pick takes one right pick back). */
    partialCredit: v.optional(v.boolean()),
    ...picture,
  }),
  v.strictObject({ kind: v.literal("true_false"), prompt, correct: v.boolean(), points, ...picture }),
  v.strictObject({
    kind: v.literal("numeric"),
    prompt,
    correct: v.pipe(v.number(), v.finite()),
    tolerance: v.optional(v.pipe(v.number(), v.minValue(0)), 0),
    points,
    ...picture,
  }),
  v.strictObject({
    kind: v.literal("text"),
    prompt,
    /** Accepted answers, compared without case and surrounding or repeated spaces. */
    correct: v.pipe(v.array(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200))), v.minLength(1), v.maxLength(20)),
    points,
    ...picture,
  }),
]);
export type QuestionDraft = v.InferOutput<typeof QuestionDraftSchema>;

/** How a launched question runs on by itself, and its place in a quiz set (issue 16 build 2). */
export const QuizFlowSchema = v.strictObject({
  /** Reveal when time is up (closing is not enough). */
  autoReveal: v.optional(v.boolean()),
  /** Show the leaderboard right after the reveal. */
  autoLeaderboard: v.optional(v.boolean()),
  set: v.optional(
    v.strictObject({
      id: v.pipe(v.string(), v.maxLength(64)),
      title: v.pipe(v.string(), v.maxLength(200)),
      /** From 0. */
      index: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(99)),
      total: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)),
    }),
  ),
});
export type QuizFlow = v.InferOutput<typeof QuizFlowSchema>;

/** A student's response, by question kind. */
export const ResponseSchema = v.union([
  v.strictObject({ choice: optionId }),
  v.strictObject({ choices: v.pipe(v.array(optionId), v.maxLength(10)) }),
  v.strictObject({ value: v.boolean() }),
  v.strictObject({ number: v.pipe(v.number(), v.finite()) }),
  v.strictObject({ text: v.pipe(v.string(), v.maxLength(200)) }),
]);
export type QuizResponse = v.InferOutput<typeof ResponseSchema>;

/** What students see of a question: no correct answer. */
export interface PublicQuestion {
  id: string;
  kind: QuestionKind;
  prompt: string;
  options?: { id: string; text: string }[];
  points: number;
  /** Multiple choice: part of the points for part of the right options. */
  partialCredit?: boolean;
  /** A picture with the question (GET it; no token needed) and its description. */
  image?: string;
  imageAlt?: string;
}

// ---- Client -> server ------------------------------------------------------

const rid = v.optional(v.pipe(v.string(), v.maxLength(64)));
const userId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/));

export const ClientMessageSchema = v.variant("type", [
  v.strictObject({ type: v.literal("ping"), rid }),
  v.strictObject({
    type: v.literal("chat.send"),
    rid,
    text: v.pipe(
      v.string(),
      v.trim(),
      v.minLength(1, "empty message"),
      v.maxLength(MAX_CHAT_LENGTH, `at most ${MAX_CHAT_LENGTH} characters`),
    ),
  }),
  v.strictObject({ type: v.literal("chat.delete"), rid, messageId: v.pipe(v.string(), v.maxLength(64)) }),
  v.strictObject({ type: v.literal("chat.mute"), rid, userId, muted: v.boolean() }),
  v.strictObject({
    type: v.literal("chat.settings"),
    rid,
    enabled: v.optional(v.boolean()),
    slowModeSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3600))),
  }),
  v.strictObject({ type: v.literal("hand.raise"), rid }),
  v.strictObject({ type: v.literal("hand.lower"), rid }),
  v.strictObject({ type: v.literal("hand.answer"), rid, userId }),
  v.strictObject({ type: v.literal("hand.clear"), rid }),
  v.strictObject({ type: v.literal("reaction"), rid, reaction: v.picklist(REACTIONS) }),
  v.strictObject({
    type: v.literal("quiz.launch"),
    rid,
    /** A question from the course's bank, or one written on the fly. */
    questionId: v.optional(v.pipe(v.string(), v.maxLength(64))),
    question: v.optional(QuestionDraftSchema),
    timeLimitSeconds: v.pipe(v.number(), v.integer(), v.minValue(5), v.maxValue(600)),
    flow: v.optional(QuizFlowSchema),
  }),
  v.strictObject({
    type: v.literal("quiz.answer"),
    rid,
    questionId: v.pipe(v.string(), v.maxLength(64)),
    /** Client-made idempotency key: resubmitting the same answerId gets the same reply. */
    answerId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)),
    response: ResponseSchema,
  }),
  v.strictObject({ type: v.literal("quiz.close"), rid }),
  v.strictObject({ type: v.literal("quiz.reveal"), rid }),
  v.strictObject({ type: v.literal("leaderboard.show"), rid }),
  v.strictObject({ type: v.literal("class.end"), rid }),
  v.strictObject({
    type: v.literal("participant.remove"),
    rid,
    userId,
    /** Shown to the removed user in the close reason. */
    reason: v.optional(
      v.pipe(v.string(), v.trim(), v.maxLength(MAX_REMOVE_REASON_LENGTH, `at most ${MAX_REMOVE_REASON_LENGTH} characters`)),
    ),
  }),
]);
export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage["type"];
/** Messages only the class's teacher (or an admin) may send. */
export const STAFF_MESSAGES: ReadonlySet<ClientMessageType> = new Set([
  "chat.delete",
  "chat.mute",
  "chat.settings",
  "hand.answer",
  "hand.clear",
  "quiz.launch",
  "quiz.close",
  "quiz.reveal",
  "leaderboard.show",
  "class.end",
  "participant.remove",
]);

// ---- Server -> client ------------------------------------------------------

export type Role = "student" | "teacher" | "school-admin" | "admin";

export interface Participant {
  id: string;
  name: string;
  role: Role;
  /** false while a dropped participant may still come back (30 s). */
  connected: boolean;
}

export interface ChatMessage {
  id: string;
  userId: string;
  name: string;
  role: Role;
  text: string;
  at: number;
}

export interface ChatSettings {
  enabled: boolean;
  slowModeSeconds: number;
}

export interface Hand {
  userId: string;
  name: string;
  raisedAt: number;
}

export interface Distribution {
  questionId: string;
  answered: number;
  /** Students in the class when the question was launched. */
  eligible: number;
  /** By option id for choice questions, "true"/"false", or bucketed values for numeric/text. */
  counts: Record<string, number>;
}

export interface LeaderboardEntry {
  userId: string;
  name: string;
  score: number;
  rank: number;
}

export interface OpenQuestion {
  question: PublicQuestion;
  launchedAt: number;
  deadline: number;
  closed: boolean;
  revealed: boolean;
  /** Auto-reveal, auto-leaderboard and the question's place in a quiz set ("2 of 3"), when launched with them. */
  flow?: QuizFlow;
}

export interface MyAnswer {
  questionId: string;
  answerId: string;
  acceptedAt: number;
}

export interface AnswerResult {
  questionId: string;
  correct: boolean;
  points: number;
  totalScore: number;
  rank: number;
}

export interface ClassSnapshot {
  classId: string;
  courseId: string;
  title: string;
  status: "live" | "ended";
  participants: number;
  /** The full roster: teacher and admins only. */
  roster?: Participant[];
  chat: ChatMessage[];
  chatSettings: ChatSettings;
  muted: boolean;
  /** The hand queue for staff; for a student, only whether their hand is up. */
  hands?: Hand[];
  handRaised: boolean;
  quiz: OpenQuestion | null;
  myAnswer: MyAnswer | null;
  distribution?: Distribution;
  reveal?: RevealPayload;
  /** My graded result for the open question once it is revealed (students who answered it). */
  result?: AnswerResult;
  leaderboard: { top: LeaderboardEntry[]; me: LeaderboardEntry | null } | null;
  /** Sequence number of the last class event included in this snapshot. */
  seq: number;
  /** The teacher's video sources that have been on air in this class, and whether they are now (absent: none yet). */
  video?: ClassVideo;
}

/** A video source of the teacher: the camera or a screen share. */
export type VideoSource = "camera" | "screen";
/** `live` while the teacher's publish is connected; `paused` after it stopped, was replaced by a reload, or lost its connection. */
export type VideoState = "live" | "paused";
export type ClassVideo = Partial<Record<VideoSource, VideoState>>;

export interface RevealPayload {
  questionId: string;
  correct: unknown;
  distribution: Distribution;
}

export type ServerMessage =
  | { type: "welcome"; protocol: number; you: { id: string; name: string; role: Role }; serverTime: number; state: ClassSnapshot }
  | { type: "ack"; rid?: string; result?: unknown }
  | { type: "error"; rid?: string; code: ErrorCode; message: string }
  | { type: "pong"; rid?: string; serverTime: number }
  /** Everyone gets the count; staff also get `joined` (participants who joined, reconnected or dropped since
   *  the last tick, each once, with `connected` as it is now) and `removed` (seats released after the grace
   *  period). `left` (ids that dropped) is kept for older clients; this server sends drops in `joined`. */
  | { type: "presence"; seq: number; count: number; joined?: Participant[]; left?: string[]; removed?: string[] }
  | { type: "chat.message"; seq: number; message: ChatMessage }
  | { type: "chat.deleted"; seq: number; messageId: string }
  | { type: "chat.settings"; seq: number; settings: ChatSettings }
  | { type: "chat.muted"; seq: number; userId: string; muted: boolean }
  | { type: "hands"; seq: number; queue: Hand[] }
  | { type: "hand.state"; raised: boolean }
  | { type: "hand.answered"; seq: number; userId: string; name: string }
  | { type: "reactions"; seq: number; counts: Partial<Record<Reaction, number>> }
  | { type: "quiz.question"; seq: number; quiz: OpenQuestion }
  | { type: "quiz.distribution"; seq: number; distribution: Distribution }
  | { type: "quiz.closed"; seq: number; questionId: string }
  | { type: "quiz.reveal"; seq: number; reveal: RevealPayload }
  | { type: "quiz.result"; result: AnswerResult }
  | { type: "leaderboard"; seq: number; top: LeaderboardEntry[]; me: LeaderboardEntry | null }
  | { type: "class.ended"; seq: number }
  /** The teacher's video went on air or paused (no seq: the media service sends it, not the room). */
  | { type: "video.state"; source: VideoSource; state: VideoState };

export type ServerMessageType = ServerMessage["type"];

/** The `ack.result` of `participant.remove`. */
export interface ParticipantRemoved {
  userId: string;
  removed: true;
}

/** One client message type, by its `type`. */
export type ClientMessageOf<K extends ClientMessageType> = Extract<ClientMessage, { type: K }>;

/**
 * The `ack.result` of each client message: the server's command table (live/commands.ts) is typed
 * by it, and the SDK's `request()` resolves with it. `undefined`: the ack carries no result.
 */
export interface AckResults {
  /** The room's result; the server answers a ping with `pong`, and the SDK resolves with its `serverTime`. */
  ping: { serverTime: number };
  "chat.send": { messageId: string };
  "chat.delete": { deleted: string };
  "chat.mute": { userId: string; muted: boolean };
  "chat.settings": { settings: ChatSettings };
  /** `position` in the queue (1 = next) while raised. */
  "hand.raise": { raised: boolean; position: number | null };
  "hand.lower": { raised: boolean; position: number | null };
  "hand.answer": { answered: string };
  "hand.clear": { cleared: true };
  reaction: undefined;
  "quiz.launch": { questionId: string; deadline: number };
  "quiz.answer": MyAnswer;
  "quiz.close": { questionId: string; closedAt: number };
  "quiz.reveal": { questionId: string; correct: unknown };
  "leaderboard.show": { shown: true };
  "class.end": { ended: true };
  "participant.remove": ParticipantRemoved;
}
export type AckResult = AckResults[ClientMessageType];

// The error codes and close codes live in one catalogue (codes.ts), shared with REST.
export { CLOSE, ERRORS, isErrorCode, type ErrorCode } from "./codes.ts";
