// JSON-lines logs on stdout, ready for Loki: pino for application events, and a
// hand-formatted access line per request (same fields as pino's, a fraction of the cost).
import pino, { type Logger } from "pino";
import type { LogLevel } from "../config/config.ts";

export type { Logger };

const FLUSH_INTERVAL_MS = 200;

export interface AccessEntry {
  reqId: string;
  method: string;
  route: string;
  url: string;
  status: number;
  ms: number;
  user: string;
}

export interface Logging {
  logger: Logger;
  access(e: AccessEntry): void;
}

export function createLogging(level: LogLevel): Logging {
  // Bun's buffered stdout sink; a timer bounds how long a line waits, shutdown flushes the rest.
  const sink = Bun.stdout.writer({ highWaterMark: 64 * 1024 });
  setInterval(() => sink.flush(), FLUSH_INTERVAL_MS).unref();
  const destination = { write: (line: string) => void sink.write(line), flush: () => void sink.flush() };
  const logger = pino({ level, base: { service: "edgeclass" } }, destination as unknown as pino.DestinationStream);
  const accessOn = logger.isLevelEnabled("info");
  return {
    logger,
    access(e) {
      if (!accessOn) return;
      // reqId, method and route are server-made or validated to [\w.-]; the rest is escaped.
      sink.write(
        `{"level":30,"time":${Date.now()},"service":"edgeclass","reqId":"${e.reqId}","method":"${e.method}","route":"${e.route}","url":${JSON.stringify(e.url)},"status":${e.status},"ms":${e.ms}${e.user ? `,"user":${JSON.stringify(e.user)}` : ""},"msg":"request"}\n`,
      );
    },
  };
}
