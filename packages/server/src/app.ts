// Builds the server behind the listening socket (server.ts): storage, auth, services, live classes
// and every route, loaded after the server listens so the first request (a health probe) need not
// wait for them (issue 19). Over 400 lines because it is the one place where every component is
// built and connected (store, Redis, hubs, gateway, media, central, services, routes); each step is
// short and in order.
import { CLOSE } from "@edgeclass/client/protocol";
import { hostname } from "node:os";
import { join } from "node:path";
import { AuthLimits } from "./auth/limits.ts";
import { schoolSignIn } from "./auth/school-sign-in.ts";
import { startLti } from "./lti/index.ts";
import { withSessionTokens, type Sessions } from "./auth/session.ts";
import { loadOrCreateSecret } from "./auth/secret.ts";
import { createTokenVerifier } from "./auth/tokens.ts";
import type { Config } from "./config/config.ts";
import { demoInfo, seedDemo, type DemoInfo } from "./demo/seed.ts";
import { buildRoutes, wrap, type Handler, type HttpDeps, type RouteDef } from "./http/endpoint.ts";
import { liveAuthLimit } from "./http/live-limit.ts";
import { nextTurn } from "./http/next-turn.ts";
import { liveSocketRoute } from "./http/routes/live-socket.ts";
import { courseRoutes } from "./http/routes/courses.ts";
import { adminRoutes } from "./http/routes/admin.ts";
import { turnedAwayRoutes } from "./http/routes/turned-away.ts";
import { quizSetRoutes } from "./http/routes/quiz-sets.ts";
import { QuizSetService } from "./services/quiz-sets.ts";
import { imageRoutes } from "./http/routes/images.ts";
import { SqliteImages } from "./store/sqlite/images.ts";
import { liveRoutes } from "./http/routes/live.ts";
import { mediaRoutes } from "./http/routes/media.ts";
import { internalMediaRoutes } from "./http/routes/media-internal.ts";
import { internalKey } from "./cluster/internal-auth.ts";
import { opaRoutes } from "./http/routes/opa.ts";
import { iceRoutes } from "./http/routes/ice.ts";
import { iceConfigFor, iceLinks } from "./media/turn.ts";
import { webApp } from "./http/routes/web.ts";
import type { MediaService } from "./media/index.ts";
import { ClassHub } from "./live/hub.ts";
import { VideoBoard } from "./live/video-board.ts";
import type { LiveHub } from "./live/ports.ts";
import { centralProxy } from "./central/proxy.ts";
import { createLiveMetrics } from "./live/metrics.ts";
import { DecisionLog } from "./policy/decision-log.ts";
import { JoinPolicy } from "./policy/join-policy.ts";
import { schoolCheckedVerifier } from "./auth/school-check.ts";
import { schoolRoutes } from "./http/routes/schools.ts";
import { SchoolsService } from "./services/schools-service.ts";
import { policySources } from "./policy/sources.ts";
import { LiveGateway, type SocketData } from "./realtime/gateway.ts";
import { LiveService } from "./services/live-service.ts";
import { systemRoutes, type Readiness } from "./http/routes/system.ts";
import type { Logger, Logging } from "./obs/logger.ts";
import { watchEventLoop } from "./obs/event-loop.ts";
import type { Metrics } from "./obs/metrics.ts";
import { CoursesService } from "./services/courses-service.ts";
import { openDatabase } from "./store/sqlite/database.ts";
import { SqliteStore } from "./store/sqlite/sqlite-store.ts";
import { StorageHealth, watchStorage } from "./store/storage-health.ts";
import type { BunRequest, Server, WebSocketHandler } from "bun";

async function startMediaHomes(
  link: import("./cluster/redis.ts").RedisLink,
  instanceId: string,
  config: Config,
  secret: string,
  local: () => Promise<MediaService>,
  isLive: (classId: string) => boolean,
  registry: import("./obs/prom.ts").Registry,
  logger: Logger,
) {
  const { MediaHomes } = await import("./cluster/media-home.ts");
  return new MediaHomes({
    link,
    instanceId,
    key: internalKey(config.media.clusterSecret, secret),
    local,
    isLive,
    registry,
    logger,
    cascade: config.media.cascade,
  });
}

