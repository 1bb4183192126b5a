// Admin views: recent join decisions with their reasons.
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
      auth: ["admin"],
      handle({ req }) {
        const q = readQuery(req.url, DecisionsQuery);
        return json({ items: decisions.recent({ decision: q.decision, limit: q.limit ?? 100 }).map((r) => ({ ...r, at: new Date(r.at).toISOString() })) });
      },
    },
  ];
}
