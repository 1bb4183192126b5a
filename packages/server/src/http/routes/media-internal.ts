// Media signalling forwarded by other instances to this one as a class's media home
// (cluster/media-home.ts). No bearer token: each request carries the cluster's HMAC instead,
// checked by the media home router; only mounted with Redis.
import * as v from "valibot";
import { INTERNAL_PREFIX, type MediaHomes } from "../../cluster/media-home.ts";
import type { RouteDef } from "../endpoint.ts";
import { check, id } from "../validate.ts";

const IdParams = v.strictObject({ id });

export function internalMediaRoutes(homes: MediaHomes): RouteDef[] {
  const create = (kind: "whip" | "whep" | "relay" | "view"): RouteDef => ({
    method: "POST",
    path: `${INTERNAL_PREFIX}/classes/:id/${kind}`,
    auth: "public",
    handle: ({ req, params }) => homes.handleInternal(req, { kind, classId: check(IdParams, params, "path").id }),
  });
  const resource = (method: "DELETE" | "PATCH"): RouteDef => ({
    method,
    path: `${INTERNAL_PREFIX}/resources/:id`,
    auth: "public",
    handle: ({ req, params }) => homes.handleInternal(req, { resourceId: check(IdParams, params, "path").id }),
  });
  return [create("whip"), create("whep"), create("relay"), create("view"), resource("DELETE"), resource("PATCH")];
}
