// The client's mirror of the class: built from the `welcome` snapshot, then kept up to date
// by the class events that follow it. Pure logic, no I/O: the client feeds it messages.
import type {
  AnswerResult,
  ChatMessage,
  ChatSettings,
  Distribution,
  Hand,
  ClassVideo,
  LeaderboardEntry,
  MyAnswer,
  OpenQuestion,
  Participant,
  Reaction,
  RevealPayload,
  Role,
  ServerMessage,
} from "./protocol.ts";

export type Welcome = Extract<ServerMessage, { type: "welcome" }>;

export interface Me {
  id: string;
  name: string;
  role: Role;
}

export interface ClassState {
  /** false until the first `welcome`. */
  ready: boolean;
  me: Me | null;
  classId: string;
  courseId: string;
  title: string;
  status: "live" | "ended";
  /** true once the class has ended (status "ended"). */
  ended: boolean;
  /** Participants connected (or holding their seat), as the server counts them. */
  participants: number;
  /**
   * The full roster by user id, disconnected participants in their grace period included (connected false): staff only (undefined for
   * students).
   */
  roster: Map<string, Participant> | undefined;
  /** Chat in order, deleted messages removed, at most `maxChat` (the oldest are dropped). */
  chat: ChatMessage[];
  chatSettings: ChatSettings;
  /** Whether I am muted. */
  muted: boolean;
  /** How many of my own chat messages staff deleted while I have been here (so the page can say so). */
  myDeletedMessages: number;
  /** Users muted while I have been here (staff see every `chat.muted`). */
  mutedUsers: Set<string>;
  /** The hand queue in order: staff only (undefined for students). */
  hands: Hand[] | undefined;
  /** Whether my hand is up. */
  handRaised: boolean;
  /** The last hand a teacher answered. */
  lastAnsweredHand: { userId: string; name: string } | null;
  /** The latest aggregated reaction counts. */
  reactions: Partial<Record<Reaction, number>>;
  quiz: OpenQuestion | null;
  /** My accepted answer to the current question. */
  myAnswer: MyAnswer | null;
  /** My graded result for the current question, once the server sends it. */
  result: AnswerResult | null;
  distribution: Distribution | undefined;
  reveal: RevealPayload | undefined;
  leaderboard: { top: LeaderboardEntry[]; me: LeaderboardEntry | null } | null;
  /** The teacher's video sources and whether each is live or paused (empty: never published). */
  video: ClassVideo;
  /** Highest class-event sequence number seen (from the snapshot, then from events). */
  seq: number;
  /** `seq` of the last welcome snapshot: events at or below it are already in the state. */
  snapshotSeq: number;
}

export const DEFAULT_MAX_CHAT = 500;

export function emptyState(classId: string): ClassState {
  return {
    ready: false,
    me: null,
    classId,
    courseId: "",
    title: "",
    status: "live",
    ended: false,
    participants: 0,
    roster: undefined,
    chat: [],
    chatSettings: { enabled: true, slowModeSeconds: 0 },
    muted: false,
    mutedUsers: new Set(),
    myDeletedMessages: 0,
    hands: undefined,
    handRaised: false,
    lastAnsweredHand: null,
    reactions: {},
    quiz: null,
    myAnswer: null,
    result: null,
    distribution: undefined,
    reveal: undefined,
    leaderboard: null,
    video: {},
    seq: 0,
    snapshotSeq: 0,
  };
}

/** Replaces the state with a `welcome` snapshot (first join and every reconnect). */
export function applyWelcome(state: ClassState, w: Welcome, maxChat = DEFAULT_MAX_CHAT): void {
  const s = w.state;
  const sameQuestion = state.quiz !== null && s.quiz !== null && state.quiz.question.id === s.quiz.question.id;
  state.ready = true;
  state.me = { id: w.you.id, name: w.you.name, role: w.you.role };
  state.classId = s.classId;
  state.courseId = s.courseId;
  state.title = s.title;
  state.status = s.status;
  state.ended = s.status === "ended";
  state.participants = s.participants;
  state.roster = s.roster === undefined ? undefined : new Map(s.roster.map((p) => [p.id, { ...p }]));
  state.chat = s.chat.length > maxChat ? s.chat.slice(s.chat.length - maxChat) : [...s.chat];
  state.chatSettings = { ...s.chatSettings };
  state.muted = s.muted;
  if (s.muted && state.me !== null) state.mutedUsers.add(state.me.id);
  state.hands = s.hands === undefined ? undefined : [...s.hands];
  state.handRaised = s.handRaised;
  state.quiz = s.quiz;
  state.myAnswer = s.myAnswer;
  // The snapshot carries my result once revealed; otherwise keep the one we had for the same question.
  if (s.result !== undefined) state.result = s.result;
  else if (!sameQuestion) state.result = null;
  state.distribution = s.distribution;
  state.reveal = s.reveal;
  state.leaderboard = s.leaderboard;
  state.video = { ...s.video };
  state.seq = s.seq;
  state.snapshotSeq = s.seq;
}

