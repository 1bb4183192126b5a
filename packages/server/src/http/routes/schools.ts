// REST routes for schools: the platform admin's create, list and rename; a school's own users read it.
import * as v from "valibot";
import type { School } from "../../domain/model.ts";
import type { SchoolsService } from "../../services/schools-service.ts";
import type { RouteDef } from "../endpoint.ts";
import { pageBody, pageQuery, pageRequest } from "../paging.ts";
import { json } from "../problem.ts";
import { iso } from "../views.ts";
import { check, id, readJson, readQuery } from "../validate.ts";

const name = v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty"), v.maxLength(200, "must be at most 200 characters"));
const NewSchoolBody = v.strictObject({ id, name });
const SchoolPatchBody = v.strictObject({ name });
const IdParams = v.strictObject({ id });
const PageOnlyQuery = v.strictObject(pageQuery);
const schoolView = (s: School) => ({ ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) });

export function schoolRoutes(svc: SchoolsService, maxBody: number): RouteDef[] {
  const anyone = ["student", "teacher", "school-admin", "admin"] as const;
  return [
    {
      method: "GET",
      path: "/api/schools",
      auth: ["admin"],
      handle({ req, principal }) {
        const page = pageBody(svc.list(principal, pageRequest(readQuery(req.url, PageOnlyQuery))));
        return json({ items: page.items.map(schoolView), nextCursor: page.nextCursor });
      },
    },
    {
      method: "POST",
      path: "/api/schools",
      auth: ["admin"],
      async handle({ req, principal }) {
        const school = svc.create(principal, await readJson(req, NewSchoolBody, maxBody));
        return json(schoolView(school), 201, { location: `/api/schools/${school.id}` });
      },
    },
    {
      method: "GET",
      path: "/api/schools/:id",
      auth: anyone,
      handle: ({ params, principal }) => json(schoolView(svc.get(principal, check(IdParams, params, "path").id))),
    },
    {
      method: "PATCH",
      path: "/api/schools/:id",
      auth: ["admin"],
      async handle({ req, params, principal }) {
        const { id: schoolId } = check(IdParams, params, "path");
        return json(schoolView(svc.rename(principal, schoolId, await readJson(req, SchoolPatchBody, maxBody))));
      },
    },
  ];
}
