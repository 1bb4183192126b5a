// The Store on bun:sqlite: prepared statements, keyset paging by id. Over 400 lines because it is
// one repository class per table (schools, users, courses, enrollments, classes) plus the
// Store that ties them to one database and group commit; each is short and they share helpers.
import type { Database } from "bun:sqlite";
import { Prepared } from "./prepared.ts";
import type { ClassSession, Course, Page, PageRequest, School, User } from "../../domain/model.ts";
import type { LiveStore } from "../live-types.ts";
import { enrollmentKey } from "../catalogue.ts";
import { CentralOutbox, type ClassRecordSink } from "../../central/outbox.ts";
import { CatalogueJournal, replicated, type RecordChange } from "./catalogue-journal.ts";
import { Checkpointer } from "./checkpointer.ts";
import { GroupCommit } from "./group-commit.ts";
import { SqliteLiveStore } from "./live-store.ts";
import {
  StudentsRefused,
  type ClassStore,
  type CourseFilter,
  type CourseStore,
  type EnrollmentStore,
  type SchoolStore,
  type Store,
  type UserStore,
} from "../types.ts";

interface CourseRow {
  id: string;
  title: string;
  description: string;
  status: Course["status"];
  capacity: number;
  teacher_id: string;
  created_at: number;
  updated_at: number;
  school_id: string;
}

interface ClassRow {
  id: string;
  course_id: string;
  title: string;
  starts_at: number;
  duration_minutes: number;
  status: ClassSession["status"];
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  school_id: string;
}

interface UserRow {
  id: string;
  name: string;
  role: User["role"];
  created_at: number;
  school_id: string;
}

const toCourse = (r: CourseRow): Course => ({
  id: r.id,
  title: r.title,
  description: r.description,
  status: r.status,
  capacity: r.capacity,
  teacherId: r.teacher_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  schoolId: r.school_id,
});

const toClass = (r: ClassRow): ClassSession => ({
  id: r.id,
  courseId: r.course_id,
  title: r.title,
  startsAt: r.starts_at,
  durationMinutes: r.duration_minutes,
  status: r.status,
  createdAt: r.created_at,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  schoolId: r.school_id,
});

const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, schoolId: r.school_id });

/** Turns limit+1 fetched rows into a page. */
function page<R extends { id: string }, T>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => string = (r) => r.id): Page<T> {
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(map);
  return { items, nextCursor: more ? key(rows[limit - 1]) : null };
}

/**
 * Read-through cache of hot rows. This process is the only writer of its SQLite file,
 * so entries are dropped on every write (never set from a write that could roll back)
 * and reloaded on the next read.
 */
class HotRows {
  private static readonly LIMIT = 20_000;
  constructor(
    private readonly enabled: boolean,
    private readonly db: Database,
  ) {}
  readonly courses = new Map<string, Course>();
  readonly enrollmentCounts = new Map<string, number>();
  remember<V>(map: Map<string, V>, key: string, value: V): V {
    // Not from inside a transaction either: what a write of the batch read may never be committed.
    if (!this.enabled || this.db.inTransaction) return value;
    if (map.size >= HotRows.LIMIT) map.clear();
    map.set(key, value);
    return value;
  }
}

export class SqliteStore implements Store {
  readonly schools: SchoolStore;
  readonly users: UserStore;
  readonly courses: CourseStore;
  readonly enrollments: EnrollmentStore;
  readonly classes: ClassStore;
  readonly live: LiveStore;
  /** Set when the catalogue is replicated to other instances, or comes from the centre (see catalogue.ts). */
  readonly catalogue: CatalogueJournal | null;
  /** Set when class records go to the centre (see central/outbox.ts). */
  readonly central: CentralOutbox | null;
  private open = true;
  private readonly groupCommit: GroupCommit;
  /** WAL checkpoints on a worker thread (a database file in WAL mode only). */
  private readonly checkpointer: Checkpointer | null;

