// The two hosts of the Data API under test:
//   * the Bun server's routes (opaRoutes wrapped by the server's own endpoint wrapper: auth,
//     problem documents, metrics), on a Bun.serve of their own with a real token verifier;
//   * the wasi:http component built by `npm run build:wasm`, transpiled by jco and served by
//     preview2-shim's HTTP server in a Node process.
// The component is the one `npm run build:wasm` left in dist/wasm (built here when absent).
import type { Server } from "bun";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startFreshInstanceServer, startJcoServer, type JcoServer } from "../../../../scripts/wasm/jco.ts";
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

function buildScript(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ["run", join(ROOT, "scripts", "build-wasm.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 600_000,
  });
  return { status: r.status, out: `${r.stderr}\n${r.stdout}` };
}

/**
 * The artefact `npm run build:wasm` produced (dist/wasm), built now when absent (1-2 min).
 * When present but older than the sources, the tests still use it and say so; set
 * WASM_REBUILD=1 to rebuild first (CI runs `npm run build:wasm` before `npm test`).
 */
export function ensureArtefact(): BuildInfo {
  if (built !== null) return built;
  const present = ["build-info.json", "jco/component.js", "jco-sync/component.js"].every((f) => existsSync(join(ARTEFACT_DIR, f)));
  if (!present || process.env.WASM_REBUILD === "1") {
    const r = buildScript(["--json"]);
    if (r.status !== 0) throw new Error(`npm run build:wasm failed (${r.status}):\n${r.out}`);
  } else {
    const check = buildScript(["--check", "--no-image", "--no-transpile", "--json"]);
    if (check.status === 3)
      console.warn(
        "[opa tests] dist/wasm is older than the sources: testing the existing component (npm run build:wasm, or " +
          "WASM_REBUILD=1, to refresh it)",
      );
    else if (check.status !== 0) throw new Error(`build-wasm --check failed (${check.status}):\n${check.out}`);
  }
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
  const deps: HttpDeps = {
    verifier: createTokenVerifier(config.jwt, secret),
    logger: logging.logger,
    access: logging.access,
    metrics: createMetrics("test"),
  };
  const routes = buildRoutes(opaRoutes({ sources: policySources(undefined), maxBodyBytes: config.maxBodyBytes }), deps);
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    routes,
    fetch: (req) =>
      errorResponse(new AppError("not-found", `no route for ${req.method} ${new URL(req.url).pathname}`), req, "-", logging.logger),
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

/** The component with a fresh instance per request, as wasmtime serves it (jco --instantiation sync). */
export async function startFreshInstanceHost(): Promise<JcoServer> {
  ensureArtefact();
  return startFreshInstanceServer(join(ARTEFACT_DIR, "jco-sync"));
}

export interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

export async function ask(
  base: string,
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const r = await fetch(base + path, { method, body: opts.body, headers: opts.headers });
  return { status: r.status, contentType: r.headers.get("content-type"), body: await r.text() };
}
