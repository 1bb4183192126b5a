// The live-class scenario of bench:class, shared with bench:scale: against servers the caller
// has started (one, or several instances behind one Redis), set up K classes of N students,
// run the join bursts, a quiz (every student answers within the answer window), chat fan-out,
// and read every acked answer back from the results export. Students are EdgeClassClient
// instances in client processes; each student connects to the instance its index picks
// (round-robin over `servers`), teachers to the first instance.
import { mintToken } from "../../packages/server/src/auth/tokens.ts";
import { EdgeClassClient, type QuestionDraft } from "@edgeclass/client";
import { percentile, round } from "../lib/process.ts";
import type { CollectReport, FromStudents, JoinReport, ToStudents } from "./ipc.ts";
import { answersIn, api, Child, cpuSeconds, memoryMb, setUpClass, startProbe, type ClassPlan } from "./setup.ts";

const benchQuestion: QuestionDraft = {
  kind: "single",
  prompt: "Which planet is largest?",
  options: [
    { id: "a", text: "Jupiter" },
    { id: "b", text: "Saturn" },
    { id: "c", text: "Earth" },
    { id: "d", text: "Mars" },
  ],
  correct: "a",
  points: 100,
};

type Probe = ReturnType<ReturnType<typeof startProbe>["stop"]>;

export interface TargetResult {
  target: "ours" | "floor";
  classes: number;
  students: number;
  join: {
    admitted: number;
    failed: Record<string, number>;
    burstMs: number[];
    worstBurstMs: number;
    teacherSettledMs: number[];
    worstSettledMs: number;
    welcomeP50Ms: number;
    welcomeP99Ms: number;
  };
  answers: {
    sent: number;
    acked: number;
    perSecond: number;
    ackP50Ms: number;
    ackP99Ms: number;
    ackP999Ms: number;
    ackMaxMs: number;
    errors: Record<string, number>;
    notAcked: number;
    missingFromResults: number | null;
    lost: number;
  };
  chat: {
    sent: number;
    acked: number;
    errors: Record<string, number>;
    deliveries: number;
    expectedDeliveries: number;
    perSecond: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
  };
  /** The teacher's send (launch, chat) to each student's socket receiving the frame, in ms; samples counted. */
  delivery: {
    question: { p50Ms: number; p99Ms: number; maxMs: number; samples: number };
    chat: { p50Ms: number; p99Ms: number; samples: number };
  };
  /** Summed over the server processes (with one server: that server). */
  server: {
    cpuJoinPct: number;
    cpuQuizPct: number;
    cpuChatPct: number;
    clientCpuQuizPct: number;
    clientCpuChatPct: number;
    cpuUsPerAnswer: number;
    cpuNsPerChatDelivery: number;
    rssAfterJoinMb: number;
    rssPeakMb: number;
    rssPerStudentKb: number;
  };
  reconnects: number;
  closedForGood: Record<string, number>;
  /**
   * During the quiz phase: the first server process's scheduler states (/proc stat: R running or waiting for a CPU, S sleeping, D blocked
   * in I/O) and GET /healthz times.
   */
  probe: Probe;
  /** From the servers' /metrics: answer ack time inside the server (bucket bounds), slow clients dropped. */
  serverSide: {
    answerAckP50Ms: number;
    answerAckP99Ms: number;
    answerAckP999Ms: number;
    answersCounted: number;
    slowClients: number;
    /** edgeclass_event_fanout_seconds: the teacher's frame to the publish, inside the server (bucket bounds, ms). */
    fanout: Record<string, { p50Ms: number; p99Ms: number; count: number }>;
    /** edgeclass_event_stage_seconds, mean ms per stage, by event type. */
    stagesMeanMs: Record<string, Record<string, number>>;
  } | null;
}

/** One server process's own figures (bench:scale prints them per instance). */
export interface InstanceFigures {
  index: number;
  students: number;
  cpuJoinPct: number;
  cpuQuizPct: number;
  cpuChatPct: number;
  rssAfterJoinMb: number;
  rssPeakMb: number;
  probe: Probe;
  /** Answers whose acks are missing from this instance's results export (null: unreadable). */
  missingFromResults: number | null;
}