  /**
   * `cacheRows: false` when other processes write the same file (instances of a node sharing
   * a data folder, or a catalogue replicated from other instances); `replicateAs`: this
   * instance's name, to record every catalogue write for the other instances.
   */
  constructor(
    private readonly db: Database,
    opts: { cacheRows?: boolean; replicateAs?: string; centralCity?: string } = {},
  ) {
    this.checkpointer = Checkpointer.for(db);
    this.groupCommit = new GroupCommit(db, this.checkpointer);
    const hot = new HotRows(opts.cacheRows ?? true, db);
    // A city of a fleet records versions even alone: the centre's catalogue changes are applied newest-wins.
    const origin = opts.replicateAs ?? (opts.centralCity === undefined ? undefined : `city-${opts.centralCity}`);
    this.catalogue = origin === undefined ? null : new CatalogueJournal(db, origin, { outbox: opts.replicateAs !== undefined });
    this.central = opts.centralCity === undefined ? null : new CentralOutbox(db, opts.centralCity);
    const record = this.catalogue?.record ?? null;
    this.schools = new SqliteSchools(db, record);
    this.users = new SqliteUsers(db, record);
    this.courses = new SqliteCourses(db, hot, record);
    this.enrollments = new SqliteEnrollments(db, hot, record);
    this.classes = new SqliteClasses(db, record, this.central);
    this.live = new SqliteLiveStore(db, record, this.central);
  }

  transaction<T>(fn: () => T): T {
    // IMMEDIATE: take the write lock up front, so read-then-write is safe with other processes.
    return this.db.inTransaction ? this.db.transaction(fn)() : this.db.transaction(fn).immediate();
  }

  write<T>(fn: () => T): Promise<T> {
    if (!this.open) return Promise.reject(new Error("store is closed"));
    return this.groupCommit.write(fn);
  }

  writeNow<T>(fn: () => T): Promise<T> {
    if (!this.open) return Promise.reject(new Error("store is closed"));
    return this.groupCommit.writeNow(fn);
  }

  isOpen(): boolean {
    return this.open;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.groupCommit.flush();
    this.checkpointer?.close();
    // Fold the WAL back into the main file so a copied data folder is complete.
    this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    this.db.close();
  }
}

interface SchoolRow {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

const toSchool = (r: SchoolRow): School => ({ id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at });

class SqliteSchools implements SchoolStore {
  private readonly byId: Prepared<SchoolRow, [string]>;
  private readonly insertStmt: Prepared<unknown, [string, string, number, number]>;
  private readonly updateStmt: Prepared<unknown, [string, number, string]>;
  private readonly listStmt: Prepared<SchoolRow, [string, number]>;

  constructor(
    private readonly db: Database,
    private readonly record: RecordChange | null,
  ) {
    this.byId = new Prepared(db, "SELECT * FROM schools WHERE id = ?");
    this.insertStmt = new Prepared(db, "INSERT INTO schools (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)");
    this.updateStmt = new Prepared(db, "UPDATE schools SET name = ?, updated_at = ? WHERE id = ?");
    this.listStmt = new Prepared(db, "SELECT * FROM schools WHERE id > ? ORDER BY id LIMIT ?");
  }

  get(id: string): School | undefined {
    const r = this.byId.get(id);
    return r ? toSchool(r) : undefined;
  }

  insert(s: School): void {
    replicated(
      this.db,
      this.record,
      () => this.insertStmt.run(s.id, s.name, s.createdAt, s.updatedAt),
      () => ({ kind: "school", key: s.id, row: s }),
    );
  }

  update(s: School): void {
    replicated(
      this.db,
      this.record,
      () => this.updateStmt.run(s.name, s.updatedAt, s.id),
      () => ({ kind: "school", key: s.id, row: s }),
    );
  }

  list(p: PageRequest): Page<School> {
    return page(this.listStmt.all(p.after ?? "", p.limit + 1), p.limit, toSchool);
  }
}

class SqliteUsers implements UserStore {
  private readonly byId: Prepared<UserRow, [string]>;
  private readonly upsertStmt: Prepared<unknown, [string, string, string, number, string]>;

