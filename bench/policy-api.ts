// npm run bench:policy-api -- [--seconds 5] [--connections 16] [--json]
// OPA Data API decisions (POST /v1/data/education/allow with a student's join) per second and
// latency, with wrk on one core and the host pinned to the other:
//   * the Bun server's routes (packages/server/src/http/routes/opa.ts) with an admin bearer
//     token (as deployed) and without authentication (the engine and HTTP alone);
//   * education-platform.wasm under jco's Node host (preview2-shim's HTTP server), with one
//     long-lived instance, and with a fresh instance per request (as wasmtime serves it). jco's JS
//     host is slow: every request crosses a worker thread and JS-emulated WASI streams, so
//     this figure says little about wasmtime's;
// plus the component's instantiation cost under V8 (compile once, then fresh instances).
// The component gets a longer warm-up: V8 tiers the 15 MB module up in the background.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { mintToken } from "../packages/server/src/auth/tokens.ts";
import { ROOT, startFreshInstanceServer, startJcoServer, transpile, type JcoServer } from "../scripts/wasm/jco.ts";
import { freePort, parseFlags, round, spawnPinned, waitForHttp } from "./lib/process.ts";
import { requireWrk, runWrk, type LoadResult } from "./lib/wrk.ts";

const { json, values } = parseFlags(process.argv.slice(2));
const seconds = Number(values.seconds ?? 5);
const connections = Number(values.connections ?? 16);
requireWrk();
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const say = (msg: string) => (json ? console.error(msg) : console.log(msg));

