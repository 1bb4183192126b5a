// The media service end to end with synthetic node-datachannel peers: WHIP/WHEP over a
// tiny Bun.serve, RTP continuity per subscriber across a republish, keyframe requests,
// REMB to the publisher, subscribers spread over two workers, endClass, metrics.

import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { Registry } from "../../src/obs/prom.ts";
import { CountingSubscriber, fetchSignal, SyntheticPublisher } from "../../../../bench/sfu/ndc-peer.ts";
import { serveMedia } from "../support/media-http.ts";
import { createMediaService, type MediaService } from "../../src/media/index.ts";
import type { MediaServiceImpl } from "../../src/media/service.ts";
import { createSocket } from "node:dgram";

let media: MediaService;
let server: ReturnType<typeof Bun.serve>;
let base = "";
const registry = new Registry();

beforeAll(() => {
  media = createMediaService({
    videoQuality: "720p",
    workers: 2,
    registry,
    subscribersPerWorker: 2,
    admission: { maxPendingPerUser: Number.MAX_SAFE_INTEGER },
  });
  ({ server, base } = serveMedia(media));
});

afterAll(async () => {
  await media.close();
  server.stop(true);
});

const sleep = (ms: number) => Bun.sleep(ms);

// A test that fails midway leaves nothing behind for the next one (it counts sessions): its classes
// are ended and its peers closed here, whatever happened.
const peers: { close(): void }[] = [];
const classes = new Set<string>();
function peer<T extends { close(): void }>(p: T): T {
  peers.push(p);
  return p;
}
afterEach(() => {
  for (const c of classes) media.endClass(c);
  for (const p of peers.splice(0)) p.close();
  classes.clear();
});

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

test("rejects bad requests with coded errors", async () => {
  const wrongType = await media.handleWhip(
    new Request("http://x/", { method: "POST", body: "v=0", headers: { "Content-Type": "text/plain" } }),
    "c",
    "t",
  );
  expect(wrongType.status).toBe(415);
  const notSdp = await media.handleWhip(
    new Request("http://x/", { method: "POST", body: "hello", headers: { "Content-Type": "application/sdp" } }),
    "c",
    "t",
  );
  expect(notSdp.status).toBe(400);
  const noMedia = await media.handleWhep(
    new Request("http://x/", { method: "POST", body: "v=0\r\ns=-\r\n", headers: { "Content-Type": "application/sdp" } }),
    "c",
    "s",
  );
  expect(noMedia.status).toBe(400);
  // Every HTTP error is an RFC 9457 problem; the media error's own name rides along as `code`.
  expect(noMedia.headers.get("content-type")).toBe("application/problem+json");
  expect(await noMedia.json()).toMatchObject({ type: "https://edgeclass.dev/problems/bad-request", status: 400, code: "MEDIA_BAD_SDP" });
  expect((await notSdp.json()) as object).toMatchObject({ type: "https://edgeclass.dev/problems/bad-request", status: 400 });
  expect(wrongType.headers.get("content-type")).toBe("application/problem+json");
  const get = await media.handleWhip(new Request("http://x/"), "c", "t");
  expect(get.status).toBe(405);
  const missing = await media.handleResource(new Request("http://x/", { method: "DELETE" }), "nope", "t");
  expect(missing.status).toBe(404);
  // An SDP-looking offer libdatachannel cannot use (no ICE credentials, no fingerprint) is the client's fault.
  const unusable =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 " +
    "0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n";
  const bad = await media.handleWhip(
    new Request("http://x/", { method: "POST", body: unusable, headers: { "Content-Type": "application/sdp" } }),
    "c",
    "t",
  );
  expect(bad.status).toBe(400);
  expect(media.stats()).toEqual({ publishers: 0, subscribers: 0, workers: 2 });
});