  constructor(
    private readonly db: Database,
    private readonly record: RecordChange | null,
  ) {
    this.byId = new Prepared(db, "SELECT * FROM users WHERE id = ?");
    // No change (and nothing to replicate) when the name is the same; role and school stay as first recorded.
    this.upsertStmt = new Prepared(
      db,
      "INSERT INTO users (id, name, role, created_at, school_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name " +
        "= excluded.name WHERE name <> excluded.name",
    );
  }

  get(id: string): User | undefined {
    const r = this.byId.get(id);
    return r ? toUser(r) : undefined;
  }

  upsert(u: User): void {
    let changed = 0;
    replicated(
      this.db,
      this.record,
      () => (changed = this.upsertStmt.run(u.id, u.name, u.role, u.createdAt, u.schoolId).changes),
      () => (changed > 0 ? { kind: "user", key: u.id, row: this.get(u.id)! } : null),
    );
  }

  getMany(ids: readonly string[]): Map<string, User> {
    const out = new Map<string, User>();
    if (ids.length <= 8) {
      for (const id of ids) {
        const r = this.byId.get(id);
        if (r) out.set(id, toUser(r));
      }
      return out;
    }
    // json_each keeps one prepared statement for any number of ids.
    const rows = this.db.query<UserRow, [string]>("SELECT u.* FROM users u JOIN json_each(?) j ON u.id = j.value").all(JSON.stringify(ids));
    for (const r of rows) out.set(r.id, toUser(r));
    return out;
  }
}

class SqliteCourses implements CourseStore {
  private readonly byId: Prepared<CourseRow, [string]>;
  private readonly insertStmt: Prepared<unknown, [string, string, string, string, number, string, number, number, string]>;
  private readonly updateStmt: Prepared<unknown, [string, string, string, number, number, string]>;

  constructor(
    private readonly db: Database,
    private readonly hot: HotRows,
    private readonly record: RecordChange | null,
  ) {
    this.byId = new Prepared(db, "SELECT * FROM courses WHERE id = ?");
    this.insertStmt = new Prepared(
      db,
      "INSERT INTO courses (id, title, description, status, capacity, teacher_id, created_at, updated_at, school_id) VALUES " +
        "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.updateStmt = new Prepared(
      db,
      "UPDATE courses SET title = ?, description = ?, status = ?, capacity = ?, updated_at = ? WHERE id = ?",
    );
  }

  get(id: string): Course | undefined {
    const cached = this.hot.courses.get(id);
    if (cached !== undefined) return cached;
    const r = this.byId.get(id);
    return r ? this.hot.remember(this.hot.courses, id, Object.freeze(toCourse(r))) : undefined;
  }

  insert(c: Course): void {
    this.hot.courses.delete(c.id);
    replicated(
      this.db,
      this.record,
      () => this.insertStmt.run(c.id, c.title, c.description, c.status, c.capacity, c.teacherId, c.createdAt, c.updatedAt, c.schoolId),
      () => ({ kind: "course", key: c.id, row: c }),
    );
  }

  update(c: Course): void {
    this.hot.courses.delete(c.id);
    replicated(
      this.db,
      this.record,
      () => this.updateStmt.run(c.title, c.description, c.status, c.capacity, c.updatedAt, c.id),
      () => ({ kind: "course", key: c.id, row: c }),
    );
  }

