// OPA's Data API on the Bun server: GET|POST /v1/data[/<path>] and GET /health, answered by
// packages/policy-api (the same code and Rego engine as the wasi:http component).
//
// Protection: the decision routes need a bearer token of role admin (default `auth`). OPA's
// own default (no authentication, bound to localhost) does not fit here: this server's port
// is the public one behind the ingress, reachable by every student's browser. Services that
// ask for decisions get an admin-role service token (`npm run token -- --role admin ...`);
// unauthenticated in-cluster callers use the Wasm component's ClusterIP Service instead.
// /health stays public (it reveals nothing but "policies compile"). See docs/wasm.md.
import type { DataApi } from "../../../../policy-api/src/index.ts";
import type { Role } from "../../domain/model.ts";
import type { PolicySource } from "../../policy/join-policy.ts";
import type { RouteDef } from "../endpoint.ts";

export interface OpaRoutesOptions {
  /** the policies to serve, e.g. policySources(config.policyDir) */
  sources: readonly PolicySource[];
  /** request body limit for POST (e.g. config.maxBodyBytes); answered with 413 above it */
  maxBodyBytes?: number;
  /** roles allowed on the decision routes (default ["admin"]); "public" reproduces OPA's unauthenticated default */
  auth?: readonly Role[] | "public";
}

export function opaRoutes(opts: OpaRoutesOptions): RouteDef[] {
  // The Data API and its Rego engine load on the first request: importing them costs more than the rest of start-up.
  let api: Promise<DataApi> | null = null;
  const load = () =>
    (api ??= import("../../../../policy-api/src/index.ts").then(
      (m) => new m.DataApi({ modules: opts.sources, maxBodyBytes: opts.maxBodyBytes }),
    ));
  const auth = opts.auth ?? (["admin"] as const);
  const data: RouteDef["handle"] = async ({ req }) => (await load()).data(req);
  return [
    { method: "GET", path: "/v1/data", auth, handle: data },
    { method: "POST", path: "/v1/data", auth, handle: data },
    { method: "GET", path: "/v1/data/*", auth, handle: data },
    { method: "POST", path: "/v1/data/*", auth, handle: data },
    { method: "GET", path: "/health", auth: "public", handle: async ({ req }) => (await load()).health(req) },
    { method: "GET", path: "/health/*", auth: "public", handle: async ({ req }) => (await load()).health(req) },
  ];
}
