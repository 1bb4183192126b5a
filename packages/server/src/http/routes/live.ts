// REST routes around live classes: start and end, the question bank, attendance, results.
import type { BankQuestionView, PresenceView } from "@edgeclass/client/api";
import * as v from "valibot";
import { QuestionDraftSchema } from "@edgeclass/client/protocol";
import type { BankQuestion } from "../../store/live-types.ts";
import type { LiveService } from "../../services/live-service.ts";
import { answersCsv, attendanceCsv, knownZone, standingsCsv } from "../../services/exports.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { pageBody, pageQuery, pageRequest } from "../paging.ts";
import { json } from "../problem.ts";
import { classView, iso } from "../views.ts";
import { id } from "../validate.ts";

const IdParams = v.strictObject({ id });
const PageOnlyQuery = v.strictObject(pageQuery);
const format = v.optional(v.picklist(["json", "csv"], "must be json or csv"));
/** The zone a CSV's dates and times are written in (the teacher's; UTC unless told). */
const tz = v.optional(
  v.pipe(
    v.string(),
    v.maxLength(64),
    v.check((z) => knownZone(z) !== null, "must be an IANA time zone, e.g. Asia/Shanghai"),
  ),
);
/** One table per CSV file: the answers, or the final standings. */
const ResultsQuery = v.strictObject({
  format,
  table: v.optional(v.picklist(["answers", "standings"], "must be answers or standings")),
  tz,
});
const AttendanceQuery = v.strictObject({ format, tz });
const csvFile = (body: string, name: string) =>
  new Response(body, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"` } });
const questionView = (q: BankQuestion): BankQuestionView => ({ id: q.id, courseId: q.courseId, ...q.draft, createdAt: iso(q.createdAt) });

export function liveRoutes(svc: LiveService, maxBody: number): RouteDef[] {
  const staff = ["teacher", "school-admin", "admin"] as const;
  return [
    route({
      method: "POST",
      path: "/api/classes/:id/start",
      auth: staff,
      schema: { params: IdParams },
      handle: ({ params, principal }) => json(classView(svc.startClass(principal, params.id))),
    }),
    route({
      method: "POST",
      path: "/api/classes/:id/end",
      auth: staff,
      schema: { params: IdParams },
      handle: async ({ params, principal }) => json(classView(await svc.endClass(principal, params.id))),
    }),
    route({
      method: "GET",
      path: "/api/classes/:id/attendance",
      auth: staff,
      schema: { params: IdParams, query: AttendanceQuery },
      async handle({ params, query: q, principal }) {
        const classId = params.id;
        const { sessions, people } = await svc.attendanceReport(principal, classId);
        if (q.format === "csv") return csvFile(attendanceCsv(people, knownZone(q.tz ?? "UTC")!), `class-${classId}-attendance.csv`);
        return json({
          items: sessions.map((r) => ({ ...r, joinedAt: iso(r.joinedAt), leftAt: iso(r.leftAt) })),
          people: people.map((p): PresenceView => ({ ...p, firstJoinedAt: iso(p.firstJoinedAt), lastLeftAt: iso(p.lastLeftAt) })),
        });
      },
    }),
    route({
      method: "GET",
      path: "/api/classes/:id/results",
      auth: staff,
      schema: { params: IdParams, query: ResultsQuery },
      async handle({ params, query: q, principal }) {
        const results = await svc.results(principal, params.id);
        if (q.format === "csv") {
          const table = q.table ?? "answers";
          const body = table === "answers" ? answersCsv(results, knownZone(q.tz ?? "UTC")!) : standingsCsv(results);
          return csvFile(body, `class-${results.classId}-${table}.csv`);
        }
        return json(results);
      },
    }),
    route({
      method: "POST",
      path: "/api/courses/:id/questions",
      auth: staff,
      schema: { params: IdParams, body: QuestionDraftSchema },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        const { id: courseId } = params;
        const q = await svc.addQuestion(principal, courseId, body);
        return json(questionView(q), 201, { location: `/api/questions/${q.id}` });
      },
    }),
    route({
      method: "GET",
      path: "/api/courses/:id/questions",
      auth: staff,
      schema: { params: IdParams, query: PageOnlyQuery },
      handle({ params, query, principal }) {
        const page = pageBody(svc.listQuestions(principal, params.id, pageRequest(query)));
        return json({ items: page.items.map(questionView), nextCursor: page.nextCursor });
      },
    }),
    route({
      method: "GET",
      path: "/api/questions/:id",
      auth: staff,
      schema: { params: IdParams },
      handle: ({ params, principal }) => json(questionView(svc.getQuestion(principal, params.id))),
    }),
    route({
      method: "PUT",
      path: "/api/questions/:id",
      auth: staff,
      schema: { params: IdParams, body: QuestionDraftSchema },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        const { id } = params;
        return json(questionView(await svc.updateQuestion(principal, id, body)));
      },
    }),
    route({
      method: "DELETE",
      path: "/api/questions/:id",
      auth: staff,
      schema: { params: IdParams },
      async handle({ params, principal }) {
        await svc.archiveQuestion(principal, params.id);
        return new Response(null, { status: 204 });
      },
    }),
  ];
}