async function startCityPublisher(
  c: NonNullable<Config["central"]>,
  outbox: import("./central/outbox.ts").CentralOutbox,
  registry: import("./obs/prom.ts").Registry,
  logger: Logger,
) {
  const { CityPublisher } = await import("./central/publisher.ts");
  const publisher = new CityPublisher({ url: c.natsUrl, user: c.user, pass: c.password, city: c.city }, outbox, registry, logger);
  publisher.start();
  return publisher;
}

/** The catalogue authored at the centre, from the city's mirror into this instance's copy (and on to Redis). */
async function startCatalogueFeed(
  c: NonNullable<Config["central"]>,
  journal: import("./store/sqlite/catalogue-journal.ts").CatalogueJournal,
  hub: () => LiveHub,
  registry: import("./obs/prom.ts").Registry,
  logger: Logger,
) {
  const [{ CityCatalogueFeed }, { revokeFromCatalogue }] = await Promise.all([
    import("./central/catalogue-feed.ts"),
    import("./cluster/class-removals.ts"),
  ]);
  const feed = new CityCatalogueFeed({ url: c.natsUrl, user: c.user, pass: c.password, city: c.city }, journal, registry, logger);
  feed.onApplied = (changes) => revokeFromCatalogue(hub(), changes); // unenrolled or archived centrally
  feed.start();
  return feed;
}

type AppRoute =
  | Handler<Response | undefined>
  | Record<string, Handler<Response | undefined>>
  | ((req: BunRequest) => Response | Promise<Response>);

/** The parts of the server behind its socket, as server.ts starts and stops them. */
export interface App {
  secret: string;
  demo: DemoInfo | null;
  /** Every route, as Bun.serve takes them (the probes included). */
  routes: Record<string, AppRoute>;
  /** Every REST route (and the live socket's), for tests that go over them all. */
  routeList: readonly Pick<RouteDef, "method" | "path" | "auth">[];
  websocket: WebSocketHandler<SocketData>;
  /** Once the server listens with these routes: timers, the media home's address; resolves when the join policy is compiled. */
  listening(server: Server<SocketData>): Promise<void>;
  /** The drain after the server stopped being ready: classes, media, links; `stopServer` waits for in-flight requests. */
  stop(stopServer: () => Promise<void>): Promise<void>;
}

type LifecycleState = "starting" | "ready" | "draining" | "stopped";

