// The web client end to end in Debian chromium: a teacher and three students run a whole class
// through the pages the server serves (demo sign-in, WHIP/WHEP video when the server has the
// SFU routes, a question with one late answer refused, reveal, leaderboard, chat moderation,
// a hand answered, reactions without layout shift, a reload that resumes, the end), then joins
// the policy refuses (class full, course archived) and the admin page that lists them.
// Screenshots at laptop and phone sizes go to test-results/web/.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { audit, RESULTS, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let t0 = performance.now();
/** Prints how long each part of the run took (the machine is shared: this shows where time goes). */
function step(name: string) {
  const now = performance.now();
  console.error(`[web e2e] ${name}: ${((now - t0) / 1000).toFixed(1)} s`);
  t0 = now;
}
const CLASS = "demo-class-1";

beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

/** Sums layout-shift entries from now on (Chromium's Layout Instability API). */
async function watchShifts(p: Page): Promise<void> {
  await p.evaluate(() => {
    const w = window as unknown as { __shift: number };
    w.__shift = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[])
        if (!e.hadRecentInput) w.__shift += e.value;
    }).observe({ type: "layout-shift", buffered: false });
  });
}
const shifts = (p: Page) => p.evaluate(() => (window as unknown as { __shift: number }).__shift);

async function signIn(p: Page, user: string, next = `/class/${CLASS}`) {
  await p.goto(`/login?next=${encodeURIComponent(next)}`);
  await p.click(`button[data-user="${user}"]`);
}

async function shot(p: Page, name: string) {
  await p.evaluate(() => scrollTo(0, 0));
  await p.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}

