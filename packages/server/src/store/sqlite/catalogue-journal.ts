// The catalogue's replication journal in SQLite. A local write records its change (with a
// new version) in the same transaction as the row, and queues it in an outbox until the
// shared engine has it; a change from another instance is applied only when its version
// is newer than the row's. Versions are kept apart from the rows, so removed enrolments
// keep theirs (a late, older "add" cannot bring them back).
// Over 400 lines: one statement, one row writer and one exporter per catalogue kind, side by
// side so a new kind is added in one place.
import type { Database, Statement } from "bun:sqlite";
import type { QuestionDraft } from "@edgeclass/client/protocol";
import { DEFAULT_SCHOOL_ID, type ClassSession, type Course, type User } from "../../domain/model.ts";
import { CATALOGUE_KINDS, newer, type CatalogueChange, type CatalogueKind, type CatalogueRow, type Version } from "../catalogue.ts";

/** What a store calls after writing a replicated row, inside the write's transaction. */
export type RecordChange = (change: CatalogueRow & { key: string }) => void;

/** Runs a row write and records its change in one transaction (only when replicating). */
export function replicated(
  db: Database,
  record: RecordChange | null,
  write: () => unknown,
  change: () => Parameters<RecordChange>[0] | null,
): void {
  if (record === null) {
    write();
    return;
  }
  db.transaction(() => {
    write();
    const c = change();
    if (c !== null) record(c);
  })();
}

export interface ApplyResult {
  /** Changes that were newer than this copy's row and were written. */
  applied: number;
  /** Changes this copy could not write (left out, logged by the caller). */
  rejected: CatalogueChange[];
}

export interface OutboxEntry {
  seq: number;
  change: CatalogueChange;
}

/** Changes from the centre (central/catalogue-feed.ts), sorted by what became of them here. */
export interface CentreApplyResult {
  applied: CatalogueChange[];
  /** Not newer than this copy's version: a replay, or a newer local edit. */
  stale: CatalogueChange[];
  rejected: CatalogueChange[];
}

type Row = Record<string, string | number | null>;

export class CatalogueJournal {
  /** Told after each local change is queued (the write's transaction may still be open). */
  onRecorded: () => void = () => {};
  private last: number;
  private readonly s: Record<string, Statement>;
  private readonly applyBatch: (changes: CatalogueChange[], forward: boolean) => CentreApplyResult;
  private readonly exportSql: Record<CatalogueKind, Statement<Row, [string, number]>>;

