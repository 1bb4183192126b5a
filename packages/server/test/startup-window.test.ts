// The server listens before it is built (server.ts, issue 19): requests that arrive meanwhile wait
// for the build, then are routed by hand (http/dispatch.ts). They must get what Bun's router gives
// once the routes are in: the same route, parameters, method rules, validation and problems.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { buildApp } from "../src/app.ts";
import { mintToken } from "../src/auth/tokens.ts";
import { parseConfig } from "../src/config/config.ts";
import { dispatcher } from "../src/http/dispatch.ts";
import { notRouted } from "../src/http/endpoint.ts";
import { createLogging } from "../src/obs/logger.ts";
import { createMetrics } from "../src/obs/metrics.ts";
import { startServer } from "../src/server.ts";
import { freePort } from "./support/instances.ts";
import { tempDir } from "./support/server.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Ask = { method: string; path: string; token?: string; body?: string };

async function answer(base: string, a: Ask): Promise<{ status: number; allow: string | null; body: string }> {
  const headers: Record<string, string> = a.body === undefined ? {} : { "content-type": "application/json" };
  if (a.token) headers.authorization = `Bearer ${a.token}`;
  const res = await fetch(base + a.path, { method: a.method, headers, body: a.body });
  const body = a.path === "/metrics" ? "" : await res.text();
  return { status: res.status, allow: res.headers.get("allow"), body };
}

test("the hand router answers every kind of request as Bun's router does", async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const logging = createLogging("silent");
  const config = parseConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  const app = await buildApp(config, logging, createMetrics("test"), () => "ready");
  const fallback = notRouted(app.routes, logging.logger);
  const byHand = dispatcher(app.routes, fallback);
  const bun = Bun.serve({ port: 0, hostname: "127.0.0.1", routes: app.routes, fetch: fallback, websocket: app.websocket });
  const hand = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req, srv) => byHand(req as never, srv), websocket: app.websocket });
  try {
    const demo = app.demo;
    if (demo === null) throw new Error("the demo data is on by default on a loopback address");
    const teacher = await mintToken(app.secret, { role: "teacher", sub: demo.teacher.id, ttlSeconds: 60 });
    const student = await mintToken(app.secret, { role: "student", sub: demo.students[0].id, ttlSeconds: 60 });
    const asks: Ask[] = [
      { method: "GET", path: "/healthz" },
      { method: "GET", path: "/metrics" },
      { method: "GET", path: "/api/me", token: student },
      { method: "GET", path: `/api/courses/${demo.courseId}`, token: teacher },
      { method: "HEAD", path: `/api/courses/${demo.courseId}`, token: teacher },
      { method: "GET", path: `/api/courses/${demo.courseId}` },
      { method: "GET", path: "/api/courses/no-such-course", token: teacher },
      { method: "GET", path: "/api/courses/bad%20id", token: teacher },
      { method: "GET", path: `/api/courses/${demo.courseId}/enrollments?limit=1`, token: teacher },
      { method: "GET", path: `/api/courses/${demo.courseId}/enrollments?limit=x`, token: teacher },
      { method: "POST", path: `/api/courses/${demo.courseId}/enrollments`, token: teacher, body: "{}" },
      { method: "POST", path: `/api/courses/${demo.courseId}/enrollments`, token: teacher, body: '{"studentIds": ["a b"]}' },
      { method: "POST", path: `/api/courses/${demo.courseId}/enrollments`, token: teacher, body: "{not json" },
      { method: "PATCH", path: `/api/classes/${demo.classId}`, token: teacher, body: '{"durationMinutes": 1}' },
      { method: "DELETE", path: `/api/courses/${demo.courseId}`, token: teacher },
      { method: "OPTIONS", path: "/api/courses" },
      { method: "GET", path: `/api/classes/${demo.classId}/live`, token: student },
      { method: "GET", path: "/no/such/path" },
      { method: "GET", path: "/api/demo" },
    ];
    for (const a of asks) {
      const viaBun = await answer(bun.url.href.replace(/\/$/, ""), a);
      const viaHand = await answer(hand.url.href.replace(/\/$/, ""), a);
      expect({ ask: a, ...viaHand }).toEqual({ ask: a, ...viaBun });
    }
  } finally {
    await app.stop(async () => {
      bun.stop(true);
      hand.stop(true);
    });
  }
});

test("requests sent before the server is built wait for it and get the built server's answers; the probes do not wait", async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const port = await freePort();
  const secret = "a-test-secret-of-at-least-32-characters!";
  const config = parseConfig({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", JWT_SECRET: secret });
  const token = await mintToken(secret, { role: "teacher", sub: "t1", ttlSeconds: 60 });
  let release = () => {};
  const starting = startServer(config, createLogging("silent"), new Promise<void>((r) => (release = r)));
  // The server listens and answers its probes; the build waits until these have arrived.
  const base = `http://127.0.0.1:${port}`;
  const course = "/api/courses/demo-physics-101";
  const healthz = await answer(base, { method: "GET", path: "/healthz" });
  const readyz = await answer(base, { method: "GET", path: "/readyz" });
  expect(readyz.status).toBe(503);
  expect(JSON.parse(readyz.body).reason).toBe("starting");
  setTimeout(release, 50);
  const early = await Promise.all([
    healthz,
    answer(base, { method: "GET", path: course, token }),
    answer(base, { method: "GET", path: course }),
    answer(base, { method: "GET", path: "/api/courses/bad%20id", token }),
    answer(base, { method: "POST", path: `${course}/enrollments`, token, body: "{}" }),
    answer(base, { method: "GET", path: "/no/such/path" }),
  ]);
  const server = await starting;
  try {
    const late = await answer(base, { method: "GET", path: course, token });
    expect(late.status).toBe(200);
    expect(early.map((a) => a.status)).toEqual([200, 200, 401, 400, 400, 404]);
    expect(early[0].body).toBe('{"status":"ok"}');
    expect(early[1].body).toBe(late.body);
    expect(JSON.parse(early[2].body).type).toEndWith("/unauthorized");
    expect(JSON.parse(early[3].body).type).toEndWith("/validation");
    expect(JSON.parse(early[4].body).type).toEndWith("/validation");
    expect(JSON.parse(early[5].body).type).toEndWith("/not-found");
    await server.whenReady;
    expect((await answer(base, { method: "GET", path: "/readyz" })).status).toBe(200);
  } finally {
    await server.stop();
  }
});
