// GET /api/classes/:id/live: the live WebSocket's upgrade, through the same wrapper as every
// route (request id, the id checked, metrics with status 101, the access log, problem documents
// for a plain HTTP request or an address over its limit). The token is checked by the gateway, not
// here: a refused socket is still upgraded and then closed with a code a browser can read.
import * as v from "valibot";
import { route, type RouteDef, type RouteSchema } from "../endpoint.ts";
import { id } from "../validate.ts";

const IdParams = v.strictObject({ id });

export interface LiveSocket {
  /** undefined once upgraded. */
  upgrade(req: Request, classId: string): Promise<Response | undefined>;
}

export function liveSocketRoute(gateway: LiveSocket, limit: (req: Request, ip: string) => Promise<void>): RouteDef<RouteSchema, Response | undefined> {
  return route({
    method: "GET",
    path: "/api/classes/:id/live",
    auth: "public",
    schema: { params: IdParams },
    async handle({ req, params, ip }) {
      await limit(req, ip);
      return gateway.upgrade(req, params.id);
    },
  });
}
