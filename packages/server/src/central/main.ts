// `npm run central`: the central service. Sources every city's record stream over NATS
// JetStream and keeps PostgreSQL, the centre's system of record, up to date; sends the catalogue
// authored here (/api/central/catalogue/*) down to the cities. Serves /api/central/*, /healthz
// and /metrics (source lag and consumer backlog per city).
import { LOG_LEVELS, type LogLevel } from "../config/config.ts";
import { createLogging } from "../obs/logger.ts";
import { Registry } from "../obs/prom.ts";
import { createTokenVerifier } from "../auth/tokens.ts";
import { parseConfig } from "../config/config.ts";
import { centralApi } from "./api.ts";
import { catalogueApi } from "./catalogue-api.ts";
import { CataloguePublisher } from "./catalogue-publisher.ts";
import { CentralCatalogue } from "./catalogue-store.ts";
import { CentralConsumer } from "./consumer.ts";
import { CentralStore } from "./pg-store.ts";
import { CentralConfigError, centralSettings } from "./settings.ts";
import { AppError } from "../domain/errors.ts";
import { problemResponse } from "../http/problem.ts";

let settings;
try {
  settings = centralSettings(process.env);
} catch (e) {
  if (e instanceof CentralConfigError) {
    console.error(e.message);
    process.exit(78); // EX_CONFIG
  }
  throw e;
}
const level = (LOG_LEVELS as readonly string[]).includes(process.env.LOG_LEVEL ?? "") ? (process.env.LOG_LEVEL as LogLevel) : "info";
const { logger } = createLogging(level);
const registry = new Registry();
const store = new CentralStore(settings.databaseUrl);
await store.migrate();
const catalogue = new CentralCatalogue(store.sql);
const cataloguePublisher = new CataloguePublisher(
  { url: settings.natsUrl, user: settings.natsUser, pass: settings.natsPassword },
  catalogue,
  registry,
  logger,
);
cataloguePublisher.start();
const consumer = new CentralConsumer(
  { url: settings.natsUrl, user: settings.natsUser, pass: settings.natsPassword, cities: settings.cities },
  store,
  registry,
  logger,
);
await consumer.start();
// The read API verifies tokens as the cities do (JWT_SECRET, or an identity provider's JWKS).
const e = process.env;
let jwt;
try {
  jwt = parseConfig({
    JWT_SECRET: e.JWT_SECRET,
    JWT_JWKS_FILE: e.JWT_JWKS_FILE,
    JWT_JWKS_URL: e.JWT_JWKS_URL,
    JWT_ISSUER: e.JWT_ISSUER,
    JWT_AUDIENCE: e.JWT_AUDIENCE,
  }).jwt;
} catch (err) {
  console.error((err as Error).message);
  process.exit(78);
}
const verifier = jwt.secret || jwt.jwksFile || jwt.jwksUrl ? createTokenVerifier(jwt, jwt.secret ?? "") : null;
const views = centralApi(store, verifier, logger);
const authoring = catalogueApi(catalogue, verifier, logger);
const api = (req: Request) => (new URL(req.url).pathname.startsWith("/api/central/catalogue/") ? authoring(req) : views(req));
const server = Bun.serve({
  hostname: settings.host,
  port: settings.port,
  routes: {
    "/healthz": () => Response.json({ status: "ok" }),
    "/api/central/*": api,
    "/metrics": () => new Response(registry.expose(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }),
  },
  fetch: (req) => {
    const path = new URL(req.url).pathname;
    return problemResponse(new AppError("not-found", `no route for ${req.method} ${path}`), path);
  },
});
logger.info({ url: server.url.href, cities: settings.cities }, "central service listening");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, async () => {
    logger.info({ signal }, "central service stopping");
    await consumer.close();
    await cataloguePublisher.close();
    await store.close();
    await server.stop();
    logger.flush();
    process.exit(0);
  });
}
