// The slow-consumer scenario, shared by slow-client.test.ts and bench/slow-consumers.ts:
// against a server process, one class with N never-reading sockets and a few normal
// students, while the teacher (and optional admins) chat at their full frame rate. It
// samples the server's RSS from /proc, times chat at the normal students, and reads the
// slow-client counter from /metrics.
import { readFileSync } from "node:fs";
import { api, cpuSeconds, memoryMb } from "../../../../bench/class/setup.ts";
import { mintToken } from "../../src/auth/tokens.ts";
import { closeSocket, readAll, serverFrames, stalledSocket } from "./stalled-socket.ts";
import { join, type Peer } from "./ws.ts";

export interface SlowConsumersOptions {
  base: string;
  /** The server process, for its RSS. */
  pid: number;
  secret: string;
  /** Never-reading sockets. */
  slow: number;
  /** Normal students whose chat latency is measured. */
  normal?: number;
  /** Staff members chatting: the teacher, then admins. */
  staff?: number;
  /** Chat messages a second per staff member (a socket may send 20 frames a second). */
  chatPerSecond?: number;
  /** Characters per chat message (at most 500). */
  chatChars?: number;
  /** How long the staff chat, in ms. */
  durationMs: number;
  /** A student (its own process) that stops reading for this long while the chat runs, then reads on. */
  pauseMs?: number;
  /** After the chat, read this many of the never-reading sockets to the end and report how each was closed. */
  readBack?: number;
  log?: (...a: unknown[]) => void;
}

export interface SlowConsumersResult {
  slow: number;
  /** Never-reading sockets the server admitted (from the participants gauge). */
  slowAdmitted: number;
  rssMb: { beforeSlow: number; afterSlowJoined: number; peak: number; end: number; hwm: number };
  /** edgeclass_slow_clients_total by reason, at the end. */
  dropped: Record<string, number>;
  /** edgeclass_slow_clients_held_total at the end: sockets held back (off their topics) while behind. */
  held: number;
  /** Milliseconds from the first chat to the counter reaching `slow` (null: never). */
  allDroppedAfterMs: number | null;
  chat: { sent: number; received: number; p50Ms: number; p99Ms: number; maxMs: number; worstBySecondMs: number[] };
  /** The slowest GET /healthz in each second of the chat: the server's own delay. */
  healthzWorstBySecondMs: number[];
  /**
   * The pausing student: whether it got the chat in order with no gap (a contiguous run of what a normal student got), how many, its close
   * code.
   */
  pausing: { received: number; inOrderNoGap: boolean; closeCode: number | null } | null;
  /** For the sockets read back: the close code in their last frame (null: none), and whether the server then closed TCP. */
  readBack: { closeCode: number | null; eof: boolean; frames: number }[];
  /**
   * CPU during the chat, in % of one core: the server, and this process (the clients); and how much of the chat each main thread spent
   * waiting for a CPU (a loaded machine).
   */
  cpu: { serverPct: number; clientsPct: number; serverRunQueueWaitPct: number; clientsRunQueueWaitPct: number };
  /** Close codes of the normal students' and staff's sockets, if any closed. */
  normalClosed: number[];
}

/** Nanoseconds a process's main thread has waited for a CPU (run queue), from /proc/<pid>/schedstat. */
function runQueueWaitNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]);
}

/** Sums a counter's series (any labels) from a /metrics text, by its label set. */
function counterSeries(metrics: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, "gm"))) out[m[1] ?? ""] = Number(m[2]);
  return out;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
const round = (n: number) => Math.round(n * 10) / 10;

async function gauge(base: string, name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(await (await fetch(`${base}/metrics`)).text());
  return m ? Number(m[1]) : NaN;
}

