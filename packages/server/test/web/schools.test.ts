// Schools in the web client (issue 17): a school admin signs in with a token (#token=), sees only
// their school's courses on the admin page and creates one; another school's page is refused by
// the server and the refusal shows translated; the platform admin adds a school and registers an
// LTI platform on the Schools page, with the server's field complaints beside the fields; axe-core
// runs its WCAG 2.1 A/AA rules on the new page. One server, one Chromium.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { mintToken } from "../../src/auth/tokens.ts";
import { t } from "../../../web/app/i18n.ts";
import { audit, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let admin: string;
let eastAdmin: string;
const mint = (role: "teacher" | "school-admin", sub: string, school: string) =>
  mintToken(h.t.server.secret, { role, sub, school, name: `${sub} name`, ttlSeconds: 600 });

beforeAll(async () => {
  h = await startHarness();
  admin = await h.t.token("admin", "root");
  expect((await h.t.call("POST", "/api/schools", { token: admin, body: { id: "east", name: "East School" } })).status).toBe(201);
  eastAdmin = await mint("school-admin", "ea", "east");
  // East's teacher becomes known to the server by a first request; one course of theirs already there.
  const teacher = await mint("teacher", "et", "east");
  expect((await h.t.call("POST", "/api/courses", { token: teacher, body: { title: "East Maths" } })).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

async function axeClean(p: Page, what: string) {
  const v = await audit(p);
  if (v.length) console.error(what, JSON.stringify(v, null, 1));
  expect(v).toEqual([]);
}

const courseTitles = (p: Page) => p.locator(".courses .course-toggle").allTextContents();

test("a school admin signs in with a token, sees only their school's courses, creates one, and opens the central page", async () => {
  // The demo course is in the default school: the platform admin sees it and East's.
  const all = (await h.t.call("GET", "/api/courses?limit=100", { token: admin })).body.items.map((c: { title: string }) => c.title);
  expect(all).toContain("East Maths");
  expect(all.length).toBeGreaterThan(1);

  const p = await h.page();
  await p.goto(`/admin#token=${eastAdmin}`);
  await p.locator('[data-view="admin"] .who .role', { hasText: "school admin" }).waitFor();
  expect(new URL(p.url()).hash).toBe(""); // the token left the address bar
  await p.locator(".courses .course-toggle", { hasText: "East Maths" }).waitFor();
  expect(await courseTitles(p)).toEqual(["East Maths"]);

  // Course set-up as an admin of the school: the teacher is named.
  await p.goto("/courses/new");
  await p.fill("#course-title", "East Physics");
  await p.fill("#course-teacher", "et");
  await p.click("text=Create course");
  await p.waitForURL((u) => /^\/courses\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/new"));
  const id = decodeURIComponent(new URL(p.url()).pathname.split("/").pop()!);
  expect((await h.t.call("GET", `/api/courses/${id}`, { token: admin })).body).toMatchObject({
    title: "East Physics",
    teacherId: "et",
    schoolId: "east",
  });
  await p.goto("/admin");
  await p.locator(".courses .course-toggle", { hasText: "East Physics" }).waitFor();
  expect((await courseTitles(p)).sort()).toEqual(["East Maths", "East Physics"]);

  // The central page opens for them (this server has no centre: the server's problem shows).
  await p.goto("/central");
  await p.locator('[data-view="central"]').waitFor();
  expect(await p.locator("body").textContent()).not.toContain(t("nav.centralOnly", {}, "en"));
}, 60_000);

test("a school admin's own school page works; another school's is refused by the server and the page says so in the user's " +
  "language", async () => {
  const p = await h.page({ locale: "zh-CN" });
  await p.goto(`/schools#token=${eastAdmin}`);
  await p.locator('[data-school-detail="east"] h2', { hasText: "East School" }).waitFor();
  await p.locator('[data-idp="none"]').waitFor();
  expect(await p.locator(".school-list").count()).toBe(0); // the list of schools is the platform admin's
  // Their own school's LMS platforms: the tool's addresses are there to give the LMS.
  await p.locator("dd code", { hasText: "/api/lti/login" }).waitFor();

  const refused = await h.t.call("GET", "/api/schools/default", { token: eastAdmin });
  expect(refused.status).toBe(404);
  const code = String(refused.body.type).split("/").pop();
  await p.goto("/schools?school=default");
  const problem = p.locator("[data-problem]");
  await problem.filter({ hasText: /\S/ }).waitFor();
  expect(await problem.textContent()).toBe(t(`error.${code}` as "error.not-found", {}, "zh-CN"));
  expect(await p.locator("#idp-h").count()).toBe(0); // nothing of that school is shown
  // The server changed nothing for the attempt either.
  expect((await h.t.call("GET", "/api/schools/default/lti/platforms", { token: eastAdmin })).status).toBe(404);
  await axeClean(p, "refused school page (zh-CN)");
}, 60_000);

test("the platform admin adds a school and registers an LTI platform on the Schools page; bad input is shown at its field", async () => {
  const p = await h.page();
  await p.goto(`/schools#token=${admin}`);
  await p.locator('.school-list [data-school="east"]').waitFor();

  // A bad id: the server's complaint beside the field, and no school made.
  await p.fill("#school-id", "no spaces allowed");
  await p.fill("#school-name", "North Academy");
  await p.click("text=Create school");
  await p.waitForSelector("#school-id-err");
  expect(await p.getAttribute("#school-id", "aria-invalid")).toBe("true");
  expect((await h.t.call("GET", "/api/schools?limit=100", { token: admin })).body.items.map((s: { id: string }) => s.id)).not.toContain(
    "no spaces allowed",
  );

  await p.fill("#school-id", "north");
  await p.click("text=Create school");
  await p.locator('[data-school-detail="north"] h2', { hasText: "North Academy" }).waitFor();
  expect(new URL(p.url()).search).toBe("?school=north");
  expect((await h.t.call("GET", "/api/schools/north", { token: admin })).body).toMatchObject({ id: "north", name: "North Academy" });

  // Sign-in settings whose provider does not answer discovery: refused, shown at the issuer.
  await p.fill("#idp-issuer", "http://127.0.0.1:9/realms/north");
  await p.fill("#idp-client", "edgeclass");
  await p.fill("#idp-secret", "s3cret");
  await p.click("text=Save sign-in settings");
  await p.waitForSelector("#idp-issuer-err");
  expect(await p.textContent("#idp-issuer-err")).toContain("discovery failed");
  expect((await h.t.call("GET", "/api/schools/north/identity-provider", { token: admin })).status).toBe(404);

  // An LTI platform: a non-https issuer first, then the real registration.
  const lms = "https://lms.north.example";
  await p.fill("#lti-name", "North Moodle");
  await p.fill("#lti-issuer", "ftp://lms.north.example");
  await p.fill("#lti-clientId", "tool-123");
  await p.fill("#lti-authLoginUrl", `${lms}/mod/lti/auth.php`);
  await p.fill("#lti-authTokenUrl", `${lms}/mod/lti/token.php`);
  await p.fill("#lti-jwksUrl", `${lms}/mod/lti/certs.php`);
  await p.fill("#lti-deploymentIds", "1, 2");
  await p.click("text=Register platform");
  await p.waitForSelector("#lti-issuer-err");
  expect((await h.t.call("GET", "/api/schools/north/lti/platforms", { token: admin })).body.items).toEqual([]);
  await p.fill("#lti-issuer", lms);
  await p.click("text=Register platform");
  await p.locator("tr[data-platform]", { hasText: "North Moodle" }).waitFor();
  const saved = (await h.t.call("GET", "/api/schools/north/lti/platforms", { token: admin })).body.items;
  expect(saved).toHaveLength(1);
  expect(saved[0]).toMatchObject({ schoolId: "north", name: "North Moodle", issuer: lms, clientId: "tool-123", deploymentIds: ["1", "2"] });
  await axeClean(p, "schools page with a platform");

  // Renamed here; East's admin cannot see North's platform.
  await p.fill("#school-rename", "North Academy of Arts");
  await p.click("button:text-is('Rename')");
  await p.waitForFunction(() => document.querySelector('[role="status"]')?.textContent?.includes("Renamed"));
  expect((await h.t.call("GET", "/api/schools/north", { token: admin })).body.name).toBe("North Academy of Arts");
  expect((await h.t.call("GET", "/api/schools/north/lti/platforms", { token: eastAdmin })).status).toBe(404);
}, 60_000);
