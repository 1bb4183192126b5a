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
    /** For a close: the server's stable code for why (e.g. "class-full" or "not-enrolled", both 4003), when it sent one. */
    readonly serverCode?: ErrorCode,
  ) {
    super(message);
  }
}

/** The error for a socket the server closed for good, from its close code and reason (and the code of
 *  the `error` message the server sends just before a refusal, if any). */
export function errorFromClose(code: number, reason: string, serverCode?: ErrorCode): EdgeClassError {
  const text = reason || `connection closed (${code})`;
  return new EdgeClassError(clientCodeOfClose(code), text, code, serverCode);
}

function clientCodeOfClose(code: number): EdgeClassErrorCode {
  switch (code) {
    case CLOSE.policyDenied:
    case CLOSE.removed:
      return "forbidden";
    case CLOSE.notFound:
      return "not-found";
    case CLOSE.tooLarge:
      return "too-large";
    case CLOSE.tryAgainLater: // the server could not decide the join right now
      return "unavailable";
    default:
      return "closed";
  }
}
