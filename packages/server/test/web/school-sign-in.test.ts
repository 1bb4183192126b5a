// School sign-in in a real browser: the sign-in page sends Chromium to the school's OpenID
// provider (oidc-provider, started here) and back; the app then runs on the cookie session
// (REST with the CSRF token, the live socket with a short token), and signing out ends it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startOidcProvider, type TestProvider } from "../support/oidc-provider.ts";
import { startHarness, type Harness } from "./harness.ts";

const PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
let h: Harness;
let idp: TestProvider;

beforeAll(async () => {
  h = await startHarness();
  const admin = await h.t.token("admin", "root");
  expect((await h.t.call("POST", "/api/schools", { token: admin, body: { id: "west-high", name: "West High" } })).status).toBe(201);
  idp = await startOidcProvider([`${h.base}/api/auth/oidc/callback`]);
  const r = await h.t.call("PUT", "/api/schools/west-high/identity-provider", {
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
}, 60_000);

afterAll(async () => {
  await idp?.close();
  await h?.close();
});

test("sign in with the school, use the app on the cookie session, sign out", async () => {
  idp.nextAccount = { sub: "wendy", name: "Wendy Teacher", role: "teacher" };
  const page = await h.page();
  await page.goto("/login?next=/");
  await page.getByLabel("Your school's EdgeClass id").fill("no-such-school");
  await page.getByRole("button", { name: "Continue to your school's sign-in" }).click();
  await page.getByText("School no-such-school has no sign-in here").waitFor();
  await page.getByLabel("Your school's EdgeClass id").fill("west-high");
  await page.getByRole("button", { name: "Continue to your school's sign-in" }).click();
  await page.waitForURL(`${h.base}/`);
  await page.locator(".who-name", { hasText: "Wendy Teacher" }).waitFor();
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "edgeclass-session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });
  expect(await page.evaluate(() => document.cookie)).not.toContain("edgeclass-session"); // the page cannot read it
  expect(await page.evaluate(() => localStorage.getItem("edgeclass.session"))).toBeNull(); // no bearer token kept
  // A change made by the app itself: its api() sends the session's CSRF token with the cookie.
  await page.goto("/courses/new");
  await page.fill("#course-title", "From the browser");
  await page.click("text=Create course");
  await page.waitForURL((u) => /^\/courses\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/new"));
  const courses = await h.t.call("GET", "/api/courses", { token: await h.t.token("admin", "root") });
  expect(
    courses.body.items.some(
      (c: { title: string; teacherId: string; schoolId: string }) =>
        c.title === "From the browser" && c.teacherId === "west-high:wendy" && c.schoolId === "west-high",
    ),
  ).toBe(true);
  // A question picture uploaded on the cookie session (upload() once sent "Bearer " with no token and was refused).
  const form = "section.bank form.qform";
  await page.setInputFiles(`${form} input[name="picture"]`, {
    name: "dot.png",
    mimeType: "image/png",
    buffer: Buffer.from(PNG_1x1, "base64"),
  });
  await page.waitForFunction(
    (sel) => (document.querySelector(sel) as HTMLImageElement | null)?.naturalWidth === 1,
    `${form} img.q-image-preview`,
  );
  expect(await page.locator(`${form} .field-error`).count()).toBe(0);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  // The logout is sent as the page leaves: the session ends on the server, not only in the page.
  let status = 0;
  for (let i = 0; i < 50 && status !== 401; i++, await Bun.sleep(50))
    status = await page.evaluate(async () => (await fetch("/api/auth/session")).status);
  expect(status).toBe(401);
  expect((await page.context().cookies()).some((c) => c.name === "edgeclass-session")).toBe(false);
}, 60_000);

test("the admin maps a claim value to school admin in the schools page; a head signs in as the school's admin", async () => {
  const admin = await h.t.token("admin", "root");
  const p = await h.page();
  await p.goto(`/schools?school=west-high#token=${admin}`);
  await p.waitForFunction(() => (document.querySelector("#idp-issuer") as HTMLInputElement | null)?.value.startsWith("http"));
  expect(await p.inputValue("#idp-teachers")).toBe("teacher");
  await p.fill("#idp-secret", idp.clientSecret);
  await p.fill("#idp-admins", "head, principal");
  await p.click("text=Save sign-in settings");
  let saved: { schoolAdminValues?: string[] } = {};
  for (let i = 0; i < 100 && !saved.schoolAdminValues?.length; i++, await Bun.sleep(50))
    saved = (await h.t.call("GET", "/api/schools/west-high/identity-provider", { token: admin })).body;
  expect(saved.schoolAdminValues).toEqual(["head", "principal"]);

  idp.nextAccount = { sub: "hannah", name: "Hannah Head", role: "principal" };
  const head = await h.page();
  await head.goto("/login?next=/admin");
  await head.getByLabel("Your school's EdgeClass id").fill("west-high");
  await head.getByRole("button", { name: "Continue to your school's sign-in" }).click();
  await head.waitForURL(`${h.base}/admin`);
  await head.locator(".who .role", { hasText: "school admin" }).waitFor();
  await head.locator(".who-name", { hasText: "Hannah Head" }).waitFor();
}, 60_000);
