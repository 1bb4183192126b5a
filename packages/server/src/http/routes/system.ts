// Health, readiness, metrics and the admin's view of the configuration.
import { publicConfig, type Config } from "../../config/config.ts";
import type { Metrics } from "../../obs/metrics.ts";
import type { RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";

export interface Readiness {
  /** Why the instance is not ready, or null when it is. */
  notReadyReason(): string | null;
}

export function systemRoutes(config: Config, metrics: Metrics, readiness: Readiness): RouteDef[] {
  return [
    { method: "GET", path: "/healthz", auth: "public", handle: () => json({ status: "ok" }) },
    {
      method: "GET",
      path: "/readyz",
      auth: "public",
      handle() {
        const reason = readiness.notReadyReason();
        metrics.ready.set(reason === null ? 1 : 0);
        return reason === null ? json({ status: "ready" }) : json({ status: "not ready", reason }, 503);
      },
    },
    {
      method: "GET",
      path: "/metrics",
      auth: "public",
      handle() {
        metrics.ready.set(readiness.notReadyReason() === null ? 1 : 0);
        return new Response(metrics.registry.expose(), { headers: { "content-type": metrics.registry.contentType } });
      },
    },
    { method: "GET", path: "/api/config", auth: ["admin"], handle: () => json(publicConfig(config)) },
    { method: "GET", path: "/api/me", auth: ["student", "teacher", "admin"], handle: ({ principal }) => json(principal) },
  ];
}
