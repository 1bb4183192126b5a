// REST routes for schools: the platform admin's create, list and rename; a school's own users read it.
import * as v from "valibot";
import type { School } from "../../domain/model.ts";
import type { SchoolsService } from "../../services/schools-service.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { pageBody, pageQuery, pageRequest } from "../paging.ts";
import { json } from "../problem.ts";
import { iso } from "../views.ts";
import { id, text } from "../validate.ts";

const name = text(200);
const NewSchoolBody = v.strictObject({ id, name });
const SchoolPatchBody = v.strictObject({ name });
const IdParams = v.strictObject({ id });
const PageOnlyQuery = v.strictObject(pageQuery);
const schoolView = (s: School) => ({ ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) });

export function schoolRoutes(svc: SchoolsService, maxBody: number): RouteDef[] {
  const anyone = ["student", "teacher", "school-admin", "admin"] as const;
  return [
    route({
      method: "GET",
      path: "/api/schools",
      auth: ["admin"],
      schema: { query: PageOnlyQuery },
      handle({ query, principal }) {
        const page = pageBody(svc.list(principal, pageRequest(query)));
        return json({ items: page.items.map(schoolView), nextCursor: page.nextCursor });
      },
    }),
    route({
      method: "POST",
      path: "/api/schools",
      auth: ["admin"],
      schema: { body: NewSchoolBody },
      bodyLimit: maxBody,
      async handle({ body, principal }) {
        const school = svc.create(principal, body);
        return json(schoolView(school), 201, { location: `/api/schools/${school.id}` });
      },
    }),
    route({
      method: "GET",
      path: "/api/schools/:id",
      auth: anyone,
      schema: { params: IdParams },
      handle: ({ params, principal }) => json(schoolView(svc.get(principal, params.id))),
    }),
    route({
      method: "PATCH",
      path: "/api/schools/:id",
      auth: ["admin"],
      schema: { params: IdParams, body: SchoolPatchBody },
      bodyLimit: maxBody,
      async handle({ params, body, principal }) {
        const { id: schoolId } = params;
        return json(schoolView(svc.rename(principal, schoolId, body)));
      },
    }),
  ];
}
