// One bench:class client process: holds many students, each an EdgeClassClient (the SDK) on
// its own WebSocket. Joins on command, answers each question at a random moment within the
// answer window, chats when told, and reports what it measured. Chat deliveries are counted
// from the raw frame (no JSON parse) so that the clients stay cheap next to the server.
import { mintToken } from "../../packages/server/src/auth/tokens.ts";
import { EdgeClassClient, type OpenQuestion } from "@edgeclass/client";
import { frameArrivedAt, RawWebSocket } from "./raw-ws.ts";
import type { AnsweredRecord, ClassAssignment, CollectReport, FromStudents, ToStudents } from "./ipc.ts";

interface Student {
  id: string;
  classId: string;
  /** The server instance this student connects to. */
  baseUrl: string;
  token: string;
  chatter: boolean;
  sampleLatency: boolean;
  client: EdgeClassClient | null;
  connectAt: number;
  welcomeAt: number;
}

const send = (m: FromStudents) => process.send?.(m);
let answerWindowMs = 2000;
let rawSockets = true;
const students: Student[] = [];
const byClass = new Map<string, Student[]>();

function fresh() {
  return {
    questionsSeen: 0,
    answersSent: 0,
    answersAcked: 0,
    answerErrors: {} as Record<string, number>,
    ackMs: [] as number[],
    firstAnswerAt: 0,
    lastAckAt: 0,
    acked: [] as AnsweredRecord[],
    chatSent: 0,
    chatAcked: 0,
    chatErrors: {} as Record<string, number>,
    chatReceived: 0,
    firstChatAt: 0,
    lastChatAt: 0,
    chatMs: [] as number[],
    questionAt: [] as { classId: string; at: number }[],
    reconnects: 0,
    closedForGood: {} as Record<string, number>,
    framesReceived: 0,
  };
}
let stats = fresh();
let answersPending = 0;
let chatPending = 0;
let chatUnsent = 0;
const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
const codeOf = (e: unknown) => (typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : String(e));

/** Epoch milliseconds with sub-millisecond precision, comparable across the bench's processes. */
const epochNow = () => performance.timeOrigin + performance.now();
const QUESTION_PREFIX = '{"type":"quiz.question"';
const CHAT_MARK = '"type":"chat.message"';
const CHAT_PREFIX = new TextEncoder().encode('{"type":"chat.message"');
const QUESTION_BYTES = new TextEncoder().encode(QUESTION_PREFIX);
const TEXT_MARK = '"text":"b:';

/** The frame's arrival in this process (raw sockets stamp it before decoding), else now. */
const arrivalNow = () => frameArrivedAt() || epochNow();

function countChat(s: Student, text: (() => string) | string, now = arrivalNow()): void {
  stats.chatReceived++;
  if (stats.firstChatAt === 0) stats.firstChatAt = now;
  stats.lastChatAt = now;
  if (s.sampleLatency) {
    const data = typeof text === "string" ? text : text();
    const i = data.indexOf(TEXT_MARK);
    if (i >= 0) {
      const sentAt = parseFloat(data.slice(i + TEXT_MARK.length, i + TEXT_MARK.length + 20));
      if (sentAt > 0) stats.chatMs.push(now - sentAt);
    }
  }
}

function connect(s: Student): Promise<void> {
  return new Promise((resolve) => {
    s.connectAt = Date.now();
    const c = new EdgeClassClient({
      baseUrl: s.baseUrl,
      classId: s.classId,
      token: s.token,
      mirror: false,
      heartbeatMs: 0,
      requestTimeoutMs: 30_000,
      reconnect: { initialDelayMs: 250, maxDelayMs: 2000, maxInitialAttempts: 2 },
      // Raw sockets count chat frames from their bytes; anything else reaches the SDK.
      // Questions are stamped there too and read only when the student answers (a random moment in the
      // window): a question is 1000 frames at once, and decoding each through the SDK on arrival kept
      // the client core busy for the whole burst, so later sockets were read (and stamped) late.
      webSocket: rawSockets
        ? (url) =>
            new RawWebSocket(url, [
              { prefix: CHAT_PREFIX, onCounted: (decode, at) => countChat(s, decode, at) },
              {
                prefix: QUESTION_BYTES,
                onCounted: (decode, at) => {
                  stats.framesReceived++;
                  stats.questionAt.push({ classId: s.classId, at });
                  answerLater(s, () => (JSON.parse(decode()) as { quiz: { question: OpenQuestion["question"] } }).quiz.question);
                },
              },
            ])
        : undefined,
      onFrame(data) {
        stats.framesReceived++;
        // The question's arrival, before the SDK parses it: the delivery figure of quiz.question.
        if (data.startsWith(QUESTION_PREFIX)) stats.questionAt.push({ classId: s.classId, at: arrivalNow() });
        if (!data.includes(CHAT_MARK)) return false;
        countChat(s, data);
        return true;
      },
    });
    s.client = c;
    let first = true;
    c.on("welcome", () => {
      if (first) {
        first = false;
        s.welcomeAt = Date.now();
        resolve();
      } else stats.reconnects++;
    });
    c.on("status", (st) => {
      if (st.status === "closed") {
        bump(stats.closedForGood, `${st.closeCode ?? "none"} ${st.closeReason ?? ""}`.trim());
        if (first) {
          first = false;
          resolve();
        }
      }
    });
    c.on("quiz.question", (m) => answerLater(s, () => m.quiz.question));
  });
}

