// npm run bench:startup -- [--runs 20] [--json] [--before <git revision>]
// Spawn-to-first-200 on /healthz for the server (as sources, bundled with `bun build`, and a
// `bun build --compile --bytecode` executable) against a minimal Bun.serve, min and median of
// N runs each, interleaved; then each form's ratio to the bare server in the same run, for the
// first 200 and for ready (/readyz: the join policy compiled), with the web client built as `npm start`
// does. Issue 19's aims: first 200 within 1.5x of bare, ready within 2.5x. --before also compiles and
// bundles that revision too (git archive) and runs both interleaved with the rest, as "compiledBefore"
// and "bundledBefore": a change's before and after in one run.
import { spawn, spawnSync } from "bun";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compileServer, freePort, parseFlags, percentile, round } from "./lib/process.ts";

const { json, values } = parseFlags(process.argv.slice(2));
const runs = Number(values.runs ?? 20);
const work = mkdtempSync(join(tmpdir(), "bench-startup-"));
const dataDir = join(work, "data");
const bundle = join(work, "server.js");
const compiled = join(work, "edgeclass-server");

// The server loads the web client's files at start (npm start builds it; the image ships it): so here too.
// Every form runs in this folder and finds it under packages/web/dist.
const web = spawnSync([process.execPath, "packages/web/build-if-stale.mjs", "--strict"], { stdout: "pipe", stderr: "pipe" });
if (web.exitCode !== 0) throw new Error(`the web client did not build: ${web.stderr}`);

// As `npm run build` does: split, so lazily loaded parts are not parsed at start.
const built = spawnSync(
  [
    process.execPath,
    "build",
    "packages/server/src/main.ts",
    "--target",
    "bun",
    "--minify",
    "--splitting",
    "--outdir",
    work,
    "--entry-naming",
    "server.js",
  ],
  { stdout: "pipe", stderr: "pipe" },
);
if (built.exitCode !== 0) throw new Error(`bun build failed: ${built.stderr}`);
// One executable with the runtime and the whole program as JSC bytecode: nothing to parse at start.
compileServer(compiled);
const compiledBefore = values.before ? join(work, "edgeclass-server-before") : null;
const bundleBefore = values.before ? join(work, "before-bundle", "server.js") : null;
if (values.before && compiledBefore) {
  const tree = join(work, "before");
  mkdirSync(tree);
  const files = "packages policies tsconfig.json package.json";
  const unpacked = spawnSync(["sh", "-c", `git archive ${JSON.stringify(values.before)} ${files} | tar -x -C ${JSON.stringify(tree)}`]);
  if (unpacked.exitCode !== 0) throw new Error(`git archive ${values.before} failed: ${unpacked.stderr}`);
  symlinkSync(resolve("node_modules"), join(tree, "node_modules"));
  compileServer(compiledBefore, tree);
  const split = ["--target", "bun", "--minify", "--splitting", "--outdir", join(work, "before-bundle"), "--entry-naming", "server.js"];
  const oldBundle = spawnSync([process.execPath, "build", "packages/server/src/main.ts", ...split], {
    cwd: tree,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (oldBundle.exitCode !== 0) throw new Error(`bun build of ${values.before} failed: ${oldBundle.stderr}`);
}

// NODE_EXTRA_CA_CERTS (set in this sandbox) makes every start read a CA bundle; production pods do not have it.
const env: Record<string, string> = { ...(process.env as Record<string, string>), DATA_DIR: dataDir, HOST: "127.0.0.1", LOG_LEVEL: "warn" };
delete env.NODE_EXTRA_CA_CERTS;

async function firstOk(url: string, started: number): Promise<number> {
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return performance.now() - started;
    } catch {}
    if (performance.now() - started > 10_000) throw new Error(`${url} did not answer 200 within 10 s`);
    await Bun.sleep(0.5);
  }
}

