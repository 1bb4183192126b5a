// The Bun server's OPA routes alone, for the benchmark: wrapped by the server's endpoint
// wrapper (auth, metrics, access log) exactly as server.ts wraps them.
//   OPA_AUTH=admin|public PORT=... JWT_SECRET=... bun scripts/wasm/bun-host.ts
import { createTokenVerifier } from "../../packages/server/src/auth/tokens.ts";
import { parseConfig } from "../../packages/server/src/config/config.ts";
import { buildRoutes, type HttpDeps } from "../../packages/server/src/http/endpoint.ts";
import { opaRoutes } from "../../packages/server/src/http/routes/opa.ts";
import { createLogging } from "../../packages/server/src/obs/logger.ts";
import { createMetrics } from "../../packages/server/src/obs/metrics.ts";
import { policySources } from "../../packages/server/src/policy/sources.ts";

const secret = process.env.JWT_SECRET ?? "bench-secret-0123456789abcdef0123456789";
const config = parseConfig({ PORT: process.env.PORT ?? "0", HOST: "127.0.0.1", DATA_DIR: "/tmp", LOG_LEVEL: "silent", JWT_SECRET: secret });
const logging = createLogging("silent");
const deps: HttpDeps = {
  verifier: createTokenVerifier(config.jwt, secret),
  logger: logging.logger,
  access: logging.access,
  metrics: createMetrics("bench"),
};
const auth = process.env.OPA_AUTH === "public" ? "public" : (["admin"] as const);
const server = Bun.serve({
  port: config.port,
  hostname: "127.0.0.1",
  routes: buildRoutes(opaRoutes({ sources: policySources(undefined), maxBodyBytes: config.maxBodyBytes, auth }), deps),
  fetch: () => new Response("not found", { status: 404 }),
});
console.log(JSON.stringify({ port: server.port }));
