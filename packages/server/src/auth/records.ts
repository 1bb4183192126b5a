// Schools' sign-in and LMS settings (identity providers, LTI platforms, and the LMS courses,
// links and users they map) as small JSON documents in one SQLite table. With several
// instances every write is a catalogue change (kind "record"), so each instance's copy has
// them all, whichever instance an admin or an LMS happened to reach.
import type { Database, Statement } from "bun:sqlite";
import { recordKey } from "../store/catalogue.ts";
import { replicated, type RecordChange } from "../store/sqlite/catalogue-journal.ts";

/** "quiz-set": a course's quiz sets (services/quiz-sets.ts), kept here to be on every instance too. */
export type RecordTable = "idp" | "lti-platform" | "lti-context" | "lti-link" | "lti-user" | "quiz-set";

export class Records {
  private readonly s: Record<"get" | "all" | "where" | "put" | "remove", Statement>;

  constructor(
    private readonly db: Database,
    /** The catalogue journal's recorder when replicating; null on one instance. */
    private readonly record: RecordChange | null,
  ) {
    this.s = {
      get: db.query("SELECT value FROM replicated_records WHERE tbl = ? AND key = ?"),
      all: db.query("SELECT value FROM replicated_records WHERE tbl = ? ORDER BY key"),
      where: db.query("SELECT value FROM replicated_records WHERE tbl = ?1 AND json_extract(value, '$.' || ?2) = ?3 ORDER BY key"),
      put: db.query(
        "INSERT INTO replicated_records (tbl, key, value) VALUES (?, ?, ?) ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
      ),
      remove: db.query("DELETE FROM replicated_records WHERE tbl = ? AND key = ?"),
    };
  }

  get<T>(tbl: RecordTable, key: string): T | undefined {
    const r = this.s.get.get(tbl, key) as { value: string } | null;
    return r === null ? undefined : (JSON.parse(r.value) as T);
  }

  all<T>(tbl: RecordTable): T[] {
    return (this.s.all.all(tbl) as { value: string }[]).map((r) => JSON.parse(r.value) as T);
  }

  /** Documents whose top-level `field` equals `value`. */
  where<T>(tbl: RecordTable, field: string, value: string): T[] {
    return (this.s.where.all(tbl, field, value) as { value: string }[]).map((r) => JSON.parse(r.value) as T);
  }

  put(tbl: RecordTable, key: string, doc: object): void {
    const value = JSON.stringify(doc);
    replicated(
      this.db,
      this.record,
      () => this.s.put.run(tbl, key, value),
      () => ({ kind: "record", key: recordKey(tbl, key), row: { tbl, key, value } }),
    );
  }

  remove(tbl: RecordTable, key: string): boolean {
    let removed = false;
    replicated(
      this.db,
      this.record,
      () => (removed = this.s.remove.run(tbl, key).changes > 0),
      () => (removed ? { kind: "record", key: recordKey(tbl, key), row: null } : null),
    );
    return removed;
  }
}
