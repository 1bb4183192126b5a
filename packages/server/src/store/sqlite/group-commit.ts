// Group commit: writes queued in the same turn of the event loop share one SQLite
// transaction, so a burst of N writes costs one commit instead of N. Each write runs
// in its own savepoint, so one failing write rolls back alone and the rest commit.
// The promise settles only after the commit: an acknowledged write is durable.
// writeNow: one event that others wait on (a question's launch, a chat message: published to the
// class only once durable) commits at once, with what was queued before it, instead of waiting for
// the end of the turn behind the other frames read in it (issue 19: commit_wait, and under load
// the continuations of a whole batch ahead of its own).
import type { Database, Statement } from "bun:sqlite";
import { currentTrace, traceCommitQueued, type EventTrace } from "../../obs/event-trace.ts";
import { storageHealthOf } from "../storage-health.ts";
import type { Checkpointer } from "./checkpointer.ts";

interface Pending {
  run(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** The live frame this write serves (obs/event-trace.ts): stamped with the commit's times. */
  trace: EventTrace | undefined;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Sizes of the last batches, for metrics and tests. */
  batches = 0;
  writes = 0;

  // Prepared once: bun's db.transaction() builds new wrapper functions on every call.
  private readonly sql: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Statement>;

  constructor(
    private readonly db: Database,
    private readonly checkpointer: Checkpointer | null = null,
  ) {
    this.sql = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT one_write"),
      release: db.prepare("RELEASE one_write"),
      rollbackTo: db.prepare("ROLLBACK TO one_write"),
    };
  }

  write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const trace = currentTrace();
      traceCommitQueued(trace, trace ? performance.now() : 0);
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject, trace });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Commits `fn` now, in one transaction with the writes queued before it (so the store never holds
   * a later write without an earlier one). Queued as usual when called inside a transaction.
   */
  writeNow<T>(fn: () => T): Promise<T> {
    const done = this.write(fn);
    if (!this.db.inTransaction) this.flush();
    return done;
  }

  /** Commits everything queued now (also called on shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = new Array(batch.length);
    const { sql } = this;
    this.checkpointer?.beforeWrite();
    const startedAt = performance.now();
    try {
      sql.begin.run();
      for (let i = 0; i < batch.length; i++) {
        sql.savepoint.run();
        try {
          outcomes[i] = { ok: true, value: batch[i].run() };
        } catch (e) {
          sql.rollbackTo.run();
          outcomes[i] = { ok: false, value: e };
        }
        sql.release.run();
      }
      sql.commit.run();
    } catch (e) {
      // The commit itself failed: nothing in this batch is durable.
      if (this.db.inTransaction) sql.rollback.run();
      storageHealthOf(this.db)?.noteError(e);
      for (const p of batch) p.reject(e);
      return;
    }
    const committedAt = performance.now();
    for (const p of batch) {
      if (p.trace && p.trace.commitStartAt === 0) {
        p.trace.commitStartAt = startedAt;
        p.trace.committedAt = committedAt;
      }
    }
    storageHealthOf(this.db)?.noteWrite();
    this.batches++;
    this.writes += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i];
      if (o.ok) batch[i].resolve(o.value);
      else batch[i].reject(o.value);
    }
  }
}
