// One wrapper for every route: request id, authentication, the route's declared schemas
// (params, query, body) checked into typed values, errors as problem documents, a metrics
// sample and one JSON log line per request. The live WebSocket's upgrade goes through it too.
import type { BunRequest } from "bun";
import type * as v from "valibot";
import type { AuthLimits } from "../auth/limits.ts";
import type { TokenVerifier } from "../auth/tokens.ts";
import { AppError } from "../domain/errors.ts";
import type { Principal, Role } from "../domain/model.ts";
import type { AccessEntry, Logger } from "../obs/logger.ts";
import type { Metrics } from "../obs/metrics.ts";
import { isStorageFull, type StorageHealth } from "../store/storage-health.ts";
import { clientAddress, type PeerSource } from "./client-address.ts";
import { problemResponse } from "./problem.ts";
import { check, readJson, readQuery } from "./validate.ts";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Schema = v.GenericSchema<unknown, unknown>;

/** What a route takes, as a Fastify route's schema: checked before the handler runs, so bad input
 *  is a 400 problem naming the field and the handler gets typed values. */
export interface RouteSchema {
  /** The path's `:name` parameters. */
  params?: Schema;
  /** The query string (a repeated parameter is refused). */
  query?: Schema;
  /** A JSON body (application/json, at most the route's bodyLimit). */
  body?: Schema;
}

/** The checked value of one part, or `Else` (optional) when the route declares no schema for it. */
type Part<S, K extends keyof RouteSchema, Else> = S extends { [P in K]: infer X extends Schema }
  ? { [P in K]: v.InferOutput<X> }
  : { [P in K]?: Else };

type Context<S extends RouteSchema = RouteSchema> = {
  req: BunRequest;
  reqId: string;
  /** The client's address (per-address limits). */
  ip: string;
  /** Set on routes that require authentication. */
  principal: Principal;
} & (S extends { params: infer X extends Schema } ? { params: v.InferOutput<X> } : { params: Record<string, string> }) &
  Part<S, "query", undefined> &
  Part<S, "body", undefined>;

export interface RouteDef<S extends RouteSchema = RouteSchema, R extends Response | undefined = Response> {
  method: Method;
  path: string;
  /** Roles allowed; "public" routes skip authentication. */
  auth: readonly Role[] | "public";
  schema?: S;
  /** The largest JSON body (bytes) a declared `schema.body` accepts. */
  bodyLimit?: number;
  /** (R includes undefined only for the live WebSocket: undefined, the connection was upgraded.) */
  handle(ctx: Context<S>): R | Promise<R>;
}

/** A route whose handler is typed by its schema (the list of routes holds them untyped). */
export function route<S extends RouteSchema = Record<never, never>, R extends Response | undefined = Response>(
  def: RouteDef<S, R>,
): RouteDef<RouteSchema, R> {
  // The wrapper hands the handler exactly the values its schema checked: the erasure is safe.
  return def as unknown as RouteDef<RouteSchema, R>;
}

/** The declared parts of a request, checked in the order path, query, body. */
async function checkedInput(route: RouteDef<RouteSchema, Response | undefined>, req: BunRequest, bodyCap: number) {
  const s = route.schema;
  const raw = req.params as Record<string, string>;
  if (s === undefined) return { params: raw };
  return {
    params: s.params ? (check(s.params, raw, "path") as Record<string, string>) : raw,
    query: s.query ? (readQuery(req.url, s.query) as undefined) : undefined,
    body: s.body ? ((await readJson(req, s.body, route.bodyLimit ?? bodyCap)) as undefined) : undefined,
  };
}

export interface HttpDeps {
  verifier: TokenVerifier;
  logger: Logger;
  access(e: AccessEntry): void;
  metrics: Metrics;
  onPrincipal?(p: Principal): void;
  /** Limits on failed authentication; none when absent. */
  limits?: AuthLimits;
  /** Client address from X-Forwarded-For (TRUST_PROXY). */
  trustProxy?: boolean;
  /** Told about writes that failed on a full disk (readiness then probes until one goes through). */
  storage?: StorageHealth;
  /** Largest body any route reads (bytes): larger ones get a 413 problem here, not Bun's bare 413. */
  bodyCap?: number;
  /** Browser sessions (auth/session.ts): a request without a bearer token may carry a session cookie. */
  sessions?: { authenticate(req: Request): Promise<{ principal: Principal } | null> };
}

