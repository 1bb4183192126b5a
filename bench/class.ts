// Live-class benchmark: K classes of N students against the EdgeClass server and, in the same
// run, against a floor (a bare Bun.serve pub/sub relay of the same messages, no logic).
// Students are EdgeClassClient instances spread over several client processes pinned to the
// other core, so clients are not the bottleneck. Per target:
//   1. each class's teacher connects, then its N students connect at once (the join burst:
//      time until every student has its welcome, and until the teacher's count shows them all);
//   2. every teacher launches a question; each student answers at a random moment within
//      the answer window; then every teacher chats once a second and 5% of the students
//      chat once a second, for --seconds (--overlap: chat during the answer window);
//   3. answers are read back from GET /api/classes/:id/results?format=json: every acked
//      answer must be there (lost = not acked + acked but missing).
// Prints answers/s, ack latency p50/p99/p99.9, lost answers, chat deliveries/s and latency,
// server CPU and RSS, the join burst, the ratio to the floor, and every missed aim by how much.
//
//   npm run bench:class -- [--classes 10] [--students 1000] [--procs 4] [--seconds 5]
//                          [--answer-window 2000] [--chat-fraction 0.05] [--teacher-chat-rate 1]
//                          [--only ours|floor] [--ws raw|standard] [--overlap] [--busy] [--kernel-stamps]
//                          [--compiled] [--json] [--cpu-prof DIR]
//
// --busy: a spinning process shares the server's core for each target's whole run (another
// tenant's work), so the delivery and ack figures show what contention does.
// --cpu-prof DIR: our server runs under `bun --cpu-prof` and writes its profile to DIR when it exits;
// the phases' edges (epoch ms) go to DIR/phases.json, to cut the profile to the quiz phase.
// Delivery latency: the teacher's send of quiz.launch to each student's socket receiving the
// quiz.question frame (every student), and a chat's send to its receipt (every 10th student);
// epoch clocks with sub-millisecond precision, all processes on this machine.
// --kernel-stamps (root, tcpdump): the same deliveries stamped by the kernel as the server's segments
// reach loopback (class/kernel-stamps.ts), so the clients' own queue is left out: every socket's
// question, and chat for one socket in sixteen. The aims are judged on these when they are measured.
// --compiled: our server as the image starts it (`bun build --compile --bytecode`), not from sources.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileServer, freePort, hasTaskset, parseFlags, round, spawnPinned, waitForHttp } from "./lib/process.ts";
import { loadFlags, runScenario, type TargetResult } from "./class/runner.ts";
import { openFilesLimit, pinSelf } from "./class/setup.ts";
import { canCapture, startCapture, type Capture, type KernelDelivery } from "./class/kernel-stamps.ts";

const argv = process.argv.slice(2);
/** Chat during the answer window instead of after it (a bare flag, so taken out before parseFlags). */
const overlap = argv.includes("--overlap");
const busy = argv.includes("--busy");
const kernelStamps = argv.includes("--kernel-stamps");
const compiledForm = argv.includes("--compiled");
if (kernelStamps && !canCapture()) throw new Error("--kernel-stamps needs tcpdump (apt-get install tcpdump) and root");
const { json, values } = parseFlags(argv.filter((a) => !["--overlap", "--busy", "--kernel-stamps", "--compiled"].includes(a)));
const flags = loadFlags(values);
const { classes, procs, chatSeconds, answerWindowMs, chatFraction, teacherChatRate, rawSockets } = flags;
let students = flags.students;
const only = values.only === "ours" || values.only === "floor" ? values.only : null;
const cpuProfDir = values["cpu-prof"] || null;
if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
if (cpuProfDir && compiledForm) throw new Error("--cpu-prof runs the sources: leave out --compiled");
const compiledServer = compiledForm ? join(mkdtempSync(join(tmpdir(), "bench-class-exe-")), "edgeclass-server") : null;
if (compiledServer) compileServer(compiledServer);
const SERVER_CORE = 0;
/** Chat fans out ~500,000 frames a second at 10 x 1000: the capture keeps one socket in sixteen. */
const CHAT_SAMPLE_MASK = 30; // bits 1-4: connect() picks even ports first, so bit 0 is nearly always clear
const CLIENT_CORE = 1;
const log = (...a: unknown[]) => console.error("[bench:class]", ...a);

