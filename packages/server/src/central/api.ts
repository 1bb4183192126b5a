// GET /api/central/...: the centre's view of every city (platform admins; a school's admin sees their school). Classes, results
// and attendance, filterable by school, city, course, class and date. Errors are RFC 9457 problems.
import * as v from "valibot";
import type { TokenVerifier } from "../auth/tokens.ts";
import type { Principal } from "../domain/model.ts";
import { AppError } from "../domain/errors.ts";
import { json, problemResponse } from "../http/problem.ts";
import type { Logger } from "../obs/logger.ts";
import type { CentralStore } from "./pg-store.ts";
import { SCHOOL_ID_PATTERN } from "../domain/schools.ts";
import { CITY_NAME } from "./subjects.ts";

const Instant = v.pipe(
  v.string(),
  v.isoTimestamp("expected an RFC 3339 date-time, e.g. 2026-12-04T10:00:00Z"),
  v.transform((s) => Date.parse(s)),
);
const Filters = v.strictObject({
  school: v.optional(v.pipe(v.string(), v.regex(SCHOOL_ID_PATTERN, "expected a school id"))),
  city: v.optional(v.pipe(v.string(), v.regex(CITY_NAME, "expected a city name"))),
  courseId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
  classId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
  from: v.optional(Instant),
  to: v.optional(Instant),
  limit: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,4}$/, "expected 1..1000"), v.transform(Number), v.minValue(1), v.maxValue(1000)),
    "100",
  ),
});
type Filters = v.InferOutput<typeof Filters>;

/** WHERE clause over a class-summary alias `c` and the row's own time column; params numbered from 1. */
function where(f: Filters, row: string, rowCity: string, rowClass: string, time: string): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (cond: (n: string) => string, value: unknown) => {
    params.push(value);
    parts.push(cond(`$${params.length}`));
  };
  if (f.school !== undefined) add((n) => `${row}.school_id = ${n}`, f.school);
  if (f.city !== undefined) add((n) => `${rowCity} = ${n}`, f.city);
  if (f.classId !== undefined) add((n) => `${rowClass} = ${n}`, f.classId);
  if (f.courseId !== undefined) add((n) => `c.course_id = ${n}`, f.courseId);
  if (f.from !== undefined) add((n) => `${time} >= ${n}`, f.from);
  if (f.to !== undefined) add((n) => `${time} < ${n}`, f.to);
  return { sql: parts.length === 0 ? "" : `WHERE ${parts.join(" AND ")}`, params };
}

const QUERIES: Record<string, (f: Filters) => { sql: string; params: unknown[] }> = {
  classes: (f) => {
    const w = where(f, "c", "c.city", "c.class_id", "coalesce(c.ended_at, c.started_at, 0)");
    return {
      sql:
        `SELECT c.city, c.school_id AS "schoolId", c.class_id AS "classId", c.course_id AS "courseId", c.title, c.status, ` +
        `c.started_at AS "startedAt", c.ended_at AS "endedAt", c.attendees, c.questions, c.answers, c.correct FROM ` +
        `central_classes c ${w.sql} ORDER BY c.ended_at DESC NULLS LAST, c.id LIMIT ${f.limit}`,
      params: w.params,
    };
  },
  results: (f) => {
    const w = where(f, "a", "a.city", "a.class_id", "a.answered_at");
    return {
      sql:
        `SELECT a.city, a.school_id AS "schoolId", a.class_id AS "classId", c.course_id AS "courseId", a.user_id AS ` +
        `"userId", count(*)::int AS answers, sum(a.correct::int)::int AS correct, sum(a.points)::int AS points ` +
        `FROM central_answers a LEFT JOIN central_classes c ON c.city = a.city AND c.class_id = a.class_id ${w.sql} GROUP ` +
        `BY a.city, a.school_id, a.class_id, c.course_id, a.user_id ORDER BY a.city, a.class_id, a.user_id LIMIT ${f.limit}`,
      params: w.params,
    };
  },
  attendance: (f) => {
    const w = where(f, "t", "t.city", "t.class_id", "t.joined_at");
    return {
      sql:
        `SELECT t.city, t.school_id AS "schoolId", t.class_id AS "classId", c.course_id AS "courseId", t.user_id AS ` +
        `"userId", t.role, t.joined_at AS "joinedAt", t.left_at AS "leftAt" ` +
        `FROM central_attendance t LEFT JOIN central_classes c ON c.city = t.city AND c.class_id = t.class_id ${w.sql} ` +
        `ORDER BY t.city, t.class_id, t.joined_at, t.user_id LIMIT ${f.limit}`,
      params: w.params,
    };
  },
};

