// The WebSocket side of live classes on Bun: upgrade with a token, admission through
// the room, validation of every frame, and fan-out over Bun's topics.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import * as v from "valibot";
import { MAX_CLIENT_FRAME_BYTES, type ErrorCode, type ServerMessage } from "@edgeclass/client/protocol";
import type { TokenVerifier } from "../auth/tokens.ts";
import { AppError, closeCodeOf } from "../domain/errors.ts";
import type { Principal } from "../domain/model.ts";
import type { Outgoing } from "../live/fanout.ts";
import { closeReason } from "../live/removal.ts";
import type { LocalSockets } from "../cluster/cluster-hub.ts";
import type { LiveHub } from "../live/ports.ts";
import type { LiveMetrics } from "../live/metrics.ts";
import { TokenBucket } from "../live/rate-limit.ts";
import type { Logger } from "../obs/logger.ts";
import { currentTrace, newTrace, STAGES, stagesOf, withTrace } from "../obs/event-trace.ts";
import type { DecisionLog } from "../policy/decision-log.ts";
import type { JoinPolicy } from "../policy/join-policy.ts";
import { denialCode, joinInput, recordJoin } from "../policy/judge.ts";
import { isStorageFull } from "../store/storage-health.ts";
import type { Store } from "../store/types.ts";
import { parseClientMessage } from "./client-message.ts";
import { BUN_BACKPRESSURE_LIMIT, SLOW_REASONS, SlowClients, SWEEP_MS, type SlowReason, type SlowState } from "./slow-clients.ts";

export interface SocketData extends SlowState {
  classId: string;
  principal: Principal;
  /** Set when the connection is refused: it is closed with this code and reason as soon as it opens,
   *  so browsers (which cannot read an HTTP error on a WebSocket) learn why. */
  refused?: { code: ErrorCode; reason: string };
  /** Frames per second a socket may send (burst 40, then 20/s). */
  bucket: TokenBucket;
}

type Socket = ServerWebSocket<SocketData>;

const FRAME_BURST = 40;
const FRAMES_PER_SECOND = 20;
const SLOW_CLOSE_REASON = "too slow to keep up; reconnect";

const allTopic = (classId: string) => `c:${classId}`;
const staffTopic = (classId: string) => `c:${classId}:s`;

export interface GatewayDeps {
  hub: () => LiveHub;
  store: Store;
  verifier: TokenVerifier;
  metrics: LiveMetrics;
  logger: Logger;
  now(): number;
  /** Joins to a class that is not live are decided (and logged) here: there is no room to ask. */
  policy: JoinPolicy;
  decisions: DecisionLog;
}

const text = (m: Outgoing) => ("raw" in m ? m.raw : JSON.stringify(m));
const typeOf = (m: Outgoing) => ("raw" in m ? "relayed" : m.type);

