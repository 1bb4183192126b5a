// SFU benchmark: one synthetic 720p-rate publisher, K subscribers that are real peer
// connections in separate processes, K stepping up while forwarding stays loss-free.
// Runs the EdgeClass media worker (node-datachannel) and werift (the peer baseline) in
// the same run, and reports subscribers per core, µs of SFU CPU per forwarded packet and
// delay through the SFU.
//
//   npm run bench:sfu -- [--json] [--steps=50,100,200,400] [--window=6] [--procs=4] [--only=ndc|werift] [--kbps=1800]
//   npm run bench:sfu -- --instances 1,2 [--json]   the cascade: 1 instance, then 2 with the relay between
//     them (the publisher on the first, half the viewers on each); werift is not run then.

import { readdirSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import type { Subprocess } from "bun";
import { MediaServiceImpl } from "../packages/server/src/media/service.ts";
import { Child } from "./lib/child.ts";
import { percentile } from "./sfu/ndc-peer.ts";
import type { FromPubProc, ToPubProc } from "./sfu/publisher-proc.ts";
import type { FromSubProc, ToSubProc } from "./sfu/subscriber-proc.ts";

interface Args {
  json: boolean;
  steps: number[];
  werifSteps: number[] | null;
  window: number;
  procs: number;
  only: "ndc" | "werift" | null;
  kbps: number;
  /** Media instances to run (1: one MediaService; 2: two, the second fed by the cascade). Empty: the classic run. */
  instances: number[];
}

function parseArgs(argv: string[]): Args {
  // --name=value, or --name value
  const get = (k: string) =>
    argv.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? (argv.includes(`--${k}`) ? argv[argv.indexOf(`--${k}`) + 1] : undefined);
  const list = (v: string | undefined) =>
    v
      ? v
          .split(",")
          .map(Number)
          .filter((n) => n > 0)
      : null;
  const only = get("only");
  return {
    json: argv.includes("--json"),
    steps: list(get("steps")) ?? [50, 100, 200, 300, 400],
    werifSteps: list(get("werift-steps")),
    window: Number(get("window") ?? 6),
    procs: Number(get("procs") ?? 4),
    only: only === "ndc" || only === "werift" ? only : null,
    kbps: Number(get("kbps") ?? 1800),
    instances: instancesArg(list(get("instances")) ?? []),
  };
}

function instancesArg(v: number[]): number[] {
  for (const n of v) if (n !== 1 && n !== 2) throw new Error(`--instances takes 1 and/or 2, got ${n}`);
  return v;
}

/** UDP datagrams the kernel dropped (receive or send buffer full), machine-wide: on loopback that is all the loss there is. */
function udpDrops(): number {
  const lines = readFileSync("/proc/net/snmp", "utf8")
    .split("\n")
    .filter((l) => l.startsWith("Udp:"));
  const head = lines[0].split(/\s+/);
  const vals = lines[1].split(/\s+/).map(Number);
  const at = (name: string) => vals[head.indexOf(name)] ?? 0;
  return at("InErrors") + at("SndbufErrors");
}

/**
 * On a machine shared with other work, the SFU under test (ours or werift, alike) runs at
 * nice -10 so the figures measure the SFU rather than the scheduler. Every thread is reniced
 * (Linux priorities are per thread). Needs root; otherwise the run says so and goes on.
 */
function prioritize(pid: number): boolean {
  if (process.getuid?.() !== 0) return false;
  for (const tid of readdirSync(`/proc/${pid}/task`)) spawnSync("renice", ["-n", "-10", "-p", tid], { stdio: "ignore" });
  return true;
}

const CLK_TCK = 100;
const LATE_MS = 100;
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

interface Step {
  k: number;
  connected: number;
  lossFree: boolean;
  lostPackets: number;
  udpDropped: number;
  clientCores: number;
  sfuCores: number;
  usPerPacket: number;
  forwardedPps: number;
  sfuCountedPps: number | null;
  delayP50Ms: number;
  delayP99Ms: number;
  /** The same packets straight from the publisher to a probe (no SFU), same window. */
  directP50Ms: number;
  directP99Ms: number;
  /** Through the SFU minus direct: what the SFU adds. */
  addedP50Ms: number;
  addedP99Ms: number;
  workerFanoutP99Ms: number | null;
  sfuRssMb: number;
  /** Probe viewers whose video stalled (less than a quarter of the stream's bytes) for a second or more in the window. */
  frozen: number;
  /** Probe viewers watched for freezing (every SFU_BENCH_PROBE_EVERY-th viewer, default 8th). */
  watched: number;
  /** What one viewer received on the wire (RTP + SRTP/UDP/IPv4), measured at the probes, kbit/s. */
  kbpsPerViewer: number;
  /** Two instances: delay of the relayed viewers minus that of the home's own viewers, same window. */
  relayAddedP50Ms?: number;
  relayAddedP99Ms?: number;
}

function relayDelay(sfu: SfuUnderTest, reports: { delays: number[] }[]): Pick<Step, "relayAddedP50Ms" | "relayAddedP99Ms"> {
  if (!sfu.relayedProcs) return {};
  const relayed = reports.filter((_, i) => sfu.relayedProcs!.has(i)).flatMap((r) => r.delays);
  const local = reports.filter((_, i) => !sfu.relayedProcs!.has(i)).flatMap((r) => r.delays);
  const diff = (p: number) => +((percentile(relayed, p) - percentile(local, p)) / 1000).toFixed(2);
  return { relayAddedP50Ms: diff(0.5), relayAddedP99Ms: diff(0.99) };
}

interface SfuUnderTest {
  name: "node-datachannel" | "werift" | "node-datachannel, 2 instances (cascade)";
  base: string;
  /** The processes doing the forwarding (their CPU is the SFU's). */
  pids: number[];
  /** Where subscriber process i sends its WHEP (default: the one SFU). */
  whepPath?(proc: number): string;
  /** Subscriber processes whose viewers are relayed (their delay minus the others' is the relay's). */
  relayedProcs?: Set<number>;
  workerP99Ms(): number | null;
  /** Packets the SFU itself counts as sent to subscribers (cumulative), when it reports it. */
  packetsOut(): number | null;
  /** Subscriber sessions the SFU holds, when it reports it. */
  sessions(): number | null;
  stop(): Promise<void>;
}

async function startNdc(): Promise<SfuUnderTest> {
  const media = new MediaServiceImpl({
    videoQuality: "720p",
    workers: 1,
    subscribersPerWorker: 1_000_000,
    idleTimeoutMs: 30000,
    admission: { maxPendingPerUser: Number.MAX_SAFE_INTEGER },
  });
  let lastP99: number | null = null;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.endsWith("/whip")) return media.handleWhip(req, "bench", "pub");
      if (url.pathname.endsWith("/whep")) return media.handleWhep(req, "bench", "sub");
      return new Response("not found", { status: 404 });
    },
  });
  // Wait for the worker's pid.
  for (let i = 0; i < 100 && media.workerInfo()[0].pid === 0; i++) await Bun.sleep(50);
  const poll = setInterval(() => {
    lastP99 = null;
  }, 60000);
  return {
    name: "node-datachannel",
    base: `http://127.0.0.1:${server.port}`,
    pids: [media.workerInfo()[0].pid],
    workerP99Ms: () => {
      const s = (media as unknown as { workers: { lastStats: { forwardP99Us: number } | null }[] }).workers[0]?.lastStats;
      return s ? s.forwardP99Us / 1000 : lastP99;
    },
    sessions: () => media.stats().subscribers,
    packetsOut: () =>
      (media as unknown as { workers: { lastStats: { packetsOut: number } | null }[] }).workers[0]?.lastStats?.packetsOut ?? null,
    async stop() {
      clearInterval(poll);
      await media.close();
      server.stop(true);
    },
  };
}