/** The caller, when a platform admin; otherwise the error to answer with. */
export async function requireAdmin(req: Request, verifier: TokenVerifier | null): Promise<Principal> {
  if (verifier === null)
    throw new AppError("unavailable", "token verification is not configured (JWT_SECRET, JWT_JWKS_FILE or JWT_JWKS_URL)");
  const token = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
  if (token === undefined) throw new AppError("unauthorized", "send Authorization: Bearer <token>");
  const principal = await verifier.verify(token);
  if (principal.role !== "admin") throw new AppError("forbidden", "the centre is for platform admins");
  return principal;
}

/** Who may read the centre's views: the platform admin (every school: null) or a school's admin (that school). */
async function readerScope(req: Request, verifier: TokenVerifier | null): Promise<string | null> {
  if (verifier === null)
    throw new AppError("unavailable", "token verification is not configured (JWT_SECRET, JWT_JWKS_FILE or JWT_JWKS_URL)");
  const token = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
  if (token === undefined) throw new AppError("unauthorized", "send Authorization: Bearer <token>");
  const principal = await verifier.verify(token);
  if (principal.role === "admin") return null;
  if (principal.role === "school-admin") return principal.school;
  throw new AppError("forbidden", "the centre's views are for platform and school admins");
}

/** `logger`: where an unexpected failure is told (the caller gets a bare 500 problem). */
export function centralApi(store: CentralStore, verifier: TokenVerifier | null, logger?: Logger): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    try {
      const view = /^\/api\/central\/(classes|results|attendance)$/.exec(url.pathname)?.[1];
      if (view === undefined)
        throw new AppError("not-found", `no such view: ${url.pathname} (classes, results, attendance, catalogue/...)`);
      if (req.method !== "GET") throw new AppError("method-not-allowed", "only GET");
      const scope = await readerScope(req, verifier);
      const parsed = v.safeParse(Filters, Object.fromEntries(url.searchParams));
      if (!parsed.success) {
        const issues = parsed.issues.map((i) => ({ path: v.getDotPath(i) ?? "(query)", message: i.message }));
        throw new AppError("validation", issues.map((i) => `${i.path}: ${i.message}`).join("; "), { issues });
      }
      const filters = parsed.output;
      if (scope !== null) {
        // A school admin sees their school's records; another school's answer as if there were none.
        if (filters.school !== undefined && filters.school !== scope) return json({ items: [] });
        filters.school = scope;
      }
      const q = QUERIES[view](filters);
      const items = (await store.sql.unsafe(q.sql, q.params)) as Record<string, unknown>[];
      // bigint columns come back as strings: times are milliseconds, numbers in JSON.
      for (const it of items)
        for (const k of ["startedAt", "endedAt", "joinedAt", "leftAt"]) if (typeof it[k] === "string") it[k] = Number(it[k]);
      return json({ items });
    } catch (e) {
      if (!(e instanceof AppError))
        logger?.error({ err: (e as Error)?.message ?? String(e), path: url.pathname, method: req.method }, "central api failed");
      const err = e instanceof AppError ? e : new AppError("internal", "the centre could not answer");
      return problemResponse(err, url.pathname);
    }
  };
}
