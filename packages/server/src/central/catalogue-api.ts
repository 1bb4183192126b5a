// /api/central/catalogue/...: the catalogue authored at the centre (platform admins). Each
// write is stored in PostgreSQL with a new version and goes down to every city through the
// hub's catalogue stream. Answers list the changes made, with their versions.
//   PUT    schools/:id                        { name }
//   PUT    users/:id                          { name, role, schoolId? }
//   PUT    courses/:id                        { title, description?, status?, capacity?, teacherId, schoolId? }
//   GET    courses                            the centre's courses, newest change first
//   POST   courses/:id/enrollments            { students: [{ id, name }] }
//   DELETE courses/:id/enrollments/:studentId
//   PUT    questions/:id                      { courseId, draft }   (in its course's school)
// schoolId defaults to the default school; any other must have been authored here first.
//   DELETE questions/:id                      archives it
import * as v from "valibot";
import { QuestionDraftSchema, type QuestionDraft } from "@edgeclass/client/protocol";
import type { TokenVerifier } from "../auth/tokens.ts";
import { AppError } from "../domain/errors.ts";
import { COURSE_STATUSES, DEFAULT_SCHOOL_ID, ROLES } from "../domain/model.ts";
import { json, problemResponse } from "../http/problem.ts";
import { check, id, readJson } from "../http/validate.ts";
import { enrollmentKey, type CatalogueChange, type CatalogueRow } from "../store/catalogue.ts";
import { requireAdmin } from "./api.ts";
import type { Logger } from "../obs/logger.ts";
import type { CentralCatalogue } from "./catalogue-store.ts";

const MAX_BODY = 1024 * 1024;
const Name = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200));
const SchoolBody = v.strictObject({ name: Name });
const schoolId = v.optional(id, DEFAULT_SCHOOL_ID);
const UserBody = v.strictObject({ name: Name, role: v.picklist(ROLES), schoolId });
const CourseBody = v.strictObject({
  title: Name,
  description: v.optional(v.pipe(v.string(), v.maxLength(5000)), ""),
  status: v.optional(v.picklist(COURSE_STATUSES), "active"),
  capacity: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000)), 500),
  teacherId: id,
  schoolId,
});
const EnrolBody = v.strictObject({ students: v.pipe(v.array(v.strictObject({ id, name: Name })), v.minLength(1), v.maxLength(1000)) });
const QuestionBody = v.strictObject({ courseId: id, draft: QuestionDraftSchema });

type Route = { method: string; pattern: RegExp; run(m: string[], req: Request): Promise<Response> };