  list(filter: CourseFilter, p: PageRequest): Page<Course> {
    const where: string[] = ["c.id > ?"];
    const args: (string | number)[] = [p.after ?? ""];
    let from = "courses c";
    if (filter.studentId !== undefined) {
      from = "courses c JOIN enrollments e ON e.course_id = c.id AND e.student_id = ?";
      args.unshift(filter.studentId);
    }
    if (filter.status !== undefined) {
      where.push("c.status = ?");
      args.push(filter.status);
    }
    if (filter.teacherId !== undefined) {
      where.push("c.teacher_id = ?");
      args.push(filter.teacherId);
    }
    if (filter.schoolId !== undefined) {
      where.push("c.school_id = ?");
      args.push(filter.schoolId);
    }
    args.push(p.limit + 1);
    const rows = this.db
      .query<CourseRow, (string | number)[]>(`SELECT c.* FROM ${from} WHERE ${where.join(" AND ")} ORDER BY c.id LIMIT ?`)
      .all(...args);
    return page(rows, p.limit, toCourse);
  }
}

type NewStudent = { id: string; name: string };

class SqliteEnrollments implements EnrollmentStore {
  private readonly insertUser: Prepared<unknown, [string, string, number, string]>;
  private readonly insertStmt: Prepared<unknown, [string, string, number]>;
  private readonly deleteStmt: Prepared<unknown, [string, string]>;
  private readonly existsStmt: Prepared<{ one: number }, [string, string]>;
  private readonly countStmt: Prepared<{ n: number }, [string]>;
  private readonly listStmt: Prepared<{ id: string; name: string; created_at: number }, [string, string, number]>;
  private readonly userById: Prepared<UserRow, [string]>;
  private readonly addAll: (courseId: string, students: readonly NewStudent[], now: number, admit?: (user: User) => boolean) => number;
  private readonly addAllAtomically: typeof this.addAll;

  constructor(
    private readonly db: Database,
    private readonly hot: HotRows,
    private readonly record: RecordChange | null,
  ) {
    // A student first named by an enrolment joins the course's school.
    this.insertUser = new Prepared(
      db,
      "INSERT INTO users (id, name, role, created_at, school_id) SELECT ?, ?, 'student', ?, school_id FROM courses WHERE id " +
        "= ? ON CONFLICT (id) DO NOTHING",
    );
    this.insertStmt = new Prepared(
      db,
      "INSERT INTO enrollments (course_id, student_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    );
    this.deleteStmt = new Prepared(db, "DELETE FROM enrollments WHERE course_id = ? AND student_id = ?");
    this.existsStmt = new Prepared(db, "SELECT 1 AS one FROM enrollments WHERE course_id = ? AND student_id = ?");
    this.countStmt = new Prepared(db, "SELECT count(*) AS n FROM enrollments WHERE course_id = ?");
    this.listStmt = new Prepared(
      db,
      "SELECT e.student_id AS id, u.name AS name, e.created_at FROM enrollments e JOIN users u ON u.id = e.student_id WHERE " +
        "e.course_id = ? AND e.student_id > ? ORDER BY e.student_id LIMIT ?",
    );
    this.userById = new Prepared(db, "SELECT * FROM users WHERE id = ?");
    // A user is read only when the insert finds one (a new student costs no read: issue 19, writes).
    this.addAll = (courseId, students, now, admit) => {
      let added = 0;
      const refused: string[] = [];
      for (const s of students) {
        let name = s.name;
        if (this.insertUser.run(s.id, s.name, now, courseId).changes === 0) {
          const row = this.userById.get(s.id);
          if (row !== null) {
            if (admit !== undefined && !admit(toUser(row))) refused.push(s.id);
            name = row.name;
          }
        }
        if (refused.length > 0) continue;
        const isNew = this.insertStmt.run(courseId, s.id, now).changes > 0;
        if (isNew)
          this.record?.({
            kind: "enrollment",
            key: enrollmentKey(courseId, s.id),
            row: { courseId, studentId: s.id, name, enrolledAt: now },
          });
        added += isNew ? 1 : 0;
      }
      if (refused.length > 0) throw new StudentsRefused(refused); // the transaction (or the write's savepoint) undoes the rest
      return added;
    };
    // Built once: bun's db.transaction() creates wrapper functions on each call.
    this.addAllAtomically = db.transaction(this.addAll);
  }

  add(courseId: string, students: readonly NewStudent[], now: number, admit?: (user: User) => boolean): number {
    this.hot.enrollmentCounts.delete(courseId);
    // Inside a transaction (the group commit runs each write in a savepoint) no second savepoint is needed.
    return this.db.inTransaction ? this.addAll(courseId, students, now, admit) : this.addAllAtomically(courseId, students, now, admit);
  }

  remove(courseId: string, studentId: string): boolean {
    this.hot.enrollmentCounts.delete(courseId);
    let removed = false;
    replicated(
      this.db,
      this.record,
      () => (removed = this.deleteStmt.run(courseId, studentId).changes > 0),
      () => (removed ? { kind: "enrollment", key: enrollmentKey(courseId, studentId), row: null } : null),
    );
    return removed;
  }

  isEnrolled(courseId: string, studentId: string): boolean {
    return this.existsStmt.get(courseId, studentId) !== null;
  }

  count(courseId: string): number {
    const cached = this.hot.enrollmentCounts.get(courseId);
    if (cached !== undefined) return cached;
    return this.hot.remember(this.hot.enrollmentCounts, courseId, this.countStmt.get(courseId)?.n ?? 0);
  }

  list(courseId: string, p: PageRequest): Page<{ studentId: string; name: string; enrolledAt: number }> {
    const rows = this.listStmt.all(courseId, p.after ?? "", p.limit + 1);
    return page(rows, p.limit, (r) => ({ studentId: r.id, name: r.name, enrolledAt: r.created_at }));
  }
}

class SqliteClasses implements ClassStore {
  private readonly byId: Prepared<ClassRow, [string]>;
  private readonly insertStmt: Prepared<
    unknown,
    [string, string, string, number, number, string, number, number | null, number | null, string]
  >;
  private readonly updateStmt: Prepared<unknown, [string, number, number, string, number | null, number | null, string]>;
  private readonly byCourse: Prepared<ClassRow, [string, string, number]>;