/** The load both benches take, from bench:class's flags and defaults. */
export function loadFlags(values: Record<string, string>) {
  return {
    classes: Number(values.classes ?? 10),
    students: Number(values.students ?? 1000),
    procs: Number(values.procs ?? 4),
    chatSeconds: Number(values.seconds ?? 5),
    answerWindowMs: Number(values["answer-window"] ?? 2000),
    chatFraction: Number(values["chat-fraction"] ?? 0.05),
    /** Chat messages a second from each teacher (the issue's load is 1; more offers more fan-out). */
    teacherChatRate: Math.max(1, Math.min(20, Number(values["teacher-chat-rate"] ?? 1))),
    /** raw: students' sockets count chat frames from bytes (cheap clients); standard: Bun's WebSocket. */
    rawSockets: (values.ws ?? "raw") !== "standard",
  };
}

export interface ScenarioOptions {
  target: "ours" | "floor";
  /** Prefix of progress lines (bench:class: the target). */
  label: string;
  /** The running servers: base URL and process id; students round-robin over them, teachers on the first (or spread). */
  servers: { base: string; pid: number }[];
  classes: number;
  students: number;
  procs: number;
  chatSeconds: number;
  answerWindowMs: number;
  chatFraction: number;
  teacherChatRate: number;
  rawSockets: boolean;
  overlap: boolean;
  secret: string;
  clientCore: number | null;
  log(...a: unknown[]): void;
  question?: QuestionDraft;
  /**
   * Settle a phase only once every scheduled chat message has been sent (bench:scale: its client
   * core is shared with an instance, and a late message would otherwise be left out of the
   * phase). bench:class settles without it, as it always has.
   */
  waitForUnsentChat?: boolean;
  /** Class i's teacher connects to server i mod N (its instance then owns the class) instead of the first. */
  spreadTeachers?: boolean;
  /**
   * Called once the classes are set up, before the client processes start (bench:scale waits for the catalogue to reach every instance).
   */
  afterSetUp?: () => Promise<void>;
  /** Called where each phase's CPU accounting starts and ends (bench:scale reads Redis's CPU there). */
  phaseHook?: (phase: "join" | "quiz" | "chat", edge: "start" | "end") => Promise<void> | void;
}

/** The servers' view of answer-ack latency (buckets summed over servers): the histogram's bucket bound at each percentile. */
async function serverMetrics(bases: string[]): Promise<TargetResult["serverSide"]> {
  try {
    const buckets = new Map<number, number>();
    let slowClients = 0;
    const fanoutBuckets = new Map<string, Map<number, number>>();
    const stageSums = new Map<string, { sum: number; count: number }>();
    for (const base of bases) {
      const text = await (await fetch(`${base}/metrics`)).text();
      for (const m of text.matchAll(/^edgeclass_event_fanout_seconds_bucket\{type="([^"]+)",le="([^"]+)"\} (\d+)/gm)) {
        const b = fanoutBuckets.get(m[1]) ?? new Map<number, number>();
        fanoutBuckets.set(m[1], b);
        const le = m[2] === "+Inf" ? Infinity : Number(m[2]) * 1000;
        b.set(le, (b.get(le) ?? 0) + Number(m[3]));
      }
      for (const m of text.matchAll(/^edgeclass_event_stage_seconds_(sum|count)\{type="([^"]+)",stage="([^"]+)"\} (\S+)/gm)) {
        const key = `${m[2]}\u0000${m[3]}`;
        const e = stageSums.get(key) ?? { sum: 0, count: 0 };
        stageSums.set(key, e);
        e[m[1] as "sum" | "count"] += Number(m[4]);
      }
      for (const m of text.matchAll(/^edgeclass_answer_ack_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) {
        const le = m[1] === "+Inf" ? Infinity : Number(m[1]) * 1000;
        buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
      }
      // one series per reason
      for (const slow of text.matchAll(/^edgeclass_slow_clients_total(?:\{[^}]*\})? (\d+)/gm)) slowClients += Number(slow[1]);
    }
    const list = [...buckets].sort((a, b) => a[0] - b[0]);
    const total = list.at(-1)?.[1] ?? 0;
    const at = (p: number) => list.find(([, n]) => n >= total * p)?.[0] ?? NaN;
    const fanout: Record<string, { p50Ms: number; p99Ms: number; count: number }> = {};
    for (const [type, b] of fanoutBuckets) {
      const l = [...b].sort((x, y) => x[0] - y[0]);
      const n = l.at(-1)?.[1] ?? 0;
      if (n === 0) continue;
      const q = (p: number) => l.find(([, c]) => c >= n * p)?.[0] ?? NaN;
      fanout[type] = { p50Ms: q(0.5), p99Ms: q(0.99), count: n };
    }
    const stagesMeanMs: Record<string, Record<string, number>> = {};
    for (const [key, e] of stageSums) {
      if (e.count === 0) continue;
      const [type, stage] = key.split("\u0000");
      (stagesMeanMs[type] ??= {})[stage] = round((e.sum / e.count) * 1000, 3);
    }
    return {
      answerAckP50Ms: at(0.5),
      answerAckP99Ms: at(0.99),
      answerAckP999Ms: at(0.999),
      answersCounted: total,
      slowClients,
      fanout,
      stagesMeanMs,
    };
  } catch {
    return null;
  }
}

