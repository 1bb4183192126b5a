// Issue 13 item 5 in Debian chromium: when the teacher stops the camera or the screen share,
// students see "paused" (no frozen frame) within 2 s, carried by the live socket's video.state;
// video comes back by itself within 3 s of the next publish; a student joining while it is
// paused learns it from the welcome.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
const CLASS = "demo-class-1";

beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

async function signIn(p: Page, user: string) {
  await p.goto(`/login?next=${encodeURIComponent(`/class/${CLASS}`)}`);
  await p.click(`button[data-user="${user}"]`);
}

/** Resolves once the student's <video> shows new frames (decoding, time advancing) and the page says playing. */
async function playing(p: Page, timeout: number): Promise<void> {
  const start = await p.evaluate(() => {
    const v = document.querySelector(".video video") as HTMLVideoElement;
    return { frames: v.getVideoPlaybackQuality().totalVideoFrames, time: v.currentTime };
  });
  await p.waitForFunction(
    (s) => {
      const v = document.querySelector(".video video") as HTMLVideoElement;
      return (
        v.videoWidth > 0 &&
        v.currentTime > s.time &&
        v.getVideoPlaybackQuality().totalVideoFrames > s.frames + 5 &&
        v.dataset.status === "playing"
      );
    },
    start,
    { timeout, polling: 100 },
  );
}

/** Milliseconds until the student page shows the paused note for `what`. */
async function pausedWithin(p: Page, what: "video" | "screen share", timeout: number): Promise<number> {
  const t0 = performance.now();
  await p.waitForFunction(
    (w) => {
      const box = document.querySelector(".video .video-box") as HTMLElement | null;
      const v = document.querySelector(".video video") as HTMLVideoElement | null;
      return (
        box?.dataset.video === "paused" &&
        v?.dataset.status === "paused" &&
        getComputedStyle(v).visibility === "hidden" &&
        (box.textContent ?? "").includes(`teacher's ${w} is paused`)
      );
    },
    what,
    { timeout, polling: 50 },
  );
  return performance.now() - t0;
}

test("the teacher stops, republishes, shares the screen: students see paused and then video again, by themselves", async () => {
  const teacher = await h.page();
  const s1 = await h.page();
  await signIn(teacher, "t1");
  await teacher.click("text=Start class");
  await teacher.waitForSelector(".console");
  await teacher.click("text=Publish camera");
  await teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 });
  await signIn(s1, "s1");
  await s1.waitForSelector('[data-view="student"] .video video', { timeout: 15_000 });
  await playing(s1, 30_000);

  // Stop: paused within 2 s (the live socket's video.state, not a timeout on frames).
  await teacher.click("text=Stop video");
  const pausedMs = await pausedWithin(s1, "video", 2_000);
  console.error(`[video state] paused shown after ${pausedMs.toFixed(0)} ms`);

  // A student who joins now learns it from the welcome.
  const s2 = await h.page();
  await signIn(s2, "s2");
  await s2.waitForSelector('[data-view="student"] .video', { timeout: 15_000 });
  await pausedWithin(s2, "video", 5_000);

  // Publish again: both students play again by themselves within 3 s of the publish.
  await teacher.click("text=Publish camera");
  await teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 });
  const t0 = performance.now();
  await Promise.all([playing(s1, 3_000), playing(s2, 3_000)]);
  console.error(`[video state] video again ${(performance.now() - t0).toFixed(0)} ms after the publish was answered`);

  // Screen share: the same for the screen, with its own words.
  await teacher.click("text=Share screen");
  await teacher.waitForSelector('video[data-publishing="screen"]', { timeout: 15_000 });
  await playing(s1, 10_000);
  await teacher.click("text=Stop video");
  await pausedWithin(s1, "screen share", 2_000);
  const state = await s1.evaluate(() => (document.querySelector(".video .video-box") as HTMLElement).dataset.video);
  expect(state).toBe("paused");

  // The teacher reloads while on air: the page's pagehide ends the publish, students see paused.
  await teacher.click("text=Publish camera");
  await teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 });
  await playing(s1, 10_000);
  await teacher.reload();
  await pausedWithin(s1, "video", 2_000);
  // Every stop and switch ended its session with a DELETE the server still knew (defect 16: the
  // switch from camera to screen share was a 404, the page closed the connection first).
  expect(h.errors.filter((e) => /404 DELETE \/api\/media/.test(e))).toEqual([]);
}, 150_000);
