// The web client (packages/web, built by Vite into packages/web/dist) served by the server itself:
// hashed assets immutable for a year, index.html revalidated every time, the app's paths answered
// with index.html (SPA fallback, in the reader's language), gzip when the browser takes it. Plus the demo sign-in
// (`GET /api/demo`, `POST /api/demo/token`), present only when the server runs with its demo data.
import type { BunRequest } from "bun";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import * as v from "valibot";
import { AuthLimits } from "../../auth/limits.ts";
import { mintToken } from "../../auth/tokens.ts";
import type { Config } from "../../config/config.ts";
import type { DemoInfo } from "../../demo/seed.ts";
import { AppError } from "../../domain/errors.ts";
import type { RouteDef } from "../endpoint.ts";
import { pageLocale } from "../page-locale.ts";
import { json, problemResponse } from "../problem.ts";
import { readJson } from "../validate.ts";

/** Where `npm run build:web` puts the app: beside the sources, or under the working directory (bundled server, dist/server.js). */
const DIST_CANDIDATES = [join(import.meta.dir, "..", "..", "..", "..", "web", "dist"), join(process.cwd(), "packages", "web", "dist")];
const DEFAULT_WEB_DIST = DIST_CANDIDATES.find((d) => existsSync(join(d, "index.html"))) ?? DIST_CANDIDATES[0];

/** Paths of the single-page app: each answers with index.html. */
const APP_PATHS = ["/", "/login", "/admin", "/central", "/schools", "/class/*", "/courses/*"] as const;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".woff2": "font/woff2",
  ".map": "application/json",
};
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".svg", ".json", ".txt", ".webmanifest", ".map"]);

export const IMMUTABLE = "public, max-age=31536000, immutable";
export const NO_CACHE = "no-cache";

/** The page's security policy: scripts and styles from this origin only; media from WebRTC streams. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  /** The gzip body once made (gzipped below); null when not worth it; undefined until the first request that takes gzip. */
  gzip: Uint8Array<ArrayBuffer> | null | undefined;
  type: string;
  etag: string;
  cacheControl: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Loads dist/ into memory (it is small): bodies and ETags; gzip bodies on first use (gzipped). */
function loadDist(dist: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(dist)) {
    const rel = "/" + relative(dist, file).split(sep).join("/");
    const ext = extname(file).toLowerCase();
    const body = new Uint8Array(readFileSync(file)) as Uint8Array<ArrayBuffer>;
    assets.set(rel, {
      body,
      gzip: COMPRESSIBLE.has(ext) && body.byteLength > 512 ? undefined : null, // a text type, over 512 bytes
      type: TYPES[ext] ?? "application/octet-stream",
      etag: `"${Bun.hash(body).toString(36)}"`,
      // Vite names everything under assets/ by content hash; anything else may change under the same name.
      cacheControl: rel.startsWith("/assets/") ? IMMUTABLE : NO_CACHE,
    });
  }
  return assets;
}

/**
 * The asset's gzip body, made by the first request that takes gzip and kept: compressing the app's files
 * (level 9) at start took ~9 ms on the way to readiness (issue 19). Null when it would not be smaller.
 */
function gzipped(a: Asset): Uint8Array<ArrayBuffer> | null {
  if (a.gzip === undefined) {
    const gz = Bun.gzipSync(a.body, { level: 9 }) as Uint8Array<ArrayBuffer>;
    a.gzip = gz.byteLength < a.body.byteLength ? gz : null;
  }
  return a.gzip;
}

