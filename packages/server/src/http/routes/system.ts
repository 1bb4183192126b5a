// Health, readiness, metrics and the admin's view of the configuration.
import { publicConfig, type Config } from "../../config/config.ts";
import type { Metrics } from "../../obs/metrics.ts";
import type { RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";

export interface Readiness {
  /** Why the instance is not ready, or null when it is. */
  notReadyReason(): string | null;
  /** What a ready instance is doing without (e.g. Redis unreachable): still 200, said in the body. */
  degraded?(): Record<string, string> | null;
}

/** The probes and the scrape: public, served from the moment the server listens (server.ts). */
export function probeRoutes(metrics: Metrics, readiness: Readiness): RouteDef[] {
  return [
    { method: "GET", path: "/healthz", auth: "public", handle: () => json({ status: "ok" }) },
    {
      method: "GET",
      path: "/readyz",
      auth: "public",
      handle() {
        const reason = readiness.notReadyReason();
        metrics.ready.set(reason === null ? 1 : 0);
        if (reason !== null) return json({ status: "not ready", reason }, 503);
        const degraded = readiness.degraded?.() ?? null;
        return json(degraded ? { status: "degraded", ...degraded } : { status: "ready" });
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
  ];
}

export function systemRoutes(config: Config, metrics: Metrics, readiness: Readiness): RouteDef[] {
  return [
    ...probeRoutes(metrics, readiness),
    { method: "GET", path: "/api/config", auth: ["admin"], handle: () => json(publicConfig(config)) },
    { method: "GET", path: "/api/me", auth: ["student", "teacher", "school-admin", "admin"], handle: ({ principal }) => json(principal) },
  ];
}
