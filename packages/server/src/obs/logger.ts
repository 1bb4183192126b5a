// JSON-lines logs on stdout (pino), ready for Loki.
import pino, { type Logger } from "pino";
import type { LogLevel } from "../config/config.ts";

export type { Logger };

const FLUSH_INTERVAL_MS = 200;

export function createLogger(level: LogLevel): Logger {
  // Bun's buffered stdout sink: cheaper per line than pino's default stream, so an
  // access log line per request stays off the critical path. A timer bounds how long
  // a line waits; shutdown flushes the rest (logger.flush()).
  const sink = Bun.stdout.writer({ highWaterMark: 64 * 1024 });
  setInterval(() => sink.flush(), FLUSH_INTERVAL_MS).unref();
  const destination = {
    write: (line: string) => void sink.write(line),
    flush: () => void sink.flush(),
  };
  return pino({ level, base: { service: "edgeclass" } }, destination as unknown as pino.DestinationStream);
}
