// Slow consumers (issue 14, defect 4): one server process (pinned to core 0 when taskset
// exists), one class of --slow never-reading sockets plus --normal normal students, while
// --staff staff members (the teacher, then admins) chat at --chat-rate messages a second for
// --seconds. Prints the server's RSS (before the slow sockets, after they joined, peak,
// end), the slow clients dropped by reason (edgeclass_slow_clients_total), and the normal
// students' chat latency p50/p99 (from the teacher's send to the student's receipt).
//
//   npm run bench:slow -- [--slow 1000] [--normal 1] [--staff 1] [--chat-rate 20]
//                         [--chat-chars 500] [--seconds 20] [--pause-ms 0] [--json]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { runSlowConsumers } from "../packages/server/test/support/slow-consumers.ts";
import { freePort, parseFlags, spawnPinned, waitForHttp } from "./lib/process.ts";

const { json, values } = parseFlags(process.argv.slice(2));
const slow = Number(values.slow ?? 1000);
const normal = Number(values.normal ?? 1);
const staff = Number(values.staff ?? 1);
const chatPerSecond = Number(values["chat-rate"] ?? 20);
const chatChars = Number(values["chat-chars"] ?? 500);
const seconds = Number(values.seconds ?? 20);
/** Also one student that stops reading for this long, then reads on (0: none). */
const pauseMs = Number(values["pause-ms"] ?? 0);
const log = (...a: unknown[]) => console.error("[bench:slow]", ...a);

const AIM = { rssMb: 300, chatP99Ms: 100 };
const secret = "bench-slow-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "bench-slow-"));
const loadBefore = loadavg()[0];
const server = spawnPinned(
  [process.execPath, "packages/server/src/main.ts"],
  { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "error", JWT_SECRET: secret, DEMO: "false" },
  0,
);
try {
  await waitForHttp(`${base}/healthz`);
  const r = await runSlowConsumers({
    base,
    pid: server.pid,
    secret,
    slow,
    normal,
    staff,
    chatPerSecond,
    chatChars,
    durationMs: seconds * 1000,
    pauseMs: pauseMs || undefined,
    log,
  });
  const load = { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0] * 100) / 100 };
  const droppedTotal = Object.values(r.dropped).reduce((a, b) => a + b, 0);
  const missed = [
    ...(r.rssMb.peak >= AIM.rssMb ? [`peak RSS ${r.rssMb.peak} MB >= ${AIM.rssMb} MB`] : []),
    ...(r.chat.p99Ms >= AIM.chatP99Ms ? [`chat p99 ${r.chat.p99Ms} ms >= ${AIM.chatP99Ms} ms`] : []),
    ...(droppedTotal < r.slowAdmitted ? [`${r.slowAdmitted - droppedTotal} never-reading sockets not dropped`] : []),
  ];
  if (json) console.log(JSON.stringify({ ...r, normal, staff, chatPerSecond, chatChars, seconds, load, aim: AIM, missed }, null, 2));
  else {
    console.log(
      `slow consumers: ${r.slowAdmitted}/${slow} never-reading sockets admitted, ${normal} normal student(s), ${staff} ` +
        `staff chatting ${chatPerSecond}/s x ${chatChars} chars for ${seconds} s (load ${load.before} -> ${load.after})`,
    );
    console.log(
      `server RSS: ${r.rssMb.beforeSlow} MB before, ${r.rssMb.afterSlowJoined} MB after the slow sockets joined, peak ` +
        `${r.rssMb.peak} MB (VmHWM ${r.rssMb.hwm}), end ${r.rssMb.end} MB (aim < ${AIM.rssMb})`,
    );
    console.log(
      `held back (edgeclass_slow_clients_held_total): ${r.held}; dropped (edgeclass_slow_clients_total): ` +
        `${JSON.stringify(r.dropped)}, all ` +
        `${r.allDroppedAfterMs === null ? "never" : `${r.allDroppedAfterMs} ms after the chat began`}`,
    );
    console.log(
      `normal students' chat: ${r.chat.received} deliveries of ${r.chat.sent * normal}, p50 ${r.chat.p50Ms} ms, p99 ` +
        `${r.chat.p99Ms} ms, max ${r.chat.maxMs} ms (aim p99 < ${AIM.chatP99Ms}); normal sockets closed: ` +
        `${JSON.stringify(r.normalClosed)}`,
    );
    if (r.pausing)
      console.log(
        `student pausing ${pauseMs} ms: ${r.pausing.received} chat messages, in order without a gap: ` +
          `${r.pausing.inOrderNoGap}, closed: ${r.pausing.closeCode ?? "no"}`,
      );
    console.log(`worst chat latency in each second of the chat (ms): ${r.chat.worstBySecondMs.join(" ")}`);
    console.log(
      `CPU during the chat: server ${r.cpu.serverPct}% of a core, clients (this process) ${r.cpu.clientsPct}%; waiting for ` +
        `a CPU (run queue): server ${r.cpu.serverRunQueueWaitPct}% of the time, clients ${r.cpu.clientsRunQueueWaitPct}%`,
    );
    console.log(`worst GET /healthz in each second (ms):             ${r.healthzWorstBySecondMs.join(" ")}`);
    console.log(missed.length ? `missed: ${missed.join("; ")}` : "every aim met");
  }
  process.exitCode = missed.length ? 1 : 0;
} finally {
  server.kill("SIGTERM");
  await Promise.race([server.exited, Bun.sleep(10_000)]);
  server.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
}
