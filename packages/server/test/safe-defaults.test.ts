// Issue 14, defect 2 and build 2 against a real server: no admin from the demo sign-in, demo
// sign-in only on loopback or when asked for, a warning when it is on, 429 + Retry-After on
// token minting and failed authentication, and a maximum token lifetime.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { SignJWT } from "jose";
import { parseConfig } from "../src/config/config.ts";
import { webApp } from "../src/http/routes/web.ts";
import { createLogging } from "../src/obs/logger.ts";
import { startServer } from "../src/server.ts";
import { startTestServer, tempDir, type TestServer } from "./support/server.ts";

const PROBLEM = "https://edgeclass.dev/problems/";

describe("demo sign-in defaults", () => {
  test("on by default only on loopback; a public address needs DEMO=true", () => {
    expect(parseConfig({})).toMatchObject({ host: "127.0.0.1", demo: true });
    expect(parseConfig({ HOST: "0.0.0.0" }).demo).toBe(false);
    expect(parseConfig({ HOST: "::" }).demo).toBe(false);
    expect(parseConfig({ HOST: "192.168.1.20" }).demo).toBe(false);
    expect(parseConfig({ HOST: "0.0.0.0", DEMO: "true" }).demo).toBe(true);
    expect(parseConfig({ HOST: "0.0.0.0" }, { demo: true }).demo).toBe(true);
    expect(parseConfig({ HOST: "::1" }).demo).toBe(true);
    expect(parseConfig({ HOST: "localhost", DEMO: "false" }).demo).toBe(false);
    const demo = {
      courseId: "c",
      classId: "k",
      teacher: { id: "t1", role: "teacher" as const, name: "T", school: "default" },
      admin: { id: "admin", role: "admin" as const, name: "A", school: "default" },
      students: [],
    };
    expect(webApp({ config: parseConfig({ HOST: "0.0.0.0" }), demo, secret: "x".repeat(40) }).apiRoutes).toEqual([]);
  });

  test("JWT_TTL_SECONDS may not exceed JWT_MAX_TTL_SECONDS", () => {
    expect(parseConfig({}).jwt.maxTtlSeconds).toBe(86_400);
    expect(() => parseConfig({ JWT_TTL_SECONDS: "90000" })).toThrow(/JWT_TTL_SECONDS.*JWT_MAX_TTL_SECONDS/);
  });

  test("a JSON-log warning at start when demo sign-in is on, none when off", async () => {
    for (const demo of ["true", "false"]) {
      const lines: string[] = [];
      const dataDir = tempDir();
      const server = await startServer(
        parseConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, DEMO: demo }),
        createLogging("info", (l) => lines.push(l)),
      );
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      const warnings = lines.map((l) => JSON.parse(l)).filter((r) => r.level === 40 && /demo sign-in is on/.test(r.msg));
      if (demo === "true") {
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ host: "127.0.0.1", users: ["t1", "s1", "s2", "s3", "s4", "s5"] });
      } else expect(warnings).toHaveLength(0);
    }
  });
});

