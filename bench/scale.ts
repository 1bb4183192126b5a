// Scale-out benchmark: the quiz storm of bench:class (teachers launch a question, every
// student answers within the answer window, then chat fan-out) on 1, 2, ... server instances
// sharing classes through Redis, and the same load on one instance without Redis (what Redis
// costs). The scenario is bench:class's own (bench/class/runner.ts); here:
//   * every run gets a fresh data folder shared by its instances (one SQLite file in WAL, as
//     instances on one node are deployed), its own REDIS_PREFIX (bench-scale-<pid>-<run>:)
//     and distinct INSTANCE_IDs; its keys are deleted (SCAN + DEL) at the end;
//   * instance i is pinned to core i mod cores; the bench and its client processes to the
//     last core (with 2 cores, instance 1 shares core 1 with the clients);
//   * students of every class are dealt round-robin over the instances (student n to
//     instance n mod N); with --teachers first (the default) every teacher connects to
//     instance 0, which therefore owns every class; with --teachers spread class k's teacher
//     connects to instance k mod N, which owns that class (as a balancer spreading teachers
//     would have it). Other instances forward their students' joins, answers and chat, and
//     deliver the owner's events to their own sockets;
//   * every acked answer is looked up in GET /api/classes/:id/results of every instance.
// Prints per run answers/s, ack p50/p99/p99.9, lost answers, chat deliveries/s, join burst,
// CPU and RSS per instance; the scaling ratio (chat deliveries/s of N instances / 1 instance,
// both with Redis) and Redis's cost (1 instance with Redis / without), with the aims.
//
//   npm run bench:scale -- [--instances 1,2] [--classes 10] [--students 1000] [--procs 4]
//                          [--seconds 5] [--answer-window 2000] [--chat-fraction 0.05]
//                          [--teacher-chat-rate 1] [--ws raw|standard] [--no-baseline]
//                          [--redis-url redis://127.0.0.1:6379] [--teachers first|spread] [--json]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { hasTaskset, parseFlags, round } from "./lib/process.ts";
import { loadFlags, runScenario, type InstanceFigures, type TargetResult } from "./class/runner.ts";
import { openFilesLimit, pinSelf } from "./class/setup.ts";
import Redis from "ioredis";
import {
  deleteKeys,
  machineBusySeconds,
  redisCpuSeconds,
  redisReachable,
  startInstances,
  stopInstances,
  treeCpuSeconds,
  type Instance,
} from "./scale/instances.ts";

const argv = process.argv.slice(2);
const noBaseline = argv.includes("--no-baseline");
const { json, values } = parseFlags(argv.filter((a) => a !== "--no-baseline"));
const requested = (values.instances ?? "1,2")
  .split(",")
  .map((x) => Number(x.trim()))
  .filter((n) => Number.isInteger(n) && n >= 1);
if (requested.length === 0) throw new Error("--instances takes a list of instance counts, e.g. 1,2");
const flags = loadFlags(values);
const { classes, procs, chatSeconds, answerWindowMs, chatFraction, teacherChatRate, rawSockets } = flags;
let students = flags.students;
const redisUrl = values["redis-url"] ?? "redis://127.0.0.1:6379";
const log = (...a: unknown[]) => console.error("[bench:scale]", ...a);

const cores = availableParallelism();
const CLIENT_CORE = cores - 1;
const coreOf = (i: number) => (hasTaskset ? i % cores : null);
const notes: string[] = [];
const secret = "bench-scale-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

// The ratio needs the 1-instance run with Redis.
const counts = [...new Set([1, ...requested])].sort((a, b) => a - b);
if (!requested.includes(1)) notes.push("added a 1-instance run with Redis: the scaling ratio is relative to it");

