// REST routes for courses, enrolments and class schedules.
import * as v from "valibot";
import { COURSE_STATUSES, type Course } from "../../domain/model.ts";
import { isRealDateTime } from "../../domain/time.ts";
import { classView, courseView, iso } from "../views.ts";
import type { CoursesService } from "../../services/courses-service.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { pageBody, pageQuery, pageRequest } from "../paging.ts";
import { json } from "../problem.ts";
import { id, text } from "../validate.ts";

const title = text(200);
const description = v.pipe(v.string(), v.maxLength(5000, "must be at most 5000 characters"));
const capacity = v.pipe(v.number(), v.integer("must be an integer"), v.minValue(1), v.maxValue(100_000));
const status = v.picklist(COURSE_STATUSES, `must be one of ${COURSE_STATUSES.join(", ")}`);
/** RFC 3339 date-time with an offset, e.g. 2026-11-26T15:00:00Z. */
const instant = v.pipe(
  v.string(),
  v.regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/,
    "must be an RFC 3339 date-time such as 2026-11-26T15:00:00Z",
  ),
  v.check(isRealDateTime, "is not a real date and time (day, month, hour, minute or offset out of range)"),
  v.transform((s) => Date.parse(s)),
  v.check((n) => Number.isFinite(n), "is not a real date"),
);
const duration = v.pipe(v.number(), v.integer("must be an integer"), v.minValue(5), v.maxValue(600));

const NewCourseBody = v.strictObject({
  title,
  description: v.optional(description),
  status: v.optional(status),
  capacity: v.optional(capacity),
  teacherId: v.optional(id),
});
const CoursePatchBody = v.pipe(
  v.strictObject({
    title: v.optional(title),
    description: v.optional(description),
    status: v.optional(status),
    capacity: v.optional(capacity),
  }),
  v.check((b) => Object.keys(b).length > 0, "send at least one field to change"),
);
const EnrollBody = v.strictObject({
  studentIds: v.pipe(v.array(id), v.minLength(1, "list at least one student"), v.maxLength(1000, "at most 1000 students per request")),
});
const ListCoursesQuery = v.strictObject({ ...pageQuery, status: v.optional(status), teacherId: v.optional(id), schoolId: v.optional(id) });
const PageOnlyQuery = v.strictObject(pageQuery);
const NewClassBody = v.strictObject({ title: v.optional(title), startsAt: instant, durationMinutes: duration });
const ClassPatchBody = v.pipe(
  v.strictObject({ title: v.optional(title), startsAt: v.optional(instant), durationMinutes: v.optional(duration) }),
  v.check((b) => Object.keys(b).length > 0, "send at least one field to change"),
);
const IdParams = v.strictObject({ id });
const EnrollmentParams = v.strictObject({ id, studentId: id });

