// bun bench/first-frame.ts [--loads 9] [--blank 1]
// The class link to its first video frame, as the quiz-flow browser test measures it (docs/web.md),
// without the rest of that test: the demo teacher starts demo-class-1 and publishes the fake camera,
// three students sign in, then each opens the class link again in turn. Prints each load's steps
// (ms from the navigation start) and each step's median. Run it under `flock /tmp/machine.lock`.
import { firstFrameAt, firstFrameSteps, median, stepMedians, watchFirstFrame } from "../packages/server/test/web/first-frame.ts";
import { startHarness } from "../packages/server/test/web/harness.ts";
import { parseFlags } from "./lib/process.ts";

const { values } = parseFlags(process.argv.slice(2));
const loads = Number(values.loads ?? 9);
/** Open about:blank before each load: the class page's unload is then not in the timing. */
const viaBlank = values.blank !== undefined;
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
    if (viaBlank) await p.goto("about:blank");
    await p.goto(`/class/${CLASS}`);
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