/** Spawn to first 200 on /healthz (serving), then on /readyz (join policy compiled, ready for classes). */
async function once(entry: string): Promise<{ healthz: number; readyz: number }> {
  const port = await freePort();
  const started = performance.now();
  const proc = spawn(entry === compiled || entry === compiledBefore ? [entry] : [process.execPath, entry], {
    env: { ...env, PORT: String(port) },
    stdout: "ignore",
    stderr: "ignore",
  });
  const healthz = await firstOk(`http://127.0.0.1:${port}/healthz`, started);
  const readyz = entry.includes("bare") ? healthz : await firstOk(`http://127.0.0.1:${port}/readyz`, started);
  proc.kill("SIGKILL");
  await proc.exited;
  return { healthz, readyz };
}

// First start creates the database and demo data; the runs measure restarts, as a pod sees them.
const first = (await once("packages/server/src/main.ts")).healthz;
const entries: Record<string, string> = {
  bare: "bench/peers/bare-startup.ts",
  sources: "packages/server/src/main.ts",
  bundled: bundle,
  compiled,
};
if (compiledBefore && bundleBefore) Object.assign(entries, { compiledBefore, bundledBefore: bundleBefore });
const times: Record<string, number[]> = Object.fromEntries(
  Object.keys(entries).flatMap((k) =>
    k === "bare"
      ? [[k, []]]
      : [
          [k, []],
          [`${k}Ready`, []],
        ],
  ),
);
for (let i = 0; i < runs; i++) {
  for (const [k, entry] of Object.entries(entries)) {
    const t = await once(entry);
    times[k].push(t.healthz);
    if (k !== "bare") times[`${k}Ready`].push(t.readyz);
  }
}
rmSync(work, { recursive: true, force: true });

const summary = Object.fromEntries(
  Object.entries(times).map(([k, xs]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [k, { minMs: round(sorted[0]), medianMs: round(percentile(sorted, 50)) }];
  }),
) as Record<string, { minMs: number; medianMs: number }>;

console.log(`bench:startup  spawn to first 200 on /healthz (and on /readyz), ${runs} interleaved runs each (bun ${Bun.version})`);
console.log(`bare Bun.serve            min ${summary.bare.minMs} ms  median ${summary.bare.medianMs} ms`);
console.log(`edgeclass (sources)       min ${summary.sources.minMs} ms  median ${summary.sources.medianMs} ms`);
console.log(`edgeclass (bun build)     min ${summary.bundled.minMs} ms  median ${summary.bundled.medianMs} ms`);
console.log(`edgeclass (--compile)     min ${summary.compiled.minMs} ms  median ${summary.compiled.medianMs} ms`);
console.log(
  `  ready (policy compiled): sources median ${summary.sourcesReady.medianMs} ms, bundled median ` +
    `${summary.bundledReady.medianMs} ms, compiled median ${summary.compiledReady.medianMs} ms`,
);
for (const k of ["bundledBefore", "compiledBefore"].filter((k) => summary[k]))
  console.log(
    `${k} (${values.before}): min ${summary[k].minMs} ms  median ${summary[k].medianMs} ms, ` +
      `ready median ${summary[`${k}Ready`].medianMs} ms`,
  );
console.log(`first start (creates the database): ${round(first)} ms`);
// Ratios of medians to the bare server's median in this run (process start varies 3x between machines).
const forms = Object.keys(entries).filter((k) => k !== "bare");
const ratios = Object.fromEntries(
  forms.map((k) => [
    k,
    { first200: round(summary[k].medianMs / summary.bare.medianMs), ready: round(summary[`${k}Ready`].medianMs / summary.bare.medianMs) },
  ]),
) as Record<string, { first200: number; ready: number }>;
const verdict = (got: number, aim: number) => `${got}x (aim <= ${aim}x: ${got <= aim ? "met" : `missed by ${round(got - aim)}x`})`;
for (const [k, r] of Object.entries(ratios))
  console.log(`ratio to bare, ${k.padEnd(8)}: first 200 ${verdict(r.first200, 1.5)}, ready ${verdict(r.ready, 2.5)}`);
const fastest = ["sources", "bundled", "compiled"].sort((a, b) => summary[a].medianMs - summary[b].medianMs)[0];
console.log(`fastest form to first 200: ${fastest}`);
if (json) console.log(JSON.stringify({ bench: "startup", runs, firstStartMs: round(first), ...summary, ratios, fastest }));
