// Messages between bench/class.ts and its student processes (Bun IPC, JSON).

export interface ClassAssignment {
  classId: string;
  /** Student user ids this process connects for the class. */
  studentIds: string[];
  /** Of those, the ones that chat (5% of the class). */
  chatters: string[];
  /** Per student (parallel to studentIds): index into `baseUrls` of the instance it connects to (bench:scale). */
  instances?: number[];
}

export type ToStudents =
  /** `baseUrls`: the server instances when there are several (students pick theirs through ClassAssignment.instances). */
  | {
      t: "init";
      baseUrl: string;
      baseUrls?: string[];
      secret: string;
      classes: ClassAssignment[];
      answerWindowMs: number;
      latencyEvery: number;
      rawSockets: boolean;
    }
  /** Connect every student of the class at once (one join burst). */
  | { t: "join"; classId: string }
  /** Chatters send one message a second for `seconds`, starting at a random phase. */
  | { t: "chat"; seconds: number }
  /** How far things are (to know when the phase has settled). */
  | { t: "progress" }
  /** Report what happened since the last collect. */
  | { t: "collect" }
  | { t: "close" };

export interface JoinReport {
  t: "joined";
  classId: string;
  admitted: number;
  failed: Record<string, number>;
  /** Epoch ms: first connect started, last welcome arrived. */
  startedAt: number;
  lastWelcomeAt: number;
  /** Per admitted student: connect start to welcome (ms). */
  welcomeMs: number[];
}

export interface AnsweredRecord {
  userId: string;
  classId: string;
  questionId: string;
  answerId: string;
}

export interface CollectReport {
  t: "collected";
  questionsSeen: number;
  answersSent: number;
  answersAcked: number;
  answersPending: number;
  answerErrors: Record<string, number>;
  /** Send to ack (ms), one per acked answer. */
  ackMs: number[];
  /** Epoch ms of the first answer sent and the last ack. */
  firstAnswerAt: number;
  lastAckAt: number;
  acked: AnsweredRecord[];
  chatSent: number;
  chatAcked: number;
  chatErrors: Record<string, number>;
  /** chat.message frames received by all students of this process. */
  chatReceived: number;
  firstChatAt: number;
  lastChatAt: number;
  /** Sender's send time to receipt (ms), sampled. */
  chatMs: number[];
  /** Epoch ms (sub-ms precision) at which each student's socket got the quiz.question frame. */
  questionAt: { classId: string; at: number }[];
  reconnects: number;
  closedForGood: Record<string, number>;
  framesReceived: number;
}

interface ProgressReport {
  t: "progress";
  answersPending: number;
  chatPending: number;
  /** Chat messages scheduled but not sent yet (a starved client process sends late). */
  chatUnsent: number;
  chatAcked: number;
  chatReceived: number;
}

export type FromStudents = { t: "ready"; students: number } | JoinReport | ProgressReport | CollectReport | { t: "closed" };