  constructor(
    private readonly db: Database,
    private readonly record: RecordChange | null,
    private readonly central: ClassRecordSink | null = null,
  ) {
    this.byId = new Prepared(db, "SELECT * FROM classes WHERE id = ?");
    this.insertStmt = new Prepared(
      db,
      "INSERT INTO classes (id, course_id, title, starts_at, duration_minutes, status, created_at, started_at, ended_at, " +
        "school_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.updateStmt = new Prepared(
      db,
      "UPDATE classes SET title = ?, starts_at = ?, duration_minutes = ?, status = ?, started_at = ?, ended_at = ? WHERE id = ?",
    );
    this.byCourse = new Prepared(db, "SELECT * FROM classes WHERE course_id = ? AND id > ? ORDER BY id LIMIT ?");
  }

  get(id: string): ClassSession | undefined {
    const r = this.byId.get(id);
    return r ? toClass(r) : undefined;
  }

  insert(c: ClassSession): void {
    replicated(
      this.db,
      this.record,
      () =>
        this.insertStmt.run(
          c.id,
          c.courseId,
          c.title,
          c.startsAt,
          c.durationMinutes,
          c.status,
          c.createdAt,
          c.startedAt,
          c.endedAt,
          c.schoolId,
        ),
      () => ({ kind: "class", key: c.id, row: c }),
    );
  }

  update(c: ClassSession): void {
    const write = () =>
      replicated(
        this.db,
        this.record,
        () => this.updateStmt.run(c.title, c.startsAt, c.durationMinutes, c.status, c.startedAt, c.endedAt, c.id),
        () => ({ kind: "class", key: c.id, row: c }),
      );
    if (this.central === null) return write();
    // The class summary for the centre commits with the class's end.
    this.db.transaction(() => {
      write();
      this.central?.classChanged(c);
    })();
  }

  listByCourse(courseId: string, p: PageRequest): Page<ClassSession> {
    return page(this.byCourse.all(courseId, p.after ?? "", p.limit + 1), p.limit, toClass);
  }
}