/**
 * Two media instances in this process, as two server instances would hold them: A has the
 * publisher (the class's media home) and half the viewers, B the other half, fed by A's worker
 * over the authenticated cascade (worker/cascade.ts) exactly as cluster/media-home.ts sets it up.
 */
async function startNdc2(procs: number): Promise<SfuUnderTest> {
  const cascadeKey = "bench-cascade-key-bench-cascade-key";
  const make = () =>
    new MediaServiceImpl({
      videoQuality: "720p",
      workers: 1,
      subscribersPerWorker: 1_000_000,
      idleTimeoutMs: 30000,
      admission: { maxPendingPerUser: Number.MAX_SAFE_INTEGER },
      cascadeKey,
    });
  const a = make();
  const b = make();
  // B's side first (its worker address), then A relays to it, then B's keyframe requests go to A.
  const mine = await b.cascadeFrom("bench", { host: "127.0.0.1", port: 9, key: 1 });
  if (!mine) throw new Error("cascade: no viewer-side worker");
  const up = await a.cascadeTo("bench", mine, 24 * 3600 * 1000);
  await b.cascadeFrom("bench", up);
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.endsWith("/whip")) return a.handleWhip(req, "bench", "pub");
      if (url.pathname.endsWith("/a/whep")) return a.handleWhep(req, "bench", "sub");
      if (url.pathname.endsWith("/b/whep")) return b.handleWhep(req, "bench", "sub");
      return new Response("not found", { status: 404 });
    },
  });
  for (let i = 0; i < 100 && (a.workerInfo()[0].pid === 0 || b.workerInfo()[0].pid === 0); i++) await Bun.sleep(50);
  const stats = (m: MediaServiceImpl) =>
    (m as unknown as { workers: { lastStats: { forwardP99Us: number; packetsOut: number } | null }[] }).workers[0]?.lastStats ?? null;
  // Process 0 carries the direct probe: it watches on A, so the baseline and the local viewers share a machine path.
  const relayed = new Set(Array.from({ length: procs }, (_, i) => i).filter((i) => i % 2 === 1));
  return {
    name: "node-datachannel, 2 instances (cascade)",
    base: `http://127.0.0.1:${server.port}`,
    pids: [a.workerInfo()[0].pid, b.workerInfo()[0].pid],
    whepPath: (i) => `/api/classes/bench/${relayed.has(i) ? "b" : "a"}/whep`,
    relayedProcs: relayed,
    workerP99Ms: () => Math.max(stats(a)?.forwardP99Us ?? 0, stats(b)?.forwardP99Us ?? 0) / 1000,
    sessions: () => a.stats().subscribers + b.stats().subscribers,
    packetsOut: () => {
      const [sa, sb] = [stats(a), stats(b)];
      return sa && sb ? sa.packetsOut + sb.packetsOut : null;
    },
    async stop() {
      await Promise.all([a.close(), b.close()]);
      server.stop(true);
    },
  };
}