/** Every control can be named by a screen reader and reached by keyboard (no click-only elements). */
async function checkAccessible(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const bad: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>("button, a[href], input, select, textarea")) {
      if (el.closest("[hidden]") || (el as HTMLInputElement).type === "hidden") continue;
      const labelled =
        (el.getAttribute("aria-label") ?? "").trim() !== "" ||
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 ||
        (el.tagName === "BUTTON" || el.tagName === "A" ? (el.textContent ?? "").trim() !== "" : false);
      if (!labelled) bad.push(el.outerHTML.slice(0, 120));
      if (el.tabIndex < 0) bad.push("not focusable: " + el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

test("a teacher and three students run a whole class in the browser", async () => {
  // Caching headers on what the server serves.
  const html = await fetch(`${h.base}/class/${CLASS}`);
  expect(html.headers.get("content-type")).toStartWith("text/html");
  expect(html.headers.get("cache-control")).toBe("no-cache");
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await html.text())![1];
  const js = await fetch(h.base + asset, { headers: { "accept-encoding": "gzip" } });
  expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  await js.arrayBuffer();

  t0 = performance.now();
  const teacher = await h.page();
  const s1 = await h.page({ phone: true });
  const s2 = await h.page();
  const s3 = await h.page();

  // A student who comes early waits on "not started", then joins by herself.
  await signIn(s1, "s1");
  await s1.waitForSelector('[data-phase="not-started"]');

  await signIn(teacher, "t1");
  await teacher.click("text=Start class");
  await teacher.waitForSelector(".console");
  await teacher.click("text=Publish camera");
  const published = await Promise.race([
    teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 }).then(() => true),
    teacher.waitForSelector("text=Video is not available", { timeout: 15_000 }).then(() => false),
  ]);

  step("joined: not started, start, publish");
  await signIn(s2, "s2");
  await signIn(s3, "s3");
  for (const s of [s1, s2, s3]) await s.waitForSelector('[data-view="student"] .quiz', { timeout: 15_000 });
  await teacher.waitForFunction(() => document.querySelector("#roster-h .pill")?.textContent === "4");

  if (published) {
    // Every student decodes the teacher's fake camera at 1280x720.
    for (const s of [s1, s2, s3]) {
      await s.waitForFunction(
        () => {
          const v = document.querySelector(".video video") as HTMLVideoElement | null;
          return v !== null && v.videoWidth === 1280 && v.videoHeight === 720 && !v.paused;
        },
        undefined,
        { timeout: 30_000 },
      );
    }
    // The teacher switches to sharing the screen: the students' video goes on without them doing anything.
    const frames = (p: Page) =>
      p.evaluate(() => (document.querySelector(".video video") as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames);
    await teacher.click("text=Share screen");
    await teacher.waitForSelector('video[data-publishing="screen"]', { timeout: 15_000 });
    const before = await Promise.all([s1, s2, s3].map(frames));
    for (const [i, s] of [s1, s2, s3].entries()) {
      await s.waitForFunction(
        (n) => (document.querySelector(".video video") as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames > n + 20,
        before[i],
        { timeout: 20_000 },
      );
    }
  } else {
    console.warn("[web e2e] the server has no WHIP/WHEP routes yet: video not checked (the pages say so)");
    await s1.waitForSelector("text=video is not available");
  }

  step("students in, video checked");
  // The teacher writes a question, saves it to the bank and launches it from there.
  await teacher.fill('input[type="number"] >> nth=0', "6");
  await teacher.fill('textarea[name="prompt"]', "What is 2 + 2?");
  await teacher.fill('input[name="option-a"]', "3");
  await teacher.fill('input[name="option-b"]', "4");
  await teacher.fill('input[name="option-c"]', "5");
  await teacher.check('input[aria-label="Option B is right"]');
  await teacher.click("text=Save to bank");
  await teacher.click('button[aria-label="Launch: What is 2 + 2?"]');

  // Two answer in time (s2 reloads and finds its answer taken); s3 answers late and is refused.
  for (const [s, pick] of [
    [s1, "4"],
    [s2, "3"],
  ] as const) {
    await s.waitForSelector(".quiz[data-question] .countdown");
    await s.click(`label.option:has-text("${pick}")`);
    await s.click("text=Submit answer");
    await s.waitForSelector('.quiz[data-outcome="taken"]');
  }
  await teacher.waitForSelector('.dist[data-answered="2"]');
  await s2.reload();
  await s2.waitForSelector('.quiz[data-outcome="taken"]', { timeout: 10_000 });
  await s3.click('label.option:has-text("4")');
  await s3.waitForSelector('.quiz .closed-note:has-text("Time is up")', { timeout: 10_000 }); // closed by the server at its deadline
  await s3.click("text=Submit answer");
  await s3.waitForSelector('.quiz[data-outcome="refused"]');
  expect(await s3.textContent(".outcome")).toContain("Too late");
  await teacher.waitForFunction(() => document.querySelector("#roster-h .pill")?.textContent === "4"); // the reload took no second seat

  step("question answered, late one refused");
  // Reveal: the right answer, each student's result and rank; then the leaderboard.
  await teacher.click("button:text-is('Reveal')");
  for (const s of [s1, s2, s3]) await s.waitForSelector(".correct-answer:has-text('4')");
  await s1.waitForSelector('.result[data-correct="1"]');
  expect(await s1.textContent(".result .rank")).toBe("1");
  await s2.waitForSelector('.result[data-correct="0"]');
  await s3.waitForSelector("text=You did not answer this one.");
  await teacher.click("text=Show leaderboard");
  for (const s of [s1, s2, s3]) await s.waitForSelector(".leaderboard li");
  expect(await s1.textContent(".leaderboard li:first-child .name")).toBe("Grace Hopper");
  expect(await s1.getAttribute(".leaderboard li:first-child", "class")).toBe("me");

  step("reveal and leaderboard");
  // Chat: the teacher deletes one message; every page drops it.
  await s1.fill("#chat-input", "Hello from Grace");
  await s1.press("#chat-input", "Enter");
  await s2.fill("#chat-input", "buy cheap essays here");
  await s2.press("#chat-input", "Enter");
  await teacher.waitForSelector(".chat-list li:has-text('buy cheap essays here')");
  await teacher.click(".chat-list li:has-text('buy cheap essays here') button:text-is('Delete')");
  for (const p of [teacher, s1, s2, s3]) {
    await p.waitForSelector(".chat-list li:has-text('Hello from Grace')");
    await p.waitForFunction(() => !document.querySelector(".chat-list")!.textContent!.includes("buy cheap essays"));
  }

  // The teacher mutes a student from the roster; her chat box says so.
  await teacher.click('.roster li[data-user="s2"] button:text-is("Mute")');
  await s2.waitForSelector('#chat-input[placeholder="You are muted"][disabled]');

  // A question written on the fly (true/false), answered with the keyboard alone.
  await teacher.getByLabel("Time limit (seconds)").fill("30");
  await teacher.getByLabel("Kind").selectOption("true_false");
  await teacher.fill('textarea[name="prompt"]', "Light travels faster than sound.");
  await teacher.click("text=Launch now");
  await s1.waitForSelector('.quiz .prompt:has-text("Light travels faster than sound.")');
  for (let i = 0; i < 60; i++) {
    if (await s1.evaluate(() => document.activeElement?.matches('.answer-form input[type="radio"]') ?? false)) break;
    await s1.keyboard.press("Tab");
  }
  await s1.keyboard.press("Space");
  await s1.keyboard.press("Tab");
  expect(await s1.evaluate(() => document.activeElement?.textContent)).toBe("Submit answer");
  await s1.keyboard.press("Enter");
  await s1.waitForSelector('.quiz[data-outcome="taken"]');
  await teacher.waitForSelector('.dist[data-answered="1"]');
  await teacher.click("button:text-is('Reveal')");
  await s1.waitForSelector('.result[data-correct="1"]');
  await s2.waitForSelector(".correct-answer:has-text('True')");
  // The board shown for the first question was dropped at this launch (issue 16 defect 2): show it again.
  await teacher.click("text=Show leaderboard");
  await s1.waitForSelector(".leaderboard li.me");

  step("chat, mute, keyboard question");
  // A raised hand, answered.
  await s3.click("text=Raise hand");
  await teacher.waitForSelector('.hands li[data-user="s3"]');
  // How long the hand has been up (teacher awareness), on the server's clock.
  expect(await teacher.textContent('.hands li[data-user="s3"] .hand-age')).toMatch(/^up \d+ s$/);
  await teacher.click('.hands li[data-user="s3"] button');
  await s3.waitForSelector("text=The teacher answered your hand");
  await teacher.waitForSelector("text=No hands up.");

  // Reactions: counts change in place; nothing on the teacher's page or a student's moves.
  await watchShifts(teacher);
  await watchShifts(s3);
  for (let i = 0; i < 4; i++) for (const s of [s1, s2]) await s.click(`button.react[data-reaction="${i % 2 ? "clap" : "thumbs_up"}"]`);
  await teacher.waitForFunction(() => Number(document.querySelector('.reaction-counts li[data-reaction="clap"] .num')?.textContent) > 0);
  await s3.waitForFunction(
    () => Number(document.querySelector('button.react[data-reaction="thumbs_up"] .react-count')?.getAttribute("data-count")) > 0,
  );
  expect(await shifts(teacher)).toBeLessThan(0.01);
  expect(await shifts(s3)).toBeLessThan(0.01);

  step("hand and reactions");
  // Every control is named and focusable.
  for (const p of [teacher, s1, s2]) expect(await checkAccessible(p)).toEqual([]);
  for (const [name, p] of [
    ["teacher", teacher],
    ["student (phone)", s1],
    ["student", s2],
  ] as const) {
    const v = await audit(p);
    if (v.length)
      console.warn(
        `[web e2e] axe on the ${name} page:\n` + v.map((x) => `  ${x.impact} ${x.id}: ${x.help} (${x.nodes.join(", ")})`).join("\n"),
      );
    expect(v.map((x) => x.id)).toEqual([]);
  }
  await s2.emulateMedia({ colorScheme: "dark" }); // and the dark theme
  expect((await audit(s2)).map((x) => `${x.id}: ${x.nodes.join(", ")}`)).toEqual([]);
  await shot(s2, "student-laptop-dark");
  await s2.emulateMedia({ colorScheme: "light" });

  // A dropped connection: the page says it is reconnecting, keeps its content, and comes back by itself.
  await s1.evaluate(() => {
    const w = window as unknown as { __sawBanner: boolean };
    w.__sawBanner = false;
    new MutationObserver(() => {
      if (document.querySelector('.banner[data-reconnecting="1"]')) w.__sawBanner = true;
    }).observe(document.body, { subtree: true, attributes: true, childList: true });
  });
  await s1.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.forEach((ws) => ws.close(4000, "test drop")));
  await s1.waitForFunction(() => (window as unknown as { __sawBanner: boolean }).__sawBanner);
  await s1.waitForSelector('.banner[data-reconnecting="0"]', { state: "attached" });
  await s1.waitForSelector(".leaderboard li.me"); // the content stayed, and is still there after the resume

  // Screenshots at laptop and phone sizes.
  await shot(teacher, "teacher-laptop");
  await shot(s2, "student-laptop");
  await shot(s1, "student-phone");
  await teacher.setViewportSize({ width: 390, height: 844 });
  await shot(teacher, "teacher-phone");
  await teacher.setViewportSize({ width: 1366, height: 900 });

  step("reconnect and screenshots");
  // The end: students see it, the teacher gets the results and the attendance.
  const errorsAtEnd = h.errors.length;
  await teacher.click("button:text-is('End class')");
  await teacher.click("text=End for everyone");
  for (const s of [s1, s2, s3]) await s.waitForSelector('[data-phase="ended"]');
  await s1.waitForSelector(".podium .standings li.me"); // the final standings stay on the page
  await teacher.waitForSelector('[data-phase="ended"]');
  const [download] = await Promise.all([teacher.waitForEvent("download"), teacher.click("text=Answers (CSV)")]);
  expect(download.suggestedFilename()).toBe(`class-${CLASS}-answers.csv`);
  await teacher.click("text=Show attendance");
  await teacher.waitForSelector('.attendance tr[data-user="s1"]');
  await shot(s3, "student-ended");

  step("end, results, attendance");
  if (h.errors.length) console.warn("[web e2e] browser console errors:\n" + h.errors.join("\n"));
  expect(h.errors.filter((e) => /Content Security Policy|pageerror/i.test(e))).toEqual([]);
  // The end of the class closed every video session on the server: the pages sent no DELETE that would 404 (issue 16 defect 16).
  expect(h.errors.slice(errorsAtEnd).filter((e) => /404 DELETE \/api\/media/.test(e))).toEqual([]);
}, 180_000);