  /**
   * `outbox: false`: versions only, no outbox (a city instance without Redis, where nothing
   * would ever empty it; the versions still let newest-wins decide against the centre's changes).
   */
  constructor(
    db: Database,
    readonly origin: string,
    private readonly opts: { outbox: boolean } = { outbox: true },
  ) {
    const q = (sql: string) => db.query(sql);
    this.s = {
      version: q("SELECT rev, origin FROM catalogue_versions WHERE kind = ? AND key = ?"),
      setVersion: q(
        "INSERT INTO catalogue_versions (kind, key, rev, origin) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET " +
          "rev = excluded.rev, origin = excluded.origin",
      ),
      maxRev: q("SELECT coalesce(max(rev), 0) AS rev FROM catalogue_versions"),
      queue: q("INSERT INTO catalogue_outbox (change) VALUES (?)"),
      pending: q("SELECT seq, change FROM catalogue_outbox ORDER BY seq LIMIT ?"),
      drop: q("DELETE FROM catalogue_outbox WHERE seq <= ?"),
      size: q("SELECT count(*) AS n FROM catalogue_outbox"),
      getMeta: q("SELECT value FROM catalogue_meta WHERE name = ?"),
      setMeta: q("INSERT INTO catalogue_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
      school: q(
        "INSERT INTO schools (id, name, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = " +
          "excluded.name, updated_at = excluded.updated_at",
      ),
      user: q(
        "INSERT INTO users (id, name, role, created_at, school_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET " +
          "name = excluded.name, role = excluded.role, school_id = excluded.school_id",
      ),
      course: q(
        "INSERT INTO courses (id, title, description, status, capacity, teacher_id, created_at, updated_at, school_id) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, status = " +
          "excluded.status, capacity = excluded.capacity, teacher_id = excluded.teacher_id, updated_at = " +
          "excluded.updated_at, school_id = excluded.school_id",
      ),
      class: q(
        "INSERT INTO classes (id, course_id, title, starts_at, duration_minutes, status, created_at, started_at, ended_at, " +
          "school_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at, duration_minutes = " +
          "excluded.duration_minutes, status = excluded.status, started_at = excluded.started_at, ended_at = " +
          "excluded.ended_at, school_id = excluded.school_id",
      ),
      student: q(
        "INSERT INTO users (id, name, role, created_at, school_id) SELECT ?, ?, 'student', ?, school_id FROM courses WHERE " +
          "id = ? ON CONFLICT (id) DO NOTHING",
      ),
      enrol: q("INSERT INTO enrollments (course_id, student_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
      unenrol: q("DELETE FROM enrollments WHERE course_id = ? AND student_id = ?"),
      question: q(
        "INSERT INTO questions (id, course_id, draft, created_at, archived_at, school_id) VALUES (?, ?, ?, ?, ?, ?) ON " +
          "CONFLICT (id) DO UPDATE SET draft = excluded.draft, archived_at = excluded.archived_at, school_id = " +
          "excluded.school_id",
      ),
      record: q(
        "INSERT INTO replicated_records (tbl, key, value) VALUES (?, ?, ?) ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
      ),
      unrecord: q("DELETE FROM replicated_records WHERE tbl || '/' || key = ?"),
      // A picture never changes once uploaded: a second copy of its change has nothing to add.
      image: q(
        "INSERT INTO question_images (id, course_id, school_id, type, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (id) DO NOTHING",
      ),
    };
    // Rows with their versions, by key, a page at a time. A row written before replication
    // was on has no version: it goes out as the oldest possible, so any recorded change wins.
    const withVersion = (kind: CatalogueKind, select: string, from: string, keyExpr: string) =>
      db.query<Row, [string, number]>(
        `SELECT ${select}, ${keyExpr} AS key, coalesce(v.rev, 0) AS rev, coalesce(v.origin, '') AS origin FROM ${from} ` +
          `LEFT JOIN catalogue_versions v ON v.kind = '${kind}' AND v.key = ${keyExpr} WHERE ${keyExpr} > ? ORDER BY ${keyExpr} LIMIT ?`,
      );
    this.exportSql = {
      school: withVersion("school", "t.*", "schools t", "t.id"),
      user: withVersion("user", "t.*", "users t", "t.id"),
      course: withVersion("course", "t.*", "courses t", "t.id"),
      class: withVersion("class", "t.*", "classes t", "t.id"),
      question: withVersion("question", "t.*", "questions t", "t.id"),
      image: withVersion("image", "t.*", "question_images t", "t.id"),
      // Records that exist, and removed ones (a version without a row), as enrolments.
      record: db.query<Row, [string, number]>(
        "SELECT * FROM (" +
          "SELECT r.tbl, r.key AS rkey, r.value, r.tbl || '/' || r.key AS key, coalesce(v.rev, 0) AS rev, " +
          "coalesce(v.origin, '') AS origin " +
          "FROM replicated_records r LEFT JOIN catalogue_versions v ON v.kind = 'record' AND v.key = r.tbl || '/' || r.key " +
          "UNION ALL SELECT NULL, NULL, NULL, v.key, v.rev, v.origin FROM catalogue_versions v WHERE v.kind = 'record' " +
          "AND NOT EXISTS (SELECT 1 FROM replicated_records r WHERE r.tbl || '/' || r.key = v.key)" +
          ") WHERE key > ? ORDER BY key LIMIT ?",
      ),
      // Enrolments that exist, and removed ones (a version without a row), in one key order.
      enrollment: db.query<Row, [string, number]>(
        "SELECT * FROM (" +
          "SELECT e.course_id, e.student_id, e.created_at, u.name, e.course_id || '/' || e.student_id AS key, " +
          "coalesce(v.rev, 0) AS rev, coalesce(v.origin, '') AS origin " +
          "FROM enrollments e JOIN users u ON u.id = e.student_id LEFT JOIN catalogue_versions v ON v.kind = 'enrollment' " +
          "AND v.key = e.course_id || '/' || e.student_id " +
          "UNION ALL SELECT NULL, NULL, NULL, NULL, v.key, v.rev, v.origin FROM catalogue_versions v WHERE v.kind = 'enrollment' " +
          "AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id || '/' || e.student_id = v.key)" +
          ") WHERE key > ? ORDER BY key LIMIT ?",
      ),
    };
    this.last = (this.s.maxRev.get() as { rev: number }).rev;
    this.applyBatch = db.transaction((changes: CatalogueChange[], forward: boolean) => {
      const result: CentreApplyResult = { applied: [], stale: [], rejected: [] };
      for (const c of [...changes].sort((a, b) => CATALOGUE_KINDS.indexOf(a.kind) - CATALOGUE_KINDS.indexOf(b.kind))) {
        this.last = Math.max(this.last, c.rev);
        const current = this.s.version.get(c.kind, c.key) as Version | null;
        if (current && !newer(c, current)) {
          result.stale.push(c);
          continue;
        }
        try {
          this.writeRow(c);
        } catch {
          // A row this copy cannot take (say, a class of a course it does not have): SQLite undid
          // only that statement; the rest of the batch goes on, and a full sync may bring it later.
          result.rejected.push(c);
          continue;
        }
        this.s.setVersion.run(c.kind, c.key, c.rev, c.origin);
        // The centre's change goes on to this city's other instances, with the centre's version.
        if (forward && this.opts.outbox) this.s.queue.run(JSON.stringify(c));
        result.applied.push(c);
      }
      return result;
    });
  }

  /** Records a local write: called inside the write's transaction. */
  readonly record: RecordChange = (change) => {
    this.last = Math.max(Date.now(), this.last + 1);
    const full = { ...change, rev: this.last, origin: this.origin } as CatalogueChange;
    this.s.setVersion.run(full.kind, full.key, full.rev, full.origin);
    if (!this.opts.outbox) return;
    this.s.queue.run(JSON.stringify(full));
    this.onRecorded();
  };

  /** Applies changes from the shared engine, newest-wins. */
  apply(changes: CatalogueChange[]): ApplyResult {
    if (changes.length === 0) return { applied: 0, rejected: [] };
    const r = this.applyBatch(changes, false);
    return { applied: r.applied.length, rejected: r.rejected };
  }

  /** Applies the centre's changes newest-wins and queues those applied for the other instances (one transaction). */
  applyFromCentre(changes: CatalogueChange[]): CentreApplyResult {
    if (changes.length === 0) return { applied: [], stale: [], rejected: [] };
    const r = this.applyBatch(changes, true);
    if (r.applied.length > 0 && this.opts.outbox) this.onRecorded();
    return r;
  }

  private writeRow(c: CatalogueChange): void {
    const { s } = this;
    // A change from an instance that predates schools has no schoolId: its rows are the default school's.
    switch (c.kind) {
      case "school":
        s.school.run(c.row.id, c.row.name, c.row.createdAt, c.row.updatedAt);
        return;
      case "user":
        s.user.run(c.row.id, c.row.name, c.row.role, c.row.createdAt, c.row.schoolId ?? DEFAULT_SCHOOL_ID);
        return;
      case "course": {
        const r = c.row;
        s.course.run(
          r.id,
          r.title,
          r.description,
          r.status,
          r.capacity,
          r.teacherId,
          r.createdAt,
          r.updatedAt,
          r.schoolId ?? DEFAULT_SCHOOL_ID,
        );
        return;
      }
      case "class": {
        const r = c.row;
        s.class.run(
          r.id,
          r.courseId,
          r.title,
          r.startsAt,
          r.durationMinutes,
          r.status,
          r.createdAt,
          r.startedAt,
          r.endedAt,
          r.schoolId ?? DEFAULT_SCHOOL_ID,
        );
        return;
      }
      case "enrollment": {
        const r = c.row;
        if (r === null) {
          const cut = c.key.indexOf("/"); // course ids never hold a "/"
          s.unenrol.run(c.key.slice(0, cut), c.key.slice(cut + 1));
          return;
        }
        s.student.run(r.studentId, r.name, r.enrolledAt, r.courseId);
        s.enrol.run(r.courseId, r.studentId, r.enrolledAt);
        return;
      }
      case "question": {
        const r = c.row;
        s.question.run(r.id, r.courseId, JSON.stringify(r.draft), r.createdAt, r.archivedAt, r.schoolId ?? DEFAULT_SCHOOL_ID);
        return;
      }
      case "record":
        if (c.row === null) s.unrecord.run(c.key);
        else s.record.run(c.row.tbl, c.row.key, c.row.value);
        return;
      case "image": {
        const r = c.row;
        s.image.run(r.id, r.courseId, r.schoolId, r.type, Buffer.from(r.data, "base64"), r.createdAt);
        return;
      }
    }
  }

  /** One page of this copy's rows of a kind, with their versions, after a key. */
  exportPage(kind: CatalogueKind, afterKey: string, limit: number): CatalogueChange[] {
    return this.exportSql[kind].all(afterKey, limit).map((r) => toChange(kind, r));
  }

  /** Local changes not yet in the shared engine, oldest first. */
  pending(limit: number): OutboxEntry[] {
    return (this.s.pending.all(limit) as { seq: number; change: string }[]).map((r) => ({
      seq: r.seq,
      change: JSON.parse(r.change) as CatalogueChange,
    }));
  }

  /** The shared engine has every change up to seq. */
  sent(seq: number): void {
    this.s.drop.run(seq);
  }

  outboxSize(): number {
    return (this.s.size.get() as { n: number }).n;
  }

  meta(name: string): string | undefined {
    return (this.s.getMeta.get(name) as { value: string } | null)?.value;
  }

  setMeta(name: string, value: string): void {
    this.s.setMeta.run(name, value);
  }
}

const str = (v: string | number | null) => String(v);
const num = (v: string | number | null) => Number(v);
const numOrNull = (v: string | number | null) => (v === null ? null : Number(v));

function toChange(kind: CatalogueKind, r: Row): CatalogueChange {
  const base = { key: str(r.key), rev: num(r.rev), origin: str(r.origin) };
  switch (kind) {
    case "school":
      return { ...base, kind, row: { id: str(r.id), name: str(r.name), createdAt: num(r.created_at), updatedAt: num(r.updated_at) } };
    case "user":
      return {
        ...base,
        kind,
        row: {
          id: str(r.id),
          name: str(r.name),
          role: str(r.role) as User["role"],
          createdAt: num(r.created_at),
          schoolId: str(r.school_id),
        },
      };
    case "course": {
      const row: Course = {
        id: str(r.id),
        title: str(r.title),
        description: str(r.description),
        status: str(r.status) as Course["status"],
        capacity: num(r.capacity),
        teacherId: str(r.teacher_id),
        createdAt: num(r.created_at),
        updatedAt: num(r.updated_at),
        schoolId: str(r.school_id),
      };
      return { ...base, kind, row };
    }
    case "class": {
      const row: ClassSession = {
        id: str(r.id),
        courseId: str(r.course_id),
        title: str(r.title),
        startsAt: num(r.starts_at),
        durationMinutes: num(r.duration_minutes),
        status: str(r.status) as ClassSession["status"],
        createdAt: num(r.created_at),
        startedAt: numOrNull(r.started_at),
        endedAt: numOrNull(r.ended_at),
        schoolId: str(r.school_id),
      };
      return { ...base, kind, row };
    }
    case "enrollment":
      return {
        ...base,
        kind,
        row:
          r.course_id === null
            ? null
            : { courseId: str(r.course_id), studentId: str(r.student_id), name: str(r.name), enrolledAt: num(r.created_at) },
      };
    case "question":
      return {
        ...base,
        kind,
        row: {
          id: str(r.id),
          courseId: str(r.course_id),
          draft: JSON.parse(str(r.draft)) as QuestionDraft,
          createdAt: num(r.created_at),
          archivedAt: numOrNull(r.archived_at),
          schoolId: str(r.school_id),
        },
      };
    case "record":
      return { ...base, kind, row: r.tbl === null ? null : { tbl: str(r.tbl), key: str(r.rkey), value: str(r.value) } };
    case "image": {
      const bytes = r.bytes as unknown as Uint8Array; // a BLOB column comes back as bytes
      const row = {
        id: str(r.id),
        courseId: str(r.course_id),
        schoolId: str(r.school_id),
        type: str(r.type),
        data: Buffer.from(bytes).toString("base64"),
        createdAt: num(r.created_at),
      };
      return { ...base, kind, row };
    }
  }
}
