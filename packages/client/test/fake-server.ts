// A tiny scripted live-class server for the SDK's own tests (Bun.serve). Each test decides
// what the server does with each frame; the fake records what it received.
import type { Server, ServerWebSocket } from "bun";
import { PROTOCOL_VERSION, type ClassSnapshot, type ClientMessage, type Role, type ServerMessage } from "../src/protocol.ts";

interface Conn {
  ws: ServerWebSocket<ConnData>;
  token: string;
  classId: string;
  send(m: ServerMessage): void;
}
interface ConnData {
  token: string;
  classId: string;
  conn?: Conn;
}

export interface FakeHandlers {
  /** On connect: send a welcome (default) or close. */
  open?(c: Conn): void;
  message?(c: Conn, m: ClientMessage): void;
}

export interface FakeServer {
  url: string;
  received: ClientMessage[];
  conns: Conn[];
  handlers: FakeHandlers;
  stop(): void;
}

function snapshot(over: Partial<ClassSnapshot> = {}): ClassSnapshot {
  return {
    classId: "c1",
    courseId: "k1",
    title: "Physics",
    status: "live",
    participants: 1,
    chat: [],
    chatSettings: { enabled: true, slowModeSeconds: 0 },
    muted: false,
    handRaised: false,
    quiz: null,
    myAnswer: null,
    leaderboard: null,
    seq: 0,
    ...over,
  };
}

export function welcome(role: Role = "student", state: Partial<ClassSnapshot> = {}, id = "s1"): ServerMessage {
  return {
    type: "welcome",
    protocol: PROTOCOL_VERSION,
    you: { id, name: id.toUpperCase(), role },
    serverTime: Date.now(),
    state: snapshot(state),
  };
}

export function startFake(handlers: FakeHandlers = {}): FakeServer {
  const fake: FakeServer = { url: "", received: [], conns: [], handlers, stop: () => server.stop(true) };
  const server: Server<ConnData> = Bun.serve<ConnData>({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      const u = new URL(req.url);
      const m = /^\/api\/classes\/([^/]+)\/live$/.exec(u.pathname);
      if (!m) return new Response("not found", { status: 404 });
      if (srv.upgrade(req, { data: { token: u.searchParams.get("token") ?? "", classId: decodeURIComponent(m[1]) } })) return undefined;
      return new Response("upgrade failed", { status: 400 });
    },
    websocket: {
      open(ws) {
        const conn: Conn = { ws, token: ws.data.token, classId: ws.data.classId, send: (m) => ws.send(JSON.stringify(m)) };
        ws.data.conn = conn;
        fake.conns.push(conn);
        if (fake.handlers.open) fake.handlers.open(conn);
        else conn.send(welcome());
      },
      message(ws, data) {
        const m = JSON.parse(String(data)) as ClientMessage;
        fake.received.push(m);
        const conn = ws.data.conn as Conn;
        if (fake.handlers.message) fake.handlers.message(conn, m);
        else if (m.type === "ping") conn.send({ type: "pong", rid: m.rid, serverTime: Date.now() });
        else conn.send({ type: "ack", rid: m.rid });
      },
    },
  });
  fake.url = `http://127.0.0.1:${server.port}`;
  return fake;
}

/** Waits until `cond` holds (polling), or fails after `ms`. */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}
