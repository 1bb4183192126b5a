// Media worker processes: spawn, request/reply over IPC, restart on crash, shut down.

import type { Subprocess } from "bun";
import { join } from "node:path";
import { AppError, type ErrorCode } from "../domain/errors.ts";
import type { FromWorker, ToWorker, WorkerConfig, WorkerStats } from "./protocol.ts";

/**
 * In the compiled server (`bun build --compile`, the image's entrypoint) this module lives inside the
 * executable (/$bunfs/...): the worker then runs from the sources in EDGECLASS_APP_DIR, else the
 * working directory (the image's /app, beside its node_modules), by the same executable acting as
 * bun (BUN_BE_BUN).
 */
const COMPILED = import.meta.url.startsWith("file:///$bunfs/");
const WORKER_ENTRY = COMPILED
  ? join(process.env.EDGECLASS_APP_DIR ?? process.cwd(), "packages/server/src/media/worker/main.ts")
  : new URL("./worker/main.ts", import.meta.url).pathname;

/** The catalogue's code for each status a media error carries (domain/errors.ts). */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: "bad-request",
  403: "forbidden",
  404: "not-found",
  405: "method-not-allowed",
  409: "conflict",
  413: "payload-too-large",
  415: "unsupported-media-type",
  429: "rate-limited",
  503: "unavailable",
};

/** A media failure: a catalogue error (an RFC 9457 problem over HTTP) that also names its media code (MEDIA_BAD_SDP, ...). */
export class MediaError extends AppError {
  constructor(
    readonly mediaCode: string,
    message: string,
    status: number,
  ) {
    super(CODE_OF_STATUS[status] ?? "internal", message, { code: mediaCode });
    this.name = "MediaError";
  }
}

export interface WorkerEvents {
  onClosed(worker: MediaWorker, id: string, reason: string): void;
  onConnected(worker: MediaWorker, id: string): void;
  onStats(worker: MediaWorker, stats: WorkerStats): void;
  onExit(worker: MediaWorker, code: number | null): void;
}

export class MediaWorker {
  private proc: Subprocess | null = null;
  private readonly pending = new Map<
    number,
    { resolve(sdp: string): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }
  >();
  private nextRid = 1;
  relayPort = 0;
  cascadePort = 0;
  pid = 0;
  subscribers = 0;
  publishers = 0;
  lastStats: WorkerStats | null = null;
  private readyPromise: Promise<void>;
  private exited = false;
  private stopping = false;

  constructor(
    readonly index: number,
    private readonly config: WorkerConfig,
    private readonly events: WorkerEvents,
  ) {
    this.readyPromise = this.start();
    this.readyPromise.catch(() => {}); // awaited by each request; not an unhandled rejection
  }

  private start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const startTimer = setTimeout(
        () => reject(new MediaError("MEDIA_WORKER_START", `media worker ${this.index} did not start`, 503)),
        15000,
      );
      this.proc = Bun.spawn({
        cmd: [process.execPath, WORKER_ENTRY],
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, ...(COMPILED ? { BUN_BE_BUN: "1" } : {}), EDGECLASS_MEDIA_WORKER: JSON.stringify(this.config) },
        serialization: "json",
        ipc: (raw: unknown) => {
          const msg = raw as FromWorker;
          if (msg.t === "ready") {
            clearTimeout(startTimer);
            this.relayPort = msg.relayPort;
            this.cascadePort = msg.cascadePort;
            this.pid = msg.pid;
            resolve();
          } else if (msg.t === "reply") {
            const p = this.pending.get(msg.rid);
            if (!p) return;
            this.pending.delete(msg.rid);
            clearTimeout(p.timer);
            if (msg.ok) p.resolve(msg.sdp);
            else p.reject(new MediaError(msg.code, msg.message, msg.code === "MEDIA_BAD_SDP" ? 400 : 500));
          } else if (msg.t === "closed") this.events.onClosed(this, msg.id, msg.reason);
          else if (msg.t === "connected") this.events.onConnected(this, msg.id);
          else if (msg.t === "stats") {
            this.lastStats = msg.stats;
            this.events.onStats(this, msg.stats);
          }
        },
        onExit: (_p, code) => {
          clearTimeout(startTimer);
          this.exited = true;
          for (const p of this.pending.values()) {
            clearTimeout(p.timer);
            p.reject(new MediaError("MEDIA_WORKER_EXITED", "media worker exited", 503));
          }
          this.pending.clear();
          if (!this.stopping) this.events.onExit(this, code);
          reject(new MediaError("MEDIA_WORKER_EXITED", "media worker exited during start", 503));
        },
      });
    });
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  get alive(): boolean {
    return !this.exited;
  }

  post(msg: ToWorker): void {
    if (this.exited || !this.proc) return;
    try {
      this.proc.send(msg);
    } catch {
      // the exit handler reports it
    }
  }

  request(msg: ToWorker & { rid: number }, timeoutMs = 10000): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (this.exited) return reject(new MediaError("MEDIA_WORKER_EXITED", "media worker exited", 503));
      const timer = setTimeout(() => {
        this.pending.delete(msg.rid);
        reject(new MediaError("MEDIA_TIMEOUT", "media worker did not answer in time", 503));
      }, timeoutMs);
      this.pending.set(msg.rid, { resolve, reject, timer });
      this.post(msg);
    });
  }

  rid(): number {
    return this.nextRid++;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.proc || this.exited) return;
    const proc = this.proc;
    this.post({ t: "shutdown" });
    const killer = setTimeout(() => proc.kill("SIGKILL"), 3000);
    await proc.exited;
    clearTimeout(killer);
    this.exited = true;
  }
}
