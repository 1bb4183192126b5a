// bun bench/first-frame.ts [--loads 9] [--blank 1 | --reload 1]
// The class link to its first video frame, as the quiz-flow browser test measures it (docs/web.md),
// without the rest of that test: the demo teacher starts demo-class-1 and publishes the fake camera,
// three students sign in, then each in turn opens the class from their "my classes" page (a click on
// its link, the app routes without a page load; timed from the click). `--blank 1`: the link loaded
// as a page from about:blank instead (a link from outside the app: an LMS, a message); `--reload 1`:
// loaded as a page from the class page itself, video playing (how it was measured before 5 December
// 16:30 UTC). Prints each load's steps (ms from the click or the navigation start) and each step's
// median. Run it under `flock /tmp/machine.lock`.
import {
  firstFrameAt,
  firstFrameSteps,
  median,
  openFromMyClasses,
  stepMedians,
  watchFirstFrame,
} from "../packages/server/test/web/first-frame.ts";
import { startHarness } from "../packages/server/test/web/harness.ts";
import { parseFlags } from "./lib/process.ts";

const { values } = parseFlags(process.argv.slice(2));
const loads = Number(values.loads ?? 9);
const viaBlank = values.blank !== undefined;
const reload = values.reload !== undefined;
const CLASS = "demo-class-1";
const h = await startHarness();
try {
  const teacher = await h.page();
  await teacher.goto(`/login?next=${encodeURIComponent(`/class/${CLASS}`)}`);
  await teacher.click('button[data-user="t1"]');
  await teacher.click("text=Start class");
  await teacher.waitForSelector(".console");
  const students = [];
  for (const user of ["s1", "s2", "s3"]) {
    const p = await h.page();
    await p.goto(`/login?next=${encodeURIComponent(`/class/${CLASS}`)}`);
    await p.click(`button[data-user="${user}"]`);
    await p.waitForSelector('[data-view="student"] .quiz');
    await watchFirstFrame(p);
    students.push(p);
  }
  await teacher.click("text=Publish camera");
  await teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 });
  const samples: Record<string, number>[] = [];
  for (let i = 0; i < loads; i++) {
    const p = students[i % students.length];
    if (viaBlank || reload) {
      if (viaBlank) await p.goto("about:blank");
      await p.goto(`/class/${CLASS}`);
    } else await openFromMyClasses(p, CLASS);
    await firstFrameAt(p);
    const s = await firstFrameSteps(p);
    samples.push(s);
    console.log(JSON.stringify(s));
  }
  const ff = samples.map((s) => s.firstFrame);
  console.log(`first frame: median ${median(ff)} ms, min ${Math.min(...ff)}, max ${Math.max(...ff)}, ${ff.length} loads`);
  console.log(`median end of each step (ms): ${JSON.stringify(stepMedians(samples))}`);
} finally {
  await h.close();
}