async function startWerift(): Promise<SfuUnderTest> {
  let port = 0;
  let child: Subprocess | null = null;
  const ready = new Promise<void>((resolve) => {
    const proc = Bun.spawn({
      cmd: [process.execPath, new URL("./sfu/werift-sfu.ts", import.meta.url).pathname],
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      ipc: (raw: unknown) => {
        const m = raw as { t: string; port: number };
        if (m.t === "ready") {
          port = m.port;
          resolve();
        }
      },
    });
    child = proc;
  });
  await ready;
  const proc = child as unknown as Subprocess;
  return {
    name: "werift",
    base: `http://127.0.0.1:${port}`,
    pids: [proc.pid],
    workerP99Ms: () => null,
    packetsOut: () => null,
    sessions: () => null,
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}

/**
 * Steps K up. By default it stops at the first step that is not loss-free; with stopOn "frozen"
 * (the cascade's 1000-viewer aim) it goes on while no player froze.
 */
async function runOne(
  sfu: SfuUnderTest,
  steps: number[],
  args: Args,
  log: (s: string) => void,
  stopOn: "loss" | "frozen" = "loss",
): Promise<Step[]> {
  const pub = new Child<ToPubProc, FromPubProc>(new URL("./sfu/publisher-proc.ts", import.meta.url));
  await pub.next("ready");
  const started = await pub.ask({ t: "start", url: `${sfu.base}/api/classes/bench/whip`, kbps: args.kbps }, "started");
  if (started.error) throw new Error(`${sfu.name}: publisher failed: ${started.error}`);
  const subs = Array.from(
    { length: args.procs },
    () => new Child<ToSubProc, FromSubProc>(new URL("./sfu/subscriber-proc.ts", import.meta.url)),
  );
  await Promise.all(subs.map((s) => s.next("ready")));
  // The delay baseline: one probe connected straight to the publisher, measured in the same windows.
  subs[0].onUnsolicited = (m) => {
    if (m.t === "offer") void pub.ask({ t: "direct", offer: m.sdp }, "direct").then((r) => subs[0].send({ t: "answer", sdp: r.answer }));
  };
  const direct = await subs[0].ask({ t: "direct" }, "direct", 30000);
  if (!direct.ok) log(`  ${sfu.name}: direct baseline probe failed: ${direct.error ?? ""}`);
  const out: Step[] = [];
  let current = 0;
  let connected = 0;
  try {
    for (const k of steps) {
      const add = k - current;
      const per = subs.map((_, i) => Math.floor(add / subs.length) + (i < add % subs.length ? 1 : 0));
      const added = await Promise.all(
        subs.map((s, i) =>
          s.ask({ t: "add", n: per[i], url: sfu.base + (sfu.whepPath?.(i) ?? "/api/classes/bench/whep") }, "added", 300000),
        ),
      );
      current = k;
      const failed = added.reduce((a, r) => a + r.failed, 0);
      connected += added.reduce((a, r) => a + r.ok, 0);
      const retried = added.reduce((a, r) => a + r.retried, 0);
      if (failed > 0 || retried > 0)
        log(
          `  ${sfu.name}: ${failed} subscribers failed to connect, ${retried} connected on a retry ` +
            `(${added.find((a) => a.error)?.error ?? ""})`,
        );
      await Bun.sleep(2000);
      if (!sfu.pids.map(prioritize).every(Boolean) && k === steps[0]) log("  (not root: the SFU runs at normal priority)");
      for (const s of subs) s.send({ t: "reset", minBytesPerSecond: (args.kbps * 1000) / 8 / 4 });
      const c0 = await pub.ask({ t: "count" }, "count");
      const cpu0 = sfu.pids.reduce((a, p) => a + cpuSeconds(p), 0);
      const clientCpu0 = [...subs, pub].reduce((a, c) => a + cpuSeconds(c.proc.pid), 0);
      const drops0 = udpDrops();
      const out0 = sfu.packetsOut();
      const t0 = performance.now();
      await Bun.sleep(args.window * 1000);
      const udpDropped = udpDrops() - drops0;
      await Bun.sleep(1100); // one more worker stats report, so its counter covers the window
      const out1 = sfu.packetsOut();
      const cpu1 = sfu.pids.reduce((a, p) => a + cpuSeconds(p), 0);
      const clientCpu1 = [...subs, pub].reduce((a, c) => a + cpuSeconds(c.proc.pid), 0);
      const t1 = performance.now();
      const c1 = await pub.ask({ t: "count" }, "count");
      const reports = await Promise.all(subs.map((s) => s.ask({ t: "report" }, "report")));
      const expected = c1.videoPackets - c0.videoPackets;
      const videoPackets = reports.reduce((a, r) => a + r.videoPackets, 0);
      const audioPackets = reports.reduce((a, r) => a + r.audioPackets, 0);
      const gaps = reports.reduce((a, r) => a + r.gaps, 0);
      const probes = reports.reduce((a, r) => a + r.probes, 0);
      const minVideo = Math.min(...reports.filter((r) => r.probes > 0).map((r) => r.minVideoPackets));
      const delays = reports.flatMap((r) => r.delays);
      const directDelays = reports.flatMap((r) => r.directDelays);
      const wall = (t1 - t0) / 1000;
      const frozen = reports.reduce((a, r) => a + r.frozen, 0);
      const wireBytes = reports.reduce((a, r) => a + r.probeWireBytes, 0);
      const cpu = cpu1 - cpu0;
      // Probes see every packet; sinks are the same stream, so scale the probes' average to all K.
      const probeForwarded = probes > 0 ? ((videoPackets + audioPackets) / probes) * k : 0;
      // Our worker counts what it sent (stats arrive once a second: the window is approximate).
      const sfuCounted = out0 !== null && out1 !== null ? out1 - out0 : null;
      // The worker's counter spans the window only roughly (its stats come once a second); it tells
      // whether the sinks are served as the probes are. If so the probes' exact window is used.
      const sinksServed = sfuCounted === null || sfuCounted / (wall + 1.1) >= 0.7 * (probeForwarded / wall);
      const forwarded = sinksServed ? probeForwarded : (sfuCounted ?? 0) * (wall / (wall + 1.1));
      // Loss-free: no sequence gap at any probe, every probe got (almost) all the window's packets,
      // and the kernel dropped no UDP datagram anywhere (sinks included).
      // A packet more than LATE_MS late is as good as lost for a live class: the step must keep up too.
      // Counted over the direct probe's p99 in the same window, so a machine stalled by other work
      // (which delays the direct path just as much) does not count against the SFU.
      const p99 = (percentile(delays, 0.99) - percentile(directDelays, 0.99)) / 1000;
      const held = sfu.sessions();
      const lossFree =
        sinksServed &&
        (held === null || held === k) &&
        failed === 0 &&
        connected === k &&
        gaps === 0 &&
        minVideo >= expected * 0.97 &&
        udpDropped === 0 &&
        p99 < LATE_MS;
      const step: Step = {
        k,
        connected,
        lossFree,
        lostPackets: gaps,
        udpDropped,
        clientCores: +((clientCpu1 - clientCpu0) / wall).toFixed(2),
        sfuCores: +(cpu / wall).toFixed(3),
        usPerPacket: forwarded > 0 ? +((cpu * 1e6) / forwarded).toFixed(2) : 0,
        forwardedPps: Math.round(forwarded / wall),
        sfuCountedPps: sfuCounted === null ? null : Math.round(sfuCounted / (wall + 1.1)),
        delayP50Ms: +(percentile(delays, 0.5) / 1000).toFixed(2),
        delayP99Ms: +(percentile(delays, 0.99) / 1000).toFixed(2),
        directP50Ms: +(percentile(directDelays, 0.5) / 1000).toFixed(2),
        directP99Ms: +(percentile(directDelays, 0.99) / 1000).toFixed(2),
        addedP50Ms: +((percentile(delays, 0.5) - percentile(directDelays, 0.5)) / 1000).toFixed(2),
        addedP99Ms: +((percentile(delays, 0.99) - percentile(directDelays, 0.99)) / 1000).toFixed(2),
        workerFanoutP99Ms: ((v) => (v === null ? null : +v.toFixed(2)))(sfu.workerP99Ms()),
        sfuRssMb: sfu.pids.reduce((a, p) => a + rssMb(p), 0),
        frozen,
        watched: probes,
        kbpsPerViewer: probes > 0 ? Math.round((wireBytes * 8) / 1000 / probes / wall) : 0,
        ...relayDelay(sfu, reports),
      };
      out.push(step);
      log(
        `  ${sfu.name.padEnd(16)} K=${String(k).padStart(4)} ${lossFree ? "loss-free" : "LOSS     "} sfu ` +
          `${step.sfuCores.toFixed(2)} cores, ${step.usPerPacket} µs/pkt, ${step.forwardedPps} pkt/s ` +
          `out${step.sfuCountedPps !== null ? ` (worker counted ~${step.sfuCountedPps} over ${sfu.sessions()} sessions)` : ""},` +
          ` delay p50 ${step.delayP50Ms} ms p99 ${step.delayP99Ms} ms (direct ${step.directP50Ms}/${step.directP99Ms}, added ` +
          `p99 ${step.addedP99Ms} ms)` +
          (step.relayAddedP99Ms !== undefined ? `, relay adds p50 ${step.relayAddedP50Ms} ms p99 ${step.relayAddedP99Ms} ms` : "") +
          (step.workerFanoutP99Ms !== null ? `, in-worker fan-out p99 ${step.workerFanoutP99Ms.toFixed(2)} ms` : "") +
          `, rss ${step.sfuRssMb} MB, frozen players ${frozen} of ${probes} watched; clients ${step.clientCores} cores` +
          (lossFree
            ? ""
            : ` (gaps ${gaps}, slowest probe ${minVideo}/${expected} pkts, UDP datagrams dropped by the kernel ${udpDropped}, ` +
              `added p99 delay limit ${LATE_MS} ms)`),
      );
      if (stopOn === "loss" ? !lossFree : frozen > 0) break;
    }
  } finally {
    for (const s of subs) s.send({ t: "close" });
    pub.send({ t: "close" });
    await Promise.all([...subs.map((s) => s.stop()), pub.stop()]);
  }
  return out;
}

interface Summary {
  maxLossFreeK: number;
  addedDelayP99Ms: number;
  subscribersPerCore: number;
  usPerPacket: number;
  delayP99Ms: number;
  projectedSubscribersPerCore: number;
  relayAddedP50Ms?: number;
  relayAddedP99Ms?: number;
  steps: Step[];
}

function summarize(steps: Step[], ppsPerSubscriber: number): Summary {
  const ok = steps.filter((s) => s.lossFree);
  const best = ok[ok.length - 1];
  if (!best)
    return {
      maxLossFreeK: 0,
      addedDelayP99Ms: steps[0]?.addedP99Ms ?? 0,
      subscribersPerCore: 0,
      usPerPacket: steps[0]?.usPerPacket ?? 0,
      delayP99Ms: steps[0]?.delayP99Ms ?? 0,
      projectedSubscribersPerCore: 0,
      steps,
    };
  return {
    maxLossFreeK: best.k,
    addedDelayP99Ms: best.addedP99Ms,
    subscribersPerCore: Math.round(best.k / Math.max(best.sfuCores, 0.01)),
    usPerPacket: best.usPerPacket,
    delayP99Ms: best.delayP99Ms,
    // One core's worth of µs spent at this per-packet cost on this stream's packet rate.
    projectedSubscribersPerCore: Math.round(1e6 / (best.usPerPacket * ppsPerSubscriber)),
    ...(best.relayAddedP99Ms !== undefined ? { relayAddedP50Ms: best.relayAddedP50Ms, relayAddedP99Ms: best.relayAddedP99Ms } : {}),
    steps,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => (args.json ? console.error(s) : console.log(s));
  const frameBytes = Math.round((args.kbps * 1000) / 8 / 30);
  const ppsPerSubscriber = Math.max(1, Math.round(frameBytes / 1100)) * 30 + 50;
  log(
    `SFU bench: 1 publisher ~${args.kbps} kbps video @30 fps + audio (${ppsPerSubscriber} pkt/s), subscribers in ` +
      `${args.procs} processes, ${args.window} s windows, ${availableParallelism()} cores`,
  );
  const results: Record<string, Summary> = {};
  if (args.instances.length > 0) return cascadeRun(args, log, ppsPerSubscriber);
  if (args.only !== "werift") {
    const sfu = await startNdc();
    try {
      results["node-datachannel"] = summarize(await runOne(sfu, args.steps, args, log), ppsPerSubscriber);
    } finally {
      await sfu.stop();
    }
  }
  if (args.only !== "ndc") {
    const sfu = await startWerift();
    try {
      results.werift = summarize(await runOne(sfu, args.werifSteps ?? args.steps, args, log), ppsPerSubscriber);
    } finally {
      await sfu.stop();
    }
  }
  const ndc = results["node-datachannel"];
  const wr = results.werift;
  log("");
  for (const [name, r] of Object.entries(results)) {
    log(
      `${name.padEnd(16)} highest loss-free K ${r.maxLossFreeK}: ${r.subscribersPerCore} subscribers per SFU core ` +
        `(projected from µs/pkt: ${r.projectedSubscribersPerCore}), ${r.usPerPacket} µs CPU per forwarded packet, delay p99 ` +
        `${r.delayP99Ms} ms (added by the SFU over a direct connection: ${r.addedDelayP99Ms} ms)`,
    );
  }
  const ratio = ndc && wr && ndc.usPerPacket > 0 ? +(wr.usPerPacket / ndc.usPerPacket).toFixed(2) : null;
  if (ratio !== null) log(`werift spends ${ratio}x the CPU per forwarded packet of the node-datachannel worker`);
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: "sfu",
        cores: availableParallelism(),
        publisherKbps: args.kbps,
        packetsPerSecondPerSubscriber: ppsPerSubscriber,
        windowSeconds: args.window,
        subscriberProcesses: args.procs,
        results,
        weriftCpuPerPacketRatio: ratio,
      }),
    );
  }
  process.exit(0);
}

