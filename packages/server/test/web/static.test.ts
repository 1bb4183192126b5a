// web.ts without a browser: caching headers, gzip, ETags, the SPA fallback, a missing build,
// a rebuild picked up without a restart, and the demo sign-in only where demo data runs.
import { afterAll, expect, test } from "bun:test";
import type { BunRequest } from "bun";
import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTokenVerifier } from "../../src/auth/tokens.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { DemoInfo } from "../../src/demo/seed.ts";
import { AppError } from "../../src/domain/errors.ts";
import { CSP, IMMUTABLE, NO_CACHE, webApp } from "../../src/http/routes/web.ts";
import { tempDir } from "../support/server.ts";

const dist = tempDir("edgeclass-web-");
afterAll(() => rmSync(dist, { recursive: true, force: true }));
const SECRET = "x".repeat(40);
const config = parseConfig({ DATA_DIR: dist, JWT_SECRET: SECRET });
const demo: DemoInfo = {
  courseId: "demo-physics-101",
  classId: "demo-class-1",
  teacher: { id: "t1", role: "teacher", name: "Ada Lovelace", school: "default" },
  admin: { id: "admin", role: "admin", name: "Platform Admin", school: "default" },
  students: [{ id: "s1", role: "student", name: "Grace Hopper", school: "default" }],
};
const JS = "export const x = 1;\n".repeat(100);

function build(html: string) {
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "assets", "main-abc123.js"), JS);
  writeFileSync(join(dist, "assets", "logo-abc123.png"), new Uint8Array(2048)); // would shrink, but not a text type
  writeFileSync(join(dist, "index.html"), html);
}
const req = (path: string, init: RequestInit = {}) => new Request(`http://local${path}`, init) as unknown as BunRequest;

test("no build yet: the app's paths say how to build it", () => {
  const web = webApp({ config, demo, secret: SECRET, distDir: join(dist, "nothing-here") });
  const r = web.staticRoutes["/"](req("/"));
  expect(r.status).toBe(503);
  expect(r.headers.get("cache-control")).toBe("no-store");
});

test("index.html revalidated, hashed assets immutable and gzipped, ETags, SPA fallback, GET only", async () => {
  build(`<!doctype html><script type="module" src="/assets/main-abc123.js"></script>`);
  const web = webApp({ config, demo, secret: SECRET, distDir: dist });
  for (const path of ["/", "/login", "/admin", "/class/demo-class-1", "/courses/new"]) {
    const route = path.startsWith("/class/") ? "/class/*" : path.startsWith("/courses/") ? "/courses/*" : path;
    const r = web.staticRoutes[route](req(path));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe(NO_CACHE);
    expect(r.headers.get("content-security-policy")).toBe(CSP);
    expect(await r.text()).toContain("/assets/main-abc123.js");
  }
  const first = web.staticRoutes["/"](req("/"));
  const etag = first.headers.get("etag")!;
  expect(web.staticRoutes["/"](req("/", { headers: { "if-none-match": etag } })).status).toBe(304);

  const js = web.staticRoutes["/assets/*"](req("/assets/main-abc123.js", { headers: { "accept-encoding": "gzip, br" } }));
  expect(js.headers.get("cache-control")).toBe(IMMUTABLE);
  expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  expect(js.headers.get("content-encoding")).toBe("gzip");
  expect(js.headers.get("vary")).toBe("accept-encoding");
  const body = new Uint8Array(await js.arrayBuffer());
  expect(body.byteLength).toBeLessThan(JS.length);
  expect(new TextDecoder().decode(Bun.gunzipSync(body))).toBe(JS);
  const plain = web.staticRoutes["/assets/*"](req("/assets/main-abc123.js"));
  expect(plain.headers.get("content-encoding")).toBeNull();
  expect(await plain.text()).toBe(JS);
  const png = web.staticRoutes["/assets/*"](req("/assets/logo-abc123.png", { headers: { "accept-encoding": "gzip" } }));
  expect(png.headers.get("content-encoding")).toBeNull();
  expect((await png.arrayBuffer()).byteLength).toBe(2048);

  expect(web.staticRoutes["/assets/*"](req("/assets/nope.js")).status).toBe(404);
  expect(web.staticRoutes["/assets/*"](req("/assets/%2e%2e/%2e%2e/etc/passwd")).status).toBe(404);
  expect(web.staticRoutes["/"](req("/", { method: "POST" })).status).toBe(405);
});

test("a rebuild is served without a restart", async () => {
  build("<!doctype html><p>one</p>");
  const web = webApp({ config, demo, secret: SECRET, distDir: dist });
  expect(await web.staticRoutes["/"](req("/")).text()).toContain("one");
  build("<!doctype html><p>two</p>");
  utimesSync(join(dist, "index.html"), new Date(), new Date(Date.now() + 5000));
  expect(await web.staticRoutes["/"](req("/")).text()).toContain("two");
});