// ---- Open files: with one instance, that instance holds every student's socket -------------
const nofile = openFilesLimit();
const needed = classes * (students + 1) + 200;
if (needed > nofile) {
  const fit = Math.floor((nofile - 200) / classes) - 1;
  notes.push(
    `open-files limit is ${nofile}: ${classes}x${students} needs ~${needed} descriptors in a single instance; ran ` +
      `${classes}x${fit} instead`,
  );
  log(notes.at(-1));
  students = fit;
}
if (Math.ceil((classes * students) / procs) + 100 > nofile)
  throw new Error(`too many sockets per client process for the open-files limit ${nofile}: use more --procs`);

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();
const unreachable = await redisReachable(redisUrl);
if (unreachable !== null) {
  console.error(
    `[bench:scale] Redis at ${redisUrl} is unreachable (${unreachable}); start one, e.g. redis-server --daemonize yes ` +
      `--bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
  );
  process.exit(2);
}
pinSelf(CLIENT_CORE);
/** For Redis's own CPU time (INFO cpu) at the edges of each phase. */
const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });

/** From an instance's /metrics: classes it took (leases acquired) and messages it exchanged through Redis, by direction and kind. */
interface ClusterFigures {
  classesAcquired: number;
  messages: Record<string, number>;
  /**
   * edgeclass_redis_command_seconds (commands and scripts on the live path, send to reply in the instance): count and bucket bounds (ms).
   */
  redisCommands: { count: number; p50Ms: number; p99Ms: number };
}
/**
 * With Redis, the set-up's catalogue writes (courses, 1000s of enrolments) travel to the other
 * instances through Redis: wait until every outbox is empty and the applied counts stop moving,
 * so that this work does not land in the join phase.
 */
async function catalogueSettled(bases: string[], maxMs = 60_000): Promise<void> {
  const read = async () =>
    Promise.all(
      bases.map(async (b) => {
        const text = await (await fetch(`${b}/metrics`)).text();
        const outbox = Number(/^edgeclass_catalogue_outbox_changes (\d+)/m.exec(text)?.[1] ?? 0);
        const received = Number(/^edgeclass_catalogue_changes_total\{direction="received"\} (\d+)/m.exec(text)?.[1] ?? 0);
        return { outbox, received };
      }),
    );
  const end = Date.now() + maxMs;
  let last = "";
  while (Date.now() < end) {
    const now = await read();
    const key = JSON.stringify(now);
    if (now.every((x) => x.outbox === 0) && key === last) return;
    last = key;
    await Bun.sleep(500);
  }
  log(`catalogue still moving after ${maxMs} ms; going on`);
}

async function clusterFigures(base: string): Promise<ClusterFigures | null> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const acquired = /^edgeclass_cluster_ownership_changes_total\{change="acquired"\} (\d+)/m.exec(text);
    const messages: Record<string, number> = {};
    for (const m of text.matchAll(/^edgeclass_cluster_messages_total\{direction="([^"]+)",kind="([^"]+)"\} (\d+)/gm))
      messages[`${m[1]} ${m[2]}`] = Number(m[3]);
    const buckets: [number, number][] = [];
    for (const m of text.matchAll(/^edgeclass_redis_command_seconds_bucket\{le="([^"]+)"\} (\d+)/gm))
      buckets.push([m[1] === "+Inf" ? Infinity : Number(m[1]) * 1000, Number(m[2])]);
    const count = buckets.at(-1)?.[1] ?? 0;
    const at = (p: number) => buckets.find(([, n]) => n >= count * p)?.[0] ?? NaN;
    return { classesAcquired: acquired ? Number(acquired[1]) : 0, messages, redisCommands: { count, p50Ms: at(0.5), p99Ms: at(0.99) } };
  } catch {
    return null;
  }
}

interface Run {
  name: string;
  instances: number;
  redis: boolean;
  redisPrefix: string | null;
  result: TargetResult;
  perInstance: (InstanceFigures & { id: string; core: number | null; cluster: ClusterFigures | null })[];
  keysDeleted: number | null;
  loadBefore: string;
  /** Redis server's CPU, % of a core, during each phase (all of Redis: other users of this Redis count too). */
  redisCpuPct: { join: number; quiz: number; chat: number };
  /**
   * CPU used on the machine by everything that is neither this bench (its process tree) nor
   * Redis, % of a core (the machine has `cores` x 100 %), per phase: other people's work.
   */
  otherCpuPct: { join: number; quiz: number; chat: number };
  /** Seconds each phase took (chat: until every delivery arrived). */
  phaseSeconds: { join: number; quiz: number; chat: number };
}

let runNo = 0;
let stopping: (() => Promise<void>) | null = null;
async function run(count: number, redis: boolean): Promise<Run> {
  const name = `${count} instance${count > 1 ? "s" : ""}, ${redis ? "Redis" : "no Redis"}`;
  const tag = `${process.pid}-${++runNo}`;
  const prefix = redis ? `bench-scale-${tag}:` : null;
  const dataDir = mkdtempSync(join(tmpdir(), "bench-scale-"));
  const load = loadavg();
  let instances: Instance[] = [];
  let keysDeleted: number | null = null;
  const cleanUp = async () => {
    await stopInstances(instances);
    instances = [];
    if (prefix !== null && keysDeleted === null) keysDeleted = await deleteKeys(redisUrl, prefix).catch(() => null);
    rmSync(dataDir, { recursive: true, force: true });
  };
  stopping = cleanUp;
  try {
    log(`${name}: starting (load ${load})`);
    instances = await startInstances({
      count,
      dataDir,
      redis: prefix !== null ? { url: redisUrl, prefix } : null,
      coreOf,
      idPrefix: `bench-scale-${tag}`,
      env: { MAX_STUDENTS: String(students), LOG_LEVEL: "warn", JWT_SECRET: secret, DEMO: "false" },
    });
    const redisAt: Record<string, number> = {};
    const otherAt: Record<string, number> = {};
    const {
      result,
      instances: figures,
      phaseSeconds,
    } = await runScenario({
      target: "ours",
      label: name,
      servers: instances.map((x) => ({ base: x.base, pid: x.proc.pid })),
      ...flags,
      students,
      overlap: false,
      waitForUnsentChat: true,
      spreadTeachers: values.teachers === "spread",
      secret,
      clientCore: hasTaskset ? CLIENT_CORE : null,
      log,
      afterSetUp: prefix !== null ? () => catalogueSettled(instances.map((x) => x.base)) : undefined,
      phaseHook: async (phase, edge) => {
        const redisCpu = await redisCpuSeconds(admin);
        redisAt[`${phase} ${edge}`] = redisCpu;
        otherAt[`${phase} ${edge}`] = machineBusySeconds() - treeCpuSeconds(process.pid) - redisCpu;
      },
    });
    const redisPct = (phase: "join" | "quiz" | "chat") =>
      round(((redisAt[`${phase} end`] - redisAt[`${phase} start`]) / phaseSeconds[phase]) * 100, 1);
    const redisCpuPct = { join: redisPct("join"), quiz: redisPct("quiz"), chat: redisPct("chat") };
    const otherPct = (phase: "join" | "quiz" | "chat") =>
      round(Math.max(0, ((otherAt[`${phase} end`] - otherAt[`${phase} start`]) / phaseSeconds[phase]) * 100), 1);
    const otherCpuPct = { join: otherPct("join"), quiz: otherPct("quiz"), chat: otherPct("chat") };
    const cluster = await Promise.all(instances.map((x) => (redis ? clusterFigures(x.base) : Promise.resolve(null))));
    const perInstance = figures.map((f, i) => ({ ...f, id: instances[i].id, core: instances[i].core, cluster: cluster[i] }));
    await cleanUp();
    return {
      name,
      instances: count,
      redis,
      redisPrefix: prefix,
      result,
      perInstance,
      keysDeleted,
      loadBefore: load,
      redisCpuPct,
      otherCpuPct,
      phaseSeconds: { join: round(phaseSeconds.join, 2), quiz: round(phaseSeconds.quiz, 2), chat: round(phaseSeconds.chat, 2) },
    };
  } finally {
    await cleanUp();
    stopping = null;
  }
}

// Ctrl-C: stop the instances and remove the keys before leaving.
process.on("SIGINT", () => {
  log("interrupted: stopping the instances and deleting the run's keys");
  void (stopping ?? (async () => {}))().finally(() => process.exit(130));
});

const runs: Run[] = [];
const plan: [number, boolean][] = [
  ...(noBaseline ? [] : ([[1, false]] as [number, boolean][])),
  ...counts.map((n) => [n, true] as [number, boolean]),
];
for (const [n, redis] of plan) {
  try {
    runs.push(await run(n, redis));
  } catch (e) {
    const msg = `${n} instance(s), ${redis ? "Redis" : "no Redis"}: run failed: ${e instanceof Error ? e.message : String(e)}`;
    log(msg);
    notes.push(msg);
  }
}

// ---- Report -------------------------------------------------------------------------
const offered = (teacherChatRate + students * chatFraction) * students * classes;
const line = (r: Run) => {
  const x = r.result;
  return [
    `${r.name} (load ${r.loadBefore}${r.redisPrefix ? `, prefix ${r.redisPrefix}, ${r.keysDeleted ?? "?"} keys deleted` : ""})`,
    `join: ${x.join.admitted}/${classes * students} admitted, burst worst ${x.join.worstBurstMs} ms, teacher settled worst ` +
      `${x.join.worstSettledMs} ms, welcome p50/p99 ${x.join.welcomeP50Ms}/${x.join.welcomeP99Ms} ` +
      `ms${Object.keys(x.join.failed).length ? `, failed ${JSON.stringify(x.join.failed)}` : ""}`,
    `answers: ${x.answers.acked}/${x.answers.sent} acked, ${x.answers.perSecond}/s, ack p50 ${x.answers.ackP50Ms} p99 ` +
      `${x.answers.ackP99Ms} p99.9 ${x.answers.ackP999Ms} max ${x.answers.ackMaxMs} ms, lost ${x.answers.lost} (not acked ` +
      `${x.answers.notAcked}, missing from results ` +
      `${x.answers.missingFromResults ?? "unread"})` +
      `${Object.keys(x.answers.errors).length ? `, errors ${JSON.stringify(x.answers.errors)}` : ""}`,
    `chat: ${x.chat.deliveries}/${x.chat.expectedDeliveries} deliveries, ${x.chat.perSecond}/s, latency p50 ` +
      `${x.chat.latencyP50Ms} p99 ${x.chat.latencyP99Ms} ms, ${x.chat.acked}/${x.chat.sent} sent ` +
      `acked${Object.keys(x.chat.errors).length ? `, errors ${JSON.stringify(x.chat.errors)}` : ""}`,
    `redis-server: ${r.redisCpuPct.join}% / ${r.redisCpuPct.quiz}% / ${r.redisCpuPct.chat}% of a core in joins / quiz / ` +
      `chat (phases took ${r.phaseSeconds.join} / ${r.phaseSeconds.quiz} / ${r.phaseSeconds.chat} s); other work on the ` +
      `machine (not this bench, not Redis): ${r.otherCpuPct.join}% / ${r.otherCpuPct.quiz}% / ${r.otherCpuPct.chat}% of a ` +
      `core`,
    `servers together: ${x.server.cpuUsPerAnswer} µs CPU per answer, ${x.server.cpuNsPerChatDelivery} ns CPU per chat ` +
      `delivery; clients (all processes) ${x.server.clientCpuQuizPct}% / ${x.server.clientCpuChatPct}% of a core in quiz / ` +
      "chat" +
      (x.serverSide
        ? `; answer ack inside the servers p99 <= ${x.serverSide.answerAckP99Ms} ms, ` + `slow clients dropped ${x.serverSide.slowClients}`
        : ""),
    ...r.perInstance.map(
      (p) =>
        `instance ${p.index} (${p.id}, core ${p.core ?? "any"}, ${p.students} students): cpu ${p.cpuJoinPct}% joins / ` +
        `${p.cpuQuizPct}% quiz / ${p.cpuChatPct}% chat of a core; rss ${p.rssAfterJoinMb} MB after joins, peak ` +
        `${p.rssPeakMb} MB; quiz phase: waiting for a CPU ${p.probe.runQueueWaitPct}%, /healthz p50 ${p.probe.healthzP50Ms} ` +
        `max ${p.probe.healthzMaxMs} ms; results export missing ` +
        `${p.missingFromResults ?? "unread"}` +
        (p.cluster
          ? `; owned ${p.cluster.classesAcquired} classes, Redis messages ${JSON.stringify(p.cluster.messages)}, ` +
            `Redis commands ${p.cluster.redisCommands.count} ` +
            `(p50 <= ${p.cluster.redisCommands.p50Ms} ms, p99 <= ${p.cluster.redisCommands.p99Ms} ms)`
          : ""),
    ),
    `reconnects ${x.reconnects}${Object.keys(x.closedForGood).length ? `, closed for good ${JSON.stringify(x.closedForGood)}` : ""}`,
  ].join("\n  ");
};

console.log(
  `bench:scale  ${classes} classes x ${students} students, ${procs} client processes (${rawSockets ? "raw" : "standard"} ` +
    `sockets), answer window ${answerWindowMs} ms, then chat ${chatSeconds} s (teacher ${teacherChatRate}/s, ` +
    `${round(chatFraction * 100, 1)}% of students 1/s: ${round(offered / 1000, 0)}k deliveries/s offered); instances on cores ` +
    `${hasTaskset ? counts.map((n) => Array.from({ length: n }, (_, i) => coreOf(i)).join("+")).join(" / ") : "any (no taskset)"}, ` +
    `clients on core ${hasTaskset ? CLIENT_CORE : "any"}; teachers ` +
    `${values.teachers === "spread" ? "spread over the instances" : "on instance 0"}; Redis ${redisUrl}`,
);
for (const r of runs) console.log(line(r));

const one = runs.find((r) => r.redis && r.instances === 1);
const bare = runs.find((r) => !r.redis);
const scaling = runs
  .filter((r) => r.redis && r.instances > 1 && one)
  .map((r) => ({
    instances: r.instances,
    chatPerSecond: round(r.result.chat.perSecond / one!.result.chat.perSecond, 3),
    answersPerSecond: round(r.result.answers.perSecond / one!.result.answers.perSecond, 3),
    ackP99: round(r.result.answers.ackP99Ms / one!.result.answers.ackP99Ms, 2),
    joinBurst: round(r.result.join.worstBurstMs / one!.result.join.worstBurstMs, 2),
    cpuPerChatDelivery: round(r.result.server.cpuNsPerChatDelivery / one!.result.server.cpuNsPerChatDelivery, 2),
  }));
for (const s of scaling)
  console.log(
    `scaling, ${s.instances} instances / 1 instance (both with Redis): chat deliveries/s x${s.chatPerSecond}, answers/s ` +
      `x${s.answersPerSecond}, ack p99 x${s.ackP99}, join burst x${s.joinBurst}, CPU per chat delivery ` +
      `x${s.cpuPerChatDelivery}`,
  );
const redisCost =
  one && bare
    ? {
        chatPerSecond: round(one.result.chat.perSecond / bare.result.chat.perSecond, 3),
        answersPerSecond: round(one.result.answers.perSecond / bare.result.answers.perSecond, 3),
        ackP50: round(one.result.answers.ackP50Ms / bare.result.answers.ackP50Ms, 2),
        ackP99: round(one.result.answers.ackP99Ms / bare.result.answers.ackP99Ms, 2),
        joinBurst: round(one.result.join.worstBurstMs / bare.result.join.worstBurstMs, 2),
        cpuPerAnswer: round(one.result.server.cpuUsPerAnswer / bare.result.server.cpuUsPerAnswer, 2),
        cpuPerChatDelivery: round(one.result.server.cpuNsPerChatDelivery / bare.result.server.cpuNsPerChatDelivery, 2),
        rss: round(one.result.server.rssAfterJoinMb / bare.result.server.rssAfterJoinMb, 2),
      }
    : null;
if (redisCost)
  console.log(
    `cost of Redis, 1 instance with Redis / without: ${Object.entries(redisCost)
      .map(([k, v]) => `${k} x${v}`)
      .join(", ")}`,
  );

// ---- Aims ---------------------------------------------------------------------------
const aims: { aim: string; run: string; got: number; target: number; pass: boolean; by: string }[] = [];
const two = runs.find((r) => r.redis && r.instances === 2);
if (two && one) {
  const got = round(two.result.chat.perSecond / one.result.chat.perSecond, 3);
  aims.push({
    aim: "2 instances deliver >= 1.7x one instance's chat fan-out",
    run: two.name,
    got,
    target: 1.7,
    pass: got >= 1.7,
    by: got >= 1.7 ? `x${got}` : `x${got}: short by ${round(1.7 - got, 2)} (${round((100 * (1.7 - got)) / 1.7, 1)}%)`,
  });
}
for (const r of runs) {
  const got = r.result.answers.ackP99Ms;
  aims.push({
    aim: "ack p99 < 50 ms",
    run: r.name,
    got,
    target: 50,
    pass: got < 50,
    by: got < 50 ? `${got} ms` : `${got} ms: over by ${round(got - 50, 1)} ms, x${round(got / 50, 2)}`,
  });
  const lost = r.result.answers.lost;
  aims.push({ aim: "0 lost answers", run: r.name, got: lost, target: 0, pass: lost === 0, by: `${lost} lost` });
}
for (const a of aims) console.log(`${a.pass ? "PASS" : "MISS"} ${a.aim} [${a.run}]: ${a.by}`);

// Is a run's chat rate set by the offer rather than by the servers?
for (const r of runs) {
  const x = r.result.chat;
  if (x.deliveries >= x.expectedDeliveries && x.perSecond >= 0.9 * offered)
    notes.push(
      `${r.name}: chat kept pace with the offered ${round(offered / 1000, 0)}k deliveries/s (all delivered): its rate is ` +
        `the offer, not a capacity`,
    );
}
if (one && one.result.chat.perSecond >= 0.9 * offered)
  notes.push(
    "the 1-instance run kept pace with the offer, so the scaling ratio cannot exceed ~1: offer more (--teacher-chat-rate up " +
      "to 20, --chat-fraction) to measure capacity",
  );
const oversubscribed = Math.max(...counts) >= cores;
notes.push(
  `${cores} cores: ` +
    (oversubscribed
      ? `${Math.max(...counts)} one-core instances, the client processes (${procs}, on core ${CLIENT_CORE}), ` +
        "this bench and Redis (not pinned) oversubscribe the machine, so the multi-instance figures are a lower bound " +
        "of what separate cores or nodes would give"
      : "instances and clients on separate cores"),
);
const loadAfter = loadavg();
notes.push(`machine load average ${loadBefore} at start, ${loadAfter} at the end (/proc/loadavg; ${cores} cores, shared with other work)`);
for (const n of notes) console.log(`note: ${n}`);
admin.disconnect();
if (json) {
  console.log(
    JSON.stringify({
      bench: "scale",
      teachers: values.teachers === "spread" ? "spread" : "first",
      classes,
      students,
      procs,
      teacherChatRate,
      chatFraction,
      chatOfferedPerSecond: offered,
      answerWindowMs,
      chatSeconds,
      sockets: rawSockets ? "raw" : "standard",
      cores,
      taskset: hasTaskset,
      clientCore: hasTaskset ? CLIENT_CORE : null,
      loadavg: { start: loadBefore, end: loadAfter },
      runs,
      scaling,
      redisCost,
      aims,
      notes,
    }),
  );
}