/** --instances 1,2: one instance, then two with the cascade between them, in one run. */
async function cascadeRun(args: Args, log: (s: string) => void, ppsPerSubscriber: number): Promise<void> {
  const results: Record<string, Summary> = {};
  for (const n of args.instances) {
    const sfu = n === 1 ? await startNdc() : await startNdc2(args.procs);
    try {
      // Two instances go on past a lossy step while no player froze: the aim is 1000 viewers with 0 frozen.
      results[`${n}-instance${n > 1 ? "s" : ""}`] = summarize(
        await runOne(sfu, args.steps, args, log, n > 1 ? "frozen" : "loss"),
        ppsPerSubscriber,
      );
    } finally {
      await sfu.stop();
    }
  }
  const one = results["1-instance"];
  const two = results["2-instances"];
  // Same K on both sides, so the CPU per packet compares like with like (per-packet cost falls with K):
  // the largest K loss-free on both, else the largest K both ran (each step says whether it was loss-free).
  const ks = (r: Summary | undefined, lossFree: boolean) => new Set(r?.steps.filter((x) => !lossFree || x.lossFree).map((x) => x.k) ?? []);
  const largestCommon = (lossFree: boolean) => Math.max(0, ...[...ks(one, lossFree)].filter((k) => ks(two, lossFree).has(k)));
  const common = largestCommon(true) || largestCommon(false);
  const at = (r: Summary | undefined) => r?.steps.find((s) => s.k === common);
  const us1 = at(one)?.usPerPacket ?? 0;
  const us2 = at(two)?.usPerPacket ?? 0;
  const relay =
    one && two
      ? {
          atK: common,
          lossFree: { oneInstance: at(one)?.lossFree ?? false, twoInstances: at(two)?.lossFree ?? false },
          cpuPerPacketRatio: us1 > 0 ? +(us2 / us1).toFixed(3) : null,
          usPerPacketNoRelay: us1,
          usPerPacketRelay: us2,
          relayAddedP50Ms: at(two)?.relayAddedP50Ms ?? null,
          relayAddedP99Ms: at(two)?.relayAddedP99Ms ?? null,
        }
      : null;
  log("");
  for (const [name, r] of Object.entries(results)) {
    log(
      `${name.padEnd(12)} highest loss-free K ${r.maxLossFreeK}: ${r.subscribersPerCore} viewers per SFU core, ` +
        `${r.usPerPacket} µs CPU per forwarded packet, delay p99 ${r.delayP99Ms} ms` +
        (r.relayAddedP99Ms !== undefined ? `, relay adds p50 ${r.relayAddedP50Ms} ms p99 ${r.relayAddedP99Ms} ms` : ""),
    );
  }
  if (relay)
    log(
      `at K=${relay.atK}: relay ${relay.usPerPacketRelay} µs vs no relay ${relay.usPerPacketNoRelay} µs CPU per forwarded ` +
        `packet (x${relay.cpuPerPacketRatio}); the relayed half's delay minus the home's half: p50 ${relay.relayAddedP50Ms} ` +
        `ms, p99 ${relay.relayAddedP99Ms} ms`,
    );
  const aims = cascadeAims(relay, two);
  const capacity = two ? capacityOf(two, relay) : null;
  log("");
  for (const a of aims) log(`aim ${a.aim}: ${a.measured} -> ${a.pass === null ? "NOT MEASURED" : a.pass ? "PASS" : "FAIL"}`);
  if (capacity) {
    log("");
    log(
      `capacity, measured on this machine (${capacity.machineCores} cores, 2 instances, ${args.kbps} kbps): ` +
        `${capacity.viewersThisMachine} viewers with 0 frozen players, ${capacity.viewersPerCore} loss-free viewers per SFU ` +
        `core, ${capacity.kbpsPerViewer} kbit/s per viewer`,
    );
    for (const n of capacity.nodes)
      log(
        `  node of ${n.cores} cores + ${n.linkGbps} GbE: ${n.students} students (${n.bound}-bound: ${n.cpuStudents} by CPU ` +
          `at 70%, ${n.linkStudents} by the link at 70%); a city of 3 such nodes: ${n.city3}, of 20: ${n.city20}`,
      );
  }
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: "sfu-cascade",
        cores: availableParallelism(),
        publisherKbps: args.kbps,
        packetsPerSecondPerSubscriber: ppsPerSubscriber,
        windowSeconds: args.window,
        subscriberProcesses: args.procs,
        instances: args.instances,
        results,
        relay,
        aims,
        capacity,
      }),
    );
  }
  process.exit(0);
}

