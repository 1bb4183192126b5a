// The floor for bench:class: a bare Bun.serve pub/sub relay speaking the same live-class
// messages as EdgeClass, with none of its logic (no token check, no policy, no validation,
// no storage, no moderation). Answers are acked at once and kept in memory so the bench can
// read them back from the same results URL. What EdgeClass costs is its figure over this one.
//   PORT=... bun bench/class/floor-server.ts
import type { ServerWebSocket } from "bun";
import {
  PROTOCOL_VERSION,
  type ChatMessage,
  type ClientMessage,
  type OpenQuestion,
  type Role,
  type ServerMessage,
} from "@edgeclass/client/protocol";

interface Data {
  classId: string;
  id: string;
  name: string;
  role: Role;
}

interface Room {
  seq: number;
  participants: number;
  presenceDirty: boolean;
  quiz: OpenQuestion | null;
  chat: ChatMessage[];
  answers: Map<string, { userId: string; questionId: string; answerId: string; response: unknown; acceptedAt: number }>;
}

const rooms = new Map<string, Room>();
const room = (id: string): Room => {
  let r = rooms.get(id);
  if (r === undefined) rooms.set(id, (r = { seq: 0, participants: 0, presenceDirty: false, quiz: null, chat: [], answers: new Map() }));
  return r;
};

/** The claims of a JWT, read without checking the signature (the floor trusts everyone). */
function claims(token: string): { sub: string; role: Role; name: string } {
  try {
    const p = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: string; role?: Role; name?: string };
    return { sub: p.sub ?? "anon", role: p.role ?? "student", name: p.name ?? p.sub ?? "anon" };
  } catch {
    return { sub: "anon", role: "student", name: "anon" };
  }
}

let nextMsg = 0;
const send = (ws: ServerWebSocket<Data>, m: ServerMessage): void => {
  ws.send(JSON.stringify(m));
};

const server = Bun.serve<Data>({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  fetch(req, srv) {
    const u = new URL(req.url);
    const live = /^\/api\/classes\/([^/]+)\/live$/.exec(u.pathname);
    if (live) {
      const c = claims(u.searchParams.get("token") ?? "");
      if (srv.upgrade(req, { data: { classId: live[1], id: c.sub, name: c.name, role: c.role } })) return undefined;
      return new Response("upgrade failed", { status: 400 });
    }
    const results = /^\/api\/classes\/([^/]+)\/results$/.exec(u.pathname);
    if (results) return Response.json({ classId: results[1], answers: [...room(results[1]).answers.values()] });
    if (u.pathname === "/healthz") return new Response("ok");
    return new Response("not found", { status: 404 });
  },
  websocket: {
    open(ws) {
      const r = room(ws.data.classId);
      r.participants++;
      r.presenceDirty = true;
      ws.subscribe(ws.data.classId);
      const mine = r.quiz
        ? [...r.answers.values()].find((a) => a.userId === ws.data.id && a.questionId === r.quiz?.question.id)
        : undefined;
      send(ws, {
        type: "welcome",
        protocol: PROTOCOL_VERSION,
        you: { id: ws.data.id, name: ws.data.name, role: ws.data.role },
        serverTime: Date.now(),
        state: {
          classId: ws.data.classId,
          courseId: "floor",
          title: "floor",
          status: "live",
          participants: r.participants,
          chat: r.chat.slice(-50),
          chatSettings: { enabled: true, slowModeSeconds: 0 },
          muted: false,
          handRaised: false,
          quiz: r.quiz,
          myAnswer: mine ? { questionId: mine.questionId, answerId: mine.answerId, acceptedAt: mine.acceptedAt } : null,
          leaderboard: null,
          seq: r.seq,
        },
      });
    },
    message(ws, raw) {
      const m = JSON.parse(String(raw)) as ClientMessage;
      const r = room(ws.data.classId);
      const topic = ws.data.classId;
      switch (m.type) {
        case "ping":
          return send(ws, { type: "pong", rid: m.rid, serverTime: Date.now() });
        case "chat.send": {
          const message: ChatMessage = {
            id: `m${++nextMsg}`,
            userId: ws.data.id,
            name: ws.data.name,
            role: ws.data.role,
            text: m.text,
            at: Date.now(),
          };
          r.chat.push(message);
          if (r.chat.length > 100) r.chat.shift();
          server.publish(topic, JSON.stringify({ type: "chat.message", seq: ++r.seq, message } satisfies ServerMessage));
          return send(ws, { type: "ack", rid: m.rid, result: { id: message.id } });
        }
        case "quiz.launch": {
          const now = Date.now();
          const q = m.question;
          r.quiz = {
            question: {
              id: m.questionId ?? `q${r.seq + 1}`,
              kind: q?.kind ?? "single",
              prompt: q?.prompt ?? "?",
              options: q && "options" in q ? q.options : undefined,
              points: q?.points ?? 100,
            },
            launchedAt: now,
            deadline: now + m.timeLimitSeconds * 1000,
            closed: false,
            revealed: false,
          };
          server.publish(topic, JSON.stringify({ type: "quiz.question", seq: ++r.seq, quiz: r.quiz } satisfies ServerMessage));
          return send(ws, { type: "ack", rid: m.rid, result: { questionId: r.quiz.question.id } });
        }
        case "quiz.answer": {
          const key = `${ws.data.id}/${m.questionId}`;
          let a = r.answers.get(key);
          if (a === undefined)
            r.answers.set(
              key,
              (a = { userId: ws.data.id, questionId: m.questionId, answerId: m.answerId, response: m.response, acceptedAt: Date.now() }),
            );
          else if (a.answerId !== m.answerId)
            return send(ws, { type: "error", rid: m.rid, code: "already-answered", message: "already answered" });
          return send(ws, { type: "ack", rid: m.rid, result: { acceptedAt: a.acceptedAt } });
        }
        default:
          return send(ws, { type: "ack", rid: m.rid });
      }
    },
    close(ws) {
      const r = room(ws.data.classId);
      r.participants--;
      r.presenceDirty = true;
    },
  },
});

// Presence as a count, batched on a tick (as the issue asks of the real server).
setInterval(() => {
  for (const [id, r] of rooms) {
    if (!r.presenceDirty) continue;
    r.presenceDirty = false;
    server.publish(id, JSON.stringify({ type: "presence", seq: ++r.seq, count: r.participants } satisfies ServerMessage));
  }
}, 250);

console.error(`floor listening on ${server.port}`);
