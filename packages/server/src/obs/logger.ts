// JSON-lines logs on stdout (pino), ready for Loki.
import pino, { type Logger } from "pino";
import type { LogLevel } from "../config/config.ts";

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  // Asynchronous, buffered writes keep logging off the request's critical path; flushed on shutdown.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  return pino({ level, base: { service: "edgeclass" } }, destination);
}
