// Question images (issue 16 build 2) in SQLite: small files (MAX_IMAGE_BYTES), addressed by an
// unguessable id so a plain <img> can load them without the bearer token. With several instances
// each upload is a catalogue change (kind "image"), so every instance's copy serves it.
import type { Database } from "bun:sqlite";
import { Prepared } from "./prepared.ts";
import { replicated, type RecordChange } from "./catalogue-journal.ts";

export interface StoredImage {
  id: string;
  courseId: string;
  schoolId: string;
  type: string;
  bytes: Uint8Array;
  createdAt: number;
}

export class SqliteImages {
  private readonly insertQ: Prepared;
  private readonly getQ: Prepared;
  constructor(
    private readonly db: Database,
    /** The catalogue journal's recorder when replicating; null on one instance. */
    private readonly record: RecordChange | null,
  ) {
    this.insertQ = new Prepared(
      db,
      "INSERT INTO question_images (id, course_id, school_id, type, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.getQ = new Prepared(db, "SELECT id, course_id, school_id, type, bytes, created_at FROM question_images WHERE id = ?");
  }
  insert(i: StoredImage): void {
    replicated(
      this.db,
      this.record,
      () => this.insertQ.run(i.id, i.courseId, i.schoolId, i.type, i.bytes, i.createdAt),
      () => ({
        kind: "image",
        key: i.id,
        row: {
          id: i.id,
          courseId: i.courseId,
          schoolId: i.schoolId,
          type: i.type,
          data: Buffer.from(i.bytes).toString("base64"),
          createdAt: i.createdAt,
        },
      }),
    );
  }
  get(id: string): StoredImage | undefined {
    const r = this.getQ.get(id) as {
      id: string;
      course_id: string;
      school_id: string;
      type: string;
      bytes: Uint8Array;
      created_at: number;
    } | null;
    return r
      ? { id: r.id, courseId: r.course_id, schoolId: r.school_id, type: r.type, bytes: r.bytes, createdAt: r.created_at }
      : undefined;
  }
}
