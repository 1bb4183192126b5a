// Quiz sets under their course: /api/courses/:id/quiz-sets[/:setId] (issue 16 build 2).
import type { QuizSetView } from "@edgeclass/client/api";
import * as v from "valibot";
import type { QuizSet } from "../../store/live-types.ts";
import type { QuizSetService } from "../../services/quiz-sets.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";
import { iso } from "../views.ts";
import { id } from "../validate.ts";

const CourseParams = v.strictObject({ id });
const SetParams = v.strictObject({ id, setId: id });
const QuizSetBody = v.strictObject({
  title: v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty"), v.maxLength(200)),
  questionIds: v.pipe(
    v.array(id),
    v.minLength(1, "pick at least one question"),
    v.maxLength(100, "at most 100 questions"),
    v.check((ids) => new Set(ids).size === ids.length, "a question is in the set once"),
  ),
  autoReveal: v.optional(v.boolean()),
  autoLeaderboard: v.optional(v.boolean()),
  timeLimitSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(5), v.maxValue(600))),
});
const view = (s: QuizSet): QuizSetView => ({ ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) });

export function quizSetRoutes(svc: QuizSetService, maxBody: number): RouteDef[] {
  const staff = ["teacher", "school-admin", "admin"] as const;
  return [
    route({
      method: "GET",
      path: "/api/courses/:id/quiz-sets",
      auth: staff,
      schema: { params: CourseParams },
      handle: ({ params, principal }) => json({ items: svc.list(principal, params.id).map(view) }),
    }),
    route({
      method: "POST",
      path: "/api/courses/:id/quiz-sets",
      auth: staff,
      schema: { params: CourseParams, body: QuizSetBody },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        const { id: courseId } = params;
        const set = await svc.create(principal, courseId, body);
        return json(view(set), 201, { location: `/api/courses/${courseId}/quiz-sets/${set.id}` });
      },
    }),
    route({
      method: "GET",
      path: "/api/courses/:id/quiz-sets/:setId",
      auth: staff,
      schema: { params: SetParams },
      handle({ params: p, principal }) {
        const { set, questions } = svc.get(principal, p.id, p.setId);
        return json({ ...view(set), questions: questions.map((q) => ({ id: q.id, ...q.draft })) });
      },
    }),
    route({
      method: "PUT",
      path: "/api/courses/:id/quiz-sets/:setId",
      auth: staff,
      schema: { params: SetParams, body: QuizSetBody },
      bodyLimit: maxBody,
      async handle({ params: p, body, principal }) {
        return json(view(await svc.replace(principal, p.id, p.setId, body)));
      },
    }),
    route({
      method: "DELETE",
      path: "/api/courses/:id/quiz-sets/:setId",
      auth: staff,
      schema: { params: SetParams },
      async handle({ params: p, principal }) {
        await svc.remove(principal, p.id, p.setId);
        return new Response(null, { status: 204 });
      },
    }),
  ];
}
