// The slow-client rule of the WebSocket gateway: what is queued for one socket is capped
// by bytes and by time, and a socket over either cap is closed with 4012 and counted.
//
// Why a sweep: topic publishes (server.publish, the fan-out of every class-wide and staff
// message) report no per-socket outcome, so the only way to see a backed-up subscriber
// is to read each socket's buffered amount. One look costs 20-50 ns (measured), so a sweep
// of 20,000 sockets every SWEEP_MS takes ~1 ms (<0.5% of a core).
//
// Measured on Bun 1.4.5 (docs/benchmarks.md, "Slow consumers"):
// - send()/publish() return -1 when the message was queued in user space (backpressure)
//   and 0 when Bun dropped it because the socket was already over `backpressureLimit`;
// - `closeOnBackpressureLimit: true` shuts the TCP connection without a close frame and
//   without calling into our code (the bare FIN of issue 14), so it stays off;
// - close(4012) queues the close frame behind what is buffered: a client that reads again
//   within ~16 s gets the backlog then 4012; one that never reads is cut by Bun ~16 s later
//   (with idleTimeout 120), which frees the buffer. terminate() after close() does nothing.

/** User-space bytes queued for one socket before it is dropped (above the largest welcome: roster of 1000 + chat history). */
export const SEND_BUFFER_LIMIT = 256 * 1024;
/** Bun's own limit, a safety net above ours: beyond it Bun drops messages, so the sweep must act before. */
export const BUN_BACKPRESSURE_LIMIT = 2 * SEND_BUFFER_LIMIT;
/** How long a socket's queue may stay non-empty (the client not catching up) before it is dropped. */
const SEND_STALL_MS = 5_000;
/** How often every socket's queue is looked at (and a backed-up one taken off its topics). */
export const SWEEP_MS = 250;

export type SlowReason = "bytes" | "stalled";
export const SLOW_REASONS: readonly SlowReason[] = ["bytes", "stalled"];

/** What the guard needs of a socket (Bun's ServerWebSocket has it). */
export interface Watched {
  getBufferedAmount(): number;
  send(text: string): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  readonly readyState: number;
  data: SlowState;
}

/** Per-socket state the guard keeps in the socket's data. */
export interface SlowState {
  classId: string;
  /** The topics the socket is subscribed to while it keeps up. */
  topics?: string[];
  /** When its queue was first seen non-empty (cleared when it is empty again): the time cap's clock. */
  backedUpSince?: number;
  /** While it is behind: the messages held back for it (shared strings, not copies) and their length. */
  held?: { queue: string[]; bytes: number };
}

export interface SlowClientLimits {
  bytes: number;
  stallMs: number;
}

const DEFAULT_LIMITS: SlowClientLimits = { bytes: SEND_BUFFER_LIMIT, stallMs: SEND_STALL_MS };

const OPEN = 1;

/**
 * A direct send: `result` is what send() returned (0: Bun dropped the message because the
 * socket was already over its limit). Returns the reason to drop the socket, or null.
 */
export function verdictAfterSend(
  ws: Pick<Watched, "getBufferedAmount" | "readyState">,
  result: number,
  limits: SlowClientLimits = DEFAULT_LIMITS,
): SlowReason | null {
  if (ws.readyState !== OPEN) return null;
  return result === 0 || ws.getBufferedAmount() > limits.bytes ? "bytes" : null;
}

/**
 * Sockets that fall behind are taken off their topics and their messages are held back as
 * references to the shared, already serialised strings. Bun keeps writing to a backed-up
 * socket on every publish (a failed write each time, and a copy in its queue); holding back
 * costs an array push instead, and no copy. When Bun reports the socket drained, the held
 * messages go out in order and the socket rejoins its topics. A socket whose queue (Bun's
 * plus the held messages) passes the byte cap, or stays non-empty for the time cap, is
 * dropped through `onDrop` (the gateway closes it with 4012 and counts it).
 */
export class SlowClients<S extends Watched> {
  /** Sockets being held back, by class. */
  private readonly behind = new Map<string, Set<S>>();

  constructor(
    private readonly onDrop: (ws: S, reason: SlowReason) => void,
    private readonly limits: SlowClientLimits = DEFAULT_LIMITS,
    private readonly onHold: (ws: S) => void = () => {},
  ) {}

  /** After server.publish(topic, text): the class's held-back sockets on that topic get it queued. */
  published(classId: string, topic: string, text: string): void {
    const held = this.behind.get(classId);
    if (held) for (const ws of held) if (ws.data.topics?.includes(topic)) this.hold(ws, text);
  }

  /** A message for one socket: held back behind the others when it is behind, otherwise sent and checked. */
  send(ws: S, text: string): void {
    if (ws.data.held) return this.hold(ws, text);
    const reason = verdictAfterSend(ws, ws.send(text), this.limits);
    if (reason) this.drop(ws, reason);
  }

  /** The sweep's look at one socket (`now` in ms, any monotonic clock). */
  check(ws: S, now: number): void {
    if (ws.readyState !== OPEN) return;
    const buffered = ws.getBufferedAmount();
    const held = ws.data.held;
    if (buffered + (held?.bytes ?? 0) > this.limits.bytes) return this.drop(ws, "bytes");
    if (buffered === 0 && !held) {
      ws.data.backedUpSince = undefined;
      return;
    }
    ws.data.backedUpSince ??= now;
    if (now - ws.data.backedUpSince >= this.limits.stallMs) return this.drop(ws, "stalled");
    if (!held) this.holdBack(ws);
    else if (buffered === 0) this.drain(ws); // caught up without a drain event
  }

  /** Bun's drain event: send what was held back, in order, until Bun queues again; then rejoin the topics. */
  drain(ws: S): void {
    const held = ws.data.held;
    if (!held || ws.readyState !== OPEN) return;
    let sent = 0;
    let backedUp = false;
    while (sent < held.queue.length && !backedUp) {
      const text = held.queue[sent++];
      held.bytes -= text.length;
      const result = ws.send(text);
      if (result === 0) return this.drop(ws, "bytes"); // Bun refused it: the stream has a gap
      backedUp = result < 0;
    }
    held.queue.splice(0, sent);
    if (held.queue.length === 0) this.release(ws); // anything still in Bun's queue stays ahead of new publishes
  }

  /** The socket closed: forget it. */
  forget(ws: S): void {
    ws.data.held = undefined;
    const set = this.behind.get(ws.data.classId);
    if (set?.delete(ws) && set.size === 0) this.behind.delete(ws.data.classId);
  }

  private hold(ws: S, text: string): void {
    const held = ws.data.held!;
    held.queue.push(text);
    held.bytes += text.length;
    if (held.bytes + ws.getBufferedAmount() > this.limits.bytes) this.drop(ws, "bytes");
  }

  private holdBack(ws: S): void {
    for (const topic of ws.data.topics ?? []) ws.unsubscribe(topic);
    ws.data.held = { queue: [], bytes: 0 };
    let set = this.behind.get(ws.data.classId);
    if (!set) this.behind.set(ws.data.classId, (set = new Set()));
    set.add(ws);
    this.onHold(ws);
  }

  private release(ws: S): void {
    this.forget(ws);
    for (const topic of ws.data.topics ?? []) ws.subscribe(topic);
  }

  private drop(ws: S, reason: SlowReason): void {
    this.forget(ws);
    this.onDrop(ws, reason);
  }
}
