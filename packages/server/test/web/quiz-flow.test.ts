// The whole course in the browser, as issue 16 asks, in English and in Chinese (zh-CN): the demo
// teacher creates a course, enrols three students from a CSV, schedules a class, writes three
// questions and a quiz set with auto-reveal, starts the class, publishes her camera and runs the
// set with "Next" to the podium; three students (one on a 390x844 phone) answer. The podium equals
// the standings export (the camera only in the English run). axe-core (WCAG 2.1 A/AA) on the new pages; screenshots of the teacher
// console, the student view (desktop and phone) and the podium go to test-results/web/. The run
// measures what a user feels (docs/web.md): sign-in to the class page, class link to the first
// video frame, quiz launch to students seeing it, reveal to results.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { firstFrameAt, firstFrameSteps, median, openFromMyClasses, stepMedians, watchFirstFrame } from "./first-frame.ts";
import { audit, RESULTS, startHarness, type Harness } from "./harness.ts";

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
async function shot(p: Page, name: string) {
  await p.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}
/**
 * Milliseconds (wall clock, shared by every page on this machine) when `selector` first matches in
 * the page, with `text` as its text when given (the last question's panel is still up at the click).
 */
function stamp(p: Page, selector: string, text?: string): Promise<number> {
  return p.evaluate(
    ([sel, want]) =>
      new Promise<number>((resolve) => {
        const seen = () => [...document.querySelectorAll(sel)].some((e) => want === undefined || e.textContent === want);
        if (seen()) return resolve(Date.now());
        const mo = new MutationObserver(() => {
          if (seen()) {
            mo.disconnect();
            resolve(Date.now());
          }
        });
        mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      }),
    [selector, text] as const,
  );
}
const PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

async function signIn(p: Page, user: string, next: string) {
  await p.goto(`/login?next=${encodeURIComponent(next)}`);
  await p.click(`button[data-user="${user}"]`);
}

/** Writes a question in the set-up page's bank form. */
async function addQuestion(
  p: Page,
  q: { kind: string; prompt: string; options?: string[]; correct: number[] | boolean; partial?: boolean; picture?: boolean },
) {
  const form = "section.bank form.qform";
  if (q.picture) {
    // A picture with the question: uploaded as the file is chosen, previewed, described.
    await p.setInputFiles(`${form} input[name="picture"]`, {
      name: "dot.png",
      mimeType: "image/png",
      buffer: Buffer.from(PNG_1x1, "base64"),
    });
    await p.waitForSelector(`${form} img.q-image-preview`);
    await p.fill(`${form} input[name="pictureAlt"]`, "a single dot");
  }
  await p.selectOption(`${form} select >> nth=0`, q.kind);
  await p.fill(`${form} textarea[name="prompt"]`, q.prompt);
  if (q.options) {
    for (const [i, text] of q.options.entries()) await p.fill(`${form} input[name="option-${"abcdef"[i]}"]`, text);
    for (const i of q.correct as number[]) await p.check(`${form} input[name="correct"] >> nth=${i}`);
    if (q.partial) await p.check(`${form} input[name="partialCredit"]`);
  } else await p.selectOption(`${form} select >> nth=1`, String(q.correct));
  const before = await p.locator("section.bank .bank-list > li").count();
  await p.click(`${form} button[type="submit"]`);
  await p.waitForFunction((n) => document.querySelectorAll("section.bank .bank-list > li").length === n + 1, before);
}