/**
 * Applies one server message. Returns false when it changed nothing (not a state message, or a
 * class event the last snapshot already contains: `seq <= snapshot seq`). Staff get a batch of
 * presence twice under one seq (the count for everyone, then joined/left on the staff topic),
 * so an event is not dropped for repeating the last seq, only for predating the snapshot.
 */
export function applyEvent(state: ClassState, m: ServerMessage, maxChat = DEFAULT_MAX_CHAT): boolean {
  if ("seq" in m) {
    if (!state.ready || m.seq <= state.snapshotSeq) return false;
    if (m.seq > state.seq) state.seq = m.seq;
  }
  switch (m.type) {
    case "presence":
      state.participants = m.count;
      if (state.roster !== undefined) {
        for (const p of m.joined ?? []) state.roster.set(p.id, { ...p });
        // `left` = disconnected: the seat is held for the grace period (Participant.connected false).
        for (const id of m.left ?? []) {
          const p = state.roster.get(id);
          if (p !== undefined) state.roster.set(id, { ...p, connected: false });
        }
        // `removed` = the seat was released after the grace period.
        for (const id of m.removed ?? []) state.roster.delete(id);
      }
      return true;
    case "chat.message":
      state.chat.push(m.message);
      if (state.chat.length > maxChat) state.chat.splice(0, state.chat.length - maxChat);
      return true;
    case "chat.deleted": {
      const i = state.chat.findIndex((c) => c.id === m.messageId);
      if (i >= 0 && state.me !== null && state.chat[i].userId === state.me.id && state.me.role === "student") state.myDeletedMessages++;
      if (i >= 0) state.chat.splice(i, 1);
      return true;
    }
    case "chat.settings":
      state.chatSettings = { ...m.settings };
      return true;
    case "chat.muted":
      if (m.muted) state.mutedUsers.add(m.userId);
      else state.mutedUsers.delete(m.userId);
      if (state.me !== null && m.userId === state.me.id) state.muted = m.muted;
      return true;
    case "hands":
      state.hands = [...m.queue];
      if (state.me !== null) {
        const me = state.me.id;
        state.handRaised = m.queue.some((h) => h.userId === me);
      }
      return true;
    case "hand.state":
      state.handRaised = m.raised;
      return true;
    case "hand.answered":
      state.lastAnsweredHand = { userId: m.userId, name: m.name };
      if (state.hands !== undefined) state.hands = state.hands.filter((h) => h.userId !== m.userId);
      if (state.me !== null && m.userId === state.me.id) state.handRaised = false;
      return true;
    case "reactions":
      state.reactions = { ...m.counts };
      return true;
    case "quiz.question":
      if (state.quiz === null || state.quiz.question.id !== m.quiz.question.id) {
        state.myAnswer = null;
        state.result = null;
        state.distribution = undefined;
        state.reveal = undefined;
        // A board shown for an earlier question is stale (its scores and ranks): the teacher shows it again.
        state.leaderboard = null;
      }
      state.quiz = m.quiz;
      return true;
    case "quiz.distribution":
      state.distribution = m.distribution;
      return true;
    case "quiz.closed":
      if (state.quiz !== null && state.quiz.question.id === m.questionId) state.quiz = { ...state.quiz, closed: true };
      return true;
    case "quiz.reveal":
      state.reveal = m.reveal;
      state.distribution = m.reveal.distribution;
      if (state.quiz !== null && state.quiz.question.id === m.reveal.questionId)
        state.quiz = { ...state.quiz, closed: true, revealed: true };
      return true;
    case "quiz.result":
      state.result = m.result;
      return true;
    case "leaderboard":
      state.leaderboard = { top: m.top, me: m.me };
      return true;
    case "video.state":
      state.video = { ...state.video, [m.source]: m.state };
      return true;
    case "class.ended":
      state.status = "ended";
      state.ended = true;
      return true;
    default:
      return false;
  }
}

/** Records my answer once the server acknowledged it. */
export function applyAnswerAccepted(state: ClassState, answer: MyAnswer): void {
  if (state.quiz === null || state.quiz.question.id === answer.questionId) state.myAnswer = answer;
}
