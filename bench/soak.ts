// Soak: one real server process, one live class with steady churn (joins, leaves,
// reconnects, quizzes, answers, chat, a little WHIP/WHEP video) for a long time, sampling
// what the process holds; fails when memory, descriptors, UDP sockets or event-loop delay
// grow beyond the bounds in bench/soak/judge.ts.
//
//   npm run soak -- --minutes 30 [--json] [--students 40] [--rate 8] [--sample 10] [--no-media]
//   npm run soak -- --seconds 20              (the short form npm test runs)
//   bounds: --loop-median-ms 100 --loop-max-ms 1000 --rss-slope 60 (MB/h) --rss-rise 64 (MB)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "bun";
import { mintToken } from "../packages/server/src/auth/tokens.ts";
import { freePort, parseFlags, round } from "./lib/process.ts";
import { Churn, loadMedia } from "./soak/churn.ts";
import { DEFAULT_BOUNDS, judge, type Sample } from "./soak/judge.ts";
import { newTally } from "./soak/participant.ts";
import { procStats } from "./soak/proc-stats.ts";

const { json, values } = parseFlags(process.argv.slice(2));
const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? 1) * 60;
const students = Number(values.students ?? 40);
const rate = Number(values.rate ?? 8);
const sampleEvery = Number(values.sample ?? Math.min(10, Math.max(2, Math.round(seconds / 15))));
const graceMs = 3000;
const wantMedia = values["no-media"] === undefined;
/**
 * Bounds from bench/soak/judge.ts; --loop-median-ms, --loop-max-ms, --rss-slope, --rss-rise override them (npm test's short form on a
 * loaded machine).
 */
const bounds = {
  ...DEFAULT_BOUNDS,
  ...(values["loop-median-ms"] !== undefined ? { medianLoopP99Ms: Number(values["loop-median-ms"]) } : {}),
  ...(values["loop-max-ms"] !== undefined ? { maxLoopP99Ms: Number(values["loop-max-ms"]) } : {}),
  ...(values["rss-slope"] !== undefined ? { maxRssSlopeMbPerHour: Number(values["rss-slope"]) } : {}),
  ...(values["rss-rise"] !== undefined ? { maxRssRiseMb: Number(values["rss-rise"]) } : {}),
};
if (!(seconds > 0) || !(students > 1) || !(rate > 0) || !(sampleEvery > 0)) {
  console.error("usage: npm run soak -- --minutes N | --seconds N [--json] [--students N] [--rate N] [--sample S] [--no-media]");
  process.exit(2);
}

const out = (human: string, record: Record<string, unknown>) => console.log(json ? JSON.stringify(record) : human);

// ---- The server -------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), "edgeclass-soak-"));
const secret = crypto.randomUUID() + crypto.randomUUID();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn([process.execPath, "packages/server/src/main.ts"], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    DEMO: "false",
    LOG_LEVEL: "warn",
    RECONNECT_GRACE_MS: String(graceMs),
    MEDIA_WORKERS: "1",
  },
  stdout: "pipe",
  stderr: "inherit",
});
/** Error lines the server logged (JSON lines at level error or fatal): a soak must see none. */
const serverErrors: string[] = [];
(async () => {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of server.stdout) {
    const lines = (rest + decoder.decode(chunk)).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (/"level":"(error|fatal)"|"level":(50|60)\b/.test(line)) serverErrors.push(line.slice(0, 400));
  }
})();

async function cleanup() {
  server.kill("SIGKILL");
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
}

// Interrupted (Ctrl-C, a CI timeout): take the server and its data folder down too.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`soak: ${signal}, stopping the server`);
    cleanup().finally(() => process.exit(130));
  });
}

async function ready(timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error("server not ready in time");
}