test("forwards to subscribers on two workers, continuous across a republish", async () => {
  const cls = "class-a";
  classes.add(cls);
  const subs = [peer(new CountingSubscriber("s1")), peer(new CountingSubscriber("s2")), peer(new CountingSubscriber("s3"))];
  // Two subscribers before the publisher, one after: both orders must work.
  await subs[0].connect(`${base}/api/classes/${cls}/whep`);
  await subs[1].connect(`${base}/api/classes/${cls}/whep`);
  const pub = peer(new SyntheticPublisher());
  await pub.connect(`${base}/api/classes/${cls}/whip`);
  pub.start();
  await subs[2].connect(`${base}/api/classes/${cls}/whep`);
  expect(media.stats()).toEqual({ publishers: 1, subscribers: 3, workers: 2 });

  expect(await until(() => subs.every((s) => s.videoPackets > 100 && s.audioPackets > 20), 10000)).toBe(true);
  expect(pub.plisReceived).toBeGreaterThan(0); // subscribers joining asked for keyframes
  expect(await until(() => pub.rembBps > 0, 5000)).toBe(true);
  expect(pub.rembBps).toBeGreaterThanOrEqual(2_000_000);
  for (const s of subs) {
    expect(s.keyframes).toBeGreaterThan(0);
    expect(s.gaps).toBe(0);
    expect(s.vssrcs.size).toBe(1);
  }

  // Republish: the teacher stops and publishes again with new SSRCs and a new RTP base.
  const before = subs.map((s) => s.videoPackets);
  const del = await fetch(`${base}${pub.location}`, { method: "DELETE" });
  expect(del.status).toBe(200);
  pub.close();
  await sleep(300);
  const pub2 = peer(new SyntheticPublisher());
  await pub2.connect(`${base}/api/classes/${cls}/whip`);
  pub2.start();
  expect(await until(() => subs.every((s, i) => s.videoPackets > before[i] + 100), 10000)).toBe(true);
  for (const s of subs) {
    // Same outgoing SSRC, no sequence jump back, no timestamp going backwards.
    expect(s.vssrcs.size).toBe(1);
    expect(s.seqJumps).toBe(0);
    expect(s.tsBackwards).toBe(0);
  }

  await sleep(1100); // one stats report from each worker
  const text = registry.expose();
  expect(text).toContain("edgeclass_media_subscribers 3");
  expect(text).toMatch(/edgeclass_media_forwarded_packets_total\{worker="\d"\} [1-9]/);
  expect(text).toMatch(/edgeclass_media_worker_cpu_seconds_total\{worker="\d"\} [0-9.e-]+/);
  // The exposition passes promtool's lint (installed by .ci/run).
  const promtool = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text) });
  expect(promtool.stderr.toString() + promtool.stdout.toString()).toBe("");
  expect(promtool.exitCode).toBe(0);

  // Trickle: candidates PATCHed to the resource are accepted; other content types are not.
  const patch = (type: string) =>
    fetch(`${base}${pub2.location}`, {
      method: "PATCH",
      headers: { "Content-Type": type, "x-user": "anon" },
      body: "a=mid:0\r\na=candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host\r\n",
    });
  expect((await patch("application/trickle-ice-sdpfrag")).status).toBe(204);
  expect((await patch("text/plain")).status).toBe(415);

  // Someone else may not delete the publisher's resource.
  const forbidden = await media.handleResource(
    new Request("http://x/", { method: "DELETE" }),
    pub2.location.split("/").pop() ?? "",
    "intruder",
  );
  expect(forbidden.status).toBe(403);

  // The loopback relay between the workers takes datagrams only from the worker routed for the class:
  // legitimate relaying was never refused, and an RTP packet in relay framing from another socket
  // (a keyframe start, for each class key) is refused and counted, and reaches no viewer.
  expect(text).not.toMatch(/edgeclass_media_relay_rejected_packets_total\{worker="\d"\} [1-9]/);
  const rejected = () =>
    [...registry.expose().matchAll(/edgeclass_media_relay_rejected_packets_total\{worker="\d"\} (\d+)/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  const rejectedBefore = rejected();
  const seen = subs.map((s) => ({ gaps: s.gaps, keyframes: s.keyframes }));
  const forged = Buffer.alloc(8 + 40);
  forged[1] = 1; // video
  forged[8] = 0x80;
  forged[9] = 0x80 | 96;
  forged[20] = 0x10; // VP8: start of a keyframe
  const sock = createSocket("udp4");
  let sent = 0;
  for (const { relayPort } of (media as MediaServiceImpl).workerInfo()) {
    for (let key = 1; key <= 4; key++) {
      forged.writeUInt32BE(key, 4);
      for (const type of [0, 1]) {
        forged[0] = type; // media, keyframe request
        await new Promise<void>((r) => sock.send(forged, relayPort, "127.0.0.1", () => r()));
        sent++;
      }
    }
  }
  sock.close();
  expect(await until(() => rejected() === rejectedBefore + sent, 3000)).toBe(true);
  await sleep(300);
  subs.forEach((s, i) => {
    expect(s.vssrcs.size).toBe(1);
    expect(s.seqJumps).toBe(0);
    expect(s.gaps).toBe(seen[i].gaps);
  });

  media.endClass(cls);
  expect(media.stats()).toEqual({ publishers: 0, subscribers: 0, workers: 2 });
  // Nothing flows once the workers have closed the sessions (a loaded machine may take a moment).
  let stopped = false;
  for (let i = 0; i < 15 && !stopped; i++) {
    const before = subs.map((s) => s.videoPackets);
    await sleep(400); // ~80 video packets at the publisher's rate
    stopped = subs.every((s, j) => s.videoPackets === before[j]);
  }
  expect(stopped).toBe(true);
}, 30000);

