// The slow-client rule of the WebSocket gateway: what is queued for one socket is capped
// by bytes and by time, and a socket over either cap is closed with 4012 and counted.
//
// Why a sweep: topic publishes (server.publish, the fan-out of every class-wide and staff
// message) report no per-socket outcome, so the only way to see a backed-up subscriber
// is to read each socket's buffered amount. getBufferedAmount() costs ~0.1 µs, so a sweep
// of 20,000 sockets every SWEEP_MS takes ~2 ms (<1% of a core).
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
export const SEND_STALL_MS = 5_000;
/** How often every socket's queue is looked at. */
export const SWEEP_MS = 250;

export type SlowReason = "bytes" | "stalled";
export const SLOW_REASONS: readonly SlowReason[] = ["bytes", "stalled"];

/** What the guard needs of a socket (Bun's ServerWebSocket has it). */
export interface Watched {
  getBufferedAmount(): number;
  readonly readyState: number;
  data: { backedUpSince?: number };
}

export interface SlowClientLimits {
  bytes: number;
  stallMs: number;
}

export const DEFAULT_LIMITS: SlowClientLimits = { bytes: SEND_BUFFER_LIMIT, stallMs: SEND_STALL_MS };

const OPEN = 1;

/**
 * Why this socket must go now, or null. `now` is the sweep's clock; the first time a queue is
 * seen non-empty starts its stall timer, an empty queue resets it.
 */
export function verdict(ws: Watched, now: number, limits: SlowClientLimits = DEFAULT_LIMITS): SlowReason | null {
  if (ws.readyState !== OPEN) return null;
  const buffered = ws.getBufferedAmount();
  if (buffered > limits.bytes) return "bytes";
  if (buffered === 0) {
    ws.data.backedUpSince = undefined;
    return null;
  }
  ws.data.backedUpSince ??= now;
  return now - ws.data.backedUpSince >= limits.stallMs ? "stalled" : null;
}

/**
 * After a direct send: `result` is what send() returned (0: Bun dropped the message because the
 * socket was already over its limit). Returns the reason to drop the socket, or null.
 */
export function verdictAfterSend(ws: Watched, result: number, limits: SlowClientLimits = DEFAULT_LIMITS): SlowReason | null {
  if (ws.readyState !== OPEN) return null;
  return result === 0 || ws.getBufferedAmount() > limits.bytes ? "bytes" : null;
}
