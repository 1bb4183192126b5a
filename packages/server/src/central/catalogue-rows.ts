// The catalogue rows the centre authors and sends down to the cities (schools, users, courses,
// enrolments, question banks), as checked at both ends: the centre checks what an admin sends,
// a city checks what arrives on its mirror before applying it.
import * as v from "valibot";
import { QuestionDraftSchema } from "@edgeclass/client/protocol";
import { COURSE_STATUSES, ROLES } from "../domain/model.ts";
import { id } from "../http/validate.ts";
import { enrollmentKey, recordKey, type CatalogueChange } from "../store/catalogue.ts";

const Time = v.pipe(v.number(), v.integer(), v.minValue(0));
const Name = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200));

const SchoolRow = v.strictObject({ id, name: Name, createdAt: Time, updatedAt: Time });
const UserRow = v.strictObject({ id, name: Name, role: v.picklist(ROLES), createdAt: Time, schoolId: id });
const CourseRow = v.strictObject({
  id,
  title: Name,
  description: v.pipe(v.string(), v.maxLength(5000)),
  status: v.picklist(COURSE_STATUSES),
  capacity: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000)),
  teacherId: id,
  createdAt: Time,
  updatedAt: Time,
  schoolId: id,
});
const EnrollmentRow = v.strictObject({ courseId: id, studentId: id, name: Name, enrolledAt: Time });
const QuestionRow = v.strictObject({
  id,
  courseId: id,
  draft: QuestionDraftSchema,
  createdAt: Time,
  archivedAt: v.nullable(Time),
  schoolId: id,
});

const version = {
  key: v.pipe(v.string(), v.minLength(1), v.maxLength(300)),
  rev: v.pipe(v.number(), v.integer(), v.minValue(1)),
  origin: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
};
const ChangeSchema = v.variant("kind", [
  v.strictObject({ ...version, kind: v.literal("school"), row: SchoolRow }),
  v.strictObject({ ...version, kind: v.literal("user"), row: UserRow }),
  v.strictObject({ ...version, kind: v.literal("course"), row: CourseRow }),
  v.strictObject({ ...version, kind: v.literal("enrollment"), row: v.nullable(EnrollmentRow) }),
  v.strictObject({ ...version, kind: v.literal("question"), row: QuestionRow }),
]);

/** The key a row is filed under (enrolments: course/student). */
function keyOf(c: CatalogueChange): string | null {
  if (c.kind === "enrollment") return c.row === null ? null : enrollmentKey(c.row.courseId, c.row.studentId);
  // sign-in and LMS settings: never from the centre
  if (c.kind === "record") return c.row === null ? null : recordKey(c.row.tbl, c.row.key);
  return c.row.id;
}

/** A change as the centre sent it, or why it is not one (it is then left out, never retried). */
export function parseCentreChange(data: Uint8Array | string): { ok: true; change: CatalogueChange } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const r = v.safeParse(ChangeSchema, raw);
  if (!r.success)
    return { ok: false, reason: `invalid change: ${r.issues.map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`).join("; ")}` };
  const c = r.output as CatalogueChange;
  const key = keyOf(c);
  if (key !== null && key !== c.key) return { ok: false, reason: `key ${c.key} does not name its row (${key})` };
  if (c.kind === "enrollment" && c.row === null && !/^[^/]+\/[^/]+$/.test(c.key))
    return { ok: false, reason: `enrolment key ${c.key} is not course/student` };
  return { ok: true, change: c };
}
