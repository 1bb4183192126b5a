// JSON-lines logs on stdout (pino), ready for Loki.
import pino, { type Logger } from "pino";
import type { LogLevel } from "../config/config.ts";

export type { Logger };

const FLUSH_INTERVAL_MS = 200;

export function createLogger(level: LogLevel): Logger {
  // Buffered asynchronous writes keep logging off the request's critical path;
  // a timer bounds how long a line waits, and shutdown flushes the rest.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 8192 });
  setInterval(() => destination.flush(), FLUSH_INTERVAL_MS).unref();
  return pino({ level, base: { service: "edgeclass" } }, destination);
}
