// One catalogue of coded errors. Each code maps to an HTTP status and a stable
// problem `type` (RFC 9457); transports decide how to render them.

export const ERRORS = {
  "bad-request": { status: 400, title: "Bad request" },
  "malformed-json": { status: 400, title: "Malformed JSON" },
  validation: { status: 400, title: "Invalid request" },
  unauthorized: { status: 401, title: "Authentication required" },
  "invalid-token": { status: 401, title: "Invalid token" },
  forbidden: { status: 403, title: "Forbidden" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  "invalid-state": { status: 409, title: "Invalid state" },
  "payload-too-large": { status: 413, title: "Payload too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "rate-limited": { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal error" },
  "storage-full": { status: 507, title: "Insufficient storage" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { issues?: FieldIssue[]; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = "AppError";
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
  }
}

export const notFound = (what: string, id: string) => new AppError("not-found", `${what} ${id} does not exist`);
export const forbidden = (detail: string) => new AppError("forbidden", detail);
export const invalidState = (detail: string) => new AppError("invalid-state", detail);