export type Handler<R extends Response | undefined = Response> = (req: BunRequest, server?: PeerSource) => Promise<R | Response>;

const ANONYMOUS: Principal = { id: "", role: "student", name: "", school: "" };
const bootId = Math.floor(Math.random() * 36 ** 4).toString(36);
let sequence = 0;

function requestId(req: Request): string {
  const given = req.headers.get("x-request-id");
  return given !== null && /^[\w.-]{1,64}$/.test(given) ? given : `${bootId}-${(++sequence).toString(36)}`;
}

async function authenticate(
  req: Request,
  verifier: TokenVerifier,
  ip: () => string,
  limits: AuthLimits | undefined,
  sessions: HttpDeps["sessions"],
): Promise<Principal> {
  const header = req.headers.get("authorization");
  if (header === null) {
    // The bearer token wins when both are sent; the cookie (with its CSRF checks) is the browser's way.
    const session = await sessions?.authenticate(req);
    if (session != null) return session.principal;
    throw new AppError("unauthorized", "send a bearer token in the Authorization header");
  }
  limits?.beforeVerify(ip);
  const m = /^Bearer +([\w-]+\.[\w-]+\.[\w-]+) *$/i.exec(header);
  try {
    if (m === null) throw new AppError("invalid-token", "the Authorization header must be `Bearer <jwt>`");
    return await verifier.verify(m[1]);
  } catch (e) {
    throw e instanceof AppError && limits !== undefined ? limits.failed(ip(), m?.[1] ?? null, e) : e;
  }
}

export function wrap<R extends Response | undefined = Response>(route: RouteDef<RouteSchema, R>, deps: HttpDeps): Handler<R> {
  const { logger, metrics, verifier } = deps;
  // Metric children resolved once per route (and per status seen), not per request.
  let duration: ReturnType<typeof metrics.httpDuration.labels> | undefined; // created on first use: unused routes stay out of /metrics
  const byStatus = new Map<number, ReturnType<typeof metrics.httpRequests.labels>>();
  return async (original, server) => {
    const started = performance.now();
    const reqId = requestId(original);
    // The client's address only when something asks (a limit, a handler): Bun's requestIP costs ~3 us a request.
    let address: string | undefined;
    const ip = () => (address ??= clientAddress(original, server, deps.trustProxy === true));
    const over = { cap: deps.bodyCap ?? Infinity, exceeded: false };
    let req = original;
    let response: R | Response;
    let principal = ANONYMOUS;
    try {
      if (Number(req.headers.get("content-length") ?? 0) > over.cap) over.exceeded = true;
      else if (over.cap !== Infinity && req.headers.has("transfer-encoding") && req.body !== null) req = capBody(req, over);
      if (over.exceeded) throw tooLarge(over.cap);
      if (route.auth !== "public") {
        principal = await authenticate(req, verifier, ip, deps.limits, deps.sessions);
        if (!route.auth.includes(principal.role)) {
          throw new AppError("forbidden", `this action needs the role ${route.auth.join(" or ")}; you are ${principal.role}`);
        }
        deps.onPrincipal?.(principal);
      }
      const input = await checkedInput(route, req, over.cap === Infinity ? DEFAULT_BODY_LIMIT : over.cap);
      response = await route.handle({
        req,
        ...input,
        reqId,
        get ip() {
          return ip();
        },
        principal,
      });
    } catch (e) {
      deps.storage?.noteError(e);
      // A chunked body past the cap fails the read wherever it happens; the answer is the 413.
      response = over.exceeded
        ? problemResponse(tooLarge(over.cap), new URL(req.url).pathname, { connection: "close" })
        : errorResponse(e, req, reqId, logger);
    }
    response?.headers.set("x-request-id", reqId);
    const seconds = (performance.now() - started) / 1000;
    const status = response?.status ?? 101; // no response: switched to the WebSocket protocol
    let counter = byStatus.get(status);
    if (counter === undefined) byStatus.set(status, (counter = metrics.httpRequests.labels(route.method, route.path, status)));
    counter.inc();
    (duration ??= metrics.httpDuration.labels(route.method, route.path)).observe(seconds);
    deps.access({
      reqId,
      method: req.method,
      route: route.path,
      url: redactToken(req.url),
      status,
      ms: Math.round(seconds * 1e4) / 10,
      user: principal.id,
    });
    return response;
  };
}

