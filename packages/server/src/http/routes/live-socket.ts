// GET /api/classes/:id/live: the live WebSocket's upgrade, through the same wrapper as every
// route (request id, metrics with status 101, the access log, problem documents for a plain HTTP
// request or an address over its limit). Neither the token nor the class id is checked here: a
// browser cannot read an HTTP refusal of a WebSocket, so the gateway upgrades and then closes
// with a code it can read (4001, 4004 for an id no class has, a malformed one included).
import { route, type RouteDef, type RouteSchema } from "../endpoint.ts";

export interface LiveSocket {
  /** undefined once upgraded. */
  upgrade(req: Request, classId: string): Promise<Response | undefined>;
}

export function liveSocketRoute(
  gateway: LiveSocket,
  limit: (req: Request, ip: string) => Promise<void>,
): RouteDef<RouteSchema, Response | undefined> {
  return route({
    method: "GET",
    path: "/api/classes/:id/live",
    auth: "public",
    async handle({ req, params, ip }) {
      await limit(req, ip);
      return gateway.upgrade(req, params.id);
    },
  });
}
