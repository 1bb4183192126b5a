#!/usr/bin/env node
// Builds the web client (vite build packages/web) when packages/web/dist is missing or older than
// its sources or the client SDK. Called before the server starts (`npm start`) and by the browser
// tests; plain Node, no dependencies. A failed build is reported and does not stop the server:
// it then answers the app's pages with "not built yet".
//   node packages/web/build-if-stale.mjs [--force] [--strict]
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const root = join(web, "..", "..");
const strict = process.argv.includes("--strict");

function newest(dir) {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "dist" || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    m = Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return m;
}

export function webStale() {
  const index = join(web, "dist", "index.html");
  if (!existsSync(index)) return true;
  const sources = Math.max(newest(web), newest(join(root, "packages", "client", "src")), statSync(join(root, "package-lock.json")).mtimeMs);
  return statSync(index).mtimeMs < sources;
}

if (process.argv.includes("--force") || webStale()) {
  console.error("[web] building the web client (vite build packages/web)...");
  const vite = join(root, "node_modules", ".bin", process.platform === "win32" ? "vite.cmd" : "vite");
  const r = spawnSync(vite, ["build", "packages/web", "--logLevel", "warn"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error("[web] the web client did not build; the server starts without it (npm run build:web to retry)");
    if (strict) process.exit(r.status ?? 1);
  }
}
