// Class records a city sends to the centre: answers, attendance sessions and class summaries.
// Each has an id that names its city (so cities never collide) and a version (rev) that only
// grows at its city; the centre keeps the newest version of each id.
import * as v from "valibot";
import { DEFAULT_SCHOOL_ID } from "../domain/model.ts";
import { SCHOOL_ID_PATTERN } from "../domain/schools.ts";
import { CITY_NAME } from "./subjects.ts";

const RECORD_KINDS = ["answer", "attendance", "class"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(200));
const Time = v.pipe(v.number(), v.integer(), v.minValue(0));
const Int = v.pipe(v.number(), v.integer(), v.minValue(0));
/** The class's school; a city from before schools sends none: the default school's. */
const School = v.optional(v.pipe(v.string(), v.regex(SCHOOL_ID_PATTERN)), DEFAULT_SCHOOL_ID);

const AnswerRow = v.strictObject({
  classId: Id,
  questionId: Id,
  userId: Id,
  answerId: Id,
  response: v.unknown(),
  correct: v.boolean(),
  points: Int,
  answeredAt: Time,
  schoolId: School,
});
const AttendanceRow = v.strictObject({
  classId: Id,
  userId: Id,
  role: v.picklist(["student", "teacher", "school-admin", "admin"]),
  joinedAt: Time,
  leftAt: v.nullable(Time),
  schoolId: School,
});
const ClassRow = v.strictObject({
  classId: Id,
  courseId: Id,
  title: v.pipe(v.string(), v.maxLength(500)),
  status: v.picklist(["scheduled", "live", "ended", "cancelled"]),
  startedAt: v.nullable(Time),
  endedAt: v.nullable(Time),
  attendees: Int,
  questions: Int,
  answers: Int,
  correct: Int,
  schoolId: School,
});

const base = { id: Id, city: v.pipe(v.string(), v.regex(CITY_NAME)), rev: v.pipe(v.number(), v.integer(), v.minValue(1)) };
const ClassRecordSchema = v.variant("kind", [
  v.strictObject({ ...base, kind: v.literal("answer"), row: AnswerRow }),
  v.strictObject({ ...base, kind: v.literal("attendance"), row: AttendanceRow }),
  v.strictObject({ ...base, kind: v.literal("class"), row: ClassRow }),
]);
export type ClassRecord = v.InferOutput<typeof ClassRecordSchema>;
export type RecordOf<K extends RecordKind> = Extract<ClassRecord, { kind: K }>;

/** The record id: city, kind and the row's own key. */
export const recordId = (city: string, kind: RecordKind, key: string) => `${city}:${kind}:${key}`;

/** Parses a record from the wire; the reason when it is not one, or names another city. */
export function parseRecord(
  data: Uint8Array | string,
  subjectCity: string,
): { ok: true; record: ClassRecord } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const r = v.safeParse(ClassRecordSchema, raw);
  if (!r.success)
    return { ok: false, reason: `invalid record: ${r.issues.map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`).join("; ")}` };
  const rec = r.output;
  if (rec.city !== subjectCity || !rec.id.startsWith(`${subjectCity}:${rec.kind}:`))
    return { ok: false, reason: `record of city ${rec.city} (${rec.id}) on city ${subjectCity}'s subject` };
  return { ok: true, record: rec };
}
