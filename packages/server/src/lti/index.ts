// Builds the LTI 1.3 tool for the server: registry, launches, the tool's key, calls to LMSs,
// the grade outbox (started here, closed with the server) and the routes.
import type { Database } from "bun:sqlite";
import type { SchoolSignIn } from "../auth/school-sign-in.ts";
import type { RouteDef } from "../http/endpoint.ts";
import { ltiRoutes } from "../http/routes/lti.ts";
import type { Logger } from "../obs/logger.ts";
import type { Registry } from "../obs/prom.ts";
import type { CoursesService } from "../services/courses-service.ts";
import type { LiveService } from "../services/live-service.ts";
import type { Store } from "../store/types.ts";
import { DEFAULT_GRADE_OPTIONS, GradeOutbox, type GradeOptions } from "./grades.ts";
import { LtiLaunches } from "./launch.ts";
import { PlatformClient } from "./platform-client.ts";
import { LtiRegistry } from "./registry.ts";
import { LtiService } from "./service.ts";
import { ToolKeys } from "./tool-key.ts";

export interface LtiTool {
  routes: RouteDef[];
  service: LtiService;
  grades: GradeOutbox;
  close(): void;
}

export function startLti(o: {
  db: Database;
  signIn: SchoolSignIn;
  store: Store;
  courses: CoursesService;
  live: LiveService;
  registry: Registry;
  logger: Logger;
  now: () => number;
  publicUrl: string | undefined;
  maxBodyBytes: number;
  schoolExists(id: string): boolean;
  grades?: GradeOptions;
}): LtiTool {
  const registry = new LtiRegistry(o.signIn.records);
  const launches = new LtiLaunches(registry, o.signIn.keys, o.signIn.stateKey, o.now);
  const toolKeys = new ToolKeys(o.signIn.keys, o.signIn.sealKey, o.now);
  const client = new PlatformClient(toolKeys, o.now);
  const grades = new GradeOutbox(o.db, registry, client, o.logger, o.registry, o.now, o.grades ?? DEFAULT_GRADE_OPTIONS);
  const service = new LtiService({
    registry,
    launches,
    keys: o.signIn.keys,
    toolKeys,
    client,
    grades,
    sessions: o.signIn.sessions,
    courses: o.courses,
    live: o.live,
    store: o.store,
    logger: o.logger,
    now: o.now,
  });
  grades.start();
  const newId = () =>
    Buffer.from(crypto.getRandomValues(new Uint8Array(9)))
      .toString("base64url")
      .replace(/[-_]/g, "x");
  const routes = ltiRoutes({
    registry,
    launches,
    service,
    toolKeys,
    grades,
    counted: o.signIn.counted,
    courses: o.courses,
    store: o.store,
    maxBodyBytes: o.maxBodyBytes,
    publicUrl: o.publicUrl,
    now: o.now,
    newId,
    schoolExists: o.schoolExists,
  });
  return { routes, service, grades, close: () => grades.close() };
}