export async function runSlowConsumers(o: SlowConsumersOptions): Promise<SlowConsumersResult> {
  const log = o.log ?? (() => {});
  const normal = o.normal ?? 1;
  const staff = o.staff ?? 1;
  const chatPerSecond = Math.min(o.chatPerSecond ?? 20, 20);
  const chatChars = Math.min(o.chatChars ?? 500, 500);
  const tag = Math.random().toString(36).slice(2, 8);
  const token = (role: "student" | "teacher" | "admin", sub: string) => mintToken(o.secret, { sub, role, ttlSeconds: 3600 });

  // The class: every student enrolled, capacity for all of them.
  const teacherToken = await token("teacher", `t-${tag}`);
  const slowIds = Array.from({ length: o.slow }, (_, i) => `slow-${tag}-${i}`);
  const normalIds = Array.from({ length: normal }, (_, i) => `normal-${tag}-${i}`);
  const pausingId = `pausing-${tag}`;
  const ids = [...slowIds, ...normalIds, ...(o.pauseMs ? [pausingId] : [])];
  const course = await api<{ id: string }>(o.base, teacherToken, "POST", "/api/courses", {
    title: "Slow consumers",
    status: "active",
    capacity: ids.length,
  });
  for (let i = 0; i < ids.length; i += 1000)
    await api(o.base, teacherToken, "POST", `/api/courses/${course.id}/enrollments`, { studentIds: ids.slice(i, i + 1000) });
  const cls = await api<{ id: string }>(o.base, teacherToken, "POST", `/api/courses/${course.id}/classes`, {
    startsAt: new Date().toISOString(),
    durationMinutes: 120,
  });
  await api(o.base, teacherToken, "POST", `/api/classes/${cls.id}/start`);

  const peers: Peer[] = [];
  const normalClosed: number[] = [];
  const fds: number[] = [];
  try {
    const staffPeers: Peer[] = [];
    for (let i = 0; i < staff; i++) {
      const { peer } = await join(o.base, cls.id, i === 0 ? teacherToken : await token("admin", `a-${tag}-${i}`));
      staffPeers.push(peer);
    }
    const latencies: number[] = [];
    /** Chat message ids in the order the first normal student got them. */
    const normalChatIds: string[] = [];
    /** The worst chat latency in each second of the chat (index: seconds since it began). */
    const bySecond: number[] = [];
    let started = Date.now();
    const students: Peer[] = [];
    for (const id of normalIds) {
      const { peer } = await join(o.base, cls.id, await token("student", id));
      peer.ws.addEventListener("message", (e) => {
        const m = JSON.parse(String(e.data)) as { type: string; message?: { text: string; id: string } };
        if (m.type !== "chat.message" || !m.message) return;
        if (peer === students[0]) normalChatIds.push(m.message.id);
        const sentAt = Number(m.message.text.slice(0, m.message.text.indexOf(" ")));
        if (sentAt > 0) {
          const ms = performance.timeOrigin + performance.now() - sentAt;
          latencies.push(ms);
          const second = Math.floor((Date.now() - started) / 1000);
          bySecond[second] = Math.max(bySecond[second] ?? 0, Math.round(ms));
        }
      });
      students.push(peer);
    }
    const pausing = o.pauseMs
      ? Bun.spawn(
          [
            process.execPath,
            `${import.meta.dir}/pausing-reader.ts`,
            new URL(o.base).port,
            `/api/classes/${cls.id}/live?token=${await token("student", pausingId)}`,
            String(o.pauseMs),
            String(o.durationMs - o.pauseMs + 500),
          ],
          { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
        )
      : null;
    peers.push(...staffPeers, ...students);
    for (const p of peers) void p.closed.then((c) => normalClosed.push(c.code));
    const expectedBefore = staff + normal + (pausing ? 1 : 0);

    // Let the server settle, then the never-reading sockets join.
    await Bun.sleep(500);
    const beforeSlow = memoryMb(o.pid).rss;
    const port = Number(new URL(o.base).port);
    const path = `/api/classes/${cls.id}/live?token=`;
    for (let i = 0; i < slowIds.length; i++) {
      fds.push(stalledSocket(port, path + (await token("student", slowIds[i]))));
      if (i % 50 === 49) await Bun.sleep(1); // let the event loop breathe between bursts
    }
    const joinDeadline = Date.now() + 30_000 + o.slow * 30;
    let participants = 0;
    while (Date.now() < joinDeadline && (participants = await gauge(o.base, "edgeclass_participants")) < expectedBefore + o.slow)
      await Bun.sleep(200);
    const slowAdmitted = participants - expectedBefore;
    const afterSlowJoined = memoryMb(o.pid).rss;
    log(`${slowAdmitted}/${o.slow} never-reading sockets admitted; server RSS ${beforeSlow} -> ${afterSlowJoined} MB`);

    // Staff chat at their full rate; every text starts with its send time.
    let sent = 0;
    let peak = afterSlowJoined;
    const pad = "x".repeat(chatChars);
    started = Date.now();
    const cpu0 = {
      server: cpuSeconds(o.pid),
      self: cpuSeconds(process.pid),
      serverWait: runQueueWaitNs(o.pid),
      selfWait: runQueueWaitNs(process.pid),
    };
    let allDroppedAfterMs: number | null = null;
    const senders = staffPeers.map((p) =>
      setInterval(() => {
        if (p.ws.readyState !== WebSocket.OPEN) return;
        const stamp = `${(performance.timeOrigin + performance.now()).toFixed(1)} `;
        p.sendRaw(JSON.stringify({ type: "chat.send", text: stamp + pad.slice(stamp.length) }));
        sent++;
      }, 1000 / chatPerSecond),
    );
    const healthBySecond: number[] = [];
    let probing = false;
    if (pausing) {
      pausing.stdin.write("go\n");
      void pausing.stdin.flush();
    }
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryMb(o.pid).rss);
      if (probing) return;
      probing = true;
      const t0 = performance.now();
      void fetch(`${o.base}/healthz`)
        .then((r) => r.arrayBuffer())
        .then(() => {
          const second = Math.floor((Date.now() - started) / 1000);
          healthBySecond[second] = Math.max(healthBySecond[second] ?? 0, Math.round(performance.now() - t0));
        })
        .catch(() => {})
        .finally(() => (probing = false));
    }, 100);
    const watcher = setInterval(async () => {
      if (allDroppedAfterMs !== null) return;
      const dropped = sum(counterSeries(await (await fetch(`${o.base}/metrics`)).text(), "edgeclass_slow_clients_total"));
      if (dropped >= o.slow && allDroppedAfterMs === null) allDroppedAfterMs = Date.now() - started;
    }, 500);
    await Bun.sleep(o.durationMs);
    for (const s of senders) clearInterval(s);
    const cpuPct = (pid: number, from: number) => Math.round(((cpuSeconds(pid) - from) * 100_000) / (Date.now() - started));
    const waitPct = (pid: number, from: number) => Math.round((runQueueWaitNs(pid) - from) / 1e4 / (Date.now() - started));
    const cpu = {
      serverPct: cpuPct(o.pid, cpu0.server),
      clientsPct: cpuPct(process.pid, cpu0.self),
      serverRunQueueWaitPct: waitPct(o.pid, cpu0.serverWait),
      clientsRunQueueWaitPct: waitPct(process.pid, cpu0.selfWait),
    };
    // The last messages arrive and the last stalled sockets are dropped: a second, or up to five more
    // on a busy machine, where a fixed second may not be enough.
    await Bun.sleep(1000);
    for (const settleBy = Date.now() + 5000; Date.now() < settleBy && (latencies.length < sent * normal || allDroppedAfterMs === null); )
      await Bun.sleep(250);
    clearInterval(sampler);
    clearInterval(watcher);

    let pausingResult: SlowConsumersResult["pausing"] = null;
    if (pausing) {
      const out = JSON.parse(await new Response(pausing.stdout).text()) as { chatIds: string[]; closeCode: number | null };
      const first = normalChatIds.indexOf(out.chatIds[0] ?? "");
      const inOrderNoGap = first >= 0 && out.chatIds.every((id, i) => normalChatIds[first + i] === id);
      pausingResult = { received: out.chatIds.length, inOrderNoGap, closeCode: out.closeCode };
    }
    const metricsText = await (await fetch(`${o.base}/metrics`)).text();
    const dropped = counterSeries(metricsText, "edgeclass_slow_clients_total");
    const held = sum(counterSeries(metricsText, "edgeclass_slow_clients_held_total"));
    const mem = memoryMb(o.pid);
    // A client that reads again gets its backlog, then the close frame (this blocks this process, not the server).
    const readBack = fds.slice(0, o.readBack ?? 0).map((fd) => {
      const { bytes, eof } = readAll(fd);
      const frames = serverFrames(bytes);
      return { closeCode: frames.at(-1)?.closeCode ?? null, eof, frames: frames.length };
    });
    const sorted = latencies.sort((a, b) => a - b);
    return {
      slow: o.slow,
      slowAdmitted,
      rssMb: { beforeSlow, afterSlowJoined, peak: Math.max(peak, mem.rss), end: mem.rss, hwm: mem.hwm },
      dropped,
      held,
      allDroppedAfterMs,
      chat: {
        sent,
        received: latencies.length,
        p50Ms: round(pct(sorted, 0.5)),
        p99Ms: round(pct(sorted, 0.99)),
        maxMs: round(sorted.at(-1) ?? NaN),
        worstBySecondMs: [...bySecond].map((x) => x ?? 0),
      },
      healthzWorstBySecondMs: [...healthBySecond].map((x) => x ?? 0),
      normalClosed,
      pausing: pausingResult,
      readBack,
      cpu,
    };
  } finally {
    for (const p of peers) p.close();
    for (const fd of fds) closeSocket(fd);
  }
}