type Relay = { atK: number; cpuPerPacketRatio: number | null; relayAddedP99Ms: number | null } | null;

/** The issue's aims, each with what this run measured (pass null: the run did not measure it). */
function cascadeAims(relay: Relay, two: Summary | undefined): { aim: string; measured: string; pass: boolean | null }[] {
  const ratio = relay?.cpuPerPacketRatio ?? null;
  const p99 = relay?.relayAddedP99Ms ?? null;
  const at1000 = two?.steps.find((s) => s.k === 1000);
  return [
    {
      aim: "relay < 15% more CPU per viewer than local forwarding",
      measured: ratio === null ? "no common K" : `+${((ratio - 1) * 100).toFixed(1)}% at K=${relay?.atK}`,
      pass: ratio === null ? null : ratio < 1.15,
    },
    {
      aim: "relay adds < 10 ms at p99",
      measured: p99 === null ? "not measured" : `${p99} ms at K=${relay?.atK}`,
      pass: p99 === null ? null : p99 < 10,
    },
    {
      aim: "1000 viewers of one class over the instances, 0 frozen players",
      measured: at1000
        ? `${at1000.connected} connected, ${at1000.frozen} frozen of ${at1000.watched} watched ` +
          `(${at1000.lossFree ? "loss-free" : `not loss-free: ${at1000.lostPackets} gaps, ${at1000.udpDropped} UDP drops`})`
        : "K=1000 not reached (add 1000 to --steps; the run stops when a player freezes)",
      pass: at1000 ? at1000.connected === 1000 && at1000.frozen === 0 : null,
    },
  ];
}