export function courseRoutes(svc: CoursesService, maxBody: number): RouteDef[] {
  const courseBodies = new WeakMap<Course, { enrolled: number; body: string }>();
  const anyone = ["student", "teacher", "school-admin", "admin"] as const;
  const staff = ["teacher", "school-admin", "admin"] as const;
  return [
    route({
      method: "POST",
      path: "/api/courses",
      auth: staff,
      schema: { body: NewCourseBody },
      bodyLimit: maxBody,
      async handle({ body, principal }) {
        const course = await svc.createCourse(principal, body);
        return json(courseView(course), 201, { location: `/api/courses/${course.id}` });
      },
    }),
    route({
      method: "GET",
      path: "/api/courses",
      auth: anyone,
      schema: { query: ListCoursesQuery },
      handle({ query, principal }) {
        const page = pageBody(
          svc.listCourses(principal, { status: query.status, teacherId: query.teacherId, schoolId: query.schoolId }, pageRequest(query)),
        );
        return json({ items: page.items.map(courseView), nextCursor: page.nextCursor });
      },
    }),
    route({
      method: "GET",
      path: "/api/courses/:id",
      auth: anyone,
      schema: { params: IdParams },
      handle({ params, principal }) {
        const { course, enrolled } = svc.getCourse(principal, params.id);
        // The hottest read: reuse the serialised body while the stored course and its count are unchanged.
        let cached = courseBodies.get(course);
        if (cached === undefined || cached.enrolled !== enrolled) {
          cached = { enrolled, body: JSON.stringify(courseView({ ...course, enrolled })) };
          courseBodies.set(course, cached);
        }
        return new Response(cached.body, { headers: { "content-type": "application/json" } });
      },
    }),
    route({
      method: "PATCH",
      path: "/api/courses/:id",
      auth: staff,
      schema: { params: IdParams, body: CoursePatchBody },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        return json(courseView(await svc.updateCourse(principal, params.id, body)));
      },
    }),
    route({
      method: "POST",
      path: "/api/courses/:id/archive",
      auth: staff,
      schema: { params: IdParams },
      async handle({ params, principal }) {
        return json(courseView(await svc.archiveCourse(principal, params.id)));
      },
    }),
    route({
      method: "POST",
      path: "/api/courses/:id/enrollments",
      auth: anyone,
      schema: { params: IdParams, body: EnrollBody },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        const result = await svc.enroll(principal, params.id, body.studentIds);
        return json(result, result.enrolled > 0 ? 201 : 200);
      },
    }),
    route({
      method: "GET",
      path: "/api/courses/:id/enrollments",
      auth: staff,
      schema: { params: IdParams, query: PageOnlyQuery },
      handle({ params, query, principal }) {
        const page = pageBody(svc.listEnrollments(principal, params.id, pageRequest(query)));
        return json({ items: page.items.map((e) => ({ ...e, enrolledAt: iso(e.enrolledAt) })), nextCursor: page.nextCursor });
      },
    }),
    route({
      method: "PUT",
      path: "/api/courses/:id/enrollments/:studentId",
      auth: anyone,
      schema: { params: EnrollmentParams },
      async handle({ params, principal }) {
        const result = await svc.enroll(principal, params.id, [params.studentId]);
        return json(result, result.enrolled > 0 ? 201 : 200);
      },
    }),
    route({
      method: "DELETE",
      path: "/api/courses/:id/enrollments/:studentId",
      auth: anyone,
      schema: { params: EnrollmentParams },
      async handle({ params, principal }) {
        return json({ removed: await svc.unenroll(principal, params.id, params.studentId) });
      },
    }),
    route({
      method: "POST",
      path: "/api/courses/:id/classes",
      auth: staff,
      schema: { params: IdParams, body: NewClassBody },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        const cls = await svc.scheduleClass(principal, params.id, body);
        return json(classView(cls), 201, { location: `/api/classes/${cls.id}` });
      },
    }),
    route({
      method: "GET",
      path: "/api/courses/:id/classes",
      auth: anyone,
      schema: { params: IdParams, query: PageOnlyQuery },
      handle({ params, query, principal }) {
        const page = pageBody(svc.listClasses(principal, params.id, pageRequest(query)));
        return json({ items: page.items.map(classView), nextCursor: page.nextCursor });
      },
    }),
    route({
      method: "GET",
      path: "/api/classes/:id",
      auth: anyone,
      schema: { params: IdParams },
      handle({ params, principal }) {
        return json(classView(svc.getClass(principal, params.id)));
      },
    }),
    route({
      method: "PATCH",
      path: "/api/classes/:id",
      auth: staff,
      schema: { params: IdParams, body: ClassPatchBody },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        return json(classView(svc.rescheduleClass(principal, params.id, body)));
      },
    }),
    route({
      method: "POST",
      path: "/api/classes/:id/cancel",
      auth: staff,
      schema: { params: IdParams },
      handle({ params, principal }) {
        return json(classView(svc.cancelClass(principal, params.id)));
      },
    }),
  ];
}
