// JSON-lines logs on stdout, ready for Loki: {"level":30,"time":...,"service":"edgeclass","msg":...}
// (pino's field names and numeric levels). pino itself took ~100 ms to import under Bun,
// more than the whole start-up budget, so this small writer stands in its place.
import type { LogLevel } from "../config/config.ts";

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
const FLUSH_INTERVAL_MS = 200;

type LogFn = (fields: object | string, msg?: string) => void;

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  isLevelEnabled(level: Exclude<LogLevel, "silent">): boolean;
  flush(): void;
}

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
  /** One line per HTTP request, hand-formatted: it runs on every request. */
  access(e: AccessEntry): void;
}

/** Errors lose their message and stack in JSON.stringify; keep them. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  if (typeof value === "bigint") return value.toString();
  return value;
}

export function createLogging(level: LogLevel, write?: (line: string) => void): Logging {
  let out = write;
  let flush = () => {};
  if (out === undefined) {
    // Bun's buffered stdout sink; a timer bounds how long a line waits, shutdown flushes the rest.
    const sink = Bun.stdout.writer({ highWaterMark: 64 * 1024 });
    setInterval(() => sink.flush(), FLUSH_INTERVAL_MS).unref();
    out = (line) => void sink.write(line);
    flush = () => void sink.flush();
  }
  const emit = out;
  const threshold = LEVELS[level];
  const make = (name: Exclude<LogLevel, "silent">): LogFn => {
    const n = LEVELS[name];
    if (n < threshold) return () => {};
    return (fields, msg) => {
      const record = typeof fields === "string" ? { msg: fields } : { ...fields, ...(msg === undefined ? {} : { msg }) };
      let line: string;
      try {
        line = JSON.stringify({ level: n, time: Date.now(), service: "edgeclass", ...record }, replacer);
      } catch {
        line = JSON.stringify({ level: n, time: Date.now(), service: "edgeclass", msg: String(msg ?? fields), unserializable: true });
      }
      emit(line + "\n");
    };
  };
  const logger: Logger = {
    trace: make("trace"),
    debug: make("debug"),
    info: make("info"),
    warn: make("warn"),
    error: make("error"),
    fatal: make("fatal"),
    isLevelEnabled: (name) => LEVELS[name] >= threshold,
    flush,
  };
  const accessOn = LEVELS.info >= threshold;
  return {
    logger,
    access(e) {
      if (!accessOn) return;
      // reqId, method and route are server-made or validated to [\w.-]; the rest is escaped.
      emit(
        `{"level":30,"time":${Date.now()},"service":"edgeclass","reqId":"${e.reqId}","method":"${e.method}","route":"` +
          `${e.route}","url":${JSON.stringify(e.url)},"status":${e.status},"ms":${e.ms}` +
          `${e.user ? `,"user":${JSON.stringify(e.user)}` : ""},"msg":"request"}\n`,
      );
    },
  };
}
