// Slow clients: the byte and time caps of the WebSocket gateway (the rule), and a real server
// process with never-reading sockets during a staff chat flood (issue 14, defect 4).
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { CLOSE } from "@edgeclass/client/protocol";
import { SEND_BUFFER_LIMIT, SlowClients, verdictAfterSend, type SlowReason, type SlowState } from "../src/realtime/slow-clients.ts";
import { spawned, startInstance } from "./support/instances.ts";
import { tempDir } from "./support/server.ts";
import { runSlowConsumers } from "./support/slow-consumers.ts";

/** A socket as the rule sees it: its Bun queue is `buffered`; what it was sent is recorded. */
function socket(buffered = 0, topics = ["all"]) {
  const ws = {
    buffered,
    readyState: 1,
    sent: [] as string[],
    subscribed: new Set(topics),
    data: { classId: "c1", topics } as SlowState,
    getBufferedAmount: () => ws.buffered,
    send(text: string) {
      ws.sent.push(text);
      return ws.buffered > 0 ? -1 : text.length;
    },
    subscribe: (t: string) => void ws.subscribed.add(t),
    unsubscribe: (t: string) => void ws.subscribed.delete(t),
  };
  return ws;
}

function guard(limits = { bytes: 1000, stallMs: 5000 }) {
  const dropped: [unknown, SlowReason][] = [];
  return { dropped, slow: new SlowClients<ReturnType<typeof socket>>((ws, reason) => dropped.push([ws, reason]), limits) };
}

describe("the rule", () => {
  test("a queue over the byte cap is dropped at once", () => {
    const { slow, dropped } = guard();
    const ws = socket(1001);
    slow.check(ws, 0);
    expect(dropped).toEqual([[ws, "bytes"]]);
    expect(SEND_BUFFER_LIMIT).toBe(256 * 1024);
  });

  test("a backed-up socket leaves its topics, gets its messages held in order, and rejoins once drained", () => {
    const { slow, dropped } = guard();
    const ws = socket(10, ["all", "staff"]);
    slow.check(ws, 0);
    expect([...ws.subscribed]).toEqual([]); // off the topics: publishes no longer reach Bun's queue
    slow.published("c1", "all", "m1");
    slow.published("c2", "all", "other class");
    slow.send(ws, "direct"); // a reply keeps its place behind the held messages
    slow.published("c1", "staff", "m2");
    expect(ws.sent).toEqual([]);
    ws.buffered = 0; // Bun's queue went out: its drain event
    slow.drain(ws);
    expect(ws.sent).toEqual(["m1", "direct", "m2"]);
    expect([...ws.subscribed]).toEqual(["all", "staff"]);
    slow.check(ws, 1000);
    expect(ws.data.backedUpSince).toBeUndefined();
    expect(dropped).toEqual([]);
  });

  test("a socket whose queue does not empty within the time cap is dropped; held bytes count against the byte cap", () => {
    const { slow, dropped } = guard();
    const stuck = socket(10);
    slow.check(stuck, 0);
    slow.check(stuck, 4999);
    expect(dropped).toEqual([]);
    slow.check(stuck, 5000);
    expect(dropped).toEqual([[stuck, "stalled"]]);
    const flooded = socket(10);
    slow.check(flooded, 0);
    slow.published("c1", "all", "x".repeat(995));
    expect(dropped.at(-1)).toEqual([flooded, "bytes"]);
  });

  test("a direct send that Bun dropped (0) or that leaves the queue over the cap drops the socket", () => {
    expect(verdictAfterSend({ getBufferedAmount: () => 100, readyState: 1 }, -1)).toBeNull();
    expect(verdictAfterSend({ getBufferedAmount: () => 0, readyState: 1 }, 0)).toBe("bytes");
    expect(verdictAfterSend({ getBufferedAmount: () => SEND_BUFFER_LIMIT + 1, readyState: 1 }, -1)).toBe("bytes");
    expect(verdictAfterSend({ getBufferedAmount: () => 0, readyState: 3 }, 0)).toBeNull(); // already closed
  });
});

describe("a server process with never-reading sockets", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const p of spawned) p.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("200 never-reading sockets during staff chat: each closed with 4012 and counted, memory bounded, a normal student keeps " +
    "receiving", async () => {
    const N = 200;
    const secret = "slow-client-test-secret-0123456789abcdefghij";
    const dataDir = tempDir("edgeclass-slow-");
    dirs.push(dataDir);
    const server = await startInstance({ DATA_DIR: dataDir, JWT_SECRET: secret, DEMO: "false" });
    const r = await runSlowConsumers({
      base: server.base,
      pid: server.proc.pid,
      secret,
      slow: N,
      normal: 1,
      staff: 3,
      durationMs: 14_000,
      readBack: 3,
      pauseMs: 2500,
    });
    console.log(JSON.stringify({ ...r, chat: { ...r.chat, worstBySecondMs: undefined } }));
    expect(r.slowAdmitted).toBe(N);
    // Every one of them dropped, and counted (before: 0, Bun closed them itself without a count).
    expect(Object.values(r.dropped).reduce((a, b) => a + b, 0)).toBe(N);
    // One that reads again finds its backlog, then the documented close.
    expect(r.readBack).toHaveLength(3);
    for (const s of r.readBack) expect(s).toMatchObject({ closeCode: CLOSE.slowConsumer, eof: true });
    // Memory: under 150 KB per never-reading socket (before: up to 1 MiB queued each, +100 MB here).
    expect(r.rssMb.peak - r.rssMb.beforeSlow).toBeLessThan((N * 150) / 1024);
    // The normal student and the staff were never dropped, and the student got (nearly) every message.
    expect(r.normalClosed).toEqual([]);
    expect(r.chat.sent).toBeGreaterThan(0);
    expect(r.chat.received).toBeGreaterThanOrEqual(Math.floor(r.chat.sent * 0.95));
    // A student who stopped reading for 2.5 s (under the time cap) was held back, then caught up:
    // every chat message, in order, no gap, and not closed.
    expect(r.pausing).toMatchObject({ inOrderNoGap: true, closeCode: null });
    expect(r.held).toBeGreaterThan(N); // each never-reading socket, and the pausing one, was held back first
    expect(r.pausing!.received).toBeGreaterThan(r.chat.received * 0.8);
  }, 180_000);
});