/**
 * Students per node and per city from this run's measurements: viewers per SFU core (highest
 * loss-free step, two instances with the relay) and the bandwidth one viewer took, at 70% of a
 * node's cores and link; a city is its nodes minus one relay stream per extra node.
 */
function capacityOf(two: Summary, relay: Relay) {
  const best = [...two.steps].reverse().find((s) => s.frozen === 0 && s.connected === s.k);
  const kbps = two.steps.find((s) => s.k === two.maxLossFreeK)?.kbpsPerViewer ?? best?.kbpsPerViewer ?? 0;
  const perCore = two.subscribersPerCore;
  const nodes = [
    { cores: 4, linkGbps: 1 },
    { cores: 4, linkGbps: 10 },
    { cores: 8, linkGbps: 10 },
  ].map((n) => {
    const cpuStudents = Math.floor(perCore * n.cores * 0.7);
    const linkStudents = kbps > 0 ? Math.floor((n.linkGbps * 1e6 * 0.7) / kbps) : 0;
    const students = Math.min(cpuStudents, linkStudents);
    return {
      ...n,
      cpuStudents,
      linkStudents,
      students,
      bound: cpuStudents <= linkStudents ? "CPU" : "link",
      city3: 3 * students - 2,
      city20: 20 * students - 19,
    };
  });
  return {
    machineCores: availableParallelism(),
    viewersThisMachine: best?.k ?? 0,
    viewersPerCore: perCore,
    kbpsPerViewer: kbps,
    relayCpuRatio: relay?.cpuPerPacketRatio ?? null,
    nodes,
  };
}

await main();
