// Course set-up in the browser (issue 16 build 1): the demo teacher creates a course (a field's
// error shown beside it first), enrols students from a pasted CSV, schedules a class in her time
// zone (Asia/Shanghai), reschedules and cancels it, writes and edits a bank question; then an
// admin archives the course from the admin page, which asks first (defect 9), and creates a
// course for a teacher. axe-core runs its
// WCAG 2.1 A/AA rules on the new pages.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { audit, startHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

async function axeClean(p: Page, what: string) {
  const v = await audit(p);
  if (v.length) console.error(what, JSON.stringify(v, null, 1));
  expect(v).toEqual([]);
}

test("a teacher sets up a course: create, CSV roster, schedule in her time zone, edit a question; archiving asks first", async () => {
  const ctx = await h.browser.newContext({ baseURL: h.base, timezoneId: "Asia/Shanghai", viewport: { width: 1280, height: 900 } });
  const p = await ctx.newPage();
  await p.goto(`/login?next=${encodeURIComponent("/courses/new")}`);
  await p.click('button[data-user="t1"]');
  await p.waitForSelector("#course-title");
  const teacherToken = await p.evaluate(() => localStorage.getItem("edgeclass.session")!);
  const get = async (path: string, token = teacherToken) =>
    (await fetch(h.base + path, { headers: { authorization: `Bearer ${token}` } })).json();

  // The server's complaint about a field shows beside that field.
  await p.fill("#course-title", "   ");
  await p.click("text=Create course");
  await p.waitForSelector("#course-title-err");
  expect(await p.textContent("#course-title-err")).toContain("must not be empty");
  expect(await p.getAttribute("#course-title", "aria-invalid")).toBe("true");
  await axeClean(p, "new course with an error");

  await p.fill("#course-title", "Physics 1");
  await p.fill("#course-description", "Mechanics");
  await p.selectOption("#course-status", "active");
  await p.fill("#course-capacity", "40");
  await p.click("text=Create course");
  await p.waitForURL((u) => /^\/courses\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/new"));
  const courseId = decodeURIComponent(new URL(p.url()).pathname.split("/").pop()!);
  expect(await get(`/api/courses/${courseId}`)).toMatchObject({
    title: "Physics 1",
    description: "Mechanics",
    status: "active",
    capacity: 40,
    teacherId: "t1",
  });

  // Roster from a pasted CSV export: the id column is taken, names beside it ignored.
  await p.fill("#roster-ids", 'name,student_id\n"Li, Wei",s1\nAna,s2\n');
  await p.click("text=Enrol students");
  await p.waitForSelector("text=Enrolled 2 students.");
  expect((await get(`/api/courses/${courseId}/enrollments`)).items.map((e: { studentId: string }) => e.studentId).sort()).toEqual([
    "s1",
    "s2",
  ]);
  await p.click('button[aria-label="Remove s2 from the course"]');
  await p.waitForSelector('[data-student="s2"]', { state: "detached" });

  // A class at 09:30 Shanghai time is 01:30 UTC; rescheduled to 10:15, then cancelled.
  await p.fill("#new-class-title", "Forces");
  await p.fill("#new-class-date", "2027-03-01");
  await p.fill("#new-class-time", "09:30");
  await p.fill("#new-class-duration", "50");
  await p.click("text=Schedule class");
  await p.waitForSelector("[data-class] >> text=Forces");
  const [k] = (await get(`/api/courses/${courseId}/classes`)).items;
  expect(k).toMatchObject({ title: "Forces", startsAt: "2027-03-01T01:30:00.000Z", durationMinutes: 50, status: "scheduled" });
  await p.click(`button[aria-label^="Reschedule Forces"]`);
  await p.fill(`#k-${k.id}-time`, "10:15");
  await p.click("text=Save new time");
  await p.waitForSelector(`#k-${k.id}-time`, { state: "detached" });
  expect((await get(`/api/classes/${k.id}`)).startsAt).toBe("2027-03-01T02:15:00.000Z");

  // A question written, then edited in place.
  await p.fill('.bank textarea[name="prompt"]', "2 + 2 = ?");
  await p.fill('.bank input[name="option-a"]', "3");
  await p.fill('.bank input[name="option-b"]', "4");
  await p.check('.bank input[aria-label="Option B is right"]');
  await p.click("text=Save to bank");
  await p.waitForSelector('button[aria-label="Edit: 2 + 2 = ?"]');
  await p.click('button[aria-label="Edit: 2 + 2 = ?"]');
  await p.fill('[data-bank-id] textarea[name="prompt"]', "2 + 3 = ?");
  await p.fill('[data-bank-id] input[name="option-a"]', "5");
  await p.click("text=Save changes");
  await p.waitForSelector('button[aria-label="Edit: 2 + 3 = ?"]');
  const [q] = (await get(`/api/courses/${courseId}/questions`)).items;
  expect(q).toMatchObject({
    kind: "single",
    prompt: "2 + 3 = ?",
    options: [
      { id: "a", text: "5" },
      { id: "b", text: "4" },
    ],
    correct: "b",
  });
  await axeClean(p, "set-up page");

  await p.click(`button[aria-label^="Cancel class Forces"]`);
  await p.waitForSelector("[data-class] .status-cancelled");

  // Defect 9: on the admin page one click on "Archive course" used to archive at once.
  const admin = await ctx.newPage();
  const adminToken = await h.t.token("admin", "admin");
  await admin.goto(`/admin#token=${adminToken}`);
  await admin.click(`[data-course="${courseId}"] .course-toggle`);
  await admin.click(`[data-course="${courseId}"] button:has-text("Archive course")`);
  await admin.waitForSelector('[role="alertdialog"]');
  expect((await get(`/api/courses/${courseId}`)).status).toBe("active");
  await axeClean(admin, "admin with the archive question");
  await admin.click("text=Keep the course");
  expect((await get(`/api/courses/${courseId}`)).status).toBe("active");
  await admin.click(`[data-course="${courseId}"] button:has-text("Archive course")`);
  await admin.click("text=Archive for good");
  await admin.waitForSelector(`[data-course="${courseId}"] .status-archived`);
  expect((await get(`/api/courses/${courseId}`, adminToken)).status).toBe("archived");

  // An admin creates a course for a teacher; an unknown teacher id is refused beside its field.
  await admin.goto("/courses/new");
  await admin.fill("#course-title", "Chemistry");
  await admin.fill("#course-teacher", "nobody");
  await admin.click("text=Create course");
  await admin.waitForSelector("#course-teacher-err");
  expect(await admin.textContent("#course-teacher-err")).toContain("not a known teacher");
  await admin.fill("#course-teacher", "t1");
  await admin.click("text=Create course");
  await admin.waitForURL((u) => /^\/courses\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/new"));
  const chem = decodeURIComponent(new URL(admin.url()).pathname.split("/").pop()!);
  expect(await get(`/api/courses/${chem}`, adminToken)).toMatchObject({ title: "Chemistry", teacherId: "t1" });
  await ctx.close();
}, 120_000);

test("a Chinese browser gets the pages in Chinese, dates per locale; the language switch is remembered", async () => {
  const ctx = await h.browser.newContext({
    baseURL: h.base,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    viewport: { width: 1280, height: 900 },
  });
  const p = await ctx.newPage();
  await p.goto("/login?next=%2F");
  expect(await p.textContent("h1.title")).toBe("登录");
  expect(await p.getAttribute("html", "lang")).toBe("zh-CN");
  await p.click('button[data-user="t1"]');
  await p.waitForSelector("text=我的课堂");
  // The demo class's start, formatted by Intl for zh-CN ("2026年12月4日 …").
  await p.waitForSelector("ul.classes .muted");
  expect(await p.textContent("ul.classes .muted")).toMatch(/\d{4}年\d{1,2}月\d{1,2}日/);
  expect(await p.textContent("a.button")).toBe("新建课程");
  await axeClean(p, "home in Chinese");
  await p.selectOption(".lang select", "en");
  expect(await p.textContent("h1.title")).toBe("My classes");
  expect(await p.getAttribute("html", "lang")).toBe("en");
  await p.reload();
  await p.waitForSelector("text=New course");
  expect(await p.evaluate(() => localStorage.getItem("edgeclass.lang"))).toBe("en");
  await ctx.close();
}, 60_000);
