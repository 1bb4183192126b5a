// Slow clients: the byte and time caps of the WebSocket gateway (the rule), and a real server
// process with never-reading sockets during a staff chat flood (issue 14, defect 4).
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { CLOSE } from "../../client/src/protocol.ts";
import { SEND_BUFFER_LIMIT, SEND_STALL_MS, verdict, verdictAfterSend, type Watched } from "../src/realtime/slow-clients.ts";
import { spawned, startInstance } from "./support/instances.ts";
import { tempDir } from "./support/server.ts";
import { runSlowConsumers } from "./support/slow-consumers.ts";

function socket(buffered: number, readyState = 1): Watched & { buffered: number } {
  return { buffered, readyState, data: {}, getBufferedAmount() { return this.buffered; } };
}

describe("the rule", () => {
  test("a queue over the byte cap is dropped at once; within it, only after it stayed non-empty for the time cap", () => {
    expect(verdict(socket(SEND_BUFFER_LIMIT + 1), 0)).toBe("bytes");
    const s = socket(1000);
    expect(verdict(s, 10_000)).toBeNull(); // the stall timer starts
    expect(verdict(s, 10_000 + SEND_STALL_MS - 1)).toBeNull();
    s.buffered = 0;
    expect(verdict(s, 10_000 + SEND_STALL_MS)).toBeNull(); // it emptied: the timer resets
    s.buffered = 10;
    expect(verdict(s, 20_000)).toBeNull();
    expect(verdict(s, 20_000 + SEND_STALL_MS)).toBe("stalled");
    expect(verdict(socket(SEND_BUFFER_LIMIT + 1, 3), 0)).toBeNull(); // already closed: nothing to do
  });

  test("a direct send that Bun dropped (0) or that leaves the queue over the cap drops the socket", () => {
    expect(verdictAfterSend(socket(100), -1)).toBeNull(); // queued under backpressure, within the cap
    expect(verdictAfterSend(socket(0), 0)).toBe("bytes");
    expect(verdictAfterSend(socket(SEND_BUFFER_LIMIT + 1), -1)).toBe("bytes");
  });
});

describe("a server process with never-reading sockets", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const p of spawned) p.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("200 never-reading sockets during staff chat: each closed with 4012 and counted, memory bounded, a normal student keeps receiving", async () => {
    const N = 200;
    const secret = "slow-client-test-secret-0123456789abcdefghij";
    const dataDir = tempDir("edgeclass-slow-");
    dirs.push(dataDir);
    const server = await startInstance({ DATA_DIR: dataDir, JWT_SECRET: secret, DEMO: "false" });
    const r = await runSlowConsumers({ base: server.base, pid: server.proc.pid, secret, slow: N, normal: 1, staff: 3, durationMs: 14_000, readBack: 3 });
    console.log(JSON.stringify({ ...r, chat: { ...r.chat, worstBySecondMs: undefined } }));
    expect(r.slowAdmitted).toBe(N);
    // Every one of them dropped, and counted (before: 0, Bun closed them itself without a count).
    expect(Object.values(r.dropped).reduce((a, b) => a + b, 0)).toBe(N);
    // One that reads again finds its backlog, then the documented close.
    for (const s of r.readBack) expect(s).toMatchObject({ closeCode: CLOSE.slowConsumer, eof: true });
    // Memory: at most ~400 KB per never-reading socket while they are held (before: up to 1 MiB queued each).
    expect(r.rssMb.peak - r.rssMb.beforeSlow).toBeLessThan((N * 400) / 1024);
    // The normal student and the staff were never dropped, and the student got (nearly) every message.
    expect(r.normalClosed).toEqual([]);
    expect(r.chat.received).toBeGreaterThanOrEqual(Math.floor(r.chat.sent * 0.95));
  }, 180_000);
});
