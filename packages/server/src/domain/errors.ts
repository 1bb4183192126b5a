// The server's side of the error catalogue (packages/client/src/codes.ts): one error class for
// every transport. HTTP renders it as an RFC 9457 problem (http/problem.ts) with the code's
// status; the live socket sends it as an `error` message, or closes with the code's close code.
import { CLOSE, ERRORS, type ErrorCode } from "@edgeclass/client/codes";

export { ERRORS, type ErrorCode };

/** The close code of an error code. Codes that never end a connection by themselves (in-class
 *  errors) still need one if they reach admission: "try again later" for a server-side failure, else "refused". */
export function closeCodeOf(code: ErrorCode): number {
  return ERRORS[code].close ?? (ERRORS[code].status >= 500 ? CLOSE.tryAgainLater : CLOSE.policyDenied);
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  /** The close code when this error ends a live connection. */
  readonly close: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { issues?: FieldIssue[]; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = "AppError";
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
    this.close = closeCodeOf(code);
  }
}

export const notFound = (what: string, id: string) => new AppError("not-found", `${what} ${id} does not exist`);
export const forbidden = (detail: string) => new AppError("forbidden", detail);
export const invalidState = (detail: string) => new AppError("invalid-state", detail);
