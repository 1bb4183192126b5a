// EdgeClassClient: one live-class connection (standard WebSocket only, so it runs in browsers and
// in Bun), typed requests resolved by the server's `ack`, typed events, a local mirror of the
// class, and reconnect with backoff that resumes the same seat and resends unacknowledged answers.
import * as v from "valibot";
import { EdgeClassError, errorFromClose } from "./errors.ts";
import { Emitter } from "./emitter.ts";
import {
  ClientMessageSchema,
  CLOSE,
  MAX_CLIENT_FRAME_BYTES,
  type AckResults,
  type ClientMessage,
  type ClientMessageType,
  type ErrorCode,
  type MyAnswer,
  type ParticipantRemoved,
  type QuestionDraft,
  type QuizFlow,
  type QuizResponse,
  type Reaction,
  type ServerMessage,
  type ServerMessageType,
} from "./protocol.ts";
import {
  applyAnswerAccepted,
  applyEvent,
  applyWelcome,
  DEFAULT_MAX_CHAT,
  emptyState,
  type ClassState,
  type Me,
  type Welcome,
} from "./state.ts";

/** The subset of the standard WebSocket the client uses (so tests or other runtimes can supply one). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface ReconnectOptions {
  /** First delay after a drop (ms). Default 250. */
  initialDelayMs?: number;
  /** Largest delay (ms). Default 5000. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Give up after this many failed attempts in a row. Default: never once admitted (the class ending or a deny stops it). */
  maxAttempts?: number;
  /** Attempts before the first `welcome` (server down, wrong URL, HTTP refusal). Default 5. */
  maxInitialAttempts?: number;
}

export interface EdgeClassClientOptions {
  /** The server, e.g. `https://edge.example.org` (ws/wss URLs are accepted too). */
  baseUrl: string;
  classId: string;
  /** The user's JWT, or a function returning a fresh one for each (re)connect. */
  token: string | (() => string | Promise<string>);
  /** Connect in the constructor. Default true; otherwise call `connect()`. */
  autoConnect?: boolean;
  /** `false` disables reconnecting. */
  reconnect?: ReconnectOptions | false;
  /** A request with no reply within this long is rejected with code "timeout" (ms). Default 15000. */
  requestTimeoutMs?: number;
  /**
   * Ping when nothing was received for this long and drop the socket if the pong does not come within the same time (ms). 0 disables.
   * Default 20000.
   */
  heartbeatMs?: number;
  /** Chat messages kept in `state.chat`. Default 500. */
  maxChat?: number;
  /** Keep no state mirror (events only): for load generators. Default false. */
  mirror?: boolean;
  /**
   * Check each message against the protocol's schema before sending (invalid ones are rejected with "bad-message" without a round trip).
   * Default true.
   */
  validate?: boolean;
  /** Requests queued while (re)connecting before new ones are refused. Default 256. */
  maxQueued?: number;
  /**
   * Sees each text frame before it is parsed; returning true consumes it (no parsing, no events, no mirror). For load generators and
   * metrics.
   */
  onFrame?: (data: string) => boolean;
  /** Creates the socket. Default: `new WebSocket(url)`. */
  webSocket?: WebSocketFactory;
}

export type ConnectionStatus = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** Reconnect attempts since the last `welcome`. */
  attempt: number;
  /** Code and reason of the last close (e.g. 4003 and the policy's reason). */
  closeCode: number | null;
  closeReason: string | null;
  /** Why the client is closed for good, when it is. */
  error: EdgeClassError | null;
}

type MessageOf<K extends ServerMessageType> = Extract<ServerMessage, { type: K }>;

/** Events: every server message by its type, plus `status`, `state` and `message` (any server message). */
export type EdgeClassEvents = { [K in ServerMessageType]: MessageOf<K> } & {
  status: ConnectionInfo;
  /** The mirror changed (after a welcome or an event that changed it). */
  state: Readonly<ClassState>;
  message: ServerMessage;
};