const merge = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};
const sorted = (xs: number[]) => Float64Array.from(xs).sort();
const pct = (xs: Float64Array, p: number) => round(percentile(xs as unknown as number[], p), 2);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Waits until the phase has settled: no request waiting for its reply, and every student has
 * every accepted chat message (or nothing has moved for `quietMs`). At most `maxMs`.
 */
async function settle(
  kids: Child<ToStudents, FromStudents>[],
  extraChatAcked: () => number,
  students: number,
  waitForUnsent: boolean,
  quietMs = 5000,
  maxMs = 60_000,
): Promise<void> {
  const end = Date.now() + maxMs;
  let last = -1;
  let lastChange = Date.now();
  while (Date.now() < end) {
    for (const k of kids) k.send({ t: "progress" });
    const ps = await Promise.all(kids.map((k) => k.next("progress")));
    const pending = ps.reduce((a, p) => a + p.answersPending + p.chatPending + (waitForUnsent ? p.chatUnsent : 0), 0);
    const received = ps.reduce((a, p) => a + p.chatReceived, 0);
    const expected = (ps.reduce((a, p) => a + p.chatAcked, 0) + extraChatAcked()) * students;
    if (pending === 0 && received >= expected) return;
    if (received !== last) {
      last = received;
      lastChange = Date.now();
    } else if (pending === 0 && Date.now() - lastChange > quietMs) return;
    await Bun.sleep(100);
  }
}