test("denied joins show the policy's reason: class full, course archived; the admin sees them", async () => {
  const tok = await h.t.token("teacher", "t1");
  const course = await h.t.call("POST", "/api/courses", { token: tok, body: { title: "Tiny seminar", status: "active", capacity: 1 } });
  expect(course.status).toBe(201);
  await h.t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: tok, body: { studentIds: ["s4", "s5"] } });
  const cls = await h.t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: tok,
    body: { startsAt: new Date().toISOString(), durationMinutes: 30, title: "Seminar" },
  });
  expect((await h.t.call("POST", `/api/classes/${cls.body.id}/start`, { token: tok })).status).toBe(200);

  // A class link carrying a platform token in its fragment.
  const first = await h.page();
  await first.goto(`/class/${cls.body.id}#token=${await h.t.token("student", "s4")}`);
  await first.waitForSelector('[data-view="student"] .quiz');
  const second = await h.page({ phone: true });
  await second.goto(`/class/${cls.body.id}#token=${await h.t.token("student", "s5")}`);
  await second.waitForSelector('[data-phase="full"]');
  // the policy's "class is full", in words (defect 17)
  expect(await second.textContent(".reason")).toBe("Every seat in this class is taken.");
  await shot(second, "student-denied-full-phone");

  await h.t.call("POST", `/api/courses/${course.body.id}/archive`, { token: tok });
  await second.reload();
  await second.waitForSelector('[data-phase="denied"]');
  expect(await second.textContent(".reason")).toContain("This course is not open for classes right now.");

  const admin = await h.page();
  // The demo sign-in mints no admin tokens: the admin page takes one in its fragment (README, `npm run token -- --role admin`).
  await admin.goto(`/admin#token=${await h.t.token("admin", "admin")}`);
  await admin.waitForSelector('[data-view="admin"]');
  const hasDecisions = (await h.t.call("GET", "/api/admin/decisions", { token: await h.t.token("admin", "admin") })).status === 200;
  if (hasDecisions) {
    await admin.click("button:text-is('Refresh')");
    await admin.waitForSelector('tr[data-decision="deny"] .reasons:has-text("Every seat in this class is taken.")');
    await admin.waitForSelector('tr[data-decision="deny"] .reasons:has-text("This course is not open for classes right now.")');
    // Titles and names, not ids (defect 18).
    const row = (await admin.textContent('tr[data-decision="deny"]:has-text("Every seat in this class is taken.")')) ?? "";
    expect(row).toContain("Seminar");
    expect(row).toContain("Tiny seminar");
    expect(row).not.toContain(cls.body.id);
    expect(row).not.toContain(course.body.id);
  } else {
    console.warn("[web e2e] the server has no GET /api/admin/decisions yet: the admin page says so");
    await admin.waitForSelector("text=does not report policy decisions yet");
  }
  await admin.click(`button.course-toggle:has-text("Tiny seminar")`);
  await admin.waitForSelector(".enrolled li:has-text('s5')");
  await shot(admin, "admin-laptop");
  for (const p of [admin, second]) expect((await audit(p)).map((x) => `${x.id}: ${x.nodes.join(", ")}`)).toEqual([]);
}, 60_000);

