// Starts the server with a drain-aware lifecycle. It listens first, with only the probes
// (/healthz, /readyz, /metrics), then loads and builds the rest (app.ts: storage, auth,
// services, live classes, every route) behind the socket and swaps its routes in (issue 19:
// the first request does not wait for what it does not use). A request that arrives meanwhile
// waits for the build and is then routed as Bun would route it; /readyz says "starting" until
// the build is done and the join policy is compiled.
import type { BunRequest, Server } from "bun";
import type { App } from "./app.ts";
import type { Config } from "./config/config.ts";
import type { DemoInfo } from "./demo/seed.ts";
import { dispatcher } from "./http/dispatch.ts";
import { nextTurn } from "./http/next-turn.ts";
import { buildRoutes, errorResponse, notRouted, type HttpDeps, type RouteDef } from "./http/endpoint.ts";
import { probeRoutes } from "./http/routes/system.ts";
import { createLogging, type Logger, type Logging } from "./obs/logger.ts";
import { createMetrics } from "./obs/metrics.ts";
import type { SocketData } from "./realtime/gateway.ts";

const VERSION = "0.1.0";

type LifecycleState = "starting" | "ready" | "draining" | "stopped";

export interface RunningServer {
  url: URL;
  config: Config;
  logger: Logger;
  secret: string;
  demo: DemoInfo | null;
  /** Every REST route (and the live socket's), for tests that go over them all. */
  routes: readonly Pick<RouteDef, "method" | "path" | "auth">[];
  state(): LifecycleState;
  /** Resolves once the instance is ready for live classes (join policy compiled). */
  whenReady: Promise<void>;
  /** Drain: not ready, finish in-flight requests, close storage. Idempotent. */
  stop(): Promise<void>;
}

/** Listening (probes only), then the rest built behind the socket; resolves once every route is served. */
export async function startServer(
  config: Config,
  logging: Logging = createLogging(config.logLevel),
  /** The build waits for this too (tests send requests into the time before it). */
  holdBuild?: Promise<unknown>,
): Promise<RunningServer> {
  const { logger } = logging;
  let state: LifecycleState = "starting";
  const metrics = createMetrics(VERSION);
  const bodyCap = Math.max(config.maxBodyBytes * 4, 1024 * 1024);
  // The probes before the rest is built: alive, not ready. They are public: no token is verified.
  const probeDeps: HttpDeps = {
    verifier: { verify: () => Promise.reject(new Error("no token is verified before the server is built")) },
    logger,
    access: logging.access,
    metrics,
    trustProxy: config.limits.trustProxy,
    bodyCap,
  };
  const starting = { notReadyReason: () => (state === "draining" || state === "stopped" ? "draining" : "starting") };
  let route: ((req: BunRequest, server: Server<SocketData>) => Response | Promise<Response | undefined> | undefined) | null = null;
  let built: (v: null) => void = () => {};
  const building = new Promise<null>((resolve) => (built = resolve));
  const server = Bun.serve<SocketData>({
    port: config.port,
    hostname: config.host,
    // No cap at the socket: Bun's own 413 is a bare answer. The routes cap bodies (HttpDeps.bodyCap) with a problem document.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    routes: buildRoutes(probeRoutes(metrics, starting), probeDeps),
    // Anything else waits for the build, then goes where the built server's routes send it.
    fetch: (req, srv) => building.then(() => route?.(req as BunRequest, srv)),
    error(err) {
      return errorResponse(err, new Request("http://local/"), "-", logger);
    },
    // No socket is upgraded before the build: the live route is the built server's, with its handler.
    websocket: { message() {} },
  });
  let app: App;
  try {
    await nextTurn();
    await holdBuild;
    const { buildApp } = await import("./app.ts");
    await nextTurn();
    app = await buildApp(config, logging, metrics, () => state);
  } catch (e) {
    // Nothing is served half-built: the caller gets the error (main.ts exits with it).
    route = (req) => errorResponse(e, req, "-", logger);
    built(null);
    server.stop(true);
    throw e;
  }
  const fallback = notRouted(app.routes, logger);
  server.reload({
    routes: app.routes,
    websocket: app.websocket,
    fetch: fallback,
    error: (err) => errorResponse(err, new Request("http://local/"), "-", logger),
  });
  route = dispatcher(app.routes, fallback);
  built(null);
  const whenReady = app.listening(server);
  state = "ready";
  metrics.ready.set(1);

  let stopping: Promise<void> | null = null;
  return {
    url: server.url,
    config,
    logger,
    secret: app.secret,
    demo: app.demo,
    routes: app.routeList,
    state: () => state,
    whenReady,
    stop() {
      stopping ??= (async () => {
        state = "draining";
        metrics.ready.set(0);
        logger.info({ drainDelayMs: config.drainDelayMs }, "draining");
        if (config.drainDelayMs > 0) await Bun.sleep(config.drainDelayMs);
        await app.stop(() => server.stop(false));
        state = "stopped";
        logger.info("stopped");
        logger.flush();
      })();
      return stopping;
    },
  };
}
