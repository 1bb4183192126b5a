// WHIP (teacher publishes) and WHEP (students watch), authorised like the live class:
// only the class's teacher (or an admin) publishes, only admitted participants watch.
import * as v from "valibot";
import { forbidden, invalidState, notFound } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import { assertInSchool, isAdminOf } from "../../domain/schools.ts";
import type { LiveHub } from "../../live/ports.ts";
import type { MediaSignalling } from "../../media/index.ts";
import type { Store } from "../../store/types.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { id } from "../validate.ts";

const IdParams = v.strictObject({ id });

export interface MediaRouteDeps {
  store: Store;
  hub: () => LiveHub;
  /** Loaded and started on first use: media workers are processes. With Redis: the media home router (cluster/media-home.ts). */
  media: () => Promise<MediaSignalling>;
  /** Whether a participant may watch; default: admitted to the live class on this instance. */
  admitted?: (classId: string, userId: string) => Promise<boolean>;
  /** `Link: <turn:...>; rel="ice-server"` values for a user's WHIP/WHEP answer (media/turn.ts). */
  iceLinks?: (userId: string) => string[];
}

/** Adds the user's TURN servers to a created session's answer (WHIP/WHEP ICE server Links). */
/** Adds the caller's ICE servers to a created session; the credentials are minted (and counted) only then. */
function withIceLinks(res: Response, links: () => string[]): Response {
  if (res.status !== 201) return res;
  const ice = links();
  if (ice.length === 0) return res;
  const headers = new Headers(res.headers);
  for (const l of ice) headers.append("link", l);
  return new Response(res.body, { status: res.status, headers });
}

export function mediaRoutes(d: MediaRouteDeps): RouteDef[] {
  const anyone = ["student", "teacher", "school-admin", "admin"] as const;
  const liveClass = (p: Principal, classId: string) => {
    const cls = d.store.classes.get(classId);
    if (!cls) throw notFound("class", classId);
    assertInSchool(p, cls, "class", classId);
    if (cls.status !== "live") throw invalidState(`class ${classId} is ${cls.status}`);
    const course = d.store.courses.get(cls.courseId);
    if (!course) throw notFound("course", cls.courseId);
    return { cls, course };
  };
  const admitted = d.admitted ?? ((classId: string, userId: string) => Promise.resolve(d.hub().isAdmitted(classId, userId)));
  const isStaff = (p: Principal, course: { teacherId: string; schoolId: string }) =>
    isAdminOf(p, course.schoolId) || (p.role === "teacher" && p.id === course.teacherId);
  return [
    route({
      method: "POST",
      path: "/api/classes/:id/whip",
      auth: ["teacher", "school-admin", "admin"],
      schema: { params: IdParams },
      async handle({ req, params, principal }) {
        const { id: classId } = params;
        const { course } = liveClass(principal, classId);
        if (!isStaff(principal, course)) throw forbidden("only the class's teacher publishes video");
        return withIceLinks(await (await d.media()).handleWhip(req, classId, principal.id), () => d.iceLinks?.(principal.id) ?? []);
      },
    }),
    route({
      method: "POST",
      path: "/api/classes/:id/whep",
      auth: anyone,
      schema: { params: IdParams },
      async handle({ req, params, principal }) {
        const { id: classId } = params;
        const { course } = liveClass(principal, classId);
        if (!isStaff(principal, course) && !(await admitted(classId, principal.id))) {
          throw forbidden("join the live class before watching its video");
        }
        return withIceLinks(await (await d.media()).handleWhep(req, classId, principal.id), () => d.iceLinks?.(principal.id) ?? []);
      },
    }),
    route({
      method: "DELETE",
      path: "/api/media/resources/:id",
      auth: anyone,
      schema: { params: IdParams },
      handle: async ({ req, params, principal }) => (await d.media()).handleResource(req, params.id, principal.id),
    }),
    route({
      method: "PATCH",
      path: "/api/media/resources/:id",
      auth: anyone,
      schema: { params: IdParams },
      handle: async ({ req, params, principal }) => (await d.media()).handleResource(req, params.id, principal.id),
    }),
  ];
}