/** `logger`: where an unexpected failure is told (the caller gets a bare 500 problem). */
export function catalogueApi(
  catalogue: CentralCatalogue,
  verifier: TokenVerifier | null,
  logger?: Logger,
): (req: Request) => Promise<Response> {
  const written = (changes: CatalogueChange[]) => json({ items: changes.map((c) => ({ kind: c.kind, key: c.key, rev: c.rev })) });
  const param = (value: string, what: string) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      throw new AppError("validation", `${what}: not a valid percent-encoding`);
    }
    return check(id, decoded, what);
  };
  const course = async (courseId: string) => {
    const row = await catalogue.get("course", courseId);
    if (row === null) throw new AppError("not-found", `the centre has no course ${courseId}`);
    return row;
  };
  const school = async (schoolId: string) => {
    if (schoolId !== DEFAULT_SCHOOL_ID && (await catalogue.get("school", schoolId)) === null) {
      throw new AppError("validation", `the centre has no school ${schoolId}: PUT /api/central/catalogue/schools/${schoolId} first`, {
        issues: [{ path: "schoolId", message: "unknown school" }],
      });
    }
  };
  const routes: Route[] = [
    {
      method: "PUT",
      pattern: /^schools\/([^/]+)$/,
      async run([raw], req) {
        const schoolId = param(raw, "school id");
        const body = await readJson(req, SchoolBody, MAX_BODY);
        const old = await catalogue.get("school", schoolId);
        const now = Date.now();
        return written(
          await catalogue.put([
            { kind: "school", key: schoolId, row: { id: schoolId, name: body.name, createdAt: old?.createdAt ?? now, updatedAt: now } },
          ]),
        );
      },
    },
    {
      method: "PUT",
      pattern: /^users\/([^/]+)$/,
      async run([raw], req) {
        const userId = param(raw, "user id");
        const body = await readJson(req, UserBody, MAX_BODY);
        await school(body.schoolId);
        const old = await catalogue.get("user", userId);
        return written(
          await catalogue.put([{ kind: "user", key: userId, row: { id: userId, ...body, createdAt: old?.createdAt ?? Date.now() } }]),
        );
      },
    },
    {
      method: "GET",
      pattern: /^courses$/,
      async run() {
        return json({ items: (await catalogue.list("course", 1000)).map((r) => ({ ...(r.row as object), rev: r.rev })) });
      },
    },
    {
      method: "PUT",
      pattern: /^courses\/([^/]+)$/,
      async run([raw], req) {
        const courseId = param(raw, "course id");
        const body = await readJson(req, CourseBody, MAX_BODY);
        await school(body.schoolId);
        const old = await catalogue.get("course", courseId);
        const now = Date.now();
        return written(
          await catalogue.put([
            { kind: "course", key: courseId, row: { id: courseId, ...body, createdAt: old?.createdAt ?? now, updatedAt: now } },
          ]),
        );
      },
    },
    {
      method: "POST",
      pattern: /^courses\/([^/]+)\/enrollments$/,
      async run([raw], req) {
        const courseId = param(raw, "course id");
        const body = await readJson(req, EnrolBody, MAX_BODY);
        await course(courseId);
        const now = Date.now();
        const rows: (CatalogueRow & { key: string })[] = body.students.map((s) => ({
          kind: "enrollment",
          key: enrollmentKey(courseId, s.id),
          row: { courseId, studentId: s.id, name: s.name, enrolledAt: now },
        }));
        return written(await catalogue.put(rows));
      },
    },
    {
      method: "DELETE",
      pattern: /^courses\/([^/]+)\/enrollments\/([^/]+)$/,
      async run([rawCourse, rawStudent]) {
        const courseId = param(rawCourse, "course id");
        const studentId = param(rawStudent, "student id");
        const key = enrollmentKey(courseId, studentId);
        if ((await catalogue.get("enrollment", key)) === null)
          throw new AppError("not-found", `${studentId} is not enrolled in ${courseId} at the centre`);
        return written(await catalogue.put([{ kind: "enrollment", key, row: null }]));
      },
    },
    {
      method: "PUT",
      pattern: /^questions\/([^/]+)$/,
      async run([raw], req) {
        const questionId = param(raw, "question id");
        const body = await readJson(req, QuestionBody, MAX_BODY);
        const c = await course(body.courseId);
        const old = await catalogue.get("question", questionId);
        if (old !== null && old.courseId !== body.courseId)
          throw new AppError("conflict", `question ${questionId} belongs to course ${old.courseId}`);
        const row = {
          id: questionId,
          courseId: body.courseId,
          draft: body.draft as QuestionDraft,
          createdAt: old?.createdAt ?? Date.now(),
          archivedAt: null,
          schoolId: c.schoolId,
        };
        return written(await catalogue.put([{ kind: "question", key: questionId, row }]));
      },
    },
    {
      method: "DELETE",
      pattern: /^questions\/([^/]+)$/,
      async run([raw]) {
        const questionId = param(raw, "question id");
        const old = await catalogue.get("question", questionId);
        if (old === null) throw new AppError("not-found", `the centre has no question ${questionId}`);
        return written(
          await catalogue.put([{ kind: "question", key: questionId, row: { ...old, archivedAt: old.archivedAt ?? Date.now() } }]),
        );
      },
    },
  ];
  return async (req) => {
    const url = new URL(req.url);
    try {
      const rest = url.pathname.slice("/api/central/catalogue/".length);
      const matching = routes.filter((r) => r.pattern.test(rest));
      if (matching.length === 0) throw new AppError("not-found", `no such catalogue resource: ${url.pathname}`);
      const route = matching.find((r) => r.method === req.method);
      if (route === undefined)
        throw new AppError("method-not-allowed", `${url.pathname} takes ${matching.map((r) => r.method).join(", ")}`);
      await requireAdmin(req, verifier);
      return await route.run(route.pattern.exec(rest)!.slice(1), req);
    } catch (e) {
      if (!(e instanceof AppError))
        logger?.error({ err: (e as Error)?.message ?? String(e), path: url.pathname, method: req.method }, "central api failed");
      const err = e instanceof AppError ? e : new AppError("internal", "the centre could not answer");
      return problemResponse(err, url.pathname);
    }
  };
}
