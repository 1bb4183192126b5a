// WAL checkpoints off the event loop (issue 19, writes). SQLite's automatic checkpoint runs inside
// the COMMIT that takes the WAL past 1000 pages: under enrolment POSTs that was every ~50 commits,
// ~10 ms each of which ~8 ms waiting for its two fsyncs, with the event loop stopped. Here a worker
// thread with its own connection copies the WAL into the database file (PASSIVE: it never blocks
// the writer) and the writer's connection does none. Durability is unchanged: a write is durable
// when its COMMIT has appended it to the WAL, as before; a checkpoint only moves committed pages.
// Under sustained writes the worker never finds the whole WAL copied between two commits, so the
// WAL would never start over: past LIMIT frames the writer checkpoints once itself (the worker has
// copied nearly all of it, so little is left), and its next transaction starts the WAL from the top.
// Only a WAL of MIN_FRAMES or more is checkpointed, as SQLite's own automatic checkpoint does: a
// checkpoint of a short WAL lets it start over in space the file already has, where writes on a full
// disk would be stored and acknowledged instead of refused (faults: disk-full-after-idle).
import type { Database, Statement } from "bun:sqlite";
import type * as Fs from "node:fs";

/** WAL frames (pages) past which the writer checkpoints itself: ~40 MB of WAL at 4 KiB pages. */
const WAL_LIMIT_FRAMES = 10_000;
/** How often the worker looks for new commits (PRAGMA data_version; a checkpoint only when there are). */
const INTERVAL_MS = 100;
/** WAL frames below which the worker leaves the WAL alone (SQLite's wal_autocheckpoint default). */
const MIN_FRAMES = 1000;

// Slots of the shared Int32Array.
const LOG = 0; // frames in the WAL, as the last checkpoint found them
const CLOSED = 1; // set by the worker once its connection is closed

/** The worker's code: stringified into a Blob, so it takes everything it uses as arguments. */
function checkpointWorker(Db: typeof Database, fs: typeof Fs, scope: Worker, slotLog: number, slotClosed: number): void {
  type Message = { type: "start"; path: string; shared: SharedArrayBuffer; intervalMs: number; minFrames: number } | { type: "stop" };
  // The WAL's length in frames from the wal-index header (sqlite.org/walformat.html: version 3007000 at
  // byte 0, mxFrame at byte 16); null when it cannot be read, and then the worker checkpoints as before.
  const header = new Uint32Array(5);
  const walFrames = (path: string): number | null => {
    let fd: number | undefined;
    try {
      fd = fs.openSync(`${path}-shm`, "r");
      if (fs.readSync(fd, header, 0, 20, 0) < 20 || header[0] !== 3007000) return null;
      return header[4];
    } catch {
      return null;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  };
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
    const checkpoint = conn.prepare<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)");
    let seen = -1;
    timer = setInterval(() => {
      try {
        const v = version.get()?.data_version ?? 0; // changes when another connection has committed
        if (v === seen) return;
        seen = v;
        const frames = walFrames(m.path);
        if (frames !== null && frames < m.minFrames) return; // looked at again after the next commit
        const r = checkpoint.get();
        if (r !== null && r.busy === 0) Atomics.store(slots, slotLog, r.log);
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
  private checkpoint: Statement<{ busy: number; log: number; checkpointed: number }, []> | null = null;
  /** Checkpoints the writer made itself (the WAL had grown past the limit); for tests. */
  selfCheckpoints = 0;

  /** For the database file `db` (in WAL mode); the worker starts with the first write, not on the start path (issue 19). */
  constructor(
    private readonly db: Database,
    private readonly limitFrames = WAL_LIMIT_FRAMES,
    private readonly minFrames = MIN_FRAMES,
  ) {}

  /** Called by the writer before it begins a transaction: a checkpoint of its own when the WAL has grown too long. */
  beforeWrite(): void {
    if (this.state === "idle") this.start();
    if (Atomics.load(this.shared, LOG) < this.limitFrames || this.db.inTransaction) return;
    try {
      this.checkpoint ??= this.db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
      const r = this.checkpoint.get();
      if (r === null || r.busy !== 0) return; // the worker is in one: try at the next write
      this.selfCheckpoints++;
      // All copied: this connection's next transaction starts the WAL over (the worker reports its length again).
      Atomics.store(this.shared, LOG, r.log === r.checkpointed ? 0 : r.log);
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
    const source =
      `import { Database } from "bun:sqlite";\nimport * as fs from "node:fs";\n` +
      `(${checkpointWorker.toString()})(Database, fs, self, ${LOG}, ${CLOSED});\n`;
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
      intervalMs: INTERVAL_MS,
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