function send(req: Request, a: Asset, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = {
    "content-type": a.type,
    "cache-control": a.cacheControl,
    etag: a.etag,
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
    ...extra,
  };
  if (req.headers.get("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  const gzip = /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "") ? gzipped(a) : null;
  if (gzip !== null) headers["content-encoding"] = "gzip";
  return new Response(req.method === "HEAD" ? null : (gzip ?? a.body), { headers });
}

const NOT_BUILT =
  `<!doctype html><meta charset="utf-8"><title>EdgeClass</title>
<h1>EdgeClass</h1><p>The web client is not built yet. Run <code>npm run build:web</code> (or restart with <code>npm ` +
  `start</code>, which builds it) and reload.</p>`;

export interface WebOptions {
  config: Pick<Config, "demo" | "jwt" | "maxBodyBytes" | "limits">;
  /** The seeded demo data (null when the server runs without it). */
  demo: DemoInfo | null;
  /** The HS256 secret the server verifies tokens with. */
  secret: string;
  /** Built app folder; default packages/web/dist. */
  distDir?: string;
  /** Lifetime of demo tokens (s). Default 8 h (never above JWT_MAX_TTL_SECONDS). */
  demoTokenTtlSeconds?: number;
  /** Limits on minting (shared with the server's failed-authentication limits); made from config when absent. */
  limits?: AuthLimits;
}

export interface WebApp {
  /** Entries for `Bun.serve({ routes })`: the app's paths and its built files. */
  staticRoutes: Record<string, (req: BunRequest) => Response>;
  /** REST routes for `buildRoutes` (the demo sign-in; empty without demo data). */
  apiRoutes: RouteDef[];
  /** Who the demo sign-in can mint tokens for (empty when it is off). */
  demoUsers: string[];
}

const DemoTokenBody = v.strictObject({ userId: v.pipe(v.string(), v.maxLength(128)) });

export function webApp(o: WebOptions): WebApp {
  const dist = o.distDir ?? DEFAULT_WEB_DIST;
  let assets = new Map<string, Asset>();
  let loadedFrom = -1;
  // dist/ is (re)loaded when its index.html changes, so a rebuild shows without a restart.
  const current = () => {
    const index = join(dist, "index.html");
    const m = existsSync(index) ? statSync(index).mtimeMs : 0;
    if (m !== loadedFrom) {
      assets = m === 0 ? new Map() : loadDist(dist);
      loadedFrom = m;
    }
    return assets;
  };
  current();

  const page = (req: Request): Response => {
    // The same page in the reader's language when the build has it (index.zh-CN.html: its loading line and <noscript>).
    const loc = pageLocale(req);
    const index = (loc === "en" ? undefined : current().get(`/index.${loc}.html`)) ?? current().get("/index.html");
    const extra = {
      "content-security-policy": CSP,
      "referrer-policy": "no-referrer",
      vary: "accept-encoding, accept-language, cookie",
    };
    if (index === undefined)
      return new Response(NOT_BUILT, {
        status: 503,
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...extra },
      });
    return send(req, index, extra);
  };
  const file = (req: Request): Response => {
    const raw = new URL(req.url).pathname;
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      // `/assets/%ZZ`, `/assets/%`: the client's mistake, not ours (no 500, no stack trace in the log).
      return problemResponse(new AppError("bad-request", "the path has malformed percent-encoding"), raw, { "cache-control": "no-store" });
    }
    const a = path.includes("..") ? undefined : current().get(path);
    if (a === undefined) return problemResponse(new AppError("not-found", `no such file: ${path}`), raw, { "cache-control": "no-store" });
    return send(req, a);
  };

  // GET and HEAD only: anything else on these paths is a 405 (never the app's HTML).
  const readOnly = (h: (req: Request) => Response) => (req: BunRequest) =>
    req.method === "GET" || req.method === "HEAD"
      ? h(req)
      : problemResponse(new AppError("method-not-allowed", "use GET or HEAD on this path"), new URL(req.url).pathname, {
          allow: "GET, HEAD",
        });
  const staticRoutes: Record<string, (req: BunRequest) => Response> = {
    "/assets/*": readOnly(file),
    "/favicon.svg": readOnly(file),
    "/index.html": readOnly(page),
  };
  for (const p of APP_PATHS) staticRoutes[p] = readOnly(page);

  const apiRoutes: RouteDef[] = [];
  const demoUsers: string[] = [];
  const demo = o.demo;
  // Demo sign-in: only on a server with its demo data and its own HS256 secret (never with an identity provider),
  // and only for the demo teacher and students: the admin page takes a token from `npm run token -- --role admin`.
  if (o.config.demo && demo !== null && !o.config.jwt.jwksFile && !o.config.jwt.jwksUrl) {
    const users = [demo.teacher, ...demo.students]; // never the admin: demo sign-in mints no admin token
    const ttl = Math.min(o.demoTokenTtlSeconds ?? 8 * 3600, o.config.jwt.maxTtlSeconds);
    const limits = o.limits ?? new AuthLimits(o.config.limits);
    demoUsers.push(...users.map((u) => u.id));
    apiRoutes.push(
      {
        method: "GET",
        path: "/api/demo",
        auth: "public",
        handle: () =>
          json({ courseId: demo.courseId, classId: demo.classId, users: users.map((u) => ({ id: u.id, name: u.name, role: u.role })) }),
      },
      {
        method: "POST",
        path: "/api/demo/token",
        auth: "public",
        async handle({ req, ip }) {
          const { userId } = await readJson(req, DemoTokenBody, Math.min(o.config.maxBodyBytes, 4096));
          const user = users.find((u) => u.id === userId);
          if (user === undefined) {
            throw new AppError("validation", `userId must be one of the demo users: ${users.map((u) => u.id).join(", ")}`, {
              issues: [{ path: "userId", message: "not a demo user" }],
            });
          }
          limits.mint(ip, user.id);
          const token = await mintToken(o.secret, {
            sub: user.id,
            role: user.role,
            name: user.name,
            school: user.school,
            ttlSeconds: ttl,
            issuer: o.config.jwt.issuer,
            audience: o.config.jwt.audience,
          });
          return json(
            { token, user: { id: user.id, name: user.name, role: user.role }, expiresAt: new Date(Date.now() + ttl * 1000).toISOString() },
            200,
            { "cache-control": "no-store" },
          );
        },
      },
    );
  }
  return { staticRoutes, apiRoutes, demoUsers };
}