test("index.html in the reader's language: the language cookie, else Accept-Language by quality; English otherwise", async () => {
  build('<!doctype html><html lang="en"><p class="boot">Loading</p>');
  writeFileSync(join(dist, "index.zh-CN.html"), '<!doctype html><html lang="zh-CN"><p class="boot">正在加载</p>');
  utimesSync(join(dist, "index.html"), new Date(), new Date(Date.now() + 10_000));
  const web = webApp({ config, demo, secret: SECRET, distDir: dist });
  const lang = async (headers: Record<string, string>) => {
    const r = web.staticRoutes["/class/*"](req("/class/demo-class-1", { headers }));
    expect(r.headers.get("vary")).toBe("accept-encoding, accept-language, cookie");
    return /lang="([^"]+)"/.exec(await r.text())?.[1];
  };
  expect(await lang({})).toBe("en");
  expect(await lang({ "accept-language": "zh-CN,zh;q=0.9,en;q=0.8" })).toBe("zh-CN");
  expect(await lang({ "accept-language": "zh-TW" })).toBe("zh-CN");
  expect(await lang({ "accept-language": "fr-FR, de;q=0.9, zh;q=0.5, en;q=0.4" })).toBe("zh-CN");
  expect(await lang({ "accept-language": "en;q=0.5, zh-CN;q=0.8" })).toBe("zh-CN");
  expect(await lang({ "accept-language": "zh;q=0, en" })).toBe("en");
  expect(await lang({ "accept-language": "fr" })).toBe("en");
  // The switch in the app is remembered in a cookie the server reads: it wins over the browser's list.
  expect(await lang({ "accept-language": "zh-CN", cookie: "a=1; edgeclass-lang=en" })).toBe("en");
  expect(await lang({ "accept-language": "en-US", cookie: "edgeclass-lang=zh-CN" })).toBe("zh-CN");
  expect(await lang({ "accept-language": "en-US", cookie: "edgeclass-lang=xx" })).toBe("en");
  // Each language its own ETag (a cache keeps them apart).
  const en = web.staticRoutes["/"](req("/")).headers.get("etag");
  const zh = web.staticRoutes["/"](req("/", { headers: { "accept-language": "zh" } })).headers.get("etag");
  expect(en).not.toBe(zh);
  rmSync(join(dist, "index.zh-CN.html"));
});

test("demo sign-in mints a verifiable token for demo users only, and exists only with demo data", async () => {
  const web = webApp({ config, demo, secret: SECRET, distDir: dist });
  const byPath = Object.fromEntries(web.apiRoutes.map((r) => [`${r.method} ${r.path}`, r]));
  expect(Object.keys(byPath).sort()).toEqual(["GET /api/demo", "POST /api/demo/token"]);
  expect(byPath["POST /api/demo/token"].auth).toBe("public");
  const ctx = (body: unknown) => ({
    req: req("/api/demo/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    params: {},
    reqId: "t",
    ip: "127.0.0.1",
    principal: { id: "", role: "student" as const, name: "", school: "" },
  });
  const ok = await byPath["POST /api/demo/token"].handle(ctx({ userId: "s1" }));
  expect(ok.headers.get("cache-control")).toBe("no-store");
  const { token, user } = await ok.json();
  expect(user).toEqual({ id: "s1", name: "Grace Hopper", role: "student" });
  expect(await createTokenVerifier(config.jwt, SECRET).verify(token)).toEqual({
    id: "s1",
    role: "student",
    name: "Grace Hopper",
    school: "default",
  });
  expect(Promise.resolve(byPath["POST /api/demo/token"].handle(ctx({ userId: "mallory" })))).rejects.toBeInstanceOf(AppError);
  // never an admin
  expect(Promise.resolve(byPath["POST /api/demo/token"].handle(ctx({ userId: "admin" })))).rejects.toBeInstanceOf(AppError);
  expect(Promise.resolve(byPath["POST /api/demo/token"].handle(ctx({ userId: "s1", role: "admin" })))).rejects.toBeInstanceOf(AppError);
  const list = await (await byPath["GET /api/demo"].handle(ctx({}))).json();
  expect(list.users.map((u: { id: string }) => u.id)).toEqual(["t1", "s1"]);

  expect(webApp({ config: { ...config, demo: false }, demo, secret: SECRET, distDir: dist }).apiRoutes).toEqual([]);
  expect(webApp({ config, demo: null, secret: SECRET, distDir: dist }).apiRoutes).toEqual([]);
  expect(
    webApp({ config: { ...config, jwt: { ...config.jwt, jwksFile: "/x.json" } }, demo, secret: SECRET, distDir: dist }).apiRoutes,
  ).toEqual([]);
});
