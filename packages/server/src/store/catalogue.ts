// The catalogue: schools, courses, their classes, enrolments, question banks (and their
// pictures) and the users they name. With several instances each keeps a full copy in its own SQLite; every write
// becomes a change (the whole row, or null when removed) with a version, and every copy
// applies changes newest-wins, so all copies converge whatever order they arrive in.
import type { QuestionDraft } from "@edgeclass/client/protocol";
import type { ClassSession, Course, School, User } from "../domain/model.ts";

interface EnrollmentRow {
  courseId: string;
  studentId: string;
  /** The student's name, so a copy that has not seen the student yet can list them. */
  name: string;
  enrolledAt: number;
}

interface QuestionRow {
  id: string;
  courseId: string;
  draft: QuestionDraft;
  createdAt: number;
  archivedAt: number | null;
  schoolId: string;
}

/**
 * A school's sign-in and LMS settings (auth/records.ts): identity providers, LTI platforms and
 * what they map (courses, links, users), as JSON documents keyed by their table and key.
 */
interface RecordRow {
  tbl: string;
  key: string;
  value: string;
}

/** A question's picture (store/sqlite/images.ts): immutable once uploaded, its bytes as base64 (at most about 1.4 MB). */
interface ImageRow {
  id: string;
  courseId: string;
  schoolId: string;
  type: string;
  data: string;
  createdAt: number;
}

/** Applied in this order when many changes arrive at once (a row before the rows that name it). */
export const CATALOGUE_KINDS = ["school", "user", "course", "class", "enrollment", "question", "record", "image"] as const;
export type CatalogueKind = (typeof CATALOGUE_KINDS)[number];

export type CatalogueRow =
  | { kind: "school"; row: School }
  | { kind: "user"; row: User }
  | { kind: "course"; row: Course }
  | { kind: "class"; row: ClassSession }
  | { kind: "enrollment"; row: EnrollmentRow | null }
  | { kind: "question"; row: QuestionRow }
  | { kind: "record"; row: RecordRow | null }
  | { kind: "image"; row: ImageRow };

export interface Version {
  /** Hybrid clock: milliseconds, bumped past every version this copy has seen. */
  rev: number;
  /** The instance that made the change; breaks ties between equal revs. */
  origin: string;
}

export type CatalogueChange = CatalogueRow & Version & { key: string };

/** True when version a wins over version b. */
export function newer(a: Version, b: Version): boolean {
  return a.rev > b.rev || (a.rev === b.rev && a.origin > b.origin);
}

export const enrollmentKey = (courseId: string, studentId: string) => `${courseId}/${studentId}`;
export const recordKey = (tbl: string, key: string) => `${tbl}/${key}`;
