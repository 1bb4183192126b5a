// WAL checkpoints off the event loop (issue 19). SQLite's automatic checkpoint runs inside the
// COMMIT that takes the WAL past 1000 pages, and waits there for its two fsyncs (~10 ms on this
// machine) with the event loop stopped. Here a worker thread with its own connection copies the WAL
// into the database file (PASSIVE: it never blocks the writer) and the writer's connection does none.
// - Durability is unchanged: a write is durable once its COMMIT has appended it to the WAL; a
//   checkpoint only moves committed pages.
// - Only a WAL of MIN_FRAMES or more is checkpointed, when SQLite's own checkpoint would have run: a
//   short WAL that was wholly copied starts over in space the file already has, where writes on a
//   full disk would be stored instead of refused (faults: disk-full-after-idle).
// - Under writes that never pause the worker never finds the whole WAL copied, so it would never
//   start over: past LIMIT_FRAMES the writer checkpoints once itself (little is left to copy).
// - The WAL's length comes from `PRAGMA wal_checkpoint(NOOP)` (SQLite 3.51+), never from reading
//   SQLite's files: a close() of any descriptor of a file drops every POSIX lock the process holds on
//   it, SQLite's included (sqlite.org/howtocorrupt.html 2.2), which broke instances sharing one file.
import type { Database } from "bun:sqlite";
import { Prepared } from "./prepared.ts";

/** WAL frames (pages) past which the writer checkpoints itself: ~40 MB of WAL at 4 KiB pages. */
const LIMIT_FRAMES = 10_000;
/** WAL frames below which the worker leaves the WAL alone (SQLite's wal_autocheckpoint default). */
const MIN_FRAMES = 1000;
/** How often the worker looks for new commits (PRAGMA data_version). */
const INTERVAL_MS = 100;
/** The first SQLite with the NOOP checkpoint (an older one would take it for PASSIVE). */
const NOOP_SINCE = "3.51.0";

// Slots of the shared Int32Array.
const LOG = 0; // frames in the WAL, as the worker last found them
const CLOSED = 1; // set by the worker once its connection is closed

type CheckpointRow = { busy: number; log: number; checkpointed: number };

/** The worker's code: stringified into a Blob (no file to bundle), so it takes what it uses as arguments. */
function checkpointWorker(Db: typeof Database, scope: Worker, slotLog: number, slotClosed: number): void {
  type Message = { type: "start"; path: string; shared: SharedArrayBuffer; intervalMs: number; minFrames: number } | { type: "stop" };
  let db: Database | null = null;
  let shared: Int32Array | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  scope.onmessage = (e: MessageEvent<Message>) => {
    const m = e.data;
    if (m.type === "stop") {
      clearInterval(timer);
      db?.close();
      db = null;
      if (shared !== null) {
        Atomics.store(shared, slotClosed, 1);
        Atomics.notify(shared, slotClosed);
      }
      return;
    }
    const slots = new Int32Array(m.shared);
    shared = slots;
    const conn = new Db(m.path, { readwrite: true, create: false });
    db = conn;
    const version = conn.prepare<{ data_version: number }, []>("PRAGMA data_version");
    const length = conn.prepare<CheckpointRow, []>("PRAGMA wal_checkpoint(NOOP)");
    const checkpoint = conn.prepare<CheckpointRow, []>("PRAGMA wal_checkpoint(PASSIVE)");
    let seen = -1;
    timer = setInterval(() => {
      try {
        const v = version.get()?.data_version ?? 0; // changes when another connection has committed
        if (v === seen) return;
        seen = v;
        const frames = length.get()?.log ?? 0;
        Atomics.store(slots, slotLog, frames);
        if (frames < m.minFrames) return; // looked at again after the next commit
        checkpoint.get();
      } catch {
        // A failed checkpoint (disk full, ...) loses nothing: the WAL keeps the pages; the next one retries.
      }
    }, m.intervalMs);
  };
}

export class Checkpointer {
  private readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private worker: Worker | null = null;
  private state: "idle" | "running" | "closed" = "idle";
  private readonly length: Prepared<CheckpointRow, []>;
  private readonly checkpoint: Prepared<CheckpointRow, []>;
  /** Checkpoints the writer made itself (the WAL had grown past the limit); for tests. */
  selfCheckpoints = 0;

  /** For a database file in WAL mode; null for any other, or when SQLite is too old to ask the WAL's length safely. */
  static for(db: Database): Checkpointer | null {
    const mode = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode;
    if (mode !== "wal" || db.filename === "" || db.filename === ":memory:") return null;
    const version = db.query<{ v: string }, []>("SELECT sqlite_version() AS v").get()?.v ?? "0.0.0";
    return Bun.semver.order(version, NOOP_SINCE) >= 0 ? new Checkpointer(db) : null;
  }

  private readonly limitFrames: number;
  private readonly minFrames: number;
  private readonly intervalMs: number;

  /** The worker starts with the first write, not on the start path. Tests pass smaller figures. */
  constructor(
    private readonly db: Database,
    opts: { limitFrames?: number; minFrames?: number; intervalMs?: number } = {},
  ) {
    this.limitFrames = opts.limitFrames ?? LIMIT_FRAMES;
    this.minFrames = opts.minFrames ?? MIN_FRAMES;
    this.intervalMs = opts.intervalMs ?? INTERVAL_MS;
    this.length = new Prepared(db, "PRAGMA wal_checkpoint(NOOP)");
    this.checkpoint = new Prepared(db, "PRAGMA wal_checkpoint(PASSIVE)");
  }

  /** Called by the writer before it begins a transaction: a checkpoint of its own when the WAL has grown too long. */
  beforeWrite(): void {
    if (this.state === "idle") this.start();
    if (Atomics.load(this.shared, LOG) < this.limitFrames || this.db.inTransaction) return;
    try {
      // The worker's figure may be a round old: the WAL may have started over since.
      const frames = this.length.get()?.log ?? 0;
      Atomics.store(this.shared, LOG, frames);
      if (frames < this.limitFrames) return;
      const r = this.checkpoint.get();
      if (r !== null && r.busy === 0) this.selfCheckpoints++; // all copied: the next transaction starts the WAL over
    } catch {
      // As in the worker: nothing is lost, the next write tries again.
    }
  }

  /** Stops the worker and waits (up to 2 s) until its connection is closed. */
  close(): void {
    const worker = this.worker;
    this.state = "closed";
    this.worker = null;
    if (worker === null) return;
    worker.postMessage({ type: "stop" });
    Atomics.wait(this.shared, CLOSED, 0, 2000);
    worker.terminate();
  }

  private start(): void {
    this.state = "running";
    const source = `import { Database } from "bun:sqlite";\n(${checkpointWorker.toString()})(Database, self, ${LOG}, ${CLOSED});\n`;
    // ref: false, never what keeps the process alive; smol: a small heap is plenty.
    const options: Bun.WorkerOptions = { ref: false, smol: true };
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })), options);
    this.worker = worker;
    // No worker, no checkpoints but the writer's own: SQLite's automatic one comes back.
    worker.addEventListener("error", () => this.fallBack());
    worker.postMessage({
      type: "start",
      path: this.db.filename,
      shared: this.shared.buffer,
      intervalMs: this.intervalMs,
      minFrames: this.minFrames,
    });
    this.db.exec("PRAGMA wal_autocheckpoint = 0");
  }

  private fallBack(): void {
    if (this.state !== "running") return;
    this.worker = null;
    this.db.exec("PRAGMA wal_autocheckpoint = 1000");
  }
}