// ---- Open files: the server holds every student's socket in one process ------------------
const nofile = openFilesLimit();
const notes: string[] = [];
const needed = classes * (students + 1) + 200;
if (needed > nofile) {
  const fit = Math.floor((nofile - 200) / classes) - 1;
  notes.push(
    `open-files limit is ${nofile} (hard limit, cannot be raised here): ${classes}x${students} needs ~${needed} descriptors ` +
      `in the server; ran ${classes}x${fit} instead`,
  );
  log(notes[notes.length - 1]);
  students = fit;
}
const perProc = Math.ceil((classes * students) / procs);
if (perProc + 100 > nofile)
  throw new Error(`${perProc} sockets per client process exceed the open-files limit ${nofile}: use more --procs`);

pinSelf(CLIENT_CORE);
const secret = "bench-class-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

type Figures = { p50Ms: number; p99Ms: number; maxMs: number; samples: number };
type Result = TargetResult & { kernel?: { question: Figures; chat: Figures; dropped: number } };

const figures = (ms: number[]): Figures => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)], 2) : NaN);
  return { p50Ms: at(50), p99Ms: at(99), maxMs: at(100), samples: s.length };
};

async function runTarget(target: "ours" | "floor"): Promise<Result> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "bench-class-"));
  const env: Record<string, string> =
    target === "ours"
      ? {
          PORT: String(port),
          HOST: "127.0.0.1",
          DATA_DIR: dataDir,
          MAX_STUDENTS: String(students),
          LOG_LEVEL: "warn",
          JWT_SECRET: secret,
          DEMO: "false",
        }
      : { PORT: String(port) };
  const file = target === "ours" ? "packages/server/src/main.ts" : "bench/class/floor-server.ts";
  const prof = target === "ours" && cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [];
  const command = target === "ours" && compiledServer ? [compiledServer] : [process.execPath, ...prof, file];
  const server = spawnPinned(command, env, SERVER_CORE);
  const phases: Record<string, number> = { spawned: Date.now() };
  let capture: Capture | null = null;
  const stamped: KernelDelivery = { question: [], chat: [], dropped: 0 };
  // Bounded (15 min) even if this process dies without killing it.
  const spinner = busy
    ? spawnPinned([process.execPath, "-e", "const end = Date.now() + 900_000; let x = 0; while (Date.now() < end) x++;"], {}, SERVER_CORE)
    : null;
  try {
    await waitForHttp(`${base}/healthz`);
    const { result } = await runScenario({
      target,
      label: target,
      servers: [{ base, pid: server.pid }],
      ...flags,
      students,
      overlap,
      secret,
      clientCore: CLIENT_CORE,
      log,
      phaseHook: async (phase, edge) => {
        phases[`${phase}.${edge}`] = Date.now();
        if (!kernelStamps || phase === "join") return;
        if (edge === "start") capture = await startCapture(port, phase === "chat" || overlap ? CHAT_SAMPLE_MASK : 0);
        else if (capture) {
          const got = await capture.stop();
          capture = null;
          stamped.question.push(...got.question);
          stamped.chat.push(...got.chat);
          stamped.dropped += got.dropped;
        }
      },
    });
    if (prof.length) writeFileSync(join(cpuProfDir!, "phases.json"), JSON.stringify(phases));
    if (!kernelStamps) return result;
    return { ...result, kernel: { question: figures(stamped.question), chat: figures(stamped.chat), dropped: stamped.dropped } };
  } finally {
    spinner?.kill("SIGKILL");
    await (capture as Capture | null)?.stop(); // a run that failed mid-phase
    server.kill("SIGTERM");
    await Promise.race([server.exited, Bun.sleep(10_000)]);
    server.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();
const results: Result[] = [];
for (const target of ["floor", "ours"] as const) {
  if (only !== null && only !== target) continue;
  try {
    results.push(await runTarget(target));
  } catch (e) {
    const msg = `${target}: run failed: ${e instanceof Error ? e.message : String(e)}`;
    log(msg);
    notes.push(msg);
  }
}

// ---- Report -------------------------------------------------------------------------
const ours = results.find((r) => r.target === "ours");
const floor = results.find((r) => r.target === "floor");
const line = (r: Result) =>
  [
    `${r.target.padEnd(5)} ${r.classes}x${r.students}`,
    `join: ${r.join.admitted} admitted, worst burst ${r.join.worstBurstMs} ms, teacher settled ${r.join.worstSettledMs} ms, ` +
      `welcome p50/p99 ${r.join.welcomeP50Ms}/${r.join.welcomeP99Ms} ms`,
    `answers: ${r.answers.acked}/${r.answers.sent} acked, ${r.answers.perSecond}/s, ack p50 ${r.answers.ackP50Ms} p99 ` +
      `${r.answers.ackP99Ms} p99.9 ${r.answers.ackP999Ms} max ${r.answers.ackMaxMs} ms, lost ${r.answers.lost} (not acked ` +
      `${r.answers.notAcked}, missing from results ` +
      `${r.answers.missingFromResults ?? "unread"})` +
      `${Object.keys(r.answers.errors).length ? `, errors ${JSON.stringify(r.answers.errors)}` : ""}`,
    `delivery (teacher's send to the student's socket): quiz.question p50 ${r.delivery.question.p50Ms} p99 ` +
      `${r.delivery.question.p99Ms} max ${r.delivery.question.maxMs} ms (${r.delivery.question.samples} students); ` +
      `chat.message p50 ${r.delivery.chat.p50Ms} p99 ${r.delivery.chat.p99Ms} ms (${r.delivery.chat.samples} samples); answer ` +
      `ack p99 ${r.answers.ackP99Ms} ms`,
    ...(r.kernel
      ? [
          `delivery stamped by the kernel (teacher's send to the server's segment on loopback): quiz.question p50 ` +
            `${r.kernel.question.p50Ms} p99 ${r.kernel.question.p99Ms} max ${r.kernel.question.maxMs} ms ` +
            `(${r.kernel.question.samples} sockets); chat.message p50 ${r.kernel.chat.p50Ms} p99 ${r.kernel.chat.p99Ms} ms ` +
            `(${r.kernel.chat.samples} samples); capture drops ${r.kernel.dropped}`,
        ]
      : []),
    `chat: ${r.chat.deliveries}/${r.chat.expectedDeliveries} deliveries, ${r.chat.perSecond}/s, latency p50 ` +
      `${r.chat.latencyP50Ms} p99 ${r.chat.latencyP99Ms} ms, ${r.chat.acked}/${r.chat.sent} sent ` +
      `acked${Object.keys(r.chat.errors).length ? `, errors ${JSON.stringify(r.chat.errors)}` : ""}`,
    `server: cpu ${r.server.cpuJoinPct}% of a core during joins, ${r.server.cpuQuizPct}% during the quiz, ` +
      `${r.server.cpuChatPct}% during chat (clients, all processes: ${r.server.clientCpuQuizPct}% / ` +
      `${r.server.clientCpuChatPct}%); ${r.server.cpuUsPerAnswer} µs CPU per answer (quiz phase incl. its broadcasts: ` +
      `~${round(1e6 / r.server.cpuUsPerAnswer, 0)} answers/s per core), ${r.server.cpuNsPerChatDelivery} ns CPU per chat ` +
      `delivery (~${round(1e9 / r.server.cpuNsPerChatDelivery, 0)} deliveries/s per core); rss ${r.server.rssAfterJoinMb} MB ` +
      `after joins (${r.server.rssPerStudentKb} KB/student), peak ${r.server.rssPeakMb} MB`,
    ...(r.serverSide
      ? [
          `inside the server (/metrics histogram bounds): answer ack p50 <= ${r.serverSide.answerAckP50Ms} ms, p99 <= ` +
            `${r.serverSide.answerAckP99Ms} ms, p99.9 <= ${r.serverSide.answerAckP999Ms} ms over ` +
            `${r.serverSide.answersCounted} answers; slow clients dropped ${r.serverSide.slowClients}`,
        ]
      : []),
    ...(r.serverSide
      ? Object.entries(r.serverSide.fanout).map(
          ([type, f]) =>
            `fan-out inside the server, ${type} (frame in to published, edgeclass_event_fanout_seconds): p50 <= ${f.p50Ms} ` +
            `p99 <= ${f.p99Ms} ms over ${f.count}; mean by stage ${Object.entries(r.serverSide?.stagesMeanMs[type] ?? {})
              .map(([s, ms]) => `${s} ${ms}`)
              .join(", ")} ms`,
        )
      : []),
    `quiz phase probe: server process states ${JSON.stringify(r.probe.states)} (R = running or runnable, S = sleeping, D = ` +
      `blocked on I/O), main thread waiting for a CPU ${r.probe.runQueueWaitPct}% of the phase, CPU by thread ` +
      `${JSON.stringify(r.probe.threadCpuPct)} (% of the phase), GET /healthz p50 ${r.probe.healthzP50Ms} ms, max ` +
      `${r.probe.healthzMaxMs} ms`,
    `reconnects ${r.reconnects}${Object.keys(r.closedForGood).length ? `, closed for good ${JSON.stringify(r.closedForGood)}` : ""}`,
  ].join("\n  ");

console.log(
  `bench:class  ${busy ? "[--busy: a spinning process shares the server's core] " : ""}${classes} classes x ${students} ` +
    `students${compiledServer ? " (our server compiled, as the image starts it)" : ""}, ${procs} client processes ` +
    `(${rawSockets ? "raw" : "standard"} sockets), answer window ${answerWindowMs} ms, ` +
    `chat ${chatSeconds} s ${overlap ? "during" : "after"} the answer window (teacher ${teacherChatRate}/s, ` +
    `${chatFraction * 100}% of students 1/s: ` +
    `${round(((teacherChatRate + students * chatFraction) * students * classes) / 1000, 0)}k deliveries/s offered), server on ` +
    `core ${hasTaskset ? SERVER_CORE : "any"}, clients on core ${hasTaskset ? CLIENT_CORE : "any"}`,
);
for (const r of results) console.log(line(r));

const ratio =
  ours && floor
    ? {
        answersPerSecond: round(ours.answers.perSecond / floor.answers.perSecond, 3),
        ackP99: round(ours.answers.ackP99Ms / floor.answers.ackP99Ms, 2),
        chatPerSecond: round(ours.chat.perSecond / floor.chat.perSecond, 3),
        chatLatencyP99: round(ours.chat.latencyP99Ms / floor.chat.latencyP99Ms, 2),
        questionDeliveryP50: round(ours.delivery.question.p50Ms / floor.delivery.question.p50Ms, 2),
        questionDeliveryP99: round(ours.delivery.question.p99Ms / floor.delivery.question.p99Ms, 2),
        joinBurst: round(ours.join.worstBurstMs / floor.join.worstBurstMs, 2),
        cpuPerAnswer: round(ours.server.cpuUsPerAnswer / floor.server.cpuUsPerAnswer, 2),
        cpuPerChatDelivery: round(ours.server.cpuNsPerChatDelivery / floor.server.cpuNsPerChatDelivery, 2),
        cpuQuiz: round(ours.server.cpuQuizPct / floor.server.cpuQuizPct, 2),
        cpuChat: round(ours.server.cpuChatPct / floor.server.cpuChatPct, 2),
        rss: round(ours.server.rssAfterJoinMb / floor.server.rssAfterJoinMb, 2),
      }
    : null;
if (ratio)
  console.log(
    `ours / floor: ${Object.entries(ratio)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );

// Aims from the issue; scaled ones say so.
const misses: string[] = [];
if (ours) {
  const miss = (name: string, got: number, aim: number, unit: string, higherIsBetter = false) => {
    const bad = Number.isNaN(got) || (higherIsBetter ? got < aim : got > aim);
    if (bad)
      misses.push(
        `${name}: ${got} ${unit} against ${higherIsBetter ? ">=" : "<"} ${aim} ${unit} ` +
          "(" +
          (Number.isNaN(got)
            ? "not measured"
            : higherIsBetter
              ? `short by ${round(aim - got, 1)} ${unit}, ${round((100 * (aim - got)) / aim, 1)}%`
              : `over by ${round(got - aim, 1)} ${unit}, x${round(got / aim, 2)}`) +
          `)`,
      );
  };
  if (students >= 1000) miss("join burst (all admitted and welcomed)", ours.join.worstBurstMs, 2000, "ms");
  if (students >= 1000) miss("join settled (teacher sees everyone)", ours.join.worstSettledMs, 2000, "ms");
  miss("ack p99", ours.answers.ackP99Ms, 50, "ms");
  // Issue 19: delivery at 1 x 1000 p50 < 10, p99 < 25 ms; at 10 x 1000 p50 < 20, p99 < 100 ms (busy or not).
  // Judged on the kernel's stamps when measured: the clients' stamps include the client core's queue.
  const [p50Aim, p99Aim] = classes * students > 1000 ? [20, 100] : [10, 25];
  const [d, by] = ours.kernel ? [ours.kernel, " (kernel-stamped)"] : [ours.delivery, ""];
  miss(`quiz.question delivery p50${by}`, d.question.p50Ms, p50Aim, "ms");
  miss(`quiz.question delivery p99${by}`, d.question.p99Ms, p99Aim, "ms");
  miss(`chat.message delivery p50${by}`, d.chat.p50Ms, p50Aim, "ms");
  miss(`chat.message delivery p99${by}`, d.chat.p99Ms, p99Aim, "ms");
  miss("ack p99.9", ours.answers.ackP999Ms, 100, "ms");
  miss("lost answers", ours.answers.lost, 0, "", false);
  if (ours.answers.lost > 0) misses[misses.length - 1] = `lost answers: ${ours.answers.lost} (must be 0)`;
  const offered = (ours.chat.acked / chatSeconds) * students;
  if (classes * students >= 10_000) {
    miss("chat deliveries/s", ours.chat.perSecond, 500_000, "/s", true);
    const offeredRate = (teacherChatRate + students * chatFraction) * students * classes;
    if (
      ours.chat.perSecond < 500_000 &&
      offeredRate < 550_000 &&
      ours.chat.deliveries >= ours.chat.expectedDeliveries &&
      ours.chat.perSecond >= 0.9 * offeredRate
    ) {
      notes.push(
        `chat kept pace with the offered ${round(offeredRate / 1000, 0)}k deliveries/s (all delivered), which caps the ` +
          `measured rate: use --teacher-chat-rate 10 to offer more than 500k/s`,
      );
    }
  } else if (ours.chat.perSecond < 0.9 * offered)
    misses.push(`chat deliveries/s ${ours.chat.perSecond} below 90% of the offered ${round(offered, 0)}/s`);
  if (classes * students >= 20_000 || notes.some((n) => n.includes("open-files"))) {
    miss("server RSS with all students connected", ours.server.rssAfterJoinMb, 1024, "MB");
    const at20k = round((ours.server.rssAfterJoinMb * 20_000) / Math.max(1, ours.join.admitted), 0);
    notes.push(`RSS extrapolated to 20,000 students: ~${at20k} MB`);
  }
  if (ours.join.admitted < classes * students) misses.push(`admitted ${ours.join.admitted} of ${classes * students}`);
}
notes.push(`machine load average ${loadBefore} before, ${loadavg()} after (2 cores, shared)`);
for (const m of misses) console.log(`MISSED ${m}`);
for (const n of notes) console.log(`note: ${n}`);
if (json)
  console.log(
    JSON.stringify({
      bench: "class",
      busy,
      classes,
      students,
      procs,
      overlap,
      teacherChatRate,
      sockets: rawSockets ? "raw" : "standard",
      answerWindowMs,
      chatSeconds,
      chatFraction,
      results,
      ratio,
      misses,
      notes,
    }),
  );