/** A declared JSON body's limit when neither the route nor the server sets one. */
const DEFAULT_BODY_LIMIT = 1024 * 1024;

const tooLarge = (cap: number) => new AppError("payload-too-large", `the body is larger than ${cap} bytes`);

/** The request with a chunked body that fails once more than `over.cap` bytes arrive. */
function capBody(req: BunRequest, over: { cap: number; exceeded: boolean }): BunRequest {
  let seen = 0;
  const body = (req.body as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        seen += chunk.byteLength;
        if (seen > over.cap) {
          over.exceeded = true;
          out.error(tooLarge(over.cap));
        } else out.enqueue(chunk);
      },
    }),
  );
  const capped = new Request(req.url, { method: req.method, headers: req.headers, body, duplex: "half" } as RequestInit);
  return Object.assign(capped, { params: req.params, cookies: req.cookies }) as unknown as BunRequest;
}

/** The URL for the access log: a JWT in `?token=` (or `access_token`) must not reach log storage. */
function redactToken(url: string): string {
  return url.includes("token=") ? url.replace(/([?&](?:access_)?token=)[^&#]*/gi, "$1REDACTED") : url;
}

export function errorResponse(e: unknown, req: Request, reqId: string, logger: Logger): Response {
  const path = new URL(req.url).pathname;
  if (e instanceof AppError) {
    const headers: Record<string, string> = e.status === 401 ? { "www-authenticate": 'Bearer realm="edgeclass"' } : {};
    if (typeof e.extra.retryAfter === "number") headers["retry-after"] = String(e.extra.retryAfter);
    if (e.code === "payload-too-large") headers.connection = "close"; // or Bun drains a body nobody reads
    return problemResponse(e, path, headers);
  }
  if (isStorageFull(e)) {
    logger.error({ reqId, code: (e as { code: string }).code }, "write refused: storage full");
    return problemResponse(new AppError("storage-full", "the server's storage is full: nothing was saved; try again later"), path, {
      "retry-after": "30",
    });
  }
  logger.error({ reqId, err: e }, "unhandled error");
  return problemResponse(new AppError("internal", `something went wrong; quote request id ${reqId}`), path);
}

/** Groups route definitions by path for Bun.serve; other methods on a known path answer 405. */
export function buildRoutes(defs: readonly RouteDef[], deps: HttpDeps): Record<string, Record<string, Handler>> {
  const byPath: Record<string, Record<string, Handler>> = {};
  for (const def of defs) (byPath[def.path] ??= {})[def.method] = wrap(def, deps);
  for (const [path, methods] of Object.entries(byPath)) {
    const allowed = Object.keys(methods).join(", ");
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) {
      methods[method] ??= wrap(
        {
          method,
          path,
          auth: "public",
          handle: ({ req }) =>
            problemResponse(new AppError("method-not-allowed", `use ${allowed} on this path`), new URL(req.url).pathname, {
              allow: allowed,
            }),
        },
        deps,
      );
    }
  }
  return byPath;
}

/**
 * Bun.serve's `fetch`: what no route took. Methods its route tables have no slot for (OPTIONS,
 * TRACE, PROPFIND, ...) on a known path get 405 with Allow; anything else 404. Method tokens Bun
 * does not know at all (BREW) never get here: Bun 1.4.5 closes the connection without a reply.
 */
export function notRouted(routes: Record<string, unknown>, logger: Logger): (req: Request) => Response {
  // Built on first use, not at start (issue 19).
  let known: { re: RegExp; allow: string }[] | null = null;
  const build = () =>
    Object.entries(routes).map(([path, r]) => ({
      re: new RegExp(
        `^${path
          .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
          .replace(/\/\*$/, "/.*")
          .replace(/:[^/]+/g, "[^/]+")}$`,
      ),
      allow: typeof r === "function" ? "GET, HEAD" : Object.keys(r as object).join(", "),
    }));
  return (req) => {
    const path = new URL(req.url).pathname;
    known ??= build();
    const hit = known.find((k) => k.re.test(path));
    if (hit !== undefined)
      return problemResponse(new AppError("method-not-allowed", `${req.method} is not served here; use ${hit.allow}`), path, {
        allow: hit.allow,
      });
    return errorResponse(new AppError("not-found", `no route for ${req.method} ${path}`), req, "-", logger);
  };
}