/** The token of a live upgrade: `?token=` (browsers cannot set headers on a WebSocket), else a Bearer header. */
export function upgradeToken(req: Request): string | null {
  return new URL(req.url).searchParams.get("token") ?? /^Bearer +(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;
}

export class LiveGateway implements LocalSockets {
  private server: Server<SocketData> | null = null;
  /** Sockets by class, then by user: a user has one live socket per class (a new one replaces the old). */
  private readonly sockets = new Map<string, Map<string, Socket>>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly slow = new SlowClients<Socket>(
    (ws, reason) => this.dropSlow(ws, reason),
    undefined,
    () => this.deps.metrics.slowHeld.inc(),
  );
  /** Slow clients dropped so far (for the sweep's log line). */
  private slowDropped = 0;

  constructor(private readonly deps: GatewayDeps) {
    // Every reason's series exists from the start, so rate() sees the first drop.
    for (const reason of SLOW_REASONS) deps.metrics.slowClients.labels(reason);
    // The events the latency aims name exist from the start too.
    for (const type of ["quiz.question", "chat.message"]) deps.metrics.eventFanout.labels(type);
  }

  attach(server: Server<SocketData>): void {
    this.server = server;
    // Topic publishes say nothing per socket: a sweep finds the subscribers that fell behind.
    this.sweepTimer ??= setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref?.();
  }

  /**
   * GET /api/classes/:id/live?token=<jwt> (through the route wrapper, which checked the id):
   * authenticate, then upgrade; admission happens on open. undefined once upgraded.
   */
  async upgrade(req: Request, classId: string): Promise<Response | undefined> {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") throw new AppError("bad-request", "this endpoint speaks WebSocket");
    const data: SocketData = {
      classId,
      principal: { id: "", role: "student", name: "", school: "" },
      bucket: new TokenBucket(FRAME_BURST, FRAMES_PER_SECOND, this.deps.now()),
    };
    const token = upgradeToken(req);
    try {
      if (!token) throw new AppError("unauthorized", "pass the token as ?token=<jwt> or an Authorization header");
      data.principal = await this.deps.verifier.verify(token);
      if (!this.deps.store.classes.get(classId)) data.refused = { code: "not-found", reason: `class ${classId} does not exist` };
    } catch (e) {
      data.refused = e instanceof AppError ? { code: e.code, reason: e.detail } : { code: "invalid-token", reason: "invalid token" };
    }
    if (this.server?.upgrade(req, { data })) return undefined;
    throw new AppError("bad-request", "WebSocket upgrade failed");
  }

  readonly websocket: WebSocketHandler<SocketData> = {
    // Hard cap; frames over MAX_CLIENT_FRAME_BYTES but under this get a readable error instead of a close.
    maxPayloadLength: 64 * 1024,
    // Bun's limit is only a safety net above SEND_BUFFER_LIMIT (slow-clients.ts): its own close is a bare
    // FIN that bypasses the 4012 close and the count, so it is off and the sweep drops sockets first.
    backpressureLimit: BUN_BACKPRESSURE_LIMIT,
    closeOnBackpressureLimit: false,
    idleTimeout: 120,
    sendPings: true,
    open: (ws) => this.open(ws),
    message: (ws, data) => this.message(ws, data),
    close: (ws) => this.close(ws),
    drain: (ws) => this.slow.drain(ws),
  };

  private open(ws: Socket): void {
    const { classId, principal, refused } = ws.data;
    if (refused) return this.refuse(ws, refused.code, refused.reason);
    let room;
    try {
      room = this.deps.hub().room(classId);
    } catch (e) {
      if (e instanceof AppError && (e.code === "class-not-started" || e.code === "class-ended")) return this.refuseNotLive(ws, e);
      if (e instanceof AppError) return this.refuse(ws, e.code, e.message);
      this.deps.logger.error({ err: e, classId }, "opening the class failed");
      return this.refuse(ws, "unavailable", "class unavailable");
    }
    room.admit(principal, this.isEnrolled(classId, principal)).then(
      (result) => {
        if (!result.ok) return this.refuse(ws, result.code, result.reason);
        if (ws.readyState !== WebSocket.OPEN) return room.disconnected(principal.id); // left while being admitted
        this.attachSocket(ws, result.welcome);
      },
      (e: unknown) => {
        this.deps.logger.error({ err: e, classId }, "admission failed");
        // Whatever went wrong, admission may work on a retry: "try again later", with the reason when it has one.
        this.refuse(ws, "unavailable", e instanceof AppError ? e.message : "admission failed; try again");
      },
    );
  }

  /**
   * A join to a class that is not live (scheduled, ended, cancelled): the policy gives the reasons
   * (its class-status rules) and the decision is logged like any other. A policy that allows it
   * changes nothing: there is no room to seat anyone in, and the server's reason is logged instead.
   */
  private refuseNotLive(ws: Socket, e: AppError): void {
    const { classId, principal } = ws.data;
    const cls = this.deps.store.classes.get(classId);
    const course = cls && this.deps.store.courses.get(cls.courseId);
    if (!cls || !course) return this.refuse(ws, e.code, e.detail);
    const input = joinInput(principal, this.isEnrolled(classId, principal), course, cls, [], 0);
    let d = this.deps.policy.decide(input);
    if (d.allow) d = { allow: false, reasons: [e.detail] };
    recordJoin(this.deps, input, d, this.deps.now());
    this.refuse(ws, denialCode(d.reasons), d.reasons.join("; "));
  }

  /**
   * Ends a connection for an error: an `error` message with the stable code goes first (close codes
   * are coarse: 4003 is both "class-full" and "not-enrolled"), then the close with the code's close code.
   */
  private refuse(ws: Socket, code: ErrorCode, reason: string): void {
    this.sendTo(ws, JSON.stringify({ type: "error", code, message: reason } satisfies ServerMessage), "error");
    ws.close(closeCodeOf(code), closeReason(reason)); // close reasons are limited to 123 bytes
  }

  private attachSocket(ws: Socket, welcome: ServerMessage): void {
    const { classId, principal } = ws.data;
    let users = this.sockets.get(classId);
    if (!users) this.sockets.set(classId, (users = new Map()));
    const previous = users.get(principal.id);
    users.set(principal.id, ws);
    if (previous) previous.close(closeCodeOf("replaced"), "replaced by a newer connection");
    ws.data.topics =
      welcome.type === "welcome" && welcome.state.roster !== undefined ? [allTopic(classId), staffTopic(classId)] : [allTopic(classId)];
    for (const topic of ws.data.topics) ws.subscribe(topic);
    this.sendTo(ws, JSON.stringify(welcome), "welcome");
  }

  private message(ws: Socket, data: string | Buffer): void {
    const receivedAt = performance.now();
    const { metrics } = this.deps;
    let rid: string | undefined;
    const fail = (code: ErrorCode, message: string) =>
      this.sendTo(ws, JSON.stringify({ type: "error", rid, code, message } satisfies ServerMessage), "error");
    const text = typeof data === "string" ? data : data.toString("utf8");
    // Characters never outnumber UTF-8 bytes, so the byte count is only needed near the limit.
    if (
      text.length > MAX_CLIENT_FRAME_BYTES ||
      (text.length * 3 > MAX_CLIENT_FRAME_BYTES && Buffer.byteLength(text) > MAX_CLIENT_FRAME_BYTES)
    ) {
      return fail("too-large", `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes`);
    }
    if (!ws.data.bucket.take(this.deps.now())) return fail("rate-limited", `at most ${FRAMES_PER_SECOND} messages per second`);
    // The protocol is JSON text frames: a binary frame is refused whatever it holds.
    if (typeof data !== "string") return fail("bad-message", "frames must be text (JSON), not binary");
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return fail("bad-message", "frames must be JSON objects");
    }
    if (typeof raw === "object" && raw !== null && typeof (raw as { rid?: unknown }).rid === "string")
      rid = (raw as { rid: string }).rid.slice(0, 64);
    const parsed = parseClientMessage(raw);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const path = v.getDotPath(issue);
      return fail("bad-message", path ? `${path}: ${issue.message}` : issue.message);
    }
    const msg = parsed.output;
    metrics.messages.labels("in", msg.type).inc();
    let room;
    try {
      room = this.deps.hub().room(ws.data.classId);
    } catch (e) {
      return fail(e instanceof AppError ? e.code : "unavailable", e instanceof Error ? e.message : "class unavailable");
    }
    const trace = newTrace(receivedAt);
    trace.validatedAt = performance.now();
    withTrace(trace, () => room.handle(ws.data.principal.id, msg)).then(
      (result) => {
        if (msg.type === "ping") this.sendTo(ws, JSON.stringify({ type: "pong", rid, serverTime: this.deps.now() }), "pong");
        else if (rid !== undefined || result !== undefined) this.sendTo(ws, JSON.stringify({ type: "ack", rid, result }), "ack");
      },
      (e: unknown) => {
        if (e instanceof AppError) return fail(e.code, e.message);
        // A full disk under DATA_DIR is not a bug: say so, as REST does with its 507.
        if (isStorageFull(e)) return fail("storage-full", "the server's storage is full: nothing was saved; try again shortly");
        this.deps.logger.error({ err: e, classId: ws.data.classId, type: msg.type }, "live command failed");
        fail("internal", "something went wrong; try again");
      },
    );
  }

  private close(ws: Socket): void {
    this.slow.forget(ws);
    const { classId, principal } = ws.data;
    const users = this.sockets.get(classId);
    if (!users || users.get(principal.id) !== ws) return; // never admitted, or replaced by a newer socket
    users.delete(principal.id);
    if (users.size === 0) this.sockets.delete(classId);
    try {
      this.deps.hub().room(classId).disconnected(principal.id);
    } catch {
      // The class ended meanwhile: nothing to keep.
    }
  }

  /** Sends to one socket; a socket that cannot keep up is disconnected and may reconnect for a fresh snapshot. */
  private sendTo(ws: Socket, text: string, type: string): void {
    this.deps.metrics.messages.labels("out", type).inc();
    this.slow.send(ws, text);
  }

  /**
   * Closes a socket that cannot keep up with 4012 (documented) and counts it. The close frame
   * goes behind what is queued, so a client that reads again gets it; Bun cuts one that never
   * reads ~16 s later, which frees its queue (see slow-clients.ts and docs/protocol.md).
   */
  private dropSlow(ws: Socket, reason: SlowReason): void {
    this.slowDropped++;
    this.deps.metrics.slowClients.labels(reason).inc();
    ws.close(closeCodeOf("too-slow"), SLOW_CLOSE_REASON);
  }

  /**
   * One pass over every admitted socket (real time: queues drain in it, whatever the rooms' clock):
   * a backed-up socket is taken off its topics, one over the byte or time cap is dropped.
   */
  sweep(now = performance.now()): void {
    const before = this.slowDropped;
    // Map iteration tolerates the close handler deleting the entry just visited.
    for (const users of this.sockets.values()) for (const ws of users.values()) this.slow.check(ws, now);
    const dropped = this.slowDropped - before;
    if (dropped > 0) this.deps.logger.warn({ dropped }, "slow clients closed with 4012");
  }

  // ---- Fanout --------------------------------------------------------------

  all(classId: string, msg: Outgoing): void {
    const type = typeOf(msg);
    this.deps.metrics.messages.labels("out", type).inc(this.sockets.get(classId)?.size ?? 0);
    this.publish(classId, allTopic(classId), msg, type);
  }

  staff(classId: string, msg: Outgoing): void {
    this.publish(classId, staffTopic(classId), msg, typeOf(msg));
  }

  /** Serialised once for the class, then to the topic's subscribers, and queued for its sockets that are behind (off their topics). */
  private publish(classId: string, topic: string, msg: Outgoing, type: string): void {
    const fanoutAt = performance.now();
    const body = text(msg);
    const serialisedAt = performance.now();
    this.server?.publish(topic, body);
    this.slow.published(classId, topic, body);
    const publishedAt = performance.now();
    const trace = currentTrace();
    const { eventFanout, eventStage } = this.deps.metrics;
    if (!trace) {
      // Tick-driven (or relayed) events: no frame behind them, only their own cost.
      eventStage.labels(type, "serialise").observe((serialisedAt - fanoutAt) / 1000);
      eventStage.labels(type, "publish").observe((publishedAt - serialisedAt) / 1000);
      return;
    }
    eventFanout.labels(type).observe((publishedAt - trace.receivedAt) / 1000);
    if (trace.observed) return;
    trace.observed = true;
    const stages = stagesOf(trace, fanoutAt, serialisedAt, publishedAt);
    for (const stage of STAGES) eventStage.labels(type, stage).observe(stages[stage]);
  }

  user(classId: string, userId: string, msg: Outgoing): void {
    const ws = this.sockets.get(classId)?.get(userId);
    if (ws) this.sendTo(ws, text(msg), typeOf(msg));
  }

  hasUser(classId: string, userId: string): boolean {
    return this.sockets.get(classId)?.has(userId) ?? false;
  }

  /** The class has a new owner: admit this instance's sockets again and send each a fresh welcome. */
  readmit(classId: string): void {
    const users = this.sockets.get(classId);
    if (!users) return;
    for (const ws of users.values()) {
      const { principal } = ws.data;
      let room;
      try {
        room = this.deps.hub().room(classId);
      } catch {
        return this.closeAll(classId, closeCodeOf("class-ended"), "class has ended");
      }
      room.admit(principal, this.isEnrolled(classId, principal)).then(
        (r) => (r.ok ? this.sendTo(ws, JSON.stringify(r.welcome), "welcome") : this.refuse(ws, r.code, r.reason)),
        () => this.refuse(ws, "unavailable", "the class is moving to another instance; reconnect"),
      );
    }
  }

  /** Whether the user is enrolled in the class's course (the policy's input.user.enrolled; staff usually are not). */
  private isEnrolled(classId: string, principal: Principal): boolean {
    const cls = this.deps.store.classes.get(classId);
    return cls !== undefined && this.deps.store.enrollments.isEnrolled(cls.courseId, principal.id);
  }

  /** After closeUser (here, or relayed from the class's owner): e.g. a removed user's media sessions go too. */
  onUserClosed: (classId: string, userId: string, code: number) => void = () => {};

  closeUser(classId: string, userId: string, code: number, reason: string): void {
    this.sockets.get(classId)?.get(userId)?.close(code, reason);
    this.onUserClosed(classId, userId, code);
  }

  /** Draining: every socket is told to go away (clients reconnect, to another instance or after the restart). */
  shutdown(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const classId of [...this.sockets.keys()]) this.closeAll(classId, closeCodeOf("going-away"), "server is restarting; reconnect");
  }

  closeAll(classId: string, code: number, reason: string): void {
    const users = this.sockets.get(classId);
    if (!users) return;
    this.sockets.delete(classId);
    for (const ws of users.values()) ws.close(code, reason);
  }
}