async function flow(locale: "en" | "zh-CN") {
  const tag = locale === "en" ? "en" : "zh";
  let t = performance.now();
  /** Where the run's time goes (the machine is shared). */
  const step = (name: string) => {
    console.error(`[quiz flow ${tag}] ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
  };
  const timings: Record<string, number[]> = { signInToClassPage: [], linkToFirstFrame: [], launchToStudents: [], revealToResults: [] };
  const steps: Record<string, number>[] = [];
  const ctx = await h.context({ locale });
  const teacher = await ctx.newPage();
  await signIn(teacher, "t1", "/courses/new");

  // The course, its roster from a CSV, a class, three questions and a quiz set.
  await teacher.fill("#course-title", `Physics ${tag}`);
  await teacher.selectOption("#course-status", "active");
  await teacher.click("#course-h ~ form button[type=submit]");
  await teacher.waitForURL((u) => /^\/courses\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/new"));
  await teacher.fill("#roster-ids", "student_id,name\ns1,Grace Hopper\ns2,Alan Turing\ns3,Katherine Johnson\n");
  await teacher.click('section[aria-labelledby="roster-h"] form button[type=submit]');
  await teacher.waitForSelector('[data-student="s3"]');
  await teacher.fill("#new-class-title", `Lesson ${tag}`);
  await teacher.click("form.class-form button[type=submit]");
  await teacher.waitForSelector("li[data-class]");
  const classId = (await teacher.getAttribute("li[data-class]", "data-class"))!;
  await addQuestion(teacher, { kind: "single", prompt: "2 + 2 = ?", options: ["4", "5"], correct: [0], picture: true });
  await addQuestion(teacher, {
    kind: "multiple",
    prompt: "Which are prime?",
    options: ["2", "3", "4", "5"],
    correct: [0, 1, 3],
    partial: true,
  });
  await addQuestion(teacher, { kind: "true_false", prompt: "The sun is a star.", correct: true });
  await teacher.fill("#set-title", `Warm-up ${tag}`);
  for (const prompt of ["2 + 2 = ?", "Which are prime?", "The sun is a star."])
    await teacher.check(`.quiz-sets label.set-pick:has-text("${prompt}") input`);
  await teacher.fill("#set-limit", "10");
  await teacher.click(".quiz-sets form button[type=submit]");
  await teacher.waitForSelector(".quiz-sets .set-list > li");
  // Edited in place (PUT): the title changes, the questions and options stay.
  await teacher.click(".quiz-sets .set-list > li button >> nth=0");
  expect(await teacher.inputValue("#set-title")).toBe(`Warm-up ${tag}`);
  await teacher.fill("#set-title", `Warm-up ${tag}!`);
  await teacher.click(".quiz-sets form button[type=submit]");
  await teacher.waitForSelector(`.quiz-sets .set-list > li strong:text-is("Warm-up ${tag}!")`);
  expect(await teacher.locator(".quiz-sets .set-list > li ol li").count()).toBe(3);
  await axeClean(teacher, `${tag} set-up page with a quiz set`);
  await shot(teacher, `flow-${tag}-setup`);
  step("set-up");

  // The class: started, the camera on air (in the English run: video is not a matter of language,
  // and the fake camera's encoding is the run's heaviest load on two cores).
  const video = locale === "en";
  await teacher.goto(`/class/${classId}`);
  await teacher.click('[data-phase="scheduled"] button.primary');
  await teacher.waitForSelector(".console");

  // Three students: sign-in to the class page, timed before the camera goes on air: a student's
  // device does not encode the teacher's camera, and on this machine's two shared cores the fake
  // camera's encoder and the SFU doubled the sign-in's wall time (docs/web.md).
  const students: Page[] = [];
  for (const [i, user] of ["s1", "s2", "s3"].entries()) {
    const p = await (await h.context({ locale, phone: i === 2 })).newPage();
    await p.goto(`/login?next=${encodeURIComponent(`/class/${classId}`)}`);
    // From the click as the page receives it to the question card (the app routes without a page load).
    await p.evaluate(() =>
      document.addEventListener("click", () => sessionStorage.setItem("clickedAt", String(Date.now())), { capture: true }),
    );
    const shown = stamp(p, '[data-view="student"] .quiz');
    await p.click(`button[data-user="${user}"]`);
    const at = await shown;
    timings.signInToClassPage.push(at - Number(await p.evaluate(() => sessionStorage.getItem("clickedAt"))));
    students.push(p);
  }
  // Then the camera on air, and the class link opened again by each, to its first video frame.
  if (video) {
    await teacher.click(".console .video button[aria-pressed] >> nth=0");
    await teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 });
    for (const p of students) {
      // The way a student opens a class: from their "my classes" page, a click on the class's link (the
      // app routes there, no page load); from that click to the first decoded frame, seen each animation frame.
      await watchFirstFrame(p);
      await openFromMyClasses(p, classId);
      timings.linkToFirstFrame.push(await firstFrameAt(p));
      steps.push(await firstFrameSteps(p));
      await p.waitForSelector('[data-view="student"] .quiz');
    }
  }
  const [s1, s2, s3] = students;
  step("class started, students in");

  // The set, question by question. s1 answers right at once, s2 partly right, s3 wrong.
  const answers: ((p: Page) => Promise<void>)[][] = [
    [
      (p) => p.check('input[type="radio"][value="a"]'),
      (p) => p.check('input[type="radio"][value="a"]'),
      (p) => p.check('input[type="radio"][value="b"]'),
    ],
    [
      async (p) => {
        for (const v of ["a", "b", "d"]) await p.check(`input[type="checkbox"][value="${v}"]`);
      },
      async (p) => {
        for (const v of ["a", "b"]) await p.check(`input[type="checkbox"][value="${v}"]`);
      },
      (p) => p.check('input[type="checkbox"][value="c"]'),
    ],
    [
      (p) => p.check('input[type="radio"][value="true"]'),
      (p) => p.check('input[type="radio"][value="true"]'),
      (p) => p.check('input[type="radio"][value="false"]'),
    ],
  ];
  for (let i = 0; i < 3; i++) {
    const place = locale === "en" ? `${i + 1} of 3` : `第 ${i + 1} / 3 题`;
    const seen = students.map((p) => stamp(p, `.quiz[data-question] .set-place`, place));
    const t0 = Date.now();
    await teacher.click(i === 0 ? ".set-runner button:not(.primary)" : ".set-runner button.primary");
    const at = await Promise.all(seen);
    for (const x of at) timings.launchToStudents.push(x - t0);
    expect(await s1.textContent(".set-place")).toBe(place);
    if (i === 0) {
      await s3.waitForFunction(() => (document.querySelector(".quiz img.q-image") as HTMLImageElement | null)?.naturalWidth === 1);
      expect(await s3.getAttribute(".quiz img.q-image", "alt")).toBe("a single dot");
    }
    // The options picked on every page at once, the submits in order (s1 first), then the three outcomes
    // awaited together: one student after another, each waiting for its outcome, may outlast the set's
    // 10 s on a loaded machine (the likely cause of a CI failure: the third outcome never came).
    await Promise.all(students.map((p, k) => answers[i][k](p)));
    for (const p of students) await p.click(".answer-form button[type=submit]");
    await Promise.all(students.map((p) => p.waitForSelector('.quiz[data-outcome="taken"]')));
    if (i === 0) {
      // The first reveal by hand (measured), within the set's 10 s; the others come by themselves at
      // time-up. Screenshots wait until after it: on a loaded machine they outlasted the old 5 s limit.
      await teacher.waitForSelector('.console .dist[data-answered="3"]');
      const results = students.map((p) => stamp(p, ".result[data-correct]"));
      const t1 = Date.now();
      // The set reveals by itself at time-up: on a loaded machine that can come before the click (the button is
      // then disabled, seen in CI). Then this run measures nothing here; the other questions show the time-up reveal.
      const byHand = await Promise.race([
        teacher.click(".console .quiz[data-question] button.primary").then(() => true),
        teacher.waitForSelector('.console .quiz[data-question][data-revealed="1"]').then(() => false),
      ]).catch(() => false);
      const shown = await Promise.all(results);
      if (byHand) for (const x of shown) timings.revealToResults.push(x - t1);
      else console.log(`[quiz flow ${locale}] the first question was revealed at time-up before the teacher's click`);
    }
    for (const p of students) await p.waitForSelector('.quiz[data-revealed="1"] .result', { timeout: 15_000 });
    if (i === 0) {
      await shot(teacher, `flow-${tag}-teacher-console`);
      await shot(s1, `flow-${tag}-student-desktop`);
      await shot(s3, `flow-${tag}-student-phone`);
    }
    // Partial credit: two of the three primes, no wrong pick, earn part of the points.
    if (i === 1)
      expect(await s2.textContent(".result")).toMatch(
        locale === "en" ? /^Not this time\. \+[1-9]\d* points/ : /^这次没答对。\+[1-9]\d* 分/,
      );
    // Auto-leaderboard: the board comes after each reveal without the teacher asking.
    await s2.waitForSelector(".leaderboard li.me, .leaderboard .my-rank, .podium");
  }

  step("three questions");
  // The podium: shown by the teacher after the last reveal; it is the standings export.
  await teacher.click(".set-runner button.primary");
  for (const p of [...students, teacher]) await p.waitForSelector(".podium .standings li");
  await shot(s1, `flow-${tag}-podium`);
  await shot(s3, `flow-${tag}-podium-phone`);
  for (const [p, what] of [
    [s1, "podium desktop"],
    [s3, "podium phone"],
    [teacher, "console with the podium"],
  ] as const)
    await axeClean(p, `${tag} ${what}`);
  const podium = await s1.$$eval(".podium .standings li", (lis) =>
    lis.map((li) =>
      [
        li.querySelector(".rank")!.textContent,
        li.querySelector(".name")!.textContent,
        li.querySelector(".score")!.textContent!.replace(/\D/g, ""),
      ].join(","),
    ),
  );
  const token = await teacher.evaluate(() => localStorage.getItem("edgeclass.session")!);
  const csv = await (
    await fetch(`${h.base}/api/classes/${classId}/results?format=csv&table=standings`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  const exported = csv
    .trimEnd()
    .split("\r\n")
    .slice(1)
    .map((r) => {
      const [rank, , name, score] = r.split(",");
      return [rank, name, score].join(",");
    });
  expect(podium).toEqual(exported);
  expect(podium[0]).toStartWith("1,Grace Hopper,");
  expect(podium[2]).toBe("3,Katherine Johnson,0");

  // The end: the students' ended page keeps the same standings; the teacher reads the class summary.
  await teacher.click(".top button.danger");
  await teacher.click(".top .confirm button.danger");
  await s1.waitForSelector('[data-phase="ended"]');
  await s1.waitForSelector(".podium .standings li");
  expect(
    await s1.$$eval(".podium .standings li", (lis) =>
      lis.map((li) =>
        [
          li.querySelector(".rank")!.textContent,
          li.querySelector(".name")!.textContent,
          li.querySelector(".score")!.textContent!.replace(/\D/g, ""),
        ].join(","),
      ),
    ),
  ).toEqual(exported);
  await teacher.waitForSelector("[data-summary] [data-participation]");
  expect(await teacher.getAttribute("[data-summary] [data-participation]", "data-participation")).toBe("3");
  expect(await teacher.getAttribute("[data-summary] [data-hardest]", "data-hardest")).toBe("Which are prime?");
  await axeClean(teacher, `${tag} ended page with the summary`);
  await shot(teacher, `flow-${tag}-teacher-ended`);
  step("podium, end");
  for (const p of students) await p.context().close();
  await ctx.close();
  return { timings, steps };
}

test("a whole course in the browser: set-up, a quiz set with auto-reveal to the podium, the podium equals the export; English " +
  "and Chinese", async () => {
  const all: Record<string, Record<string, number[]>> = {};
  const steps: Record<string, number>[] = [];
  for (const locale of ["en", "zh-CN"] as const) {
    const t0 = performance.now();
    const r = await flow(locale);
    all[locale] = r.timings;
    steps.push(...r.steps);
    console.error(`[quiz flow] ${locale}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const table = Object.fromEntries(
    Object.keys(all.en).map((k) => {
      const xs = [...all.en[k], ...all["zh-CN"][k]];
      return [k, { medianMs: median(xs), maxMs: Math.max(...xs), samples: xs.length }];
    }),
  );
  console.error(`[quiz flow] what a user feels: ${JSON.stringify(table)}`);
  // The way to the first frame: each step's median end (ms from the link clicked), in the order they happened.
  const firstFrameMedians = stepMedians(steps);
  console.error(`[quiz flow] first frame, median end of each step (ms): ${JSON.stringify(firstFrameMedians)}`);
  for (const x of steps) console.error(`[quiz flow] first frame steps: ${JSON.stringify(x)}`);
  writeFileSync(
    join(RESULTS, "user-timings.json"),
    JSON.stringify(
      { at: new Date().toISOString(), table, samples: all, firstFrame: { medians: firstFrameMedians, samples: steps } },
      null,
      2,
    ),
  );
  expect(h.errors.filter((e) => /pageerror|Content Security Policy/.test(e))).toEqual([]);
}, 240_000);