describe("against a server on loopback with demo data", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ RATE_TOKEN_MINT_PER_MINUTE: "4", RATE_AUTH_FAILURES_PER_MINUTE: "5", TRUST_PROXY: "true" });
  });
  afterAll(() => t.close());
  const from = (ip: string) => ({ "x-forwarded-for": `203.0.113.7, ${ip}` });

  test("the demo sign-in never mints an admin token, and does not list the admin", async () => {
    const r = await t.call("POST", "/api/demo/token", { body: { userId: "admin" }, headers: from("10.0.0.1") });
    expect(r.status).toBe(400);
    expect(r.body.type).toBe(PROBLEM + "validation");
    expect(r.body.token).toBeUndefined();
    const list = await t.call("GET", "/api/demo");
    expect(list.body.users.map((u: { id: string }) => u.id)).toEqual(["t1", "s1", "s2", "s3", "s4", "s5"]);
    expect(list.body.users.some((u: { role: string }) => u.role === "admin")).toBe(false);
  });

  test("minting: 429 with Retry-After per address, and per user across addresses", async () => {
    for (let i = 0; i < 4; i++)
      expect((await t.call("POST", "/api/demo/token", { body: { userId: `s${i + 1}` }, headers: from("10.0.1.1") })).status).toBe(200);
    const over = await t.call("POST", "/api/demo/token", { body: { userId: "s5" }, headers: from("10.0.1.1") });
    expect(over.status).toBe(429);
    expect(over.headers.get("content-type")).toBe("application/problem+json");
    expect(over.body.type).toBe(PROBLEM + "rate-limited");
    expect(Number(over.headers.get("retry-after"))).toBeWithin(1, 16); // 4 a minute: one every 15 s
    // The same user from four more addresses: the user's bucket stops the fifth.
    for (let i = 0; i < 3; i++)
      expect((await t.call("POST", "/api/demo/token", { body: { userId: "t1" }, headers: from(`10.0.2.${i}`) })).status).toBe(200);
    expect((await t.call("POST", "/api/demo/token", { body: { userId: "t1" }, headers: from("10.0.2.9") })).status).toBe(200);
    const user = await t.call("POST", "/api/demo/token", { body: { userId: "t1" }, headers: from("10.0.2.10") });
    expect(user.status).toBe(429);
    expect(Number(user.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("failed authentication: 401 up to the limit, then 429 for that address (even with a good token)", async () => {
    const good = await t.token("teacher", "t-good");
    for (let i = 0; i < 5; i++) {
      const r = await t.call("GET", "/api/me", { token: "a.b.c", headers: from("10.0.3.1") });
      expect(r.status).toBe(401);
    }
    const over = await t.call("GET", "/api/me", { token: "a.b.c", headers: from("10.0.3.1") });
    expect(over.status).toBe(429);
    expect(over.body.type).toBe(PROBLEM + "rate-limited");
    expect(Number(over.headers.get("retry-after"))).toBeWithin(1, 13); // 5 a minute: one every 12 s
    expect((await t.call("GET", "/api/me", { token: good, headers: from("10.0.3.1") })).status).toBe(429);
    expect((await t.call("GET", "/api/me", { token: good, headers: from("10.0.3.2") })).status).toBe(200);
    // The live socket's upgrade counts too: refused with 429 before any upgrade.
    const ws = await fetch(`${t.base}/api/classes/demo-class-1/live?token=${good}`, {
      headers: {
        ...from("10.0.3.1"),
        upgrade: "websocket",
        connection: "upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    expect(ws.status).toBe(429);
    await ws.body?.cancel();
  });

  test("failures in one user's name from many addresses: 429 for them, while that user's own token works", async () => {
    const forged = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("victim")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("y".repeat(40)));
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await t.call("GET", "/api/me", { token: forged, headers: from(`10.0.4.${i}`) })).status);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    const own = await t.call("GET", "/api/me", { token: await t.token("teacher", "victim"), headers: from("10.0.4.200") });
    expect(own.status).toBe(200);
  });

  test("refusals are counted by limit in /metrics", async () => {
    const text = await (await fetch(`${t.base}/metrics`)).text();
    const count = (limit: string) =>
      Number(new RegExp(`^edgeclass_rate_limited_total\\{limit="${limit}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
    expect(count("token-mint")).toBeGreaterThanOrEqual(2);
    expect(count("auth-failures")).toBeGreaterThanOrEqual(3);
  });

  test("a token living longer than JWT_MAX_TTL_SECONDS (24 h) is refused as invalid-token", async () => {
    const key = new TextEncoder().encode(t.server.secret);
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: { iat?: number; exp: number }) => {
      const j = new SignJWT({ role: "teacher" }).setProtectedHeader({ alg: "HS256" }).setSubject("long").setExpirationTime(claims.exp);
      if (claims.iat !== undefined) j.setIssuedAt(claims.iat);
      return j.sign(key);
    };
    const cases: [string, { iat?: number; exp: number }, number][] = [
      ["10^20 s", { iat: now, exp: 1e20 }, 401],
      ["25 h", { iat: now, exp: now + 25 * 3600 }, 401],
      ["25 h, no iat", { exp: now + 25 * 3600 }, 401],
      ["iat in the future to shorten exp - iat", { iat: now + 24 * 3600, exp: now + 25 * 3600 }, 401],
      ["23 h", { iat: now, exp: now + 23 * 3600 }, 200],
      ["23 h, no iat", { exp: now + 23 * 3600 }, 200],
    ];
    for (const [name, claims, status] of cases) {
      const r = await t.call("GET", "/api/me", { token: await sign(claims), headers: from(`10.0.5.${status}`) });
      expect({ name, status: r.status, type: r.body.type }).toEqual({
        name,
        status,
        type: status === 401 ? PROBLEM + "invalid-token" : undefined,
      });
    }
  });
});
