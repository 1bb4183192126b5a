// Page defects of issue 16, one short class in chromium (the demo teacher and Grace, s1):
// 17 a waiting or refused page says why in words, with advice, under the class's title;
// 19 roster Mute buttons are named after the student; 8 "Launched." goes when the next question
// is invalid; 7 "6,5" is 6.5; 13 closing early does not say "Time is up"; 5 the slow-mode message
// says it once and goes when slow mode is off; 14 a deleted message leaves its author mutable and
// the author is told. Each assertion failed before its fix.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const CLASS = "demo-class-1";
async function signIn(p: Page, user: string) {
  await p.goto(`/login?next=${encodeURIComponent(`/class/${CLASS}`)}`);
  await p.click(`button[data-user="${user}"]`);
}

test("page defects 17, 19, 8, 7, 13, 6, 5, 14", async () => {
  const teacher = await h.page();
  const s1 = await h.page();

  // 17: a stranger is told why in words, with advice; Grace, early, sees the class's title.
  await signIn(s1, "s1");
  await s1.waitForSelector('[data-phase="not-started"]');
  await s1.waitForSelector('h1:has-text("Newton\'s laws, live")');

  await signIn(teacher, "t1");
  await teacher.click("text=Start class");
  await teacher.waitForSelector(".console");
  await s1.waitForSelector('[data-view="student"] .quiz', { timeout: 15_000 });
  const stranger = await h.page();
  await stranger.goto(`/class/${CLASS}#token=${await h.t.token("student", "stranger")}`);
  await stranger.waitForSelector('[data-phase="denied"]');
  const denied = await stranger.textContent('[data-phase="denied"]');
  expect(denied).not.toContain("The policy refused the join");
  expect(denied).toContain("You are not on this course's list of students.");
  expect(denied).toContain("ask your teacher to add you");

  // 19: the roster's Mute button names the student.
  await teacher.waitForSelector('.roster [data-user="s1"] button[aria-label="Mute Grace Hopper"]');

  // 8: launch a number question (6.5), then try an empty one: the error, without "Launched.".
  await teacher.selectOption(".bank select", "numeric");
  await teacher.fill('.bank textarea[name="prompt"]', "13 / 2 = ?");
  await teacher.fill('.bank input[type="number"][step="any"] >> nth=0', "6.5");
  await teacher.click(".bank >> text=Launch now");
  await teacher.waitForSelector('.bank [role="status"]:has-text("Launched.")');
  await teacher.fill('.bank textarea[name="prompt"]', "");
  await teacher.click(".bank >> text=Launch now");
  await teacher.waitForSelector('.qform .error:has-text("Write the question.")');
  expect((await teacher.textContent('.bank > [role="status"]'))?.trim()).toBe("");

  // 7: Grace types a decimal comma; it is graded as 6.5.
  await s1.click('.quiz input[inputmode="decimal"]');
  await s1.keyboard.type("6,5");
  await s1.click("text=Submit answer");
  await s1.waitForSelector('.quiz[data-outcome="taken"]');
  await teacher.click("text=Reveal");
  await s1.waitForSelector('.result[data-correct="1"]');

  // 13: a question the teacher closes with time left does not read "Time is up".
  await teacher.selectOption(".bank select", "true_false");
  await teacher.fill('.bank textarea[name="prompt"]', "The earth is round.");
  await teacher.click(".bank >> text=Launch now");
  await s1.waitForSelector(".quiz[data-question] .countdown");
  // 6: "Launch now" brings the teacher to the live question, not left down in the form.
  const onScreen = (sel: string) =>
    teacher.evaluate((s) => {
      const r = document.querySelector(s)!.getBoundingClientRect();
      return r.top >= 0 && r.top < innerHeight - 100;
    }, sel);
  await teacher.waitForSelector('.quiz[data-question]:has-text("The earth is round.")');
  await teacher.waitForFunction(() => scrollY >= 0); // one frame for the scroll
  expect(await onScreen(".quiz[data-question]")).toBe(true);
  await teacher.click("text=Close answers");
  await s1.waitForSelector(".quiz .closed-note");
  expect(await s1.textContent(".quiz .closed-note")).toBe("The teacher closed answers");
  // 6: the leaderboard opens where the teacher is looking.
  await teacher.evaluate(() => scrollTo(0, document.body.scrollHeight));
  await teacher.click("text=Show leaderboard");
  await teacher.waitForSelector(".console .leaderboard");
  expect(await onScreen(".console .leaderboard")).toBe(true);

  // 5: slow mode's refusal says "slow mode" once, and goes when slow mode is turned off.
  await teacher.selectOption('[aria-label="Chat settings"] select', "10");
  await s1.waitForSelector('.chat h2:has-text("slow mode 10 s")');
  for (const text of ["first", "second"]) {
    await s1.fill("#chat-input", text);
    await s1.click(".chat-form button");
  }
  await s1.waitForSelector('.chat .error:has-text("Slow mode")');
  expect((await s1.textContent(".chat .error"))!.toLowerCase().split("slow mode").length).toBe(2);
  await teacher.selectOption('[aria-label="Chat settings"] select', "0");
  await s1.waitForSelector(".chat .error", { state: "hidden" });

  // 14: the teacher deletes Grace's message: Mute stays at hand, and Grace is told.
  await teacher.click('button[aria-label="Delete message from Grace Hopper"]');
  await teacher.waitForSelector('.chat li[data-id]:has-text("first")', { state: "detached" });
  await teacher.waitForSelector('.chat button[aria-label="Mute Grace Hopper"]');
  await s1.waitForSelector("text=The teacher removed one of your messages.");
  await teacher.click('.chat button[aria-label="Mute Grace Hopper"]');
  await s1.waitForSelector("#chat-input[disabled]");
}, 120_000);

test("12: a student turned away by a full class gets in by herself when a seat frees", async () => {
  const tok = await h.t.token("teacher", "t-full");
  const course = await h.t.call("POST", "/api/courses", { token: tok, body: { title: "One seat", status: "active", capacity: 1 } });
  await h.t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: tok, body: { studentIds: ["s4", "s5"] } });
  const cls = await h.t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: tok,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  await h.t.call("POST", `/api/classes/${cls.body.id}/start`, { token: tok });
  const first = await h.page();
  await first.goto(`/class/${cls.body.id}#token=${await h.t.token("student", "s4")}`);
  await first.waitForSelector('[data-view="student"] .quiz');
  const second = await h.page();
  await second.goto(`/class/${cls.body.id}#token=${await h.t.token("student", "s5")}`);
  await second.waitForSelector('[data-phase="full"]');
  // The teacher learns that a student is being turned away, and why (it did not before).
  const teacher = await h.page();
  await teacher.goto(`/class/${cls.body.id}#token=${tok}`);
  await teacher.waitForSelector('[data-turned-away="1"]', { timeout: 10_000 });
  expect(await teacher.textContent(".turned-away li")).toContain("Every seat in this class is taken.");
  await first.close(); // the seat frees after the harness's 5 s grace period
  await second.waitForSelector('[data-view="student"] .quiz', { timeout: 40_000 });
}, 90_000);
