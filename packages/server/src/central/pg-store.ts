// The centre's system of record in PostgreSQL. Each class record is upserted by id, and only
// when its version is newer than the row's: a redelivery, or a city replaying old records,
// changes nothing (it is counted as stale).
import { SQL } from "bun";
import type { ClassRecord, RecordKind } from "./records.ts";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS central_answers (
    id text PRIMARY KEY, city text NOT NULL, class_id text NOT NULL, question_id text NOT NULL, user_id text NOT NULL,
    answer_id text NOT NULL, response jsonb NOT NULL, correct boolean NOT NULL, points integer NOT NULL, answered_at bigint NOT NULL,
    rev bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS central_answers_class ON central_answers (class_id)`,
  `CREATE TABLE IF NOT EXISTS central_attendance (
    id text PRIMARY KEY, city text NOT NULL, class_id text NOT NULL, user_id text NOT NULL, role text NOT NULL,
    joined_at bigint NOT NULL, left_at bigint, rev bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS central_attendance_class ON central_attendance (class_id)`,
  `CREATE TABLE IF NOT EXISTS central_classes (
    id text PRIMARY KEY, city text NOT NULL, class_id text NOT NULL, course_id text NOT NULL, title text NOT NULL, status text NOT NULL,
    started_at bigint, ended_at bigint, attendees integer NOT NULL, questions integer NOT NULL, answers integer NOT ` +
    `NULL, correct integer NOT NULL,
    rev bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS central_classes_city ON central_classes (city, ended_at)`,
  // The catalogue authored here (central/catalogue-store.ts): the newest version of each row, and
  // the changes not yet in the hub's catalogue stream, written in the same transaction.
  // Schools came after the first cities: their records name the school of their class.
  ...["central_answers", "central_attendance", "central_classes"].map(
    (t) => `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS school_id text NOT NULL DEFAULT 'default'`,
  ),
  `CREATE INDEX IF NOT EXISTS central_classes_school ON central_classes (school_id, ended_at)`,
  `CREATE TABLE IF NOT EXISTS central_catalogue (kind text NOT NULL, key text NOT NULL, row jsonb, rev bigint NOT NULL, ` +
    `origin text NOT NULL, PRIMARY KEY (kind, key))`,
  // Schools came after the first cities: their records name the school of their class.
  ...["central_answers", "central_attendance", "central_classes"].map(
    (t) => `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS school_id text NOT NULL DEFAULT 'default'`,
  ),
  `CREATE INDEX IF NOT EXISTS central_classes_school ON central_classes (school_id, ended_at)`,
  `CREATE TABLE IF NOT EXISTS central_catalogue_outbox (seq bigserial PRIMARY KEY, change jsonb NOT NULL)`,
];

/** Table and columns of each kind; the row's fields in column order. */
const TABLES: Record<RecordKind, { table: string; columns: string[]; values(r: ClassRecord): unknown[] }> = {
  answer: {
    table: "central_answers",
    columns: ["class_id", "question_id", "user_id", "answer_id", "response", "correct", "points", "answered_at", "school_id"],
    values: (r) =>
      r.kind === "answer"
        ? [
            r.row.classId,
            r.row.questionId,
            r.row.userId,
            r.row.answerId,
            JSON.stringify(r.row.response ?? null),
            r.row.correct,
            r.row.points,
            r.row.answeredAt,
            r.row.schoolId,
          ]
        : [],
  },
  attendance: {
    table: "central_attendance",
    columns: ["class_id", "user_id", "role", "joined_at", "left_at", "school_id"],
    values: (r) => (r.kind === "attendance" ? [r.row.classId, r.row.userId, r.row.role, r.row.joinedAt, r.row.leftAt, r.row.schoolId] : []),
  },
  class: {
    table: "central_classes",
    columns: [
      "class_id",
      "course_id",
      "title",
      "status",
      "started_at",
      "ended_at",
      "attendees",
      "questions",
      "answers",
      "correct",
      "school_id",
    ],
    values: (r) =>
      r.kind === "class"
        ? [
            r.row.classId,
            r.row.courseId,
            r.row.title,
            r.row.status,
            r.row.startedAt,
            r.row.endedAt,
            r.row.attendees,
            r.row.questions,
            r.row.answers,
            r.row.correct,
            r.row.schoolId,
          ]
        : [],
  },
};

const UPSERT = Object.fromEntries(
  Object.entries(TABLES).map(([kind, t]) => {
    const cols = ["id", "city", "rev", ...t.columns];
    const params = cols.map((c, i) => (c === "response" ? `$${i + 1}::jsonb` : `$${i + 1}`));
    const set = [...t.columns, "rev"].map((c) => `${c} = excluded.${c}`).join(", ");
    return [
      kind,
      `INSERT INTO ${t.table} (${cols.join(", ")}) VALUES (${params.join(", ")}) ON CONFLICT (id) DO UPDATE SET ${set}, ` +
        `received_at = now() WHERE ${t.table}.rev < excluded.rev RETURNING id`,
    ];
  }),
) as Record<RecordKind, string>;

export interface UpsertResult {
  stored: ClassRecord[];
  /** Not newer than what the centre holds: a redelivery or a replay. */
  stale: ClassRecord[];
}

export class CentralStore {
  readonly sql: SQL;

  constructor(url: string) {
    this.sql = new SQL({ url, max: 4 });
  }

  async migrate(): Promise<void> {
    // One process at a time creates the schema (two central services may start together).
    await this.sql.begin(async (tx) => {
      await tx.unsafe("SELECT pg_advisory_xact_lock(418001)");
      for (const s of SCHEMA) await tx.unsafe(s);
    });
  }

  /** Upserts a batch in one transaction: all of it is in PostgreSQL, or none. */
  async upsert(records: readonly ClassRecord[]): Promise<UpsertResult> {
    const result: UpsertResult = { stored: [], stale: [] };
    if (records.length === 0) return result;
    await this.sql.begin(async (tx) => {
      for (const r of records) {
        const rows = await tx.unsafe(UPSERT[r.kind], [r.id, r.city, r.rev, ...TABLES[r.kind].values(r)]);
        (rows.length > 0 ? result.stored : result.stale).push(r);
      }
    });
    return result;
  }

  /** Rows per city and kind (the demo and the tests compare them with what the cities wrote). */
  async counts(): Promise<{ city: string; kind: RecordKind; n: number }[]> {
    const rows = await this.sql.unsafe(
      Object.entries(TABLES)
        .map(([kind, t]) => `SELECT city, '${kind}' AS kind, count(*)::int AS n FROM ${t.table} GROUP BY city`)
        .join(" UNION ALL "),
    );
    return rows as { city: string; kind: RecordKind; n: number }[];
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
