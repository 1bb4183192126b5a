// bun bench/http-writes.ts [--seconds 5] [--connections 64] [--json]
// The REST write routes under wrk, one after another against one server (issue 19 item 3: "profile
// the enrolment POST and the other write routes"). Server on core 0, wrk on core 1, a 2 s warm-up.
// No bare peer: compare trees back to back (bench:http has the bare Bun.serve for the enrolment POST).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken } from "../packages/server/src/auth/tokens.ts";
import { freePort, parseFlags, spawnPinned, waitForHttp } from "./lib/process.ts";
import { requireWrk, runWrk, type LoadResult } from "./lib/wrk.ts";

const { json, values } = parseFlags(process.argv.slice(2));
const seconds = Number(values.seconds ?? 5);
const connections = Number(values.connections ?? 64);
requireWrk();
const dataDir = mkdtempSync(join(tmpdir(), "bench-http-writes-"));
const port = await freePort();
const env = { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "info" };
const server = spawnPinned([process.execPath, "packages/server/src/main.ts"], env, 0);
const base = `http://127.0.0.1:${port}`;
await waitForHttp(`${base}/readyz`);
const secret = readFileSync(join(dataDir, "jwt-secret"), "utf8").trim();
const token = await mintToken(secret, { sub: "t1", role: "teacher", ttlSeconds: 3600 });

/** wrk Lua: `path` and `body` are Lua expressions (n counts this connection's requests). */
const lua = (method: string, path: string, body: string) => `
wrk.method = "${method}"
wrk.headers["Authorization"] = "Bearer ${token}"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, ${path}, nil, ${body})
end
`;
const course = "/api/courses/demo-physics-101";
const routes: { name: string; method: string; path: string; body: string }[] = [
  { name: "POST enrolment", method: "POST", path: `"${course}/enrollments"`, body: `'{"studentIds":["p' .. n .. '"]}'` },
  { name: "PUT enrolment", method: "PUT", path: `"${course}/enrollments/q" .. n`, body: "nil" },
  { name: "POST /api/courses", method: "POST", path: '"/api/courses"', body: `'{"title":"Course ' .. n .. '"}'` },
  { name: "PATCH /api/courses/:id", method: "PATCH", path: `"${course}"`, body: `'{"description":"d' .. n .. '"}'` },
  {
    name: "POST /api/courses/:id/classes",
    method: "POST",
    path: `"${course}/classes"`,
    body: `'{"startsAt":"2027-01-01T10:00:00Z","durationMinutes":45}'`,
  },
];
const warm = routes[0];
runWrk(base + course, { seconds: 2, connections, lua: lua(warm.method, warm.path, warm.body.replace("'p'", "'w'")), core: 1 });
const results: Record<string, LoadResult> = {};
for (const r of routes) {
  results[r.name] = runWrk(base + course, { seconds, connections, lua: lua(r.method, r.path, r.body), core: 1 });
  const x = results[r.name];
  console.log(
    `${r.name.padEnd(30)} ${String(x.requestsPerSec).padStart(7)} req/s  p50 ${x.p50Ms.toFixed(2)} ms  p99 ${x.p99Ms.toFixed(2)} ms  ` +
      `errors ${x.errors + x.non2xx}`,
  );
}
server.kill("SIGTERM");
await server.exited;
rmSync(dataDir, { recursive: true, force: true });
if (json) console.log(JSON.stringify({ bench: "http-writes", seconds, connections, results }));
