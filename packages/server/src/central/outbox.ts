// The city's outbox of class records, in SQLite. A record is written in the same transaction
// as the local row it describes, so nothing is lost between SQLite and NATS: it leaves the
// outbox only after JetStream acknowledged it. Versions grow at the city (stored, so a
// restart or a clock set back cannot reuse one).
import type { Database, Statement } from "bun:sqlite";
import type { ClassSession } from "../domain/model.ts";
import { recordId, type ClassRecord, type RecordKind, type RecordOf } from "./records.ts";

/** What the store calls after writing a class record's row, inside the write's transaction. */
export interface ClassRecordSink {
  attendance(classId: string, userId: string): void;
  attendanceOfClass(classId: string): void;
  answer(questionId: string, userId: string): void;
  classChanged(c: ClassSession): void;
}

export interface OutboxEntry {
  seq: number;
  record: ClassRecord;
}

type Row = Record<string, string | number | null>;

/** A record carries its class's school (the centre filters and scopes by it). */
const SCHOOL = "coalesce((SELECT c.school_id FROM classes c WHERE c.id = t.class_id), 'default') AS school_id";

export class CentralOutbox implements ClassRecordSink {
  /** Told after each record is queued (the write's transaction may still be open). */
  onRecorded: () => void = () => {};
  /** Records queued by this process (the demo and tests compare it with the centre's count). */
  queued = 0;
  private last: number;
  private readonly s: Record<string, Statement<Row, (string | number)[]>>;

  constructor(
    private readonly db: Database,
    readonly city: string,
  ) {
    const q = (sql: string) => db.query<Row, (string | number)[]>(sql);
    this.s = {
      queue: q("INSERT INTO central_outbox (rev, record) VALUES (?, ?)"),
      pending: q("SELECT seq, record FROM central_outbox ORDER BY seq LIMIT ?"),
      drop: q("DELETE FROM central_outbox WHERE seq <= ?"),
      size: q("SELECT count(*) AS n, coalesce(min(seq), 0) AS oldest FROM central_outbox"),
      lastRev: q(
        "SELECT max(coalesce((SELECT max(rev) FROM central_outbox), 0), coalesce((SELECT CAST(value AS INTEGER) FROM " +
          "central_meta WHERE name = 'rev'), 0)) AS rev",
      ),
      saveRev: q(
        "INSERT INTO central_meta (name, value) VALUES ('rev', ?) ON CONFLICT (name) DO UPDATE SET value = max(CAST(value " +
          "AS INTEGER), CAST(excluded.value AS INTEGER))",
      ),
      att: q(
        `SELECT class_id, user_id, role, joined_at, left_at, ${SCHOOL} FROM attendance t WHERE class_id = ? AND user_id = ? ` +
          `ORDER BY joined_at DESC LIMIT 1`,
      ),
      attOpenOrAll: q(`SELECT class_id, user_id, role, joined_at, left_at, ${SCHOOL} FROM attendance t WHERE class_id = ?`),
      answer: q(
        `SELECT a.*, l.class_id, ${SCHOOL.replace("t.class_id", "l.class_id")} FROM answers a JOIN launched_questions l ON ` +
          `l.id = a.question_id WHERE a.question_id = ? AND a.user_id = ?`,
      ),
      summary: q(
        "SELECT (SELECT count(DISTINCT user_id) FROM attendance WHERE class_id = ?1 AND role = 'student') AS attendees, " +
          "(SELECT count(*) FROM launched_questions WHERE class_id = ?1) AS questions, " +
          "(SELECT count(*) FROM answers a JOIN launched_questions l ON l.id = a.question_id WHERE l.class_id = ?1) AS answers, " +
          "(SELECT count(*) FROM answers a JOIN launched_questions l ON l.id = a.question_id WHERE l.class_id = ?1 AND " +
          "a.correct = 1) AS correct",
      ),
    };
    this.last = Number(this.s.lastRev.get()?.rev ?? 0);
  }

  attendance(classId: string, userId: string): void {
    const r = this.s.att.get(classId, userId);
    if (r) this.queueAttendance(r);
  }

  attendanceOfClass(classId: string): void {
    for (const r of this.s.attOpenOrAll.all(classId)) this.queueAttendance(r);
  }

  answer(questionId: string, userId: string): void {
    const r = this.s.answer.get(questionId, userId);
    if (!r) return;
    this.queue("answer", `${questionId}/${userId}`, {
      classId: String(r.class_id),
      questionId,
      userId,
      answerId: String(r.answer_id),
      response: JSON.parse(String(r.response)) as unknown,
      correct: r.correct === 1,
      points: Number(r.points),
      answeredAt: Number(r.answered_at),
      schoolId: String(r.school_id),
    });
  }

  /** A class summary goes out when the class ends (or is cancelled): its final figures. */
  classChanged(c: ClassSession): void {
    if (c.status !== "ended" && c.status !== "cancelled") return;
    const f = this.s.summary.get(c.id) as { attendees: number; questions: number; answers: number; correct: number };
    this.queue("class", c.id, {
      classId: c.id,
      courseId: c.courseId,
      title: c.title,
      status: c.status,
      startedAt: c.startedAt,
      endedAt: c.endedAt,
      ...f,
      schoolId: c.schoolId,
    });
  }

  private queueAttendance(r: Row): void {
    const row = {
      classId: String(r.class_id),
      userId: String(r.user_id),
      role: String(r.role) as "student",
      joinedAt: Number(r.joined_at),
      leftAt: r.left_at === null ? null : Number(r.left_at),
      schoolId: String(r.school_id),
    };
    this.queue("attendance", `${row.classId}/${row.userId}/${row.joinedAt}`, row);
  }

  private queue<K extends RecordKind>(kind: K, key: string, row: RecordOf<K>["row"]): void {
    this.last = Math.max(Date.now(), this.last + 1);
    const record = { id: recordId(this.city, kind, key), city: this.city, kind, rev: this.last, row } as ClassRecord;
    this.s.queue.run(this.last, JSON.stringify(record));
    this.queued++;
    this.onRecorded();
  }

  /** Records not yet acknowledged by JetStream, oldest first. */
  pending(limit: number): OutboxEntry[] {
    return this.s.pending.all(limit).map((r) => ({ seq: Number(r.seq), record: JSON.parse(String(r.record)) as ClassRecord }));
  }

  /** JetStream has every record up to seq (the newest rev is kept for after the outbox empties). */
  sent(seq: number): void {
    this.db.transaction(() => {
      this.s.saveRev.run(this.last);
      this.s.drop.run(seq);
    })();
  }

  size(): number {
    return Number(this.s.size.get()?.n ?? 0);
  }
}
