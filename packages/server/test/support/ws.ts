// A raw WebSocket participant for tests: records every message, awaits by type, matches acks by rid.
import type { ClientMessage, ServerMessage } from "@edgeclass/client/protocol";

export interface Peer {
  ws: WebSocket;
  messages: ServerMessage[];
  /** Resolves with the first message of this type not yet taken by an earlier next() (received already or to come). */
  next<T extends ServerMessage["type"]>(
    type: T,
    pred?: (m: Extract<ServerMessage, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<ServerMessage, { type: T }>>;
  /** Sends with a fresh rid; resolves with the ack's result or rejects with the error message's code. */
  request(msg: ClientMessage | Record<string, unknown>): Promise<unknown>;
  sendRaw(text: string): void;
  sendBinary(bytes: Uint8Array<ArrayBuffer>): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

let ridSeq = 0;
/** How long next() and request() wait by default; raise it for multi-process tests on a busy machine. */
let defaultTimeoutMs = 5000;
export function setReplyTimeout(ms: number): void {
  defaultTimeoutMs = ms;
}

export function connect(base: string, classId: string, token: string): Promise<Peer> {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/classes/${classId}/live?token=${token}`);
  const messages: ServerMessage[] = [];
  const waiters: { type: string; pred?: (m: never) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  const taken = new Set<ServerMessage>();
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as ServerMessage;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.type === m.type && (!w.pred || w.pred(m as never))) {
        waiters.splice(waiters.indexOf(w), 1);
        taken.add(m);
        w.resolve(m);
        return;
      }
    }
  };
  ws.onclose = (e) => resolveClosed({ code: e.code, reason: e.reason });
  const peer: Peer = {
    ws,
    messages,
    next(type, pred, timeoutMs = defaultTimeoutMs) {
      const ready = messages.find((m) => !taken.has(m) && m.type === type && (!pred || pred(m as never)));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready as never);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${type} within ${timeoutMs} ms; got ${messages.map((m) => m.type).join(",")}`)),
          timeoutMs,
        );
        waiters.push({
          type,
          pred: pred as (m: never) => boolean,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m as never);
          },
        });
      });
    },
    async request(msg) {
      const rid = `r${++ridSeq}`;
      const isReply = (m: ServerMessage) => (m.type === "ack" || m.type === "error") && m.rid === rid;
      const reply = new Promise<ServerMessage>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no reply to ${rid} (${String(msg.type)}) within ${defaultTimeoutMs} ms`)),
          defaultTimeoutMs,
        );
        const done = (m: ServerMessage) => {
          clearTimeout(timer);
          resolve(m);
        };
        waiters.push({ type: "ack", pred: isReply as (m: never) => boolean, resolve: done });
        waiters.push({ type: "error", pred: isReply as (m: never) => boolean, resolve: done });
      });
      ws.send(JSON.stringify({ ...msg, rid }));
      const m = await reply;
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].pred === (isReply as unknown)) waiters.splice(i, 1);
      if (m.type === "error") throw Object.assign(new Error(m.message), { code: m.code });
      return (m as { result?: unknown }).result;
    },
    sendRaw: (text) => ws.send(text),
    sendBinary: (bytes) => ws.send(bytes),
    closed,
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(peer);
    // Refused before opening: reject with the close code and reason.
    closed.then((c) => reject(Object.assign(new Error(`closed ${c.code}: ${c.reason}`), c)));
  });
}

/** Connects and waits for the welcome, or for the close when admission is refused (with the refusal's `serverCode`). */
export async function join(
  base: string,
  classId: string,
  token: string,
): Promise<{ peer: Peer; welcome: Extract<ServerMessage, { type: "welcome" }> }> {
  const peer = await connect(base, classId, token);
  const welcome = await Promise.race([
    peer.next("welcome"),
    peer.closed.then((c) => {
      // A refusal's stable code comes in an `error` without rid just before the close.
      const refusal = peer.messages.find((m) => m.type === "error" && m.rid === undefined);
      throw Object.assign(new Error(`closed ${c.code}: ${c.reason}`), c, {
        serverCode: refusal?.type === "error" ? refusal.code : undefined,
      });
    }),
  ]);
  return { peer, welcome };
}

/** Sends the answer until an owner accepts it (the class may be between owners); the ack and how long it took. */
export async function answerUntilAccepted(
  peer: Peer,
  questionId: string,
  answerId: string,
  response: unknown,
  timeoutMs = 15_000,
): Promise<{ ack: unknown; ms: number }> {
  const started = Date.now();
  let ack: unknown;
  while (!ack && Date.now() - started < timeoutMs) {
    ack = await peer.request({ type: "quiz.answer", questionId, answerId, response }).catch(() => undefined);
  }
  return { ack, ms: Date.now() - started };
}
