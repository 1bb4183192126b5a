// School sign-in against a real OpenID provider (oidc-provider, started here): the code flow
// with PKCE, the session cookie and its CSRF checks, logout, and callbacks that must change nothing.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startOidcProvider, type TestProvider } from "./support/oidc-provider.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { startTestServer, tempDir, type TestServer } from "./support/server.ts";

let t: TestServer;
let idp: TestProvider;
let admin: string;
const SCHOOL = "north-high";

/** Cookies of one site, as a browser keeps them (name -> value; Max-Age=0 removes). */
class Jar {
  readonly cookies = new Map<string, string>();
  readonly raw: string[] = [];
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      this.raw.push(c);
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      if (/max-age=0\b/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

async function get(url: string, jar: Jar): Promise<Response> {
  const res = await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
  jar.take(res);
  return res;
}

/** Starts a sign-in and walks the provider's redirects; returns the callback URL the provider sent the browser to. */
async function toCallback(site: Jar, opts: { next?: string; tamper?: (auth: URL) => void } = {}): Promise<string> {
  const start = await get(`${t.base}/api/auth/oidc/${SCHOOL}/login${opts.next ? `?next=${encodeURIComponent(opts.next)}` : ""}`, site);
  expect(start.status).toBe(303);
  const auth = new URL(start.headers.get("location")!);
  expect(auth.origin).toBe(idp.issuer);
  expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
  opts.tamper?.(auth);
  const provider = new Jar();
  let next = auth.href;
  for (let i = 0; i < 10; i++) {
    const r = await get(next, provider);
    const loc = r.headers.get("location");
    if (loc === null) throw new Error(`provider stopped at ${r.status}: ${await r.text()}`);
    next = new URL(loc, next).href;
    if (next.startsWith(t.base)) return next;
  }
  throw new Error("no redirect back");
}

async function signIn(account: TestProvider["nextAccount"], next?: string): Promise<{ site: Jar; landing: Response }> {
  idp.nextAccount = account;
  const site = new Jar();
  const landing = await get(await toCallback(site, { next }), site);
  return { site, landing };
}

async function withCookie(method: string, path: string, site: Jar, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(t.base + path, {
    method,
    headers: { cookie: site.header(), ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

function users(): string[] {
  const db = new Database(join(t.dataDir, "edgeclass.db"), { readonly: true });
  try {
    return db
      .query<{ id: string }, []>("SELECT id FROM users WHERE id LIKE 'north-high:%' AND school_id = 'north-high' ORDER BY id")
      .all()
      .map((r) => r.id);
  } finally {
    db.close();
  }
}

/** A data folder with the schools the tests use (there is no schools API yet). */
function withSchools(...ids: string[]): string {
  const dir = tempDir();
  const db = openDatabase(join(dir, "edgeclass.db"));
  for (const id of ids) db.query("INSERT INTO schools (id, name, created_at, updated_at) VALUES (?, ?, 0, 0)").run(id, id);
  db.close();
  return dir;
}

beforeAll(async () => {
  t = await startTestServer({ SESSION_TTL_SECONDS: "900" }, withSchools(SCHOOL, "south-high"));
  idp = await startOidcProvider([`${t.base}/api/auth/oidc/callback`]);
  admin = await t.token("admin", "admin");
  const r = await t.call("PUT", `/api/schools/${SCHOOL}/identity-provider`, {
    token: admin,
    body: {
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      roleClaim: "edgeclass_role",
      teacherValues: ["teacher"],
    },
  });
  expect(r.status).toBe(201);
  expect(r.body.redirectUri).toBe(`${t.base}/api/auth/oidc/callback`);
  expect(r.body.clientSecret).toBe("(set)");
});

afterAll(async () => {
  await idp?.close();
  await t?.close();
});

describe("registering a school's identity provider", () => {
  test(
    "only an admin may; a provider that does not answer discovery, or plain http elsewhere, is refused and nothing is " + "stored",
    async () => {
      const teacher = await t.token("teacher", "t-reg");
      const body = { issuer: idp.issuer, clientId: "x", clientSecret: "y" };
      expect((await t.call("PUT", "/api/schools/south-high/identity-provider", { token: teacher, body })).status).toBe(403);
      expect((await t.call("PUT", "/api/schools/no-such-school/identity-provider", { token: admin, body })).status).toBe(404);
      const dead = await t.call("PUT", "/api/schools/south-high/identity-provider", {
        token: admin,
        body: { ...body, issuer: "http://127.0.0.1:9/nothing" },
      });
      expect(dead.status).toBe(400);
      expect(dead.body.issues[0].path).toBe("issuer");
      expect(dead.body.detail).toContain("discovery");
      const plain = await t.call("PUT", "/api/schools/south-high/identity-provider", {
        token: admin,
        body: { ...body, issuer: "http://idp.example.org" },
      });
      expect(plain.status).toBe(400);
      expect(plain.body.issues[0].message).toContain("https");
      expect((await t.call("GET", "/api/schools/south-high/identity-provider", { token: admin })).status).toBe(404);
      const read = await t.call("GET", `/api/schools/${SCHOOL}/identity-provider`, { token: admin });
      expect(read.body).toMatchObject({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: "(set)", roleClaim: "edgeclass_role" });
    },
  );

  test("signing in with a school that has no provider is a 404 problem", async () => {
    const r = await fetch(`${t.base}/api/auth/oidc/no-such-school/login`, { redirect: "manual" });
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("the code flow with PKCE", () => {
  test("a teacher signs in: HttpOnly SameSite cookie, bounded life, back to `next`, known to the API", async () => {
    const { site, landing } = await signIn({ sub: "alice", name: "Alice Teacher", role: "teacher" }, "/courses/x");
    expect(landing.status).toBe(303);
    expect(landing.headers.get("location")).toBe("/courses/x");
    const session = site.raw.find((c) => c.startsWith("edgeclass-session="))!;
    expect(session).toContain("HttpOnly");
    expect(session).toContain("SameSite=Lax");
    expect(session).toContain("Max-Age=900");
    expect(site.cookies.has("edgeclass-oidc")).toBe(false); // the pending sign-in is spent
    const me = await withCookie("GET", "/api/auth/session", site);
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual({ id: "north-high:alice", role: "teacher", name: "Alice Teacher", school: SCHOOL });
    expect(me.body.school).toBe(SCHOOL);
    expect(me.body.csrfToken).toBe(site.cookies.get("edgeclass-csrf"));
    const expires = Date.parse(me.body.expiresAt);
    expect(expires - Date.now()).toBeLessThanOrEqual(900_000);
    expect(expires - Date.now()).toBeGreaterThan(880_000);
    expect((await withCookie("GET", "/api/me", site)).body.id).toBe("north-high:alice");
    expect(users()).toContain("north-high:alice");
  });

  test("a user without the teacher value signs in as a student; a next that leaves the site is ignored", async () => {
    const { site, landing } = await signIn({ sub: "bob", name: "Bob", role: "pupil" }, "//evil.example/x");
    expect(landing.headers.get("location")).toBe("/");
    expect((await withCookie("GET", "/api/me", site)).body).toEqual({ id: "north-high:bob", role: "student", name: "Bob", school: SCHOOL });
  });

  test("state-changing requests with the cookie need the CSRF token and this origin; bearer tokens need neither", async () => {
    const { site } = await signIn({ sub: "carol", name: "Carol", role: "teacher" });
    const csrf = site.cookies.get("edgeclass-csrf")!;
    const before = (await withCookie("GET", "/api/courses", site)).body.items.length;
    const none = await withCookie("POST", "/api/courses", site, {}, { title: "No token" });
    expect(none.status).toBe(403);
    expect(none.body.reason).toBe("csrf");
    const wrong = await withCookie("POST", "/api/courses", site, { "x-csrf-token": csrf.slice(0, -2) + "AA" }, { title: "Wrong token" });
    expect(wrong.status).toBe(403);
    const foreign = await withCookie(
      "POST",
      "/api/courses",
      site,
      { "x-csrf-token": csrf, origin: "https://evil.example" },
      { title: "Other site" },
    );
    expect(foreign.status).toBe(403);
    const crossSite = await withCookie(
      "POST",
      "/api/courses",
      site,
      { "x-csrf-token": csrf, "sec-fetch-site": "cross-site" },
      { title: "Other site" },
    );
    expect(crossSite.status).toBe(403);
    expect((await withCookie("GET", "/api/courses", site)).body.items.length).toBe(before); // nothing was created
    const ok = await withCookie(
      "POST",
      "/api/courses",
      site,
      { "x-csrf-token": csrf, origin: t.base, "sec-fetch-site": "same-origin" },
      { title: "With token" },
    );
    expect(ok.status).toBe(201);
    expect(ok.body.teacherId).toBe("north-high:carol");
    const bearer = await t.call("POST", "/api/courses", { token: await t.token("teacher", "api-client"), body: { title: "API client" } });
    expect(bearer.status).toBe(201);
  });

  test("the page gets a short bearer token for its live socket (CSRF-checked); it dies with the session", async () => {
    const { site } = await signIn({ sub: "ivy", name: "Ivy", role: "teacher" });
    const csrf = site.cookies.get("edgeclass-csrf")!;
    expect((await withCookie("POST", "/api/auth/live-token", site)).status).toBe(403);
    const r = await withCookie("POST", "/api/auth/live-token", site, { "x-csrf-token": csrf });
    expect(r.status).toBe(200);
    const life = Date.parse(r.body.expiresAt) - Date.now();
    expect(life).toBeGreaterThan(100_000);
    expect(life).toBeLessThanOrEqual(120_000);
    expect((await t.call("GET", "/api/me", { token: r.body.token })).body).toMatchObject({ id: "north-high:ivy", school: SCHOOL });
    // a bearer token: no CSRF token needed
    const teacher = await t.call("POST", "/api/courses", { token: r.body.token, body: { title: "Live" } });
    expect(teacher.status).toBe(201);
    await fetch(`${t.base}/api/auth/logout`, { method: "POST", headers: { cookie: site.header(), "x-csrf-token": csrf } });
    expect((await t.call("GET", "/api/me", { token: r.body.token })).status).toBe(401);
  });

  test("a forged session cookie is refused", async () => {
    const site = new Jar();
    site.cookies.set(
      "edgeclass-session",
      "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJzZXNzaW9uIiwic3ViIjoieCIsInJvbGUiOiJhZG1pbiIsInNpZCI6IngiLCJleHAiOjk5OTk5OTk5OTl9.c2lnbmF0dXJl",
    );
    const r = await withCookie("GET", "/api/me", site);
    expect(r.status).toBe(401);
    expect(r.body.type).toBe("https://edgeclass.dev/problems/invalid-token");
  });

  test("logout needs the CSRF token, then revokes the session: the old cookie is refused", async () => {
    const { site } = await signIn({ sub: "dave", name: "Dave", role: "teacher" });
    const copy = new Jar();
    for (const [k, v] of site.cookies) copy.cookies.set(k, v);
    expect((await withCookie("POST", "/api/auth/logout", site)).status).toBe(403);
    expect((await withCookie("GET", "/api/me", site)).status).toBe(200);
    const out = await fetch(`${t.base}/api/auth/logout`, {
      method: "POST",
      headers: { cookie: site.header(), "x-csrf-token": site.cookies.get("edgeclass-csrf")! },
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().every((c) => c.includes("Max-Age=0"))).toBe(true);
    const replay = await withCookie("GET", "/api/me", copy);
    expect(replay.status).toBe(401);
    expect(replay.body.detail).toContain("logged out");
  });
});

describe("callbacks that must change nothing", () => {
  test("a wrong state is refused with a problem; no session, no user; the real callback still works after", async () => {
    idp.nextAccount = { sub: "erin", name: "Erin", role: "teacher" };
    const site = new Jar();
    const callback = new URL(await toCallback(site));
    const forged = new URL(callback);
    forged.searchParams.set("state", "not-the-state");
    const r = await get(forged.href, site);
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await r.json()) as { reason: string; detail: string };
    expect(problem.reason).toBe("state-mismatch");
    expect(problem.detail).toContain("nothing was changed");
    expect(r.headers.getSetCookie()).toEqual([]);
    expect((await withCookie("GET", "/api/auth/session", site)).status).toBe(401);
    expect(users()).not.toContain("north-high:erin");
    // The browser's own sign-in was not spent by the forged one.
    expect((await get(callback.href, site)).status).toBe(303);
    expect((await withCookie("GET", "/api/me", site)).body.id).toBe("north-high:erin");
  });

  test("a wrong nonce (the authorization request tampered with) is refused: no session, no user", async () => {
    idp.nextAccount = { sub: "frank", name: "Frank", role: "teacher" };
    const site = new Jar();
    const callback = await toCallback(site, { tamper: (auth) => auth.searchParams.set("nonce", "attacker-nonce") });
    const r = await get(callback, site);
    expect(r.status).toBe(400);
    const body = (await r.json()) as { reason: string; detail: string };
    expect(body.reason).toBe("nonce-mismatch");
    expect(r.headers.getSetCookie()).toEqual([]);
    expect((await withCookie("GET", "/api/auth/session", site)).status).toBe(401);
    expect(users()).not.toContain("north-high:frank");
    const metrics = (await (await fetch(`${t.base}/metrics`)).text()).split("\n");
    expect(metrics).toContain('edgeclass_sign_ins_total{via="oidc",outcome="state-mismatch"} 1');
    expect(metrics).toContain('edgeclass_sign_ins_total{via="oidc",outcome="nonce-mismatch"} 1');
  });

  test("the provider's refusal (?error=access_denied) is a 403 problem with its words; no session", async () => {
    idp.nextAccount = { sub: "hugo", role: "teacher" };
    const site = new Jar();
    const callback = new URL(await toCallback(site));
    const refusal = new URL(callback.origin + callback.pathname);
    refusal.searchParams.set("state", callback.searchParams.get("state")!);
    refusal.searchParams.set("error", "access_denied");
    refusal.searchParams.set("error_description", "the user said no");
    const r = await get(refusal.href, site);
    expect(r.status).toBe(403);
    const body = (await r.json()) as { reason: string; detail: string };
    expect(body.reason).toBe("provider-error");
    expect(body.detail).toContain("access_denied (the user said no)");
    expect(r.headers.getSetCookie()).toEqual([]);
    expect(users()).not.toContain("north-high:hugo");
  });

  test("a callback in a browser that started no sign-in is refused", async () => {
    idp.nextAccount = { sub: "gina", role: "teacher" };
    const callback = await toCallback(new Jar());
    const r = await get(callback, new Jar());
    expect(r.status).toBe(400);
    expect(((await r.json()) as { reason: string }).reason).toBe("no-pending-sign-in");
    expect(users()).not.toContain("north-high:gina");
  });
});

test("another instance on the same data (or after a restart) takes the session, and honours its logout", async () => {
  const { site } = await signIn({ sub: "hana", name: "Hana", role: "teacher" });
  const other = await startTestServer({ SESSION_TTL_SECONDS: "900" }, t.dataDir);
  try {
    const me = await fetch(`${other.base}/api/me`, { headers: { cookie: site.header() } });
    expect(((await me.json()) as { id: string }).id).toBe("north-high:hana");
    const out = await fetch(`${t.base}/api/auth/logout`, {
      method: "POST",
      headers: { cookie: site.header(), "x-csrf-token": site.cookies.get("edgeclass-csrf")! },
    });
    expect(out.status).toBe(204);
    expect((await fetch(`${other.base}/api/me`, { headers: { cookie: site.header() } })).status).toBe(401);
  } finally {
    await other.server.stop(); // not close(): the data folder is the first server's
  }
});

test("a claim value mapped to school-admin makes the school's admin (of that school only; never the platform admin)", async () => {
  const register = (schoolAdminValues: unknown) =>
    t.call("PUT", `/api/schools/${SCHOOL}/identity-provider`, {
      token: admin,
      body: {
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        roleClaim: "edgeclass_role",
        teacherValues: ["teacher", "head"],
        schoolAdminValues,
      },
    });
  expect((await register(["", "x"])).status).toBe(400); // an empty value would match nothing; refused, nothing stored
  expect((await register(["head", "admin"])).status).toBe(200);
  const read = await t.call("GET", `/api/schools/${SCHOOL}/identity-provider`, { token: admin });
  expect(read.body.schoolAdminValues).toEqual(["head", "admin"]);
  // "head" is in both lists: the higher role wins. A space-separated claim counts value by value.
  const { site } = await signIn({ sub: "ines", name: "Ines Head", role: "staff head" });
  const me = (await withCookie("GET", "/api/me", site)).body;
  expect(me).toEqual({ id: "north-high:ines", role: "school-admin", name: "Ines Head", school: SCHOOL });
  // A school admin of this school: its sign-in settings, yes; another school's, not even its existence.
  expect((await withCookie("GET", `/api/schools/${SCHOOL}/identity-provider`, site)).status).toBe(200);
  expect((await withCookie("GET", "/api/schools/south-high/identity-provider", site)).status).toBe(404);
  // "admin" as a claim value maps to school-admin, never to the platform admin.
  const { site: other } = await signIn({ sub: "jon", name: "Jon", role: "admin" });
  expect((await withCookie("GET", "/api/me", other)).body.role).toBe("school-admin");
  // Teachers still sign in as teachers.
  const { site: teacher } = await signIn({ sub: "kim", name: "Kim", role: "teacher" });
  expect((await withCookie("GET", "/api/me", teacher)).body.role).toBe("teacher");
});