test("a crashed worker is restarted and serves new sessions", async () => {
  const impl = media as MediaServiceImpl;
  const before = impl.workerInfo();
  process.kill(before[0].pid, "SIGKILL");
  expect(await until(() => impl.workerInfo()[0].pid !== before[0].pid && impl.workerInfo()[0].pid !== 0, 10000)).toBe(true);
  expect(media.stats().workers).toBe(2);
  classes.add("after-crash");
  const pub = peer(new SyntheticPublisher());
  await pub.connect(`${base}/api/classes/after-crash/whip`);
  pub.start();
  const sub = peer(new CountingSubscriber("after-crash"));
  await sub.connect(`${base}/api/classes/after-crash/whep`);
  expect(await until(() => sub.videoPackets > 30, 5000)).toBe(true);
}, 20000);

test("an answer the peer refuses: the refused session is deleted and the peer connects again on a new connection", async () => {
  const cls = "refused-answer";
  classes.add(cls);
  const pub = peer(new SyntheticPublisher());
  await pub.connect(`${base}/api/classes/${cls}/whip`);
  pub.start();
  let posts = 0;
  const sub = peer(new CountingSubscriber("refused"));
  await sub.connect(`${base}/api/classes/${cls}/whep`, {
    async post(url, sdp) {
      const answer = await fetchSignal.post(url, sdp);
      // The first answer is one libdatachannel refuses (no media sections, no ICE credentials).
      return ++posts === 1 ? { ...answer, sdp: "v=0\r\na=candidate:1 1 UDP 1 127.0.0.1 9 typ host\r\n" } : answer;
    },
    remove: fetchSignal.remove,
  });
  // At least one new offer after the refused answer; one more when libdatachannel also refuses the second answer ("a remote
  // candidate without ICE transport", now and then on a loaded machine: the reason the peer retries at all).
  expect(posts).toBeGreaterThanOrEqual(2);
  expect(media.stats()).toMatchObject({ publishers: 1, subscribers: 1 }); // every refused one was deleted
  expect(await until(() => sub.videoPackets > 30, 5000)).toBe(true);
}, 20000);

test("a viewer hears from the SFU every second even with no publisher (players tell a live media home from a dead one)", async () => {
  classes.add("no-teacher-yet");
  const sub = peer(new CountingSubscriber("quiet"));
  await sub.connect(`${base}/api/classes/no-teacher-yet/whep`);
  await sleep(500);
  const r0 = sub.rtcpPackets;
  await sleep(3500);
  expect(sub.videoPackets).toBe(0);
  expect(sub.rtcpPackets - r0).toBeGreaterThanOrEqual(3); // one heartbeat a second
}, 30_000);
