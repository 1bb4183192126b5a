// Media signalling forwarded by other instances to this one as a class's media home
// (cluster/media-home.ts). No bearer token: each request carries the cluster's HMAC instead,
// checked by the media home router; only mounted with Redis.
import * as v from "valibot";
import { INTERNAL_PREFIX, type MediaHomes } from "../../cluster/media-home.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { id } from "../validate.ts";

const IdParams = v.strictObject({ id });

export function internalMediaRoutes(homes: MediaHomes): RouteDef[] {
  const create = (kind: "whip" | "whep" | "relay" | "view"): RouteDef =>
    route({
      method: "POST",
      path: `${INTERNAL_PREFIX}/classes/:id/${kind}`,
      auth: "public",
      schema: { params: IdParams },
      handle: ({ req, params }) => homes.handleInternal(req, { kind, classId: params.id }),
    });
  const resource = (method: "DELETE" | "PATCH"): RouteDef =>
    route({
      method,
      path: `${INTERNAL_PREFIX}/resources/:id`,
      auth: "public",
      schema: { params: IdParams },
      handle: ({ req, params }) => homes.handleInternal(req, { resourceId: params.id }),
    });
  return [create("whip"), create("whep"), create("relay"), create("view"), resource("DELETE"), resource("PATCH")];
}