/** Answers a question at a random moment within the answer window; `question()` is read then. */
function answerLater(s: Student, question: () => OpenQuestion["question"]): void {
  stats.questionsSeen++;
  setTimeout(() => {
    const c = s.client;
    if (c === null) return;
    const q = question();
    const options = q.options ?? [{ id: "a", text: "" }];
    const choice = options[Math.floor(Math.random() * options.length)].id;
    const t0 = performance.now();
    const sentAt = Date.now();
    if (stats.firstAnswerAt === 0 || sentAt < stats.firstAnswerAt) stats.firstAnswerAt = sentAt;
    stats.answersSent++;
    answersPending++;
    c.answer(q.id, { choice }).then(
      (a) => {
        answersPending--;
        stats.answersAcked++;
        stats.ackMs.push(performance.now() - t0);
        stats.lastAckAt = Date.now();
        stats.acked.push({ userId: s.id, classId: s.classId, questionId: q.id, answerId: a.answerId });
      },
      (e: unknown) => {
        answersPending--;
        bump(stats.answerErrors, codeOf(e));
      },
    );
  }, Math.random() * answerWindowMs);
}

async function join(classId: string) {
  const list = byClass.get(classId) ?? [];
  const startedAt = Date.now();
  await Promise.all(list.map(connect));
  const admitted = list.filter((s) => s.welcomeAt > 0);
  const failed: Record<string, number> = {};
  for (const s of list) if (s.welcomeAt === 0) bump(failed, s.client?.connection.error?.message ?? "unknown");
  send({
    t: "joined",
    classId,
    admitted: admitted.length,
    failed,
    startedAt,
    lastWelcomeAt: Math.max(startedAt, ...admitted.map((s) => s.welcomeAt)),
    welcomeMs: admitted.map((s) => s.welcomeAt - s.connectAt),
  });
}

function chat(seconds: number) {
  for (const s of students) {
    if (!s.chatter || s.client === null) continue;
    const c = s.client;
    let left = seconds;
    chatUnsent += seconds;
    const fire = () => {
      chatUnsent--;
      stats.chatSent++;
      chatPending++;
      c.chat(`b:${epochNow().toFixed(3)} hello from ${s.id}`).then(
        () => {
          chatPending--;
          stats.chatAcked++;
        },
        (e: unknown) => {
          chatPending--;
          bump(stats.chatErrors, codeOf(e));
        },
      );
      if (--left > 0) setTimeout(fire, 1000);
    };
    setTimeout(fire, Math.random() * 1000);
  }
}

process.on("message", async (raw: unknown) => {
  const m = raw as ToStudents;
  switch (m.t) {
    case "init": {
      const baseUrls = m.baseUrls ?? [m.baseUrl];
      answerWindowMs = m.answerWindowMs;
      rawSockets = m.rawSockets;
      let n = 0;
      for (const a of m.classes as ClassAssignment[]) {
        const chatters = new Set(a.chatters);
        const list: Student[] = [];
        for (const [i, id] of a.studentIds.entries()) {
          const baseUrl = baseUrls[a.instances?.[i] ?? 0];
          const token = await mintToken(m.secret, { sub: id, role: "student", ttlSeconds: 3600 });
          list.push({
            id,
            classId: a.classId,
            baseUrl,
            token,
            chatter: chatters.has(id),
            sampleLatency: n++ % m.latencyEvery === 0,
            client: null,
            connectAt: 0,
            welcomeAt: 0,
          });
        }
        byClass.set(a.classId, list);
        students.push(...list);
      }
      send({ t: "ready", students: students.length });
      break;
    }
    case "join":
      await join(m.classId);
      break;
    case "chat":
      chat(m.seconds);
      break;
    case "progress":
      send({ t: "progress", answersPending, chatPending, chatUnsent, chatAcked: stats.chatAcked, chatReceived: stats.chatReceived });
      break;
    case "collect": {
      const report: CollectReport = { t: "collected", ...stats, answersPending };
      stats = fresh();
      send(report);
      break;
    }
    case "close":
      for (const s of students) s.client?.close();
      await Bun.sleep(100);
      send({ t: "closed" });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
