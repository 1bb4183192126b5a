// Keeps this instance's copy of the catalogue (courses, classes, enrolments, question
// banks and their pictures, users) in step with every other instance's, through Redis:
//   - a hash per kind holds the newest version of every row (a new instance loads it whole);
//   - a stream carries every change in one order (instances tail it);
//   - one Lua script writes both, and only when the change is newer than what Redis holds.
// Local writes are committed to SQLite first with their change queued in an outbox, so
// catalogue writes go on while Redis is away and are sent, oldest first, when it returns.
// If Redis comes back empty (restarted without persistence) or this instance fell behind
// the stream's trimmed history, it loads the hashes and sends its whole copy again: the
// newest version of each row wins everywhere, so nothing acknowledged is lost.
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Registry } from "../obs/prom.ts";
import { CATALOGUE_KINDS, type CatalogueChange, type CatalogueKind } from "../store/catalogue.ts";
import type { ApplyResult, CatalogueJournal } from "../store/sqlite/catalogue-journal.ts";
import { catalogueKeys } from "./keys.ts";
import type { RedisLink } from "./redis.ts";

/** The stream keeps about this many changes; an instance further behind reloads the hashes. */
const STREAM_KEEP = 100_000;
const PAGE = 500;
/** Pictures (up to about 1.4 MB each as base64) go a few at a time, not 500 to one reply. */
const pageOf = (kind: CatalogueKind) => (kind === "image" ? 8 : PAGE);

export interface CatalogueMetrics {
  changes: Counter;
  fullSyncs: Counter;
}

export function createCatalogueMetrics(registry: Registry, journal: CatalogueJournal): CatalogueMetrics {
  registry.gauge({
    name: "edgeclass_catalogue_outbox_changes",
    help: "Catalogue changes written here and not yet in Redis.",
    collect: (g) => g.set(journal.outboxSize()),
  });
  return {
    changes: registry.counter({
      name: "edgeclass_catalogue_changes_total",
      help: "Catalogue changes sent to Redis, applied from other instances, or left out as unusable.",
      labelNames: ["direction"],
    }),
    fullSyncs: registry.counter({
      name: "edgeclass_catalogue_full_syncs_total",
      help: "Times this instance loaded the whole catalogue from Redis and sent its own copy.",
    }),
  };
}

type StreamReply = [string, [string, string[]][]][] | null;

