// Errors a live-class command can end in; they travel to the client as `error` messages.
import type { ErrorCode } from "../../../client/src/protocol.ts";

export class LiveError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LiveError";
  }
}