test("a thousand reactions (five hundred counted) change digits, never the layout; number, text and multiple-choice " +
  "questions", async () => {
  const { EdgeClassClient } = await import("@edgeclass/client");
  const tok = await h.t.token("teacher", "t1");
  const course = await h.t.call("POST", "/api/courses", { token: tok, body: { title: "Big lecture", status: "active", capacity: 500 } });
  const ids = Array.from({ length: 101 }, (_, i) => `big-${i}`);
  await h.t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: tok, body: { studentIds: ids } });
  const cls = await h.t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: tok,
    body: { startsAt: new Date().toISOString(), durationMinutes: 30, title: "Big lecture" },
  });
  await h.t.call("POST", `/api/classes/${cls.body.id}/start`, { token: tok });

  const teacher = await h.page();
  await teacher.goto(`/class/${cls.body.id}#token=${await h.t.token("teacher", "t1")}`);
  await teacher.waitForSelector(".console");
  const watcher = await h.page({ phone: true });
  await watcher.goto(`/class/${cls.body.id}#token=${await h.t.token("student", ids[0])}`);
  await watcher.waitForSelector('[data-view="student"] .quiz');
  await Promise.all([watchShifts(teacher), watchShifts(watcher)]);

  const clients = await Promise.all(
    ids.slice(1).map(async (id) => {
      const c = new EdgeClassClient({
        baseUrl: h.base,
        classId: cls.body.id,
        token: await h.t.token("student", id),
        reconnect: false,
        heartbeatMs: 0,
      });
      await c.connect();
      return c;
    }),
  );
  try {
    // 100 students x 10 reactions (within the per-socket burst), two of each kind: the second of a kind
    // within 3 s does not count (issue 16 defect 15), so 500 are counted.
    const kinds = ["thumbs_up", "clap", "heart", "laugh", "wow"] as const;
    await Promise.all(clients.flatMap((c) => Array.from({ length: 10 }, (_, i) => c.react(kinds[i % kinds.length]))));
    await teacher.waitForFunction(
      () => {
        let sum = 0;
        // The totals since the page joined (the shown counts fade: teacher awareness).
        for (const n of document.querySelectorAll(".reaction-counts .num")) sum += Number(n.getAttribute("data-total"));
        return sum >= 500;
      },
      undefined,
      { timeout: 15_000 },
    );
    await watcher.waitForFunction(
      () => Number(document.querySelector('button.react[data-reaction="clap"] .react-count')?.getAttribute("data-count")) === 100,
    );
    await teacher.waitForFunction(() => document.querySelector("#roster-h .pill")?.textContent === "102");
    expect(await shifts(teacher)).toBeLessThan(0.01);
    expect(await shifts(watcher)).toBeLessThan(0.01);
    await shot(teacher, "teacher-100-students");

    // Numeric (with tolerance) and short-text questions written on the fly, answered on the phone.
    await teacher.getByLabel("Kind").selectOption("numeric");
    await teacher.fill('textarea[name="prompt"]', "Acceleration due to gravity, in m/s²?");
    await teacher.getByLabel("Right number").fill("9.81");
    await teacher.getByLabel("Tolerance ±").fill("0.1");
    await teacher.click("text=Launch now");
    await watcher.waitForSelector('.quiz .prompt:has-text("Acceleration due to gravity")');
    await watcher.fill(".answer-form input", "9.8");
    await watcher.click("text=Submit answer");
    await watcher.waitForSelector('.quiz[data-outcome="taken"]');
    await teacher.click("button:text-is('Reveal')");
    await watcher.waitForSelector(".correct-answer:has-text('9.81 (± 0.1)')");
    await watcher.waitForSelector('.result[data-correct="1"]');

    await teacher.getByLabel("Kind").selectOption("text");
    await teacher.fill('textarea[name="prompt"]', "The SI unit of force?");
    await teacher.getByLabel(/Accepted answers/).fill("newton, N");
    await teacher.click("text=Launch now");
    await watcher.waitForSelector('.quiz .prompt:has-text("The SI unit of force?")');
    await watcher.fill(".answer-form input", "  Newton ");
    await watcher.press(".answer-form input", "Enter");
    await watcher.waitForSelector('.quiz[data-outcome="taken"]');
    await teacher.click("button:text-is('Reveal')");
    await watcher.waitForSelector('.result[data-correct="1"]');

    await teacher.getByLabel("Kind").selectOption("multiple");
    await teacher.fill('textarea[name="prompt"]', "Which are vectors?");
    await teacher.fill('input[name="option-a"]', "Velocity");
    await teacher.fill('input[name="option-b"]', "Mass");
    await teacher.fill('input[name="option-c"]', "Force");
    await teacher.fill('input[name="option-d"]', "Temperature");
    await teacher.check('input[aria-label="Option A is right"]');
    await teacher.check('input[aria-label="Option C is right"]');
    await teacher.click("text=Launch now");
    await watcher.waitForSelector('.quiz .prompt:has-text("Which are vectors?")');
    await watcher.click('label.option:has-text("Velocity")');
    await watcher.click('label.option:has-text("Force")');
    await watcher.click("text=Submit answer");
    await watcher.waitForSelector('.quiz[data-outcome="taken"]');
    await teacher.click("button:text-is('Reveal')");
    await watcher.waitForSelector(".correct-answer:has-text('Velocity, Force')");
    await watcher.waitForSelector('.result[data-correct="1"]');
  } finally {
    for (const c of clients) c.close();
  }
}, 60_000);