export class CatalogueSync {
  /** Runs after changes from other instances were applied. */
  onApplied: (changes: CatalogueChange[]) => void = () => {};
  private readonly keys: ReturnType<typeof catalogueKeys>;
  /** The Redis data set this copy is in step with (a random id Redis keeps; a new one after a restart). */
  private epoch: string | undefined;
  private cursor: string;
  private reader: Redis | Cluster | null = null;
  private closed = false;
  /** Set at start and after any Redis trouble: whether Redis lost its data or trimmed past us is checked then only. */
  private checkNeeded = true;
  private flushing: Promise<void> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private syncedOnce = false;
  private readonly synced = Promise.withResolvers<void>();
  private lastWarning = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly journal: CatalogueJournal,
    private readonly metrics: CatalogueMetrics,
    private readonly logger: Logger,
  ) {
    this.keys = catalogueKeys(link);
    this.epoch = journal.meta("epoch");
    this.cursor = journal.meta("cursor") ?? "0-0";
    link.onReady(() => {
      this.checkNeeded = true;
      this.soon();
    });
    journal.onRecorded = () => this.soon();
  }

  /** True once this copy has been in step with Redis (readiness of a new instance waits for it). */
  get ready(): boolean {
    return this.syncedOnce;
  }

  whenSynced(): Promise<void> {
    return this.synced.promise;
  }

  start(): void {
    void this.tail();
  }

  /** Sends queued local changes shortly (after the write that queued them has committed). */
  soon(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch(() => {}); // stays queued; sent on the next attempt
    }, 2);
  }

  /** Sends the outbox to Redis, oldest first; each change leaves the outbox once Redis has it. */
  flush(): Promise<void> {
    // .finally runs after the assignment, even when there is nothing to send.
    this.flushing ??= this.sendOutbox().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async sendOutbox(): Promise<void> {
    for (;;) {
      const batch = this.journal.pending(PAGE);
      if (batch.length === 0) return;
      await this.put(batch.map((e) => e.change));
      this.journal.sent(batch[batch.length - 1].seq);
      this.metrics.changes.labels("sent").inc(batch.length);
    }
  }

  close(): void {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.reader?.disconnect();
  }

  private async put(changes: CatalogueChange[]): Promise<void> {
    const pipe = this.link.cmd.pipeline();
    for (const c of changes)
      this.link.scripts.cataloguePut(pipe, this.keys.rows(c.kind), this.keys.log, c.key, c.rev, c.origin, JSON.stringify(c), STREAM_KEEP);
    const results = await this.link.timed(() => pipe.exec());
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw failed?.[0] ?? new Error("redis pipeline failed");
  }

  /** The loop: make sure this copy is in step (after start and after trouble), send the outbox, then wait for others' changes. */
  private async tail(): Promise<void> {
    while (!this.closed) {
      try {
        if (!this.reader) {
          this.reader = this.link.cmd.duplicate();
          this.reader.on("error", () => {}); // counted by the link's own connections; this loop retries
        }
        // "end": ioredis gave it up (see restartEnded in redis.ts); connect it again.
        if (this.reader.status === "wait" || this.reader.status === "end") await this.reader.connect();
        if (this.checkNeeded) {
          await this.catchUp();
          this.checkNeeded = false;
        }
        await this.flush();
        const reply = (await this.reader.xread("COUNT", PAGE, "BLOCK", 1000, "STREAMS", this.keys.log, this.cursor)) as StreamReply;
        if (reply) this.applyEntries(reply[0][1]);
      } catch (e) {
        if (this.closed) return;
        this.checkNeeded = true;
        if (Date.now() - this.lastWarning > 10_000) {
          this.lastWarning = Date.now();
          this.logger.warn({ err: (e as Error).message }, "catalogue sync waiting for redis");
        }
        await Bun.sleep(500);
      }
    }
  }

  private applyEntries(entries: [string, string[]][]): void {
    const theirs = entries.flatMap(([id, fields]) => {
      const c = parseChange(fields[1]);
      if (c === null) this.reject(id, "not a catalogue change");
      return c !== null && c.origin !== this.journal.origin ? [c] : [];
    });
    this.applied(this.journal.apply(theirs));
    this.cursor = entries[entries.length - 1][0];
    this.journal.setMeta("cursor", this.cursor);
    if (theirs.length > 0) this.onApplied(theirs);
  }

  private applied(r: ApplyResult): void {
    this.metrics.changes.labels("received").inc(r.applied);
    for (const c of r.rejected) this.reject(`${c.kind}:${c.key}`, "this copy cannot take it");
  }

  /** A change that cannot be applied is counted, logged and left out: it must not stop the others. */
  private reject(what: string, why: string): void {
    this.metrics.changes.labels("rejected").inc();
    this.logger.warn({ change: what, why }, "catalogue change left out");
  }

  /** Loads everything again when Redis's data set is new to this copy or the stream moved past our place. */
  private async catchUp(): Promise<void> {
    const cmd = this.link.cmd;
    await cmd.set(this.keys.epoch, crypto.randomUUID(), "NX");
    const epoch = await cmd.get(this.keys.epoch);
    if (epoch === null) throw new Error("catalogue epoch vanished");
    const behind = epoch === this.epoch && streamIdLess(this.cursor, await this.lastTrimmed());
    if (epoch === this.epoch && !behind) return this.markSynced();
    this.logger.info({ reason: behind ? "behind the stream" : "new data set" }, "catalogue full sync");
    const last = (await cmd.xrevrange(this.keys.log, "+", "-", "COUNT", 1))[0]?.[0] ?? "0-0";
    // Theirs: every row Redis holds, kind by kind (a course before its classes and enrolments).
    for (const kind of CATALOGUE_KINDS) {
      let scan = "0";
      do {
        const [next, flat] = await cmd.hscan(this.keys.rows(kind), scan, "COUNT", pageOf(kind));
        scan = next;
        const changes: CatalogueChange[] = [];
        for (let i = 1; i < flat.length; i += 2) {
          const c = parseChange(flat[i]);
          if (c === null) this.reject(flat[i - 1], "not a catalogue change");
          else changes.push(c);
        }
        this.applied(this.journal.apply(changes));
      } while (scan !== "0");
    }
    // Ours: every row, with its version; Redis keeps whichever is newer.
    for (const kind of CATALOGUE_KINDS) {
      for (let after = ""; ; ) {
        const page = this.journal.exportPage(kind, after, pageOf(kind));
        if (page.length === 0) break;
        await this.put(page);
        after = page[page.length - 1].key;
      }
    }
    this.epoch = epoch;
    this.cursor = last;
    this.journal.setMeta("epoch", epoch);
    this.journal.setMeta("cursor", last);
    this.metrics.fullSyncs.inc();
    this.markSynced();
  }

  /** The newest change the stream has dropped (Redis 7 keeps it in XINFO STREAM). */
  private async lastTrimmed(): Promise<string> {
    const info = (await this.link.cmd.xinfo("STREAM", this.keys.log).catch(() => [])) as unknown[];
    const at = info.indexOf("max-deleted-entry-id");
    return at >= 0 ? String(info[at + 1]) : "0-0";
  }

  private markSynced(): void {
    if (this.syncedOnce) return;
    this.syncedOnce = true;
    this.synced.resolve();
  }
}

/** A change as another instance wrote it; null when it is not one (another version, or damaged). */
function parseChange(json: string | undefined): CatalogueChange | null {
  try {
    const c = JSON.parse(json ?? "") as Partial<CatalogueChange> | null;
    const ok =
      c !== null &&
      typeof c === "object" &&
      CATALOGUE_KINDS.includes(c.kind as CatalogueKind) &&
      typeof c.key === "string" &&
      typeof c.rev === "number" &&
      typeof c.origin === "string" &&
      "row" in c;
    return ok ? (c as CatalogueChange) : null;
  } catch {
    return null;
  }
}

/** Stream ids are "<ms>-<seq>": compared as numbers, not text. */
function streamIdLess(a: string, b: string): boolean {
  const [am, as] = a.split("-").map(Number);
  const [bm, bs] = b.split("-").map(Number);
  return am < bm || (am === bm && as < bs);
}