async function api(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(parsed)}`);
  return parsed ?? {};
}

/** The event-loop delay the server measured since the last scrape (this script is its only scraper), and its JS heap. */
async function loopDelay(): Promise<{ p99: number; max: number; heapMb: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const stat = (s: string) =>
    Number(new RegExp(`^edgeclass_event_loop_delay_seconds\\{stat="${s}"\\} (\\S+)`, "m").exec(text)?.[1] ?? NaN) * 1000;
  const heap = Number(/^process_heap_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
  return { p99: stat("p99"), max: stat("max"), heapMb: round(heap / 1048576, 1) };
}

/** Seats released (grace over), media sessions reaped: what the process holds at rest. */
async function settle() {
  await Bun.sleep(graceMs + 2000);
  return procStats(server.pid);
}

try {
  await ready();
  const teacherId = "t-soak";
  const teacherToken = await mintToken(secret, { sub: teacherId, role: "teacher", name: "Soak teacher", ttlSeconds: 3 * 3600 });
  const course = await api("POST", "/api/courses", teacherToken, { title: "Soak", status: "active", capacity: 1000 });
  const studentIds = Array.from({ length: students }, (_, i) => `s${String(i + 1).padStart(3, "0")}`);
  const viewerIds = ["v1", "v2"];
  await api("POST", `/api/courses/${course.id}/enrollments`, teacherToken, { studentIds: [...studentIds, ...viewerIds] });
  const cls = await api("POST", `/api/courses/${course.id}/classes`, teacherToken, {
    title: "Soak class",
    startsAt: new Date(Date.now() + 60_000).toISOString(),
    durationMinutes: 600,
  });
  await api("POST", `/api/classes/${cls.id}/start`, teacherToken);

  const media = wantMedia ? await loadMedia() : null;
  const setup = { base, secret, classId: String(cls.id), teacherId, studentIds, viewerIds };
  const tally = newTally();

  // Warm-up round: everyone in once, a quiz, video once, everyone out. The lazily made things
  // (media worker, its UDP port, SQLite's WAL, Bun's thread pools) exist before the baseline.
  {
    const warm = new Churn(setup, tally, media);
    await warm.start(rate);
    await Promise.all(warm.students.map((s) => s.join()));
    await Bun.sleep(Math.min(15_000, Math.max(3000, seconds * 100)));
    await warm.stop();
  }
  const baseline = await settle();
  out(
    `soak: ${base} pid ${server.pid}, ${students} students + 2 viewers + teacher, ${rate} actions/s, ${seconds} s, sample ` +
      `every ${sampleEvery} s, video ` +
      `${media ? "on (1 publisher 300 kbps, WHEP viewers come and go)" : "off (WebRTC peers unavailable)"}\n` +
      `baseline at rest: rss ${baseline.rssMb} MB, fds ${baseline.fds}, udp ${baseline.udpSockets}, media workers ` +
      `${baseline.children} (${baseline.childRssMb} MB, ${baseline.childFds} fds)`,
    { kind: "baseline", pid: server.pid, students, rate, seconds, sampleEvery, media: media !== null, ...baseline },
  );

  const churn = new Churn(setup, tally, media);
  const started = performance.now();
  await churn.start(rate);
  const samples: Sample[] = [];
  await loopDelay(); // a fresh window from here
  while ((performance.now() - started) / 1000 < seconds) {
    await Bun.sleep(Math.min(sampleEvery * 1000, seconds * 1000 - (performance.now() - started)));
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode} during the soak`);
    const pingStart = performance.now();
    const pong = await churn.teacher.request({ type: "ping" });
    const pingMs = pong.ok ? round(performance.now() - pingStart, 1) : null;
    const loop = await loopDelay();
    const p = procStats(server.pid);
    const t = round((performance.now() - started) / 1000, 1);
    const s: Sample = {
      t,
      rssMb: p.rssMb,
      fds: p.fds,
      udpSockets: p.udpSockets,
      loopP99Ms: round(loop.p99, 1),
      loopMaxMs: round(loop.max, 1),
    };
    samples.push(s);
    const c = churn.counts;
    out(
      `t=${String(Math.round(t)).padStart(5)}s rss=${p.rssMb}MB heap=${loop.heapMb}MB workers=${p.childRssMb}MB ` +
        `fds=${p.fds}+${p.childFds} udp=${p.udpSockets} threads=${p.threads} loop p99=${s.loopP99Ms}ms max=${s.loopMaxMs}ms ` +
        `ping=${pingMs}ms ` +
        `online=${churn.online} joins=${c.joins} leaves=${c.leaves} reconnects=${c.reconnects} chat=${c.chats} ` +
        `quizzes=${c.quizzes} answers=${c.answerAcks}/${c.answers} whep=${c.whep}`,
      {
        kind: "sample",
        ...s,
        heapMb: loop.heapMb,
        childRssMb: p.childRssMb,
        childFds: p.childFds,
        threads: p.threads,
        pingMs,
        online: churn.online,
        ...c,
      },
    );
  }
  await churn.stop();
  const after = await settle();
  // A clean stop, too: SIGTERM drains and exits 0 within 10 s.
  server.kill("SIGTERM");
  const exitCode = await Promise.race([server.exited, Bun.sleep(12_000).then(() => "timeout" as const)]);

  const extra: string[] = [];
  if (tally.errors.internal) extra.push(`${tally.errors.internal} internal errors`);
  if (tally.timeouts) extra.push(`${tally.timeouts} requests without a reply`);
  const closes = Object.entries(tally.unexpectedCloses);
  if (closes.length) extra.push(`sockets closed by the server: ${closes.map(([code, n]) => `${n}× ${code}`).join(", ")}`);
  if (serverErrors.length) extra.push(`${serverErrors.length} error lines in the server log, first: ${serverErrors[0]}`);
  if (churn.serverErrors.length) extra.push(`REST 5xx: ${churn.serverErrors.slice(0, 5).join(", ")}`);
  if (churn.counts.quizzes === 0) extra.push("no quiz ran");
  if (churn.counts.answers > 0 && churn.counts.answerAcks === 0) extra.push("no answer was acknowledged");
  if (exitCode !== 0) extra.push(`server stop on SIGTERM: ${exitCode}`);
  const verdict = judge(samples, { baseline, after }, bounds, extra);
  const c = churn.counts;
  out(
    `after the churn, at rest: rss ${after.rssMb} MB, fds ${after.fds} (baseline ${baseline.fds}), udp ${after.udpSockets} ` +
      `(baseline ${baseline.udpSockets}), threads ${after.threads}\n` +
      `RSS ${round(verdict.rssAfterWarmupMb, 1)} MB after warm-up -> ${round(verdict.rssEndMb, 1)} MB at the end (slope ` +
      `${round(verdict.rssSlopeMbPerHour, 1)} MB/h), event-loop p99 median ${round(verdict.loopP99MedianMs, 1)} ms, max ` +
      `${round(verdict.loopP99MaxMs, 1)} ms\n` +
      `load: ${c.joins} joins, ${c.leaves} leaves, ${c.reconnects} reconnects, ${c.chats} chat, ${c.reactions} reactions, ` +
      `${c.hands} hands, ${c.quizzes} quizzes, ${c.answerAcks}/${c.answers} answers acked (${c.answersCutOff} cut off by a ` +
      `leave), ${c.whep} WHEP (${c.whepFailed} failed), ${c.rest} REST reads; ` +
      `replies: ${tally.acks} acks, errors ${JSON.stringify(tally.errors)}\n` +
      (verdict.ok ? "PASS" : `FAIL: ${verdict.failures.join("; ")}`),
    {
      kind: "result",
      baseline,
      after,
      ...verdict,
      counts: c,
      replies: { acks: tally.acks, errors: tally.errors, unexpectedCloses: tally.unexpectedCloses, timeouts: tally.timeouts },
      bounds,
    },
  );
  await cleanup();
  process.exit(verdict.ok ? 0 : 1);
} catch (e) {
  console.error("soak failed:", e);
  await cleanup();
  process.exit(1);
}
