// Admin views: recent join decisions with their reasons (a school admin sees their school's),
// naming the class, the course and the person (issue 16 defect 18: the page showed ids only).
import type { DecisionView } from "@edgeclass/client/api";
import * as v from "valibot";
import type { DecisionLog, DecisionRecord } from "../../policy/decision-log.ts";
import type { Store } from "../../store/types.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";
import { intParam } from "../validate.ts";

const DecisionsQuery = v.strictObject({
  decision: v.optional(v.picklist(["allow", "deny"], "must be allow or deny")),
  limit: v.optional(intParam(1, 500)),
});

/** Titles and names for a page of decisions (null where the class, course or user is not known), one lookup per id. */
function named(items: DecisionRecord[], store: Pick<Store, "classes" | "courses" | "users">): DecisionView[] {
  const classes = new Map<string, string | null>();
  const courses = new Map<string, string | null>();
  const users = store.users.getMany([...new Set(items.map((r) => r.userId))]);
  const title = <T>(cache: Map<string, string | null>, id: string, get: (id: string) => T | undefined, of: (x: T) => string | null) => {
    if (!cache.has(id)) {
      const x = get(id);
      cache.set(id, x === undefined ? null : of(x));
    }
    return cache.get(id) ?? null;
  };
  return items.map((r) => ({
    ...r,
    at: new Date(r.at).toISOString(),
    classTitle: title(
      classes,
      r.classId,
      (id) => store.classes.get(id),
      (k) => k.title ?? null,
    ),
    courseTitle: title(
      courses,
      r.courseId,
      (id) => store.courses.get(id),
      (c) => c.title,
    ),
    userName: users.get(r.userId)?.name ?? null,
  }));
}

export function adminRoutes(decisions: DecisionLog, store: Pick<Store, "classes" | "courses" | "users">): RouteDef[] {
  return [
    route({
      method: "GET",
      path: "/api/admin/decisions",
      auth: ["admin", "school-admin"],
      schema: { query: DecisionsQuery },
      handle({ query: q, principal }) {
        const schoolId = principal.role === "admin" ? undefined : principal.school;
        return json({ items: named(decisions.recent({ decision: q.decision, schoolId, limit: q.limit ?? 100 }), store) });
      },
    }),
  ];
}