/** The server listens while this builds: a few breaks (nextTurn) let a health probe that came meanwhile be answered. */
export async function buildApp(config: Config, logging: Logging, metrics: Metrics, lifecycle: () => LifecycleState): Promise<App> {
  const { logger } = logging;
  const instanceId = config.instanceId ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  // In a cluster other processes write the catalogue too (instances sharing the data folder, or
  // changes replicated from other instances), so rows are not cached in-process.
  const db = openDatabase(join(config.dataDir, "edgeclass.db"), config.dbSync);
  const storage = new StorageHealth(config.dataDir);
  watchStorage(db, storage);
  const store = new SqliteStore(db, {
    cacheRows: !config.redisUrl && !config.central, // the centre's catalogue changes are written behind a cache's back
    replicateAs: config.redisUrl ? instanceId : undefined,
    centralCity: config.central?.city,
  });
  const secret = loadOrCreateSecret(config.dataDir, config.jwt.secret);
  // Bearer tokens, and the bearer form of browser sessions (LTI launches), once sign-in is built below.
  let sessions: Sessions | null = null;
  const verifier = schoolCheckedVerifier(
    withSessionTokens(createTokenVerifier(config.jwt, secret), () => sessions),
    store,
  );
  const now = Date.now;
  const newId = () => Bun.randomUUIDv7();
  const serviceDeps = { store, now, newId, defaultCapacity: config.maxStudents };
  const courses = new CoursesService(serviceDeps);
  // With Redis the demo is created once the catalogue is loaded, only if no instance made it yet.
  const demo = !config.demo ? null : config.redisUrl ? demoInfo() : seedDemo(store, now());
  const sources = policySources(config.policyDir);
  const policy = new JoinPolicy(sources);
  let policyError: string | null = null;

  await nextTurn();
  // Live classes: rooms owned by this instance, reached over WebSockets.
  // The hub is made below, after awaits (Redis): a scrape of /metrics meanwhile (the server listens
  // while this builds) counts no classes yet instead of failing with a 500.
  let hub: LiveHub;
  const liveMetrics = createLiveMetrics(metrics.registry, () => (hub as LiveHub | undefined)?.counts() ?? { participants: 0, classes: 0 });
  const decisions = new DecisionLog();
  const gateway: LiveGateway = new LiveGateway({
    hub: (): LiveHub => hub,
    store,
    verifier,
    metrics: liveMetrics,
    logger,
    now,
    policy,
    decisions,
  });
  // The teacher's video state (live/paused per source), fed by the media service, sent as video.state and in welcomes.
  let stopVideoShare = () => {};
  const videoBoard = new VideoBoard(gateway);
  const roomDeps = {
    store,
    policy,
    decisions,
    metrics: liveMetrics,
    logger,
    now,
    newId,
    graceMs: config.reconnectGraceMs,
    video: (id: string) => videoBoard.get(id),
  };
  let cluster: import("./cluster/start.ts").ClusterMode | null = null;
  if (config.redisUrl) {
    const { startCluster } = await import("./cluster/start.ts");
    cluster = await startCluster({
      redis: { url: config.redisUrl, ...config.redis },
      instanceId,
      store,
      roomDeps,
      sockets: gateway,
      registry: metrics.registry,
      logger,
      afterCatalogueLoaded: () => {
        if (config.demo) seedDemo(store, now());
      },
    });
    hub = cluster.hub;
    stopVideoShare = (await import("./cluster/video-share.ts")).shareVideoBoard(videoBoard, cluster.link, logger);
  } else {
    hub = new ClassHub(store, { ...roomDeps, fanout: gateway });
  }
  // A city of a fleet (NATS_URL): class records go from the outbox to the city's NATS leaf.
  const central =
    store.central && config.central ? await startCityPublisher(config.central, store.central, metrics.registry, logger) : null;
  const catalogueFeed =
    store.catalogue && config.central
      ? await startCatalogueFeed(config.central, store.catalogue, () => hub, metrics.registry, logger)
      : null;
  const redis = cluster?.link ?? null;
  const catalogue = cluster?.catalogue ?? null;
  const live = new LiveService(serviceDeps, courses, () => hub, cluster?.refreshClassRecords);
  courses.onAccessRevoked = (courseId, studentId) => hub.revoke(courseId, studentId);

  // Media: worker processes started on the first WHIP/WHEP request, closed with the class or the server.
  let media: Promise<MediaService> | null = null;
  const getMedia = (): Promise<MediaService> =>
    (media ??= import("./media/index.ts").then((m) =>
      m.createMediaService({
        videoQuality: config.videoQuality,
        workers: config.media.workers,
        publicIp: config.media.publicIp,
        portRange:
          config.media.portMin !== undefined && config.media.portMax !== undefined
            ? [config.media.portMin, config.media.portMax]
            : undefined,
        registry: metrics.registry,
        logger,
        resourceSuffix: homes?.tag, // resource ids name their media home (scale-out)
        cascadeHost: config.media.cascadeHost,
        subscribersPerWorker: config.media.subscribersPerWorker,
        turnShim: config.turn.urls.length > 0, // TURN over TCP from Chromium (media/worker/turn-shim.ts)
        cascadeKey: cluster ? internalKey(config.media.clusterSecret, secret) : undefined,
        onVideoState: (classId, source, state) => videoBoard.set(classId, source, state),
      }),
    ));
  hub.onClassEnded = (classId) => {
    void media?.then((m) => m.endClass(classId)).then(() => videoBoard.endClass(classId));
    if (!media) videoBoard.endClass(classId);
  };
  // Removed from the class (4013): their video goes with their socket, on the instance holding it.
  // With the cascade's placement, also those sessions this instance placed on others (cluster/media-home.ts).
  gateway.onUserClosed = (classId, userId, code) => {
    if (code !== CLOSE.removed) return;
    if (homes) homes.closeUser(classId, userId);
    else void media?.then((m) => m.closeUser(classId, userId));
  };
  // With Redis a class's media lives on one instance (its media home); the others forward to it.
  const homes = cluster
    ? await startMediaHomes(
        cluster.link,
        instanceId,
        config,
        secret,
        getMedia,
        (id) => store.classes.get(id)?.status === "live",
        metrics.registry,
        logger,
      )
    : null;

  const readiness: Readiness = {
    notReadyReason(): string | null {
      const state = lifecycle();
      if (state === "draining" || state === "stopped") return "draining";
      if (!store.isOpen()) return "storage closed";
      const full = storage.notReadyReason();
      if (full !== null) return full;
      // Redis unreachable is not "not ready": the instance keeps serving the classes it owns
      // and the catalogue from its copy (degraded() says so). A copy never loaded cannot serve.
      if (catalogue && !catalogue.ready) return "loading the catalogue from redis";
      if (policyError !== null) return `join policy does not compile: ${policyError}`;
      if (!policy.ready) return "loading the join policy";
      return state === "ready" ? null : "starting";
    },
    degraded: () =>
      redis && !redis.healthy()
        ? {
            redis: "unreachable",
            detail: "serving the classes this instance owns; joins to classes owned elsewhere are refused until Redis is back",
          }
        : null,
  };
  await nextTurn();
  // TURN credentials, one per participant and request, short-lived (coturn use-auth-secret).
  const turnIssued = metrics.registry.counter({
    name: "edgeclass_turn_credentials_issued_total",
    help: "TURN credentials minted for participants (ICE server endpoint and WHIP/WHEP Link headers).",
  });
  const iceFor = (userId: string) => {
    const cfg = iceConfigFor(config.turn, userId, now());
    if (cfg.iceServers.length > 0) turnIssued.inc();
    return cfg;
  };
  const refused = metrics.registry.counter({
    name: "edgeclass_rate_limited_total",
    help: "Requests refused with 429 by the authentication limits, by limit.",
    labelNames: ["limit"],
  });
  const limits = new AuthLimits({ ...config.limits, onRefused: (limit) => refused.labels(limit).inc() });
  // School sign-in (OpenID Connect) and browser sessions; with Redis, one-time keys are shared there.
  const signIn = schoolSignIn({
    config,
    db,
    record: store.catalogue?.record ?? null,
    secret,
    redis,
    logger,
    now,
    registry: metrics.registry,
    schoolExists: (id) => store.schools.get(id) !== undefined,
    onSignedIn: (p) => courses.rememberUser(p),
  });
  sessions = signIn.sessions;
  // The LTI 1.3 tool; a class's quiz scores go to the LMS gradebook when it ends.
  const lti = startLti({
    db,
    signIn,
    store,
    courses,
    live,
    registry: metrics.registry,
    logger,
    now,
    publicUrl: config.publicUrl,
    maxBodyBytes: config.maxBodyBytes,
    schoolExists: (id) => store.schools.get(id) !== undefined,
  });
  const endedBefore = hub.onClassEnded;
  hub.onClassEnded = (classId) => {
    endedBefore(classId);
    lti.service
      .classEnded(classId)
      .catch((e: unknown) => logger.error({ classId, err: e }, "LTI grades of the ended class were not queued"));
  };
  const deps: HttpDeps = {
    verifier,
    logger,
    access: logging.access,
    metrics,
    onPrincipal: (p) => courses.rememberUser(p),
    limits,
    trustProxy: config.limits.trustProxy,
    storage,
    bodyCap: Math.max(config.maxBodyBytes * 4, 1024 * 1024),
    sessions: signIn.sessions,
  };
  await nextTurn();
  const web = webApp({ config, demo, secret, limits });
  const liveSocket = liveSocketRoute(gateway, liveAuthLimit({ verifier, limits }));
  const routeDefs: RouteDef[] = [
    ...systemRoutes(config, metrics, readiness),
    ...courseRoutes(courses, config.maxBodyBytes),
    ...schoolRoutes(new SchoolsService({ store, now }), config.maxBodyBytes),
    ...liveRoutes(live, config.maxBodyBytes),
    ...adminRoutes(decisions, store),
    ...turnedAwayRoutes(decisions, live),
    ...quizSetRoutes(new QuizSetService(serviceDeps, signIn.records), config.maxBodyBytes),
    ...imageRoutes(store, new SqliteImages(db, store.catalogue?.record ?? null), now),
    ...mediaRoutes({
      store,
      hub: () => hub,
      media: homes ? () => Promise.resolve(homes) : getMedia,
      admitted: homes ? async (classId, userId) => hub.isAdmitted(classId, userId) || (await homes.seated(classId, userId)) : undefined,
      iceLinks: (userId) => iceLinks(iceFor(userId)),
    }),
    ...iceRoutes(iceFor),
    ...(homes ? internalMediaRoutes(homes) : []),
    ...opaRoutes({ sources, maxBodyBytes: config.maxBodyBytes }), // OPA's Data API for other edge services (admin token)
    ...web.apiRoutes,
    ...signIn.routes,
    ...lti.routes,
  ];
  const routes = buildRoutes(routeDefs, deps);

  const liveRoute = { GET: wrap(liveSocket, deps) };
  // The centre's views for the web page, asked through this origin (CENTRAL_URL; docs/central.md).
  const centralRoute: Record<string, AppRoute> = config.centralUrl ? { "/api/central/*": centralProxy(config.centralUrl) } : {};
  return {
    secret,
    demo,
    routes: { ...web.staticRoutes, ...routes, "/api/classes/:id/live": liveRoute, ...centralRoute },
    // (the live socket's token is checked by the gateway: listed with the roles that may join)
    routeList: [
      ...routeDefs.map((r) => ({ method: r.method, path: r.path, auth: r.auth })),
      { method: liveSocket.method, path: liveSocket.path, auth: ["student", "teacher", "school-admin", "admin"] },
    ],
    websocket: gateway.websocket,
    listening(server) {
      gateway.attach(server);
      if (web.demoUsers.length > 0) {
        logger.warn(
          { host: config.host, demo: true, users: web.demoUsers },
          "demo sign-in is on: anyone who can reach this address can sign in as the demo teacher or a demo student " +
            "(DEMO=false turns it off)",
        );
      }
      homes?.start(
        config.media.internalUrl ?? `http://${["0.0.0.0", "::", ""].includes(config.host) ? "127.0.0.1" : config.host}:${server.port}`,
      );
      // Compiled after listening (start-up stays fast); ready once it is, never if it does not compile.
      // After a break, so requests already waiting (health probes) are answered before the compile.
      const whenReady = nextTurn().then(() => policy.load());
      whenReady.catch((e: unknown) => {
        policyError = e instanceof Error ? e.message : String(e);
        logger.error({ err: e }, "join policy does not compile");
      });
      // A second after readiness: loading and enabling Bun's loop-delay monitor takes ~2 ms, which neither
      // the compile nor the first readiness probes should wait for.
      const watchSoon = () => void setTimeout(watchEventLoop, 1000).unref();
      void whenReady.then(watchSoon, watchSoon);
      return whenReady;
    },
    async stop(stopServer) {
      lti.close(); // pending grades stay in the outbox for the next start
      await hub.close();
      gateway.shutdown();
      await homes?.close();
      await media?.then((m) => m.close());
      await catalogue?.flush().catch(() => {}); // what is not sent stays in the outbox for the next start
      await central?.close(); // likewise for class records
      await catalogueFeed?.close(); // unacknowledged catalogue changes are redelivered (newest-wins makes that harmless)
      catalogue?.close();
      stopVideoShare();
      await redis?.close();
      await stopServer(); // stop accepting; wait for in-flight requests
      store.close();
    },
  };
}
