#!/usr/bin/env node
// Entry point for the npm scripts: installs what is missing (dependencies and
// the pinned `bun` runtime from npm), then hands over to Bun.
//   node scripts/bootstrap.mjs run <file> [args]   run a TypeScript file with Bun
//   node scripts/bootstrap.mjs test [args]         run every test with `bun test`
//   node scripts/bootstrap.mjs exec <bin> [args]   run a binary from node_modules/.bin
import { spawnSync, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const bunPath = bin("bun");

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function depsStale() {
  const installed = mtime(join(root, "node_modules", ".package-lock.json"));
  if (installed === 0) return true;
  return mtime(join(root, "package.json")) > installed || mtime(join(root, "package-lock.json")) > installed;
}

function bunWorks() {
  if (!existsSync(bunPath)) return false;
  return spawnSync(bunPath, ["--version"], { stdio: "ignore" }).status === 0;
}

function ensureInstalled() {
  if (depsStale()) {
    console.error("[bootstrap] installing dependencies (npm install)...");
    const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: root, stdio: "inherit" });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  if (!bunWorks()) {
    // With install scripts off, bun's postinstall did not fetch the platform binary: run it now.
    console.error("[bootstrap] setting up the bun runtime...");
    spawnSync(process.execPath, [join(root, "node_modules", "bun", "install.js")], {
      cwd: join(root, "node_modules", "bun"),
      stdio: "inherit",
    });
    if (!bunWorks()) {
      console.error("[bootstrap] bun does not run; try `rm -rf node_modules && npm install`");
      process.exit(1);
    }
  }
}

/** Runs cmd until it exits, passing signals on; exits with its code. `onOutput` sees its stdout and stderr
 *  (passed through) when given; `beforeExit` runs first. */
function handOver(cmd, args, { onOutput, beforeExit } = {}) {
  const stdio = onOutput ? ["inherit", "pipe", "pipe"] : "inherit";
  const child = spawn(cmd, args, { cwd: root, stdio });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  if (onOutput)
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ])
      from.on("data", (chunk) => {
        to.write(chunk);
        onOutput(from, chunk);
      });
  child.on("exit", (code, signal) => {
    beforeExit?.();
    process.exit(code ?? (signal ? 128 : 1));
  });
}

/**
 * `bun test` writes each failure's error just above its "(fail)" line, which scrolls far out of
 * view in a long log. When the output is not a terminal (CI keeps only a log's tail), each failure
 * is printed again at the end with the lines that led to it.
 */
function testWithFailuresRepeated(cmd, args) {
  if (process.stderr.isTTY) return handOver(cmd, args);
  const failures = [];
  let sinceLastResult = [];
  let summaryStarted = false;
  const partial = new Map(); // per stream: the line not yet ended
  const onOutput = (stream, chunk) => {
    const lines = ((partial.get(stream) ?? "") + chunk.toString("utf8")).split("\n");
    partial.set(stream, lines.pop());
    for (const line of lines) {
      if (/^\d+ tests? failed:$/.test(line)) summaryStarted = true; // bun's own list of names follows
      if (line.startsWith("(fail)") && !summaryStarted) failures.push([...sinceLastResult, line].join("\n"));
      if (/^\((pass|fail|skip|todo)\)/.test(line)) sinceLastResult = [];
      else if (sinceLastResult.push(line) > 40) sinceLastResult.shift();
    }
  };
  const beforeExit = () => {
    if (failures.length === 0) return;
    console.error(`\n[test] ${failures.length} failure(s) again, each with the output that led to it:`);
    for (const f of failures) console.error(`\n${f}`);
  };
  handOver(cmd, args, { onOutput, beforeExit });
}

const [mode, ...rest] = process.argv.slice(2);
ensureInstalled();
// The server serves the web client: build it when packages/web/dist is missing or older than its sources.
if (mode === "run" && rest[0] === "packages/server/src/main.ts") {
  spawnSync(process.execPath, [join(root, "packages", "web", "build-if-stale.mjs")], { cwd: root, stdio: "inherit" });
}
if (mode === "run") handOver(bunPath, ["run", ...rest]);
else if (mode === "test") {
  // The services and Debian packages the tests need (installed and started when missing).
  spawnSync("bash", [join(root, "scripts", "test-services.sh")], { cwd: root, stdio: "inherit" });
  // Files run in 3 worker processes, slowest first (test-timings.json): most of a file's time
  // is spent waiting on the processes it starts, so 3 workers fit 2 cores. The longer default
  // timeout is for hooks that start clusters while the other workers load the machine.
  const timings = join(root, "scripts", "test-timings.json");
  testWithFailuresRepeated(bunPath, ["test", "--parallel=3", `--timings=${timings}`, "--timeout=30000", ...rest]);
} else if (mode === "exec") handOver(bin(rest[0]), rest.slice(1));
else {
  console.error("usage: bootstrap.mjs run <file> | test | exec <bin>");
  process.exit(2);
}