const DIST = join(ROOT, "dist", "wasm");
if (!existsSync(join(DIST, "build-info.json"))) {
  say("dist/wasm is missing: running npm run build:wasm first...");
  const r = spawnSync(process.execPath, ["run", join(ROOT, "scripts", "build-wasm.ts")], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const info = JSON.parse(readFileSync(join(DIST, "build-info.json"), "utf8")) as {
  component: { bytes: number; gzipBytes: number; digest: string };
  image: { compressedBytes: number } | null;
};
const component = join(DIST, "education-platform.wasm");

const input = {
  action: "join",
  user: { id: "s1", role: "student" },
  course: { id: "c1", status: "active", capacity: 30, teacher_id: "t1", students: Array.from({ length: 20 }, (_, i) => `s${i + 100}`) },
};
const body = JSON.stringify({ input });
const lua = (token: string | null) => `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
${token ? `wrk.headers["Authorization"] = "Bearer ${token}"` : ""}
wrk.body = '${body}'
`;
const PATH = "/v1/data/education/allow";

async function check(base: string, token: string | null): Promise<void> {
  const r = await fetch(base + PATH, { method: "POST", body, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await r.text();
  if (text !== '{"result":true}\n') throw new Error(`unexpected answer from ${base}: ${r.status} ${text}`);
}

function summary(r: LoadResult) {
  return { decisionsPerSec: r.requestsPerSec, p50Ms: round(r.p50Ms, 3), p99Ms: round(r.p99Ms, 3), errors: r.errors, non2xx: r.non2xx };
}

async function benchBun(auth: "admin" | "public") {
  const secret = "bench-secret-0123456789abcdef0123456789";
  const port = await freePort();
  const proc = spawnPinned(
    [process.execPath, join(ROOT, "scripts", "wasm", "bun-host.ts")],
    { PORT: String(port), OPA_AUTH: auth, JWT_SECRET: secret },
    SERVER_CORE,
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health`);
    const token = auth === "admin" ? await mintToken(secret, { sub: "svc", role: "admin", ttlSeconds: 3600 }) : null;
    await check(base, token);
    runWrk(base + PATH, { seconds: 1, connections, lua: lua(token), core: LOAD_CORE }); // warm-up
    return summary(runWrk(base + PATH, { seconds, connections, lua: lua(token), core: LOAD_CORE }));
  } finally {
    proc.kill();
    await proc.exited;
  }
}

async function benchComponent(server: JcoServer) {
  try {
    await check(server.url, null);
    // V8 compiles the ~15 MB core module lazily (Liftoff, then TurboFan in the background): the
    // first seconds are much slower, so warm up longer than for Bun before measuring.
    runWrk(server.url + PATH, { seconds: 3, connections: 1, lua: lua(null), core: LOAD_CORE });
    runWrk(server.url + PATH, { seconds: 3, connections, lua: lua(null), core: LOAD_CORE });
    const one = summary(runWrk(server.url + PATH, { seconds, connections: 1, lua: lua(null), core: LOAD_CORE }));
    const many = summary(runWrk(server.url + PATH, { seconds, connections, lua: lua(null), core: LOAD_CORE }));
    return { startMs: server.importMs, oneConnection: one, manyConnections: many };
  } finally {
    await server.close();
  }
}

/** One long-lived instance for every request (jco's usual host). */
async function benchJco() {
  const t = transpile(component, join(DIST, "jco"));
  return benchComponent(await startJcoServer(t.module, 120_000, SERVER_CORE));
}

/** A fresh instance per request, as wasmtime serve / runwasi's wasmtime shim run it. */
async function benchFresh() {
  const t = transpile(component, join(DIST, "jco-sync"), { instantiation: "sync" });
  return benchComponent(await startFreshInstanceServer(t.dir, 120_000, SERVER_CORE));
}

function instantiation() {
  const t = transpile(component, join(DIST, "jco-instantiate"), { instantiation: "async" });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "NODE_EXTRA_CA_CERTS") env[k] = v;
  const argv = ["node", join(ROOT, "scripts", "wasm", "instantiate.mjs"), t.dir, "20"];
  const cmd = Bun.which("taskset") ? ["taskset", "-c", String(SERVER_CORE), ...argv] : argv;
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: ROOT, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`instantiate.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
    compileMs: number;
    firstInstantiateMs: number;
    instantiateMs: { p50: number; max: number; mean: number };
    count: number;
  };
}

say(`policy Data API: POST ${PATH}, wrk ${connections} connections x ${seconds} s on core ${LOAD_CORE}, host on core ${SERVER_CORE}`);
const bunAdmin = await benchBun("admin");
say(`bun (admin token)   ${bunAdmin.decisionsPerSec} decisions/s, p50 ${bunAdmin.p50Ms} ms, p99 ${bunAdmin.p99Ms} ms`);
const bunPublic = await benchBun("public");
say(`bun (no auth)       ${bunPublic.decisionsPerSec} decisions/s, p50 ${bunPublic.p50Ms} ms, p99 ${bunPublic.p99Ms} ms`);
const jco = await benchJco();
say(
  `component under jco, one instance:       ${jco.manyConnections.decisionsPerSec} decisions/s, p50 ` +
    `${jco.manyConnections.p50Ms} ms, p99 ${jco.manyConnections.p99Ms} ms (${connections} connections); ` +
    `${jco.oneConnection.decisionsPerSec} decisions/s, p50 ${jco.oneConnection.p50Ms} ms, p99 ${jco.oneConnection.p99Ms} ms (1 ` +
    `connection); import ${jco.startMs} ms`,
);
const fresh = await benchFresh();
say(
  `component under jco, instance per request: ${fresh.manyConnections.decisionsPerSec} decisions/s, p50 ` +
    `${fresh.manyConnections.p50Ms} ms, p99 ${fresh.manyConnections.p99Ms} ms (${connections} connections); ` +
    `${fresh.oneConnection.decisionsPerSec} decisions/s, p50 ${fresh.oneConnection.p50Ms} ms, p99 ${fresh.oneConnection.p99Ms} ` +
    `ms (1 connection)`,
);
const inst = instantiation();
say(
  `instantiate (V8)    compile ${inst.compileMs} ms once; first instance ${inst.firstInstantiateMs} ms; then p50 ` +
    `${inst.instantiateMs.p50} ms, max ${inst.instantiateMs.max} ms over ${inst.count}`,
);
say(
  `component           ${info.component.bytes} bytes raw, ${info.component.gzipBytes} gzip; image ` +
    `${info.image?.compressedBytes ?? "n/a"} bytes compressed`,
);

if (json) {
  console.log(
    JSON.stringify({
      path: PATH,
      loadAverage: loadavg().map((x) => round(x, 2)),
      seconds,
      connections,
      bun: { adminToken: bunAdmin, public: bunPublic },
      jco: { oneInstance: jco, instancePerRequest: fresh },
      instantiate: inst,
      component: info.component,
      image: info.image,
    }),
  );
}
