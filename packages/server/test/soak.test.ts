// The soak's bounds, and its short form against a real server process: `npm run soak --
// --seconds 20` passes (nothing grows, descriptors and UDP sockets return to the baseline).
import { expect, test } from "bun:test";
import { DEFAULT_BOUNDS, judge, slope, type Sample } from "../../../bench/soak/judge.ts";
import { takeLoopDelay } from "../src/obs/event-loop.ts";

const series = (n: number, rss: (t: number) => number): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ t: i * 60, rssMb: rss(i * 60), fds: 40, udpSockets: 2, loopP99Ms: 2, loopMaxMs: 5 }));
const atRest = { baseline: { fds: 16, udpSockets: 1 }, after: { fds: 16, udpSockets: 1 } };

test("slope is the least-squares slope", () => {
  expect(
    slope([
      { x: 0, y: 1 },
      { x: 1, y: 3 },
      { x: 2, y: 5 },
    ]),
  ).toBeCloseTo(2);
  expect(slope([{ x: 1, y: 1 }])).toBe(0);
});

test("a flat run passes; steady RSS growth, descriptors or UDP sockets left behind, a blocked loop fail", () => {
  expect(
    judge(
      series(30, () => 80 + Math.random()),
      atRest,
      DEFAULT_BOUNDS,
    ).ok,
  ).toBe(true);
  // 2 MB a minute = 120 MB/h for 30 min: a leak.
  const leak = judge(
    series(30, (t) => 80 + (t / 60) * 2),
    atRest,
    DEFAULT_BOUNDS,
  );
  expect(leak.ok).toBe(false);
  expect(leak.failures.join()).toContain("MB/h");
  // Growth during warm-up only (the first 20 %) is allowed.
  expect(
    judge(
      series(30, (t) => (t < 300 ? 60 + t / 10 : 90)),
      atRest,
      DEFAULT_BOUNDS,
    ).ok,
  ).toBe(true);
  expect(
    judge(
      series(30, () => 80),
      { ...atRest, after: { fds: 60, udpSockets: 1 } },
      DEFAULT_BOUNDS,
    ).failures.join(),
  ).toContain("file descriptors");
  expect(
    judge(
      series(30, () => 80),
      { ...atRest, after: { fds: 16, udpSockets: 3 } },
      DEFAULT_BOUNDS,
    ).failures.join(),
  ).toContain("UDP");
  const blocked = series(30, () => 80);
  blocked[12].loopP99Ms = 1500;
  expect(judge(blocked, atRest, DEFAULT_BOUNDS).failures.join()).toContain("event-loop delay p99 reached");
  const sluggish = series(30, () => 80).map((s) => ({ ...s, loopP99Ms: 150 }));
  expect(judge(sluggish, atRest, DEFAULT_BOUNDS).failures.join()).toContain("median interval");
  expect(
    judge(
      series(30, () => 80),
      atRest,
      DEFAULT_BOUNDS,
      ["3 internal errors"],
    ).ok,
  ).toBe(false);
});

test("the event-loop delay window sees a blocked loop, then starts afresh", async () => {
  takeLoopDelay();
  await Bun.sleep(100);
  const t = Date.now();
  while (Date.now() - t < 150); // block the loop
  await Bun.sleep(100);
  expect(takeLoopDelay().max).toBeGreaterThan(0.1);
  await Bun.sleep(200);
  expect(takeLoopDelay().max).toBeLessThan(0.1);
});

test("npm run soak -- --seconds 20: a short soak against a real server passes", async () => {
  // The event-loop bounds are loosened: npm test shares the machine with everything else; growth and leaks are not.
  const proc = Bun.spawn(
    [process.execPath, "bench/soak.ts", "--seconds", "20", "--json", "--loop-median-ms", "1000", "--loop-max-ms", "5000"],
    { stdout: "pipe", stderr: "inherit" },
  );
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  const lines = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, any>);
  const result = lines.find((l) => l.kind === "result");
  expect(result?.failures).toEqual([]);
  expect(code).toBe(0);
  expect(lines.filter((l) => l.kind === "sample").length).toBeGreaterThanOrEqual(5);
  expect(result!.counts.joins).toBeGreaterThan(10);
  expect(result!.counts.quizzes).toBeGreaterThanOrEqual(1);
  expect(result!.after.fds).toBeLessThanOrEqual(result!.baseline.fds + DEFAULT_BOUNDS.fdSlack);
}, 180_000);
