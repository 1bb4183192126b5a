// Opening and closing many media sessions leaks nothing: worker file descriptors and
// threads come back to their baseline, half-open sessions time out, peers that vanish are
// reaped, and close() stops every worker and frees every UDP port.

import { afterAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { CountingSubscriber, SyntheticPublisher } from "../../../../bench/sfu/ndc-peer.ts";
import { MediaServiceImpl } from "../../src/media/service.ts";
import { serveMedia } from "../support/media-http.ts";

// Two fixed mux ports below the kernel's ephemeral range (32768+), so no other socket takes them.
async function freePair(): Promise<number> {
  for (;;) {
    const base = 21000 + Math.floor(Math.random() * 5000) * 2;
    try {
      const a = await Bun.udpSocket({ port: base });
      const b = await Bun.udpSocket({ port: base + 1 });
      a.close();
      b.close();
      return base;
    } catch {
      // taken: try another pair
    }
  }
}
const PORT_BASE = await freePair();
const media = new MediaServiceImpl({
  videoQuality: "720p",
  workers: 2,
  portRange: [PORT_BASE, PORT_BASE + 1],
  subscribersPerWorker: 5,
  connectTimeoutMs: 1500,
  idleTimeoutMs: 3000,
  admission: { maxPendingPerUser: Number.MAX_SAFE_INTEGER },
});
const { server, base } = serveMedia(media, "u");

afterAll(async () => {
  await media.close();
  server.stop(true);
});

function fds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
function threads(pid: number): number {
  const m = /Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
/** A watching peer, connected (the peer itself starts again when libdatachannel refuses an answer). */
async function subscribe(id: string, url: string): Promise<CountingSubscriber> {
  const s = new CountingSubscriber(id);
  await s.connect(url);
  return s;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !cond()) await Bun.sleep(50);
  return cond();
}

test("many sessions opened and closed leave no descriptors, threads or ports behind", async () => {
  // Round 0 warms up: libdatachannel and Bun create their thread pools and sockets lazily.
  // Rounds after it must not grow what a worker holds.
  let workers = media.workerInfo();
  let base0: { fds: number; threads: number }[] = [];
  for (let round = 0; round < 3; round++) {
    const cls = `leak-${round}`;
    const pub = new SyntheticPublisher();
    await pub.connect(`${base}/api/classes/${cls}/whip`);
    pub.start();
    const subs = await Promise.all(Array.from({ length: 12 }, (_, i) => subscribe(`l${round}-${i}`, `${base}/api/classes/${cls}/whep`)));
    expect(media.stats().subscribers).toBe(12);
    // Spread over both workers (5 per worker on the class's home, then the least loaded).
    expect(await until(() => media.workerInfo().every((w) => w.subscribers > 0), 3000)).toBe(true);
    expect(await until(() => subs.every((s) => s.videoPackets > 0), 5000)).toBe(true);
    // Half leave with DELETE, the others just vanish mid-class, then the class ends.
    await Promise.all(subs.slice(0, 6).map((s) => fetch(base + s.location, { method: "DELETE" })));
    for (const s of subs) s.close();
    if (round === 2) {
      // Peers that vanish are reaped by the worker without any DELETE.
      expect(await until(() => media.stats().subscribers === 0, 8000)).toBe(true);
    }
    media.endClass(cls);
    pub.close();
    await Bun.sleep(500);
    if (round === 0) workers = media.workerInfo();
    const now = workers.map((w) => ({ fds: fds(w.pid), threads: threads(w.pid) }));
    if (round === 0) base0 = now;
    console.log(`[media leak] after round ${round}`, JSON.stringify(now));
  }
  expect(media.stats()).toEqual({ publishers: 0, subscribers: 0, workers: 2 });

  // An offer whose peer never connects is dropped after connectTimeoutMs.
  const ghost = new CountingSubscriber("ghost");
  const res = await fetch(`${base}/api/classes/ghost/whep`, {
    method: "POST",
    headers: { "Content-Type": "application/sdp" },
    body: await (async () => {
      const g = ghost as unknown as {
        pc: { setLocalDescription(): void; localDescription(): { sdp: string } | null; gatheringState(): string };
      };
      g.pc.setLocalDescription();
      await until(() => g.pc.gatheringState() === "complete", 2000);
      return g.pc.localDescription()?.sdp ?? "";
    })(),
  });
  expect(res.status).toBe(201);
  expect(media.stats().subscribers).toBe(1);
  expect(await until(() => media.stats().subscribers === 0, 4000)).toBe(true);
  ghost.close();

  await Bun.sleep(1000);
  workers.forEach((w, i) => {
    // libdatachannel tears connections down on its own threads: allow a little slack, not growth.
    expect(fds(w.pid)).toBeLessThanOrEqual(base0[i].fds + 1);
    expect(threads(w.pid)).toBeLessThanOrEqual(base0[i].threads + 2);
  });

  await media.close();
  await media.close(); // idempotent
  for (const w of workers) expect(await until(() => !alive(w.pid), 3000)).toBe(true);
  // The ICE mux ports are free again.
  for (const port of [PORT_BASE, PORT_BASE + 1]) {
    const sock = await Bun.udpSocket({ port });
    expect(sock.port).toBe(port);
    sock.close();
  }
  expect(media.stats().workers).toBe(0);
  const after = await media.handleWhep(
    new Request("http://x/", { method: "POST", body: "v=0", headers: { "Content-Type": "application/sdp" } }),
    "c",
    "u",
  );
  expect(after.status).toBe(503);
}, 45000);
