// Students turned away from a live class, for its teacher (issue 16 defect 12 and "teacher
// awareness"): how many, and why, from the join decisions this instance logged (a ring of the
// last 500; on a cluster each instance answers for the joins it handled).
import type { TurnedAwayView } from "@edgeclass/client/api";
import * as v from "valibot";
import type { DecisionLog } from "../../policy/decision-log.ts";
import type { LiveService } from "../../services/live-service.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";
import { id } from "../validate.ts";

const IdParams = v.strictObject({ id });

/** Sums the denies of one class by reason (a decision with several reasons counts under each). */
export function turnedAway(log: DecisionLog, classId: string): TurnedAwayView {
  const denies = log
    .recent({ decision: "deny", limit: Number.MAX_SAFE_INTEGER })
    .filter((r) => r.classId === classId && r.role === "student");
  const by = new Map<string, { who: Set<string>; attempts: number }>();
  for (const r of denies)
    for (const reason of r.reasons.length ? r.reasons : ["refused"]) {
      const row = by.get(reason) ?? { who: new Set<string>(), attempts: 0 };
      row.who.add(r.userId);
      row.attempts += 1;
      by.set(reason, row);
    }
  return {
    students: new Set(denies.map((r) => r.userId)).size,
    attempts: denies.length,
    reasons: [...by]
      .map(([reason, x]) => ({ reason, students: x.who.size, attempts: x.attempts }))
      .sort((a, b) => b.students - a.students || a.reason.localeCompare(b.reason)),
    last: denies.length ? new Date(denies[0].at).toISOString() : null,
  };
}

export function turnedAwayRoutes(decisions: DecisionLog, live: LiveService): RouteDef[] {
  return [
    route({
      method: "GET",
      path: "/api/classes/:id/turned-away",
      auth: ["teacher", "admin", "school-admin"],
      schema: { params: IdParams },
      handle({ params, principal }) {
        const cls = live.managed(principal, params.id);
        return json(turnedAway(decisions, cls.id));
      },
    }),
  ];
}
