// Admin views: recent join decisions with their reasons (a school admin sees their school's).
import * as v from "valibot";
import type { DecisionLog } from "../../policy/decision-log.ts";
import type { RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";
import { intParam, readQuery } from "../validate.ts";

const DecisionsQuery = v.strictObject({ decision: v.optional(v.picklist(["allow", "deny"], "must be allow or deny")), limit: v.optional(intParam(1, 500)) });

export function adminRoutes(decisions: DecisionLog): RouteDef[] {
  return [
    {
      method: "GET",
      path: "/api/admin/decisions",
      auth: ["admin", "school-admin"],
      handle({ req, principal }) {
        const q = readQuery(req.url, DecisionsQuery);
        const schoolId = principal.role === "admin" ? undefined : principal.school;
        return json({ items: decisions.recent({ decision: q.decision, schoolId, limit: q.limit ?? 100 }).map((r) => ({ ...r, at: new Date(r.at).toISOString() })) });
      },
    },
  ];
}
