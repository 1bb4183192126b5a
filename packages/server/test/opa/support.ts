// The two hosts of the Data API under test:
//   * the Bun server's routes (opaRoutes wrapped by the server's own endpoint wrapper: auth,
//     problem documents, metrics), on a Bun.serve of their own with a real token verifier;
//   * the wasi:http component built by `npm run build:wasm`, transpiled by jco and served by
//     preview2-shim's HTTP server in a Node process.
// The component is (re)built by scripts/build-wasm.ts, which reuses dist/wasm when nothing
// changed since the last build (a couple of seconds) and componentizes otherwise (1-2 min).
import type { Server } from "bun";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startJcoServer, type JcoServer } from "../../../../scripts/wasm/jco.ts";
import { createTokenVerifier, mintToken } from "../../src/auth/tokens.ts";
import { parseConfig } from "../../src/config/config.ts";
import { buildRoutes, errorResponse, type HttpDeps } from "../../src/http/endpoint.ts";
import { opaRoutes } from "../../src/http/routes/opa.ts";
import { AppError } from "../../src/domain/errors.ts";
import { createLogging } from "../../src/obs/logger.ts";
import { createMetrics } from "../../src/obs/metrics.ts";
import { policySources } from "../../src/policy/sources.ts";
import type { Role } from "../../src/domain/model.ts";

export const ROOT = join(import.meta.dir, "..", "..", "..", "..");
export const ARTEFACT_DIR = join(ROOT, "dist", "wasm");

export interface BuildInfo {
  component: { path: string; bytes: number; gzipBytes: number; digest: string };
  image: { compressedBytes: number; skopeo: boolean } | null;
}

let built: BuildInfo | null = null;

/** Brings dist/wasm up to date with the sources (cached when unchanged) and returns its build-info. */
export function ensureArtefact(): BuildInfo {
  if (built !== null) return built;
  const r = spawnSync(process.execPath, ["run", join(ROOT, "scripts", "build-wasm.ts"), "--json"], { cwd: ROOT, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`npm run build:wasm failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  built = JSON.parse(readFileSync(join(ARTEFACT_DIR, "build-info.json"), "utf8")) as BuildInfo;
  return built;
}

export interface BunHost {
  url: string;
  token(role: Role): Promise<string>;
  close(): Promise<void>;
}

/** The Bun server's OPA routes on their own listener, wrapped exactly as server.ts wraps routes. */
export async function startBunHost(): Promise<BunHost> {
  const secret = "opa-test-secret-0123456789abcdef0123456789";
  const config = parseConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: "/tmp", LOG_LEVEL: "silent", JWT_SECRET: secret });
  const logging = createLogging("silent");
  const deps: HttpDeps = { verifier: createTokenVerifier(config.jwt, secret), logger: logging.logger, access: logging.access, metrics: createMetrics("test") };
  const routes = buildRoutes(opaRoutes({ sources: policySources(undefined), maxBodyBytes: config.maxBodyBytes }), deps);
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    routes,
    fetch: (req) => errorResponse(new AppError("not-found", `no route for ${req.method} ${new URL(req.url).pathname}`), req, "-", logging.logger),
  });
  return {
    url: server.url.href.replace(/\/$/, ""),
    token: (role) => mintToken(secret, { role, sub: `svc-${role}`, ttlSeconds: 600 }),
    async close() {
      await server.stop(true);
    },
  };
}

export async function startComponentHost(): Promise<JcoServer> {
  ensureArtefact();
  return startJcoServer(join(ARTEFACT_DIR, "jco", "component.js"));
}

export interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

export async function ask(base: string, method: string, path: string, opts: { body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Answer> {
  const r = await fetch(base + path, { method, body: opts.body, headers: opts.headers });
  return { status: r.status, contentType: r.headers.get("content-type"), body: await r.text() };
}