/** What `request()` resolves with, by message type: the ack's result (AckResults), or the server's clock for a ping. */
export type RequestResult<K extends ClientMessageType> = K extends "ping" ? number : AckResults[K];

/** A client message without its `rid` (the client adds one). */
export type OutgoingMessage = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, "rid"> : never) : never;
type Outgoing = OutgoingMessage;

interface Pending {
  rid: string;
  frame: string;
  type: ClientMessage["type"];
  /** Sent on the current socket (false: waiting for the connection). */
  sent: boolean;
  /** Safe to send again after a reconnect. */
  resend: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(value: unknown): void;
  reject(e: EdgeClassError): void;
  /** For answers: what the ack means for the mirror. */
  answer?: { questionId: string; answerId: string };
}

const OPEN = 1;
/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSES: ReadonlySet<number> = new Set([
  CLOSE.unauthorized,
  CLOSE.policyDenied,
  CLOSE.notFound,
  CLOSE.notStarted,
  CLOSE.classEnded,
  CLOSE.replaced,
  CLOSE.removed,
]);

function randomId(bytes = 12): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  let s = "";
  for (const x of b) s += "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"[x & 63];
  return s;
}

function utf8Length(s: string): number {
  if (s.length * 3 <= MAX_CLIENT_FRAME_BYTES) return s.length; // cannot be over the limit
  return new TextEncoder().encode(s).length;
}

