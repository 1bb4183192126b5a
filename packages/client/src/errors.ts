// Errors the SDK hands back: the server's `error` codes, plus a few the client itself raises.
import { CLOSE, type ErrorCode } from "./protocol.ts";

/** Raised by the client, never sent by the server. */
export type ClientErrorCode =
  /** No reply (ack/error/pong) within `requestTimeoutMs`. */
  | "timeout"
  /** The connection dropped after the message was sent and it is not safe to resend (only answers and pings are resent). */
  | "connection-lost"
  /** The client is closed (by `close()`, or the server closed the socket for good). */
  | "closed";

export type EdgeClassErrorCode = ErrorCode | ClientErrorCode;

export class EdgeClassError extends Error {
  override readonly name = "EdgeClassError";
  constructor(
    readonly code: EdgeClassErrorCode,
    message: string,
    /** The WebSocket close code when the error comes from a close (e.g. 4003 policy denied). */
    readonly closeCode?: number,
  ) {
    super(message);
  }
}

/** The error for a socket the server closed for good, from its close code and reason. */
export function errorFromClose(code: number, reason: string): EdgeClassError {
  const text = reason || `connection closed (${code})`;
  switch (code) {
    case CLOSE.policyDenied:
    case CLOSE.removed:
      return new EdgeClassError("forbidden", text, code);
    case CLOSE.notFound:
      return new EdgeClassError("not-found", text, code);
    case CLOSE.tooLarge:
      return new EdgeClassError("too-large", text, code);
    case 1013: // try again later: the server could not decide the join right now
      return new EdgeClassError("unavailable", text, code);
    default:
      return new EdgeClassError("closed", text, code);
  }
}
