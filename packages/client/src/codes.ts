// The error catalogue, shared by the server and every client (in the manner of Fastify's
// lib/errors.js): each stable code carries its HTTP status, the WebSocket close code it ends a
// live connection with, and a title. REST errors are RFC 9457 problems whose `type` ends in the
// code; live errors are `error` messages carrying it. Clients translate codes, never messages.

/** WebSocket close codes the server uses. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  /** The token is missing, invalid or expired: get a new one before reconnecting. */
  unauthorized: 4001,
  policyDenied: 4003,
  notFound: 4004,
  /** The class is scheduled but not live yet: try again later. */
  notStarted: 4009,
  classEnded: 4010,
  replaced: 4011,
  slowConsumer: 4012,
  /** Taken out of the class (unenrolled, the course archived, or removed by staff); the reason says which. Do not reconnect. */
  removed: 4013,
  /** The server could not decide right now (e.g. its shared engine is unreachable); reconnect shortly. */
  tryAgainLater: 1013,
  tooLarge: 1009,
  /** An unexpected server error (RFC 6455 1011). */
  internal: 1011,
} as const;

interface CodeDef {
  status: number;
  /** The close code when this error ends a live connection; null: it never does (it comes as an `error` message). */
  close: number | null;
  title: string;
}

export const ERRORS = {
  // ---- Any request ----
  "bad-request": { status: 400, close: null, title: "Bad request" },
  "malformed-json": { status: 400, close: null, title: "Malformed JSON" },
  validation: { status: 400, close: null, title: "Invalid request" },
  /** A live frame that is not a valid client message. */
  "bad-message": { status: 400, close: null, title: "Bad message" },
  unauthorized: { status: 401, close: CLOSE.unauthorized, title: "Authentication required" },
  "invalid-token": { status: 401, close: CLOSE.unauthorized, title: "Invalid token" },
  forbidden: { status: 403, close: CLOSE.policyDenied, title: "Forbidden" },
  "not-found": { status: 404, close: CLOSE.notFound, title: "Not found" },
  "method-not-allowed": { status: 405, close: null, title: "Method not allowed" },
  conflict: { status: 409, close: null, title: "Conflict" },
  "invalid-state": { status: 409, close: null, title: "Invalid state" },
  "payload-too-large": { status: 413, close: null, title: "Payload too large" },
  /** A live frame over the size limit (an error message), or over the hard cap (closed with 1009). */
  "too-large": { status: 413, close: CLOSE.tooLarge, title: "Message too large" },
  "unsupported-media-type": { status: 415, close: null, title: "Unsupported media type" },
  "rate-limited": { status: 429, close: null, title: "Too many requests" },
  internal: { status: 500, close: CLOSE.internal, title: "Internal error" },
  unavailable: { status: 503, close: CLOSE.tryAgainLater, title: "Service unavailable" },
  "storage-full": { status: 507, close: null, title: "Insufficient storage" },

  // ---- Joining a live class (each denial a student may see has its own code) ----
  "not-enrolled": { status: 403, close: CLOSE.policyDenied, title: "Not enrolled in this course" },
  "class-full": { status: 403, close: CLOSE.policyDenied, title: "Class is full" },
  /** Refused by the join policy for another reason (the message lists the policy's reasons). */
  "policy-denied": { status: 403, close: CLOSE.policyDenied, title: "Join refused by policy" },
  /** Removed by staff, unenrolled or the course archived during the class: do not reconnect. */
  removed: { status: 403, close: CLOSE.removed, title: "Removed from the class" },
  "class-not-started": { status: 409, close: CLOSE.notStarted, title: "Class has not started" },
  "class-ended": { status: 409, close: CLOSE.classEnded, title: "Class has ended" },
  /** A newer connection of the same user took over. */
  replaced: { status: 409, close: CLOSE.replaced, title: "Replaced by a newer connection" },
  /** The connection could not keep up with the class's messages: reconnect for a fresh snapshot. */
  "too-slow": { status: 429, close: CLOSE.slowConsumer, title: "Too slow to keep up" },
  /** The server is restarting or draining: reconnect. */
  "going-away": { status: 503, close: CLOSE.goingAway, title: "Server is restarting" },

  // ---- In a live class ----
  muted: { status: 403, close: null, title: "Muted by the teacher" },
  "chat-disabled": { status: 403, close: null, title: "Chat is off" },
  "slow-mode": { status: 429, close: null, title: "Slow mode" },
  "already-answered": { status: 409, close: null, title: "Already answered" },
  "deadline-passed": { status: 409, close: null, title: "Time is up" },
  "no-open-question": { status: 409, close: null, title: "No open question" },
  "wrong-question": { status: 409, close: null, title: "Not the open question" },
} as const satisfies Record<string, CodeDef>;

/** Every stable error code: REST problem `type` suffixes, live `error` message codes. */
export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERRORS, code);
}