/** ws(s)://host/api/classes/<classId>/live?token=... from an http(s) or ws(s) base URL. */
export function liveUrl(baseUrl: string, classId: string, token: string): string {
  const u = new URL(baseUrl);
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  else if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new TypeError(`baseUrl must be http(s) or ws(s), not ${u.protocol}`);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/api/classes/${encodeURIComponent(classId)}/live`;
  u.search = `?token=${encodeURIComponent(token)}`;
  u.hash = "";
  return u.href;
}

export class EdgeClassClient {
  private readonly opts: EdgeClassClientOptions;
  private readonly events = new Emitter<EdgeClassEvents>();
  private readonly mirror: ClassState;
  private readonly keepMirror: boolean;
  private readonly maxChat: number;
  private readonly ridPrefix = randomId(4) + ".";
  private ridCounter = 0;
  private readonly pending = new Map<string, Pending>();
  /** answerId per question, so a retried answer carries the same idempotency key. */
  private readonly answerIds = new Map<string, string>();
  private ws: WebSocketLike | null = null;
  private info: ConnectionInfo = { status: "idle", attempt: 0, closeCode: null, closeReason: null, error: null };
  /** The code of an `error` message without a rid: the server's reason for the close that follows. */
  private refusal: ErrorCode | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReceived = 0;
  private heartbeatRid: string | null = null;
  private firstWelcome: { promise: Promise<Welcome>; resolve(w: Welcome): void; reject(e: EdgeClassError): void };
  private welcomed = false;

  constructor(options: EdgeClassClientOptions) {
    this.opts = options;
    this.mirror = emptyState(options.classId);
    this.keepMirror = options.mirror ?? true;
    this.maxChat = options.maxChat ?? DEFAULT_MAX_CHAT;
    let resolve!: (w: Welcome) => void;
    let reject!: (e: EdgeClassError) => void;
    const promise = new Promise<Welcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // observed through connect() / `status`; never an unhandled rejection
    this.firstWelcome = { promise, resolve, reject };
    if (options.autoConnect ?? true) void this.open();
  }

  // ---- Connection -----------------------------------------------------------

  /**
   * Connects (if not already) and resolves with the first `welcome`; rejects if the join is refused (e.g. 4003 with the policy's reason).
   */
  connect(): Promise<Welcome> {
    if (this.info.status === "idle") void this.open();
    return this.firstWelcome.promise;
  }

  get connection(): Readonly<ConnectionInfo> {
    return this.info;
  }

  get status(): ConnectionStatus {
    return this.info.status;
  }

  /** The local mirror of the class (do not mutate it). */
  get state(): Readonly<ClassState> {
    return this.mirror;
  }

  get me(): Me | null {
    return this.mirror.me;
  }

  /** Closes for good: pending requests are rejected with "closed", no reconnect. Idempotent. */
  close(code: number = CLOSE.normal, reason = "client closed"): void {
    if (this.info.status === "closed") return;
    this.finish(new EdgeClassError("closed", reason, code), code, reason);
  }

  on<K extends keyof EdgeClassEvents>(type: K, fn: (payload: EdgeClassEvents[K]) => void): () => void {
    return this.events.on(type, fn);
  }

  once<K extends keyof EdgeClassEvents>(type: K, fn: (payload: EdgeClassEvents[K]) => void): () => void {
    return this.events.once(type, fn);
  }

  off<K extends keyof EdgeClassEvents>(type: K, fn: (payload: EdgeClassEvents[K]) => void): void {
    this.events.off(type, fn);
  }

  /** Resolves with the next server message of this type (e.g. `await client.next("quiz.question")`). */
  next<K extends ServerMessageType>(type: K, timeoutMs = this.opts.requestTimeoutMs ?? 15_000): Promise<MessageOf<K>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new EdgeClassError("timeout", `no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.events.once(type, (m) => {
        clearTimeout(timer);
        resolve(m as unknown as MessageOf<K>);
      });
    });
  }

  private isClosed(): boolean {
    return this.info.status === "closed";
  }

  private setStatus(status: ConnectionStatus, patch: Partial<ConnectionInfo> = {}): void {
    this.info = { ...this.info, ...patch, status };
    this.events.emit("status", this.info);
  }

  private async open(): Promise<void> {
    if (this.info.status === "closed") return;
    this.setStatus(this.welcomed || this.info.attempt > 0 ? "reconnecting" : "connecting");
    let token: string;
    try {
      token = typeof this.opts.token === "string" ? this.opts.token : await this.opts.token();
    } catch (e) {
      this.scheduleReconnect(new EdgeClassError("closed", `could not get a token: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (this.isClosed()) return; // close() while the token was coming
    let ws: WebSocketLike;
    try {
      const url = liveUrl(this.opts.baseUrl, this.opts.classId, token);
      ws = this.opts.webSocket ? this.opts.webSocket(url) : new WebSocket(url);
    } catch (e) {
      this.finish(new EdgeClassError("closed", e instanceof Error ? e.message : String(e)), null, null);
      return;
    }
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (this.ws === ws && typeof ev.data === "string") this.receive(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.dropped(ev.code, ev.reason);
    };
    ws.onerror = () => {}; // a close event follows
  }

  /** The socket closed: reconnect, or stop for good on a final close code. */
  private dropped(code: number, reason: string): void {
    this.ws = null;
    const serverCode = this.refusal ?? undefined;
    this.refusal = null;
    this.stopHeartbeat();
    for (const p of this.pending.values()) {
      if (!p.sent) continue;
      if (p.resend) p.sent = false;
      else
        this.settle(p.rid)?.reject(new EdgeClassError("connection-lost", `connection lost before the server acknowledged ${p.type}`, code));
    }
    if (FINAL_CLOSES.has(code)) {
      this.finish(errorFromClose(code, reason, serverCode), code, reason);
      return;
    }
    this.info = { ...this.info, closeCode: code, closeReason: reason };
    this.scheduleReconnect(errorFromClose(code, reason, serverCode));
  }

  private scheduleReconnect(cause: EdgeClassError): void {
    const off = this.opts.reconnect === false;
    const r = this.opts.reconnect || {};
    const attempt = this.info.attempt + 1;
    const limit = off ? 0 : this.welcomed ? (r.maxAttempts ?? Infinity) : (r.maxInitialAttempts ?? 5);
    if (attempt > limit) {
      this.finish(cause, this.info.closeCode, this.info.closeReason);
      return;
    }
    const base = r.initialDelayMs ?? 250;
    const delay = Math.min(r.maxDelayMs ?? 5000, base * (r.factor ?? 2) ** (attempt - 1));
    // Jitter (50-100 %) so a thousand students dropped together do not come back together.
    const wait = Math.round(delay * (0.5 + Math.random() * 0.5));
    this.setStatus("reconnecting", { attempt });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), wait);
  }

  private finish(error: EdgeClassError, code: number | null, reason: string | null): void {
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws !== null && ws.readyState <= OPEN) {
      try {
        ws.close(code !== null && (code === 1000 || (code >= 3000 && code <= 4999)) ? code : 1000, (reason ?? "").slice(0, 120));
      } catch {}
    }
    for (const p of [...this.pending.values()])
      this.settle(p.rid)?.reject(
        new EdgeClassError("closed", `client closed before the server acknowledged ${p.type}: ${error.message}`, code ?? undefined),
      );
    this.firstWelcome.reject(error);
    this.setStatus("closed", { closeCode: code, closeReason: reason, error });
  }

  // ---- Receiving ------------------------------------------------------------

  private receive(data: string): void {
    this.lastReceived = Date.now();
    if (this.opts.onFrame !== undefined && this.opts.onFrame(data)) return;
    let m: ServerMessage;
    try {
      m = JSON.parse(data) as ServerMessage;
    } catch {
      return; // the server only sends JSON; ignore anything else
    }
    if (typeof m !== "object" || m === null || typeof m.type !== "string") return;
    switch (m.type) {
      case "welcome":
        this.welcomed = true;
        if (this.keepMirror) applyWelcome(this.mirror, m, this.maxChat);
        else this.mirror.me = m.you;
        this.setStatus("open", { attempt: 0, closeCode: null, closeReason: null });
        this.startHeartbeat();
        this.firstWelcome.resolve(m);
        if (this.keepMirror) this.events.emit("state", this.mirror);
        this.flush(m);
        break;
      case "ack": {
        const p = m.rid === undefined ? undefined : this.settle(m.rid);
        if (p?.answer !== undefined) {
          const accepted = this.acceptedAnswer(p.answer, m.result);
          if (this.keepMirror) {
            applyAnswerAccepted(this.mirror, accepted);
            this.events.emit("state", this.mirror);
          }
          p.resolve(accepted);
        } else p?.resolve(m.result);
        break;
      }
      case "error":
        if (m.rid !== undefined) this.settle(m.rid)?.reject(new EdgeClassError(m.code, m.message));
        else this.refusal = m.code; // a refusal's code, just before the server closes
        break;
      case "pong":
        if (m.rid !== undefined) {
          if (m.rid === this.heartbeatRid) this.heartbeatRid = null;
          this.settle(m.rid)?.resolve(m.serverTime);
        }
        break;
      default:
        if (this.keepMirror && applyEvent(this.mirror, m, this.maxChat)) {
          this.events.emit(m.type, m as never);
          this.events.emit("state", this.mirror);
        } else if (!this.keepMirror || !("seq" in m)) this.events.emit(m.type, m as never);
        // else: a class event the snapshot already contains
        break;
    }
    if (m.type === "ack" || m.type === "error" || m.type === "pong" || m.type === "welcome") this.events.emit(m.type, m as never);
    this.events.emit("message", m);
  }

  private acceptedAnswer(a: { questionId: string; answerId: string }, result: unknown): MyAnswer {
    const r = typeof result === "object" && result !== null ? (result as Record<string, unknown>) : {};
    const acceptedAt = typeof r.acceptedAt === "number" ? r.acceptedAt : Date.now();
    return { questionId: a.questionId, answerId: a.answerId, acceptedAt };
  }

  // ---- Sending --------------------------------------------------------------

  /** Sends any client message and resolves with its typed `ack` result (or the `pong` server time for `ping`). */
  request<M extends Outgoing>(message: M): Promise<RequestResult<M["type"]>> {
    return this.enqueue(message) as Promise<RequestResult<M["type"]>>;
  }

  private enqueue(message: Outgoing, answer?: { questionId: string; answerId: string }): Promise<unknown> {
    if (this.info.status === "closed") return Promise.reject(this.info.error ?? new EdgeClassError("closed", "client is closed"));
    if (this.pending.size >= (this.opts.maxQueued ?? 256) && this.info.status !== "open") {
      return Promise.reject(new EdgeClassError("unavailable", "too many requests waiting for the connection"));
    }
    const rid = this.ridPrefix + (++this.ridCounter).toString(36);
    let outgoing: ClientMessage = { ...message, rid } as ClientMessage;
    if (this.opts.validate ?? true) {
      const parsed = v.safeParse(ClientMessageSchema, outgoing);
      if (!parsed.success) {
        const issue = parsed.issues[0];
        const path = v.getDotPath(issue);
        return Promise.reject(new EdgeClassError("bad-message", path ? `${path}: ${issue.message}` : issue.message));
      }
      outgoing = parsed.output; // trimmed as the server would
    }
    const frame = JSON.stringify(outgoing);
    if (utf8Length(frame) > MAX_CLIENT_FRAME_BYTES) {
      return Promise.reject(new EdgeClassError("too-large", `${message.type} is over ${MAX_CLIENT_FRAME_BYTES} bytes`));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = {
        rid,
        frame,
        type: message.type,
        sent: false,
        resend: message.type === "quiz.answer" || message.type === "ping",
        timer: undefined,
        resolve,
        reject,
        answer,
      };
      const timeout = this.opts.requestTimeoutMs ?? 15_000;
      p.timer = setTimeout(
        () => this.settle(rid)?.reject(new EdgeClassError("timeout", `no reply to ${message.type} within ${timeout} ms`)),
        timeout,
      );
      this.pending.set(rid, p);
      if (this.info.status === "open") this.transmit(p);
    });
  }

  private transmit(p: Pending): void {
    const ws = this.ws;
    if (ws === null || ws.readyState !== OPEN) return;
    try {
      ws.send(p.frame);
      p.sent = true;
    } catch {
      // the close event will follow; the request stays queued (or is rejected if not resendable)
    }
  }

  /** After a welcome: answers the snapshot shows as taken are resolved, the rest are (re)sent in order. */
  private flush(w: Welcome): void {
    const mine = w.state.myAnswer;
    for (const p of [...this.pending.values()]) {
      if (p.sent) continue;
      if (p.answer !== undefined && mine !== null && mine.questionId === p.answer.questionId && mine.answerId === p.answer.answerId) {
        this.settle(p.rid)?.resolve(mine);
        continue;
      }
      this.transmit(p);
    }
  }

  private settle(rid: string): Pending | undefined {
    const p = this.pending.get(rid);
    if (p === undefined) return undefined;
    this.pending.delete(rid);
    clearTimeout(p.timer);
    return p;
  }

  private startHeartbeat(): void {
    const every = this.opts.heartbeatMs ?? 20_000;
    if (every <= 0) return;
    this.stopHeartbeat();
    this.lastReceived = Date.now();
    const tick = () => {
      const ws = this.ws;
      if (ws === null) return;
      if (this.heartbeatRid !== null) {
        // The last ping got no pong in a whole interval: the link is dead even if the socket does not know it yet.
        this.heartbeatRid = null;
        ws.onclose = null;
        ws.onmessage = null;
        try {
          ws.close(4000, "heartbeat timeout");
        } catch {}
        if (this.ws === ws) this.dropped(1006, "heartbeat timeout");
        return;
      }
      if (Date.now() - this.lastReceived >= every) {
        const rid = this.ridPrefix + "hb" + (++this.ridCounter).toString(36);
        this.heartbeatRid = rid;
        try {
          ws.send(JSON.stringify({ type: "ping", rid }));
        } catch {}
      }
      this.heartbeatTimer = setTimeout(tick, every);
    };
    this.heartbeatTimer = setTimeout(tick, every);
  }

  private stopHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.heartbeatRid = null;
  }

  // ---- Typed helpers: one per client message ----------------------------------

  /** Round trip; resolves with the server's clock (ms). */
  async ping(): Promise<number> {
    return (await this.enqueue({ type: "ping" })) as number;
  }

  chat(text: string): Promise<AckResults["chat.send"]> {
    return this.request({ type: "chat.send", text });
  }

  /** Staff: delete a chat message. */
  deleteChat(messageId: string): Promise<AckResults["chat.delete"]> {
    return this.request({ type: "chat.delete", messageId });
  }

  /** Staff: mute (or unmute) a user in chat. */
  mute(userId: string, muted = true): Promise<AckResults["chat.mute"]> {
    return this.request({ type: "chat.mute", userId, muted });
  }

  /** Staff: chat on/off and slow mode. */
  chatSettings(settings: { enabled?: boolean; slowModeSeconds?: number }): Promise<AckResults["chat.settings"]> {
    return this.request({ type: "chat.settings", ...settings });
  }

  raiseHand(): Promise<AckResults["hand.raise"]> {
    return this.request({ type: "hand.raise" });
  }

  lowerHand(): Promise<AckResults["hand.lower"]> {
    return this.request({ type: "hand.lower" });
  }

  /** Staff: answer a raised hand (takes it off the queue). */
  answerHand(userId: string): Promise<AckResults["hand.answer"]> {
    return this.request({ type: "hand.answer", userId });
  }

  /** Staff: clear the hand queue. */
  clearHands(): Promise<AckResults["hand.clear"]> {
    return this.request({ type: "hand.clear" });
  }

  react(reaction: Reaction): Promise<AckResults["reaction"]> {
    return this.request({ type: "reaction", reaction });
  }

  /** Staff: launch a question from the course's bank (`questionId`) or written on the fly (`question`). */
  /** `flow`: reveal by itself at time-up, show the leaderboard after the reveal, the question's place in a quiz set. */
  launchQuiz(
    o: ({ questionId: string } | { question: QuestionDraft }) & { timeLimitSeconds: number; flow?: QuizFlow },
  ): Promise<AckResults["quiz.launch"]> {
    return this.request({ type: "quiz.launch", ...o });
  }

  /**
   * Answers a question. The answerId (idempotency key) is made once per question and reused by
   * every retry, including the automatic resend after a reconnect; pass one to choose it yourself.
   * Resolves once the server acknowledged the answer as durable.
   */
  async answer(questionId: string, response: QuizResponse, answerId?: string): Promise<MyAnswer> {
    let id = answerId ?? this.answerIds.get(questionId);
    if (id === undefined) id = randomId(16);
    this.answerIds.set(questionId, id);
    return (await this.enqueue({ type: "quiz.answer", questionId, answerId: id, response }, { questionId, answerId: id })) as MyAnswer;
  }

  /** The answerId this client uses for a question, if it answered it. */
  answerIdFor(questionId: string): string | undefined {
    return this.answerIds.get(questionId);
  }

  /** Staff: stop taking answers. */
  closeQuiz(): Promise<AckResults["quiz.close"]> {
    return this.request({ type: "quiz.close" });
  }

  /** Staff: show everyone the correct answer and the distribution. */
  reveal(): Promise<AckResults["quiz.reveal"]> {
    return this.request({ type: "quiz.reveal" });
  }

  /** Staff: send the leaderboard. */
  showLeaderboard(): Promise<AckResults["leaderboard.show"]> {
    return this.request({ type: "leaderboard.show" });
  }

  /** Staff: take a participant out of the class for the rest of this live class (closed with 4013, no rejoin). */
  async removeParticipant(userId: string, reason?: string): Promise<ParticipantRemoved> {
    return (await this.enqueue(
      reason === undefined ? { type: "participant.remove", userId } : { type: "participant.remove", userId, reason },
    )) as ParticipantRemoved;
  }

  /** Staff: end the class for everyone. */
  endClass(): Promise<AckResults["class.end"]> {
    return this.request({ type: "class.end" });
  }
}