/** Runs the scenario against servers that are up; leaves them running (the caller stops them). */
export async function runScenario(
  o: ScenarioOptions,
): Promise<{ result: TargetResult; instances: InstanceFigures[]; phaseSeconds: { join: number; quiz: number; chat: number } }> {
  const {
    target,
    label,
    classes,
    students,
    procs,
    chatSeconds,
    answerWindowMs,
    chatFraction,
    teacherChatRate,
    rawSockets,
    overlap,
    secret,
    log,
  } = o;
  const question = o.question ?? benchQuestion;
  const bases = o.servers.map((s) => s.base);
  const pids = o.servers.map((s) => s.pid);
  const base = bases[0];
  const instanceOf = (n: number) => n % bases.length;
  const cpuAll = () => pids.map((pid) => cpuSeconds(pid));
  const hook = async (phase: "join" | "quiz" | "chat", edge: "start" | "end") => {
    if (o.phaseHook) await o.phaseHook(phase, edge);
  };
  const kids: Child<ToStudents, FromStudents>[] = [];
  const teachers: EdgeClassClient[] = [];
  try {
    // ---- Set-up ----------------------------------------------------------------
    const plans: ClassPlan[] = [];
    for (let i = 0; i < classes; i++) {
      const teacherId = `bench-t${i}`;
      const studentIds = Array.from({ length: students }, (_, n) => `bench-c${i}-s${n}`);
      if (target === "ours") {
        const token = await mintToken(secret, { sub: teacherId, role: "teacher", ttlSeconds: 7200 });
        plans.push(await setUpClass(base, token, { index: i, teacherId, studentIds }, students));
      } else plans.push({ index: i, teacherId, studentIds, courseId: `floor-course-${i}`, classId: `floor-class-${i}` });
    }
    log(`${label}: ${classes} classes of ${students} set up`);
    if (o.afterSetUp) await o.afterSetUp();
    // ---- Client processes: students dealt round-robin so every burst uses them all -----
    for (let p = 0; p < procs; p++)
      kids.push(new Child<ToStudents, FromStudents>(new URL("./student-proc.ts", import.meta.url), o.clientCore));
    const stride = Math.max(1, Math.round(1 / chatFraction));
    const spread = Math.min(stride, bases.length);
    const chatterOffset = (block: number) => ((((block % spread) - ((block * stride) % spread)) % spread) + spread) % spread;
    for (let p = 0; p < procs; p++) {
      kids[p].send({
        t: "init",
        baseUrl: base,
        ...(bases.length > 1 ? { baseUrls: bases } : {}),
        secret,
        answerWindowMs,
        latencyEvery: 10,
        rawSockets,
        classes: plans.map((pl) => {
          const ns = pl.studentIds.map((_, n) => n).filter((n) => n % procs === p);
          const ids = ns.map((n) => pl.studentIds[n]);
          return {
            classId: pl.classId,
            studentIds: ids,
            // One student in each block of `stride` chats: the first (as bench:class always had it)
            // or, with several instances, the one on instance (block mod instances), so the
            // chatters are as many and spread over the instances like everyone else.
            chatters: ns.filter((n) => n % stride === chatterOffset(Math.floor(n / stride))).map((n) => pl.studentIds[n]),
            ...(bases.length > 1 ? { instances: ns.map(instanceOf) } : {}),
          };
        }),
      });
    }
    await Promise.all(kids.map((k) => k.next("ready")));

    // ---- Join bursts, one class after the other -----------------------------------
    await hook("join", "start");
    const cpuJoin0 = cpuAll();
    const tJoin0 = performance.now();
    const burstMs: number[] = [];
    const settledMs: number[] = [];
    const welcomeMs: number[] = [];
    let admitted = 0;
    const failed: Record<string, number> = {};
    for (const pl of plans) {
      const token = await mintToken(secret, { sub: pl.teacherId, role: "teacher", ttlSeconds: 7200 });
      const teacherBase = o.spreadTeachers ? bases[pl.index % bases.length] : base;
      const t = new EdgeClassClient({
        baseUrl: teacherBase,
        classId: pl.classId,
        token,
        heartbeatMs: 0,
        maxChat: 50,
        requestTimeoutMs: 30_000,
      });
      teachers.push(t);
      await t.connect();
      const start = Date.now();
      // Settled: the teacher's count shows every student (the class state has converged).
      const settled = new Promise<number>((resolve) => {
        const check = () => {
          if (t.state.participants >= students + 1 || t.state.participants >= students) {
            off();
            resolve(Date.now());
          }
        };
        const off = t.on("presence", check);
        setTimeout(() => {
          off();
          resolve(NaN);
        }, 30_000);
      });
      for (const k of kids) k.send({ t: "join", classId: pl.classId });
      const reports: JoinReport[] = await Promise.all(kids.map((k) => k.next("joined")));
      const last = Math.max(...reports.map((r) => r.lastWelcomeAt));
      const first = Math.min(start, ...reports.map((r) => r.startedAt));
      burstMs.push(last - first);
      for (const r of reports) {
        admitted += r.admitted;
        merge(failed, r.failed);
        welcomeMs.push(...r.welcomeMs);
      }
      settledMs.push((await settled) - first);
      log(
        `${label}: class ${pl.index}: ${reports.reduce((a, r) => a + r.admitted, 0)}/${students} admitted in ` +
          `${burstMs.at(-1)} ms, teacher settled at ${settledMs.at(-1)} ms`,
      );
    }
    const joinSeconds = (performance.now() - tJoin0) / 1000;
    const cpuJoinEach = cpuAll().map((c, i) => (c - cpuJoin0[i]) / joinSeconds);
    await hook("join", "end");
    await Bun.sleep(500);
    const memAfterJoin = pids.map((pid) => memoryMb(pid));

    // ---- Quiz, then chat (or both at once with --overlap) ---------------------------
    const clientCpu = () => kids.reduce((a, k) => a + cpuSeconds(k.proc.pid), 0);
    const chatPhase = async () => {
      for (const k of kids) k.send({ t: "chat", seconds: chatSeconds });
      for (let s = 0; s < chatSeconds; s++) {
        // Teachers' messages spread over the second (the server allows 20 frames/s a socket).
        for (let n = 0; n < teacherChatRate; n++) {
          for (const t of teachers) {
            teacherChatSent++;
            t.chat(`b:${(performance.timeOrigin + performance.now()).toFixed(3)} teacher says ${s}.${n}`).then(
              () => teacherChatAcked++,
              (e: unknown) => merge(teacherChatErrors, { [e instanceof Error && "code" in e ? String(e.code) : String(e)]: 1 }),
            );
          }
          await Bun.sleep(1000 / teacherChatRate);
        }
      }
      await Bun.sleep(1100); // students start at a random phase within the first second: let their last message leave
    };
    let teacherChatSent = 0;
    let teacherChatAcked = 0;
    const teacherChatErrors: Record<string, number> = {};
    await hook("quiz", "start");
    const cpuQuiz0 = cpuAll();
    const clientQuiz0 = clientCpu();
    const tQuiz0 = performance.now();
    const quizProbes = o.servers.map((s) => startProbe(s.pid, `${s.base}/healthz`));
    const launchedAt = new Map<string, number>();
    const launches = await Promise.allSettled(
      teachers.map((t, i) => {
        const at = performance.timeOrigin + performance.now();
        launchedAt.set(plans[i].classId, at);
        // The launch's epoch time in the prompt, as chat texts carry theirs: a packet capture reads it (kernel-stamps.ts).
        return t.launchQuiz({ question: { ...question, prompt: `b:${at.toFixed(3)} ${question.prompt}` }, timeLimitSeconds: 60 });
      }),
    );
    for (const l of launches) if (l.status === "rejected") log(`${label}: launch failed: ${String(l.reason)}`);
    const chatting = overlap ? chatPhase() : Promise.resolve();
    await Bun.sleep(answerWindowMs + 1000);
    await chatting;
    // Settle, then collect, so the phase's CPU covers all of its work, backlog included.
    await settle(kids, () => teacherChatAcked, students, o.waitForUnsentChat ?? false);
    for (const k of kids) k.send({ t: "collect" });
    const cols: CollectReport[] = await Promise.all(kids.map((k) => k.next("collected")));
    const quizProbeResults = quizProbes.map((p) => p.stop());
    const quizSeconds = (performance.now() - tQuiz0) / 1000;
    const cpuQuizEachSeconds = cpuAll().map((c, i) => c - cpuQuiz0[i]);
    const cpuQuizSeconds = sum(cpuQuizEachSeconds);
    await hook("quiz", "end");
    const clientCpuQuiz = (clientCpu() - clientQuiz0) / quizSeconds;
    let cpuChatEach = cpuQuizEachSeconds.map((c) => c / quizSeconds);
    let cpuChatSeconds = cpuQuizSeconds;
    let clientCpuChat = clientCpuQuiz;
    let chatPhaseSeconds = quizSeconds;
    if (!overlap) {
      await hook("chat", "start");
      const cpuChat0 = cpuAll();
      const clientChat0 = clientCpu();
      const tChat0 = performance.now();
      await chatPhase();
      await settle(kids, () => teacherChatAcked, students, o.waitForUnsentChat ?? false);
      for (const k of kids) k.send({ t: "collect" });
      cols.push(...(await Promise.all(kids.map((k) => k.next("collected")))));
      const chatSecondsTaken = (performance.now() - tChat0) / 1000;
      const each = cpuAll().map((c, i) => c - cpuChat0[i]);
      cpuChatSeconds = sum(each);
      cpuChatEach = each.map((c) => c / chatSecondsTaken);
      clientCpuChat = (clientCpu() - clientChat0) / chatSecondsTaken;
      chatPhaseSeconds = chatSecondsTaken;
      await hook("chat", "end");
    }
    const memPeak = pids.map((pid) => memoryMb(pid));
    const serverSide = target === "ours" ? await serverMetrics(bases) : null;

    // ---- Answers read back (from every instance: they share one data folder) -----------
    const acked = cols.flatMap((c) => c.acked);
    const missingAt: (number | null)[] = [];
    for (const b of bases) {
      let missing: number | null = 0;
      for (const pl of plans) {
        let doc: unknown;
        try {
          const token = await mintToken(secret, { sub: pl.teacherId, role: "teacher", ttlSeconds: 600 });
          doc = await api(b, token, "GET", `/api/classes/${pl.classId}/results?format=json`);
        } catch (e) {
          log(
            `${label}: results for ${pl.classId} unreadable${bases.length > 1 ? ` at ${b}` : ""}: ` +
              `${e instanceof Error ? e.message : String(e)}`,
          );
          missing = null;
          break;
        }
        const { byUser, answerIds } = answersIn(doc);
        for (const a of acked) {
          if (a.classId !== pl.classId) continue;
          const found = answerIds.size > 0 ? answerIds.has(a.answerId) : byUser.has(`${a.userId}/${a.questionId}`);
          if (!found) missing++;
        }
      }
      missingAt.push(missing);
    }
    const missing = missingAt.some((m) => m === null) ? null : Math.max(...(missingAt as number[]));
    const sent = cols.reduce((a, c) => a + c.answersSent, 0);
    const ackedN = cols.reduce((a, c) => a + c.answersAcked, 0);
    const ack = sorted(cols.flatMap((c) => c.ackMs));
    const firstAnswer = Math.min(...cols.map((c) => c.firstAnswerAt).filter((x) => x > 0));
    const lastAck = Math.max(...cols.map((c) => c.lastAckAt));
    const answerErrors: Record<string, number> = {};
    for (const c of cols) merge(answerErrors, c.answerErrors);
    const admittedExpected = classes * students;

    const chatSent = cols.reduce((a, c) => a + c.chatSent, 0) + teacherChatSent;
    const chatAcked = cols.reduce((a, c) => a + c.chatAcked, 0) + teacherChatAcked;
    const chatErrors: Record<string, number> = { ...teacherChatErrors };
    for (const c of cols) merge(chatErrors, c.chatErrors);
    const deliveries = cols.reduce((a, c) => a + c.chatReceived, 0);
    const firstChat = Math.min(...cols.map((c) => c.firstChatAt).filter((x) => x > 0));
    const lastChat = Math.max(...cols.map((c) => c.lastChatAt));
    const chatLat = sorted(cols.flatMap((c) => c.chatMs));
    const questionLat = sorted(
      cols.flatMap((c) => c.questionAt.map((q) => q.at - (launchedAt.get(q.classId) ?? NaN)).filter((x) => Number.isFinite(x))),
    );
    // Each accepted message reaches every student of its class (the sender included).
    const expectedDeliveries = chatAcked * students;
    if (deliveries < expectedDeliveries) log(`${label}: ${expectedDeliveries - deliveries} chat deliveries missing`);
    const closedForGood: Record<string, number> = {};
    for (const c of cols) merge(closedForGood, c.closedForGood);

    const rssAfterJoin = sum(memAfterJoin.map((m) => m.rss));
    const result: TargetResult = {
      target,
      classes,
      students,
      join: {
        admitted,
        failed,
        burstMs,
        worstBurstMs: Math.max(...burstMs),
        teacherSettledMs: settledMs,
        worstSettledMs: Math.max(...settledMs),
        welcomeP50Ms: pct(sorted(welcomeMs), 50),
        welcomeP99Ms: pct(sorted(welcomeMs), 99),
      },
      answers: {
        sent,
        acked: ackedN,
        perSecond: round(ackedN / Math.max(0.001, (lastAck - firstAnswer) / 1000), 0),
        ackP50Ms: pct(ack, 50),
        ackP99Ms: pct(ack, 99),
        ackP999Ms: pct(ack, 99.9),
        ackMaxMs: round(ack.length ? ack[ack.length - 1] : NaN, 2),
        errors: answerErrors,
        notAcked: admittedExpected - ackedN,
        missingFromResults: missing,
        lost: admittedExpected - ackedN + (missing ?? 0),
      },
      chat: {
        sent: chatSent,
        acked: chatAcked,
        errors: chatErrors,
        deliveries,
        expectedDeliveries,
        perSecond: round(deliveries / Math.max(0.001, (lastChat - firstChat) / 1000), 0),
        latencyP50Ms: pct(chatLat, 50),
        latencyP99Ms: pct(chatLat, 99),
      },
      delivery: {
        question: {
          p50Ms: pct(questionLat, 50),
          p99Ms: pct(questionLat, 99),
          maxMs: round(questionLat.length ? questionLat[questionLat.length - 1] : NaN, 2),
          samples: questionLat.length,
        },
        chat: { p50Ms: pct(chatLat, 50), p99Ms: pct(chatLat, 99), samples: chatLat.length },
      },
      probe: quizProbeResults[0],
      server: {
        cpuJoinPct: round(sum(cpuJoinEach) * 100, 1),
        cpuQuizPct: round((cpuQuizSeconds / quizSeconds) * 100, 1),
        cpuChatPct: round(sum(cpuChatEach) * 100, 1),
        clientCpuQuizPct: round(clientCpuQuiz * 100, 1),
        clientCpuChatPct: round(clientCpuChat * 100, 1),
        // CPU per unit of work: holds up on a loaded machine, where latencies do not.
        cpuUsPerAnswer: overlap ? NaN : round((cpuQuizSeconds * 1e6) / Math.max(1, ackedN), 1),
        cpuNsPerChatDelivery: overlap ? NaN : round((cpuChatSeconds * 1e9) / Math.max(1, deliveries), 0),
        rssAfterJoinMb: rssAfterJoin,
        rssPeakMb: sum(memPeak.map((m) => m.hwm)),
        rssPerStudentKb: round((rssAfterJoin * 1024) / Math.max(1, admitted), 1),
      },
      reconnects: cols.reduce((a, c) => a + c.reconnects, 0),
      closedForGood,
      serverSide,
    };
    const instances: InstanceFigures[] = o.servers.map((_, i) => ({
      index: i,
      students: classes * Array.from({ length: students }, (_, n) => n).filter((n) => instanceOf(n) === i).length,
      cpuJoinPct: round(cpuJoinEach[i] * 100, 1),
      cpuQuizPct: round((cpuQuizEachSeconds[i] / quizSeconds) * 100, 1),
      cpuChatPct: round(cpuChatEach[i] * 100, 1),
      rssAfterJoinMb: memAfterJoin[i].rss,
      rssPeakMb: memPeak[i].hwm,
      probe: quizProbeResults[i],
      missingFromResults: missingAt[i],
    }));
    return { result, instances, phaseSeconds: { join: joinSeconds, quiz: quizSeconds, chat: chatPhaseSeconds } };
  } finally {
    for (const t of teachers) t.close();
    for (const k of kids) {
      try {
        k.send({ t: "close" });
      } catch {}
    }
    await Promise.race([Promise.all(kids.map((k) => k.proc.exited)), Bun.sleep(5000)]);
    for (const k of kids) k.proc.kill("SIGKILL");
  }
}
