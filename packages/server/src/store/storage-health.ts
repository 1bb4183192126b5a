// A full disk under DATA_DIR: writes fail with SQLITE_FULL (or ENOSPC). Requests get a clear
// 507 `storage-full` problem, and /readyz says 503 until a write succeeds again, so a load
// balancer sends people to an instance that can save their work. While flagged, readiness
// probes the disk with a small file write (no traffic reaches a not-ready instance to clear it).
// node:fs when a probe runs, not at import: endpoint.ts (the start path) imports isStorageFull from here (issue 19).
import type * as Fs from "node:fs";

/** SQLite's "database or disk is full", or the OS's "no space left on device". */
export function isStorageFull(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return code === "SQLITE_FULL" || code === "ENOSPC";
}

const PROBE_BYTES = 256 * 1024; // a few WAL frames' worth: less would pass while SQLite still cannot commit
const PROBE_EVERY_MS = 1000;

export class StorageHealth {
  private fullSince: number | null = null;
  private lastProbe = 0;

  constructor(
    private readonly dataDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failed write; true when it was the disk being full. */
  noteError(e: unknown): boolean {
    if (!isStorageFull(e)) return false;
    this.fullSince ??= this.now();
    return true;
  }

  /** A write went through: the disk has room again. */
  noteWrite(): void {
    this.fullSince = null;
  }

  get full(): boolean {
    return this.fullSince !== null;
  }

  /** For /readyz: why not ready, or null. Probes the disk at most once a second while flagged. */
  notReadyReason(): string | null {
    if (this.fullSince === null) return null;
    const t = this.now();
    if (t - this.lastProbe >= PROBE_EVERY_MS) {
      this.lastProbe = t;
      const { rmSync, writeFileSync } = import.meta.require("node:fs") as typeof Fs;
      const probe = `${this.dataDir}/.storage-probe-${process.pid}`;
      try {
        writeFileSync(probe, new Uint8Array(PROBE_BYTES), { flush: true });
        this.noteWrite();
      } catch {
        // still full
      } finally {
        rmSync(probe, { force: true });
      }
    }
    return this.fullSince === null ? null : `storage full under ${this.dataDir} since ${new Date(this.fullSince).toISOString()}`;
  }
}

// GroupCommit finds the health of its database here (live answers fail and recover through it).
const byDatabase = new WeakMap<object, StorageHealth>();
export const watchStorage = (db: object, health: StorageHealth): void => void byDatabase.set(db, health);
export const storageHealthOf = (db: object): StorageHealth | undefined => byDatabase.get(db);
