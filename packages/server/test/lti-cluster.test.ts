// Sign-in and LTI across two instances with their own data folders, through a real Redis: a
// provider and a platform registered on one are known to the other, a launch begun on one
// ends on the other, its session works on both and its logout holds on both, the tool signs
// with one key everywhere, and a nonce used on one is refused on the other.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { mintToken } from "../src/auth/tokens.ts";
import { api, eventually, spawned, startInstance, uniquePrefix } from "./support/instances.ts";
import { LTI, ROLE, startLtiPlatform, type TestPlatform } from "./support/lti-platform.ts";
import { startOidcProvider, type TestProvider } from "./support/oidc-provider.ts";
import { tempDir } from "./support/server.ts";

const secret = "lti-cluster-test-secret-0123456789-abcdefghijkl";
const dirs: string[] = [];
let lms: TestPlatform | undefined;
let idp: TestProvider | undefined;
afterAll(async () => {
  for (const p of spawned) p.kill("SIGKILL");
  lms?.close();
  await idp?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("registrations, launches, sessions and nonces hold across instances", async () => {
  const prefix = uniquePrefix();
  const node = (name: string) => {
    const dataDir = tempDir("edgeclass-lti-node-");
    dirs.push(dataDir);
    return startInstance({
      DATA_DIR: dataDir,
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_PREFIX: prefix,
      INSTANCE_ID: name,
      JWT_SECRET: secret,
      DEMO: "false",
      LOG_LEVEL: "silent",
    });
  };
  const [a, b] = await Promise.all([node("a"), node("b")]);
  const admin = await mintToken(secret, { role: "admin", sub: "root", ttlSeconds: 600 });
  expect((await api(a.base, "POST", "/api/schools", admin, { id: "lakes", name: "Lakes" })).status).toBe(201);
  await eventually(async () => expect((await api(b.base, "GET", "/api/schools/lakes", admin)).status).toBe(200));

  // An identity provider registered on a is b's too.
  idp = await startOidcProvider([`${a.base}/api/auth/oidc/callback`, `${b.base}/api/auth/oidc/callback`]);
  const reg = await api(a.base, "PUT", "/api/schools/lakes/identity-provider", admin, {
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
  });
  expect(reg.status).toBe(201);
  await eventually(async () =>
    expect((await api(b.base, "GET", "/api/schools/lakes/identity-provider", admin)).body).toMatchObject({
      issuer: idp!.issuer,
      clientId: idp!.clientId,
    }),
  );
  // b can start the sign-in (it opens the sealed secret too)
  expect((await fetch(`${b.base}/api/auth/oidc/lakes/login`, { redirect: "manual" })).status).toBe(303);

  // An LMS registered on a; its launch begins on a and ends on b.
  lms = await startLtiPlatform();
  lms.toolJwksUrl = `${b.base}/api/lti/jwks`;
  const platform = await api(a.base, "POST", "/api/schools/lakes/lti/platforms", admin, lms.registration);
  expect(platform.status).toBe(201);
  const [jwksA, jwksB] = await Promise.all([a, b].map(async (n) => (await fetch(`${n.base}/api/lti/jwks`)).json()));
  expect(jwksA).toEqual(jwksB); // one tool key, claimed once in Redis
  const login = async (base: string) => {
    const q = new URLSearchParams({
      iss: lms!.issuer,
      login_hint: "h",
      target_link_uri: `${base}/api/lti/launch`,
      client_id: lms!.clientId,
    });
    const r = await eventually(async () => {
      const res = await fetch(`${base}/api/lti/login?${q}`, { redirect: "manual" });
      expect(res.status).toBe(302);
      return res;
    });
    const u = new URL(r.headers.get("location")!);
    return { state: u.searchParams.get("state")!, nonce: u.searchParams.get("nonce")! };
  };
  const { state, nonce } = await login(a.base);
  const idToken = await lms.idToken({
    iss: lms.issuer,
    aud: lms.clientId,
    sub: "t-1",
    nonce,
    name: "Tara",
    [`${LTI}message_type`]: "LtiResourceLinkRequest",
    [`${LTI}version`]: "1.3.0",
    [`${LTI}deployment_id`]: lms.deploymentId,
    [`${LTI}roles`]: [ROLE.instructor],
    [`${LTI}context`]: { id: "geo", title: "Geography" },
    [`${LTI}resource_link`]: { id: "rl-1" },
  });
  const post = (base: string, s: string) =>
    fetch(`${base}/api/lti/launch`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ id_token: idToken, state: s }),
    });
  const launched = await post(b.base, state);
  expect(launched.status).toBe(303);
  const token = /#token=([\w.-]+)$/.exec(launched.headers.get("location")!)![1];
  const cookie = launched.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const csrf = /edgeclass-csrf=([^;]+)/.exec(cookie)![1];
  // The session works on a too; the course b made reaches a.
  expect((await api(a.base, "GET", "/api/me", token)).body).toMatchObject({ school: "lakes", role: "teacher", name: "Tara" });
  const courseId = decodeURIComponent(/\/courses\/([^#]+)#/.exec(launched.headers.get("location")!)![1]);
  await eventually(async () =>
    expect((await api(a.base, "GET", `/api/courses/${courseId}`, token)).body).toMatchObject({ title: "Geography", schoolId: "lakes" }),
  );
  // The same id_token replayed on a, under a fresh state: its nonce was used on b.
  const again = await post(a.base, (await login(a.base)).state);
  expect(again.status).toBe(400);
  expect(((await again.json()) as { reason: string }).reason).toBe("replayed-nonce");
  // Logout on a: the cookie and the bearer form are refused on b.
  expect((await fetch(`${a.base}/api/auth/logout`, { method: "POST", headers: { cookie, "x-csrf-token": csrf } })).status).toBe(204);
  expect((await fetch(`${b.base}/api/me`, { headers: { cookie } })).status).toBe(401);
  expect((await api(b.base, "GET", "/api/me", token)).status).toBe(401);
}, 60_000);
