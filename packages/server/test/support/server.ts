// Starts a real server on a free port with a fresh data folder, and mints tokens for it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken } from "../../src/auth/tokens.ts";
import { parseConfig, type Config } from "../../src/config/config.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import type { Role } from "../../src/domain/model.ts";
import { createLogging } from "../../src/obs/logger.ts";
import { fetchUnpooled } from "../../src/http/fetch-unpooled.ts";

export interface TestServer {
  server: RunningServer;
  base: string;
  dataDir: string;
  token(role: Role, sub: string, ttlSeconds?: number): Promise<string>;
  /** fetch with a bearer token and optional JSON body. */
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export function tempDir(prefix = "edgeclass-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(env: Record<string, string> = {}, dataDir = tempDir()): Promise<TestServer> {
  const config: Config = parseConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", ...env });
  const server = await startServer(config, createLogging("silent"));
  await server.whenReady;
  const base = server.url.href.replace(/\/$/, "");
  return {
    server,
    base,
    dataDir,
    token: (role, sub, ttlSeconds = 600) => mintToken(server.secret, { role, sub, ttlSeconds }),
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetchUnpooled(base + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
