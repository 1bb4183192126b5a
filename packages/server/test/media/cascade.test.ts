// The cascade between instances (MEDIA_CASCADE=true): three server processes and a Redis of the
// test's own. The teacher publishes through A (the class's media home); students watch through B
// and C, which serve them from their own workers, fed by one relay each from A's worker. Datagrams
// sent to a cascade port from outside the cluster are dropped and counted. Then A is killed
// (SIGKILL): the students on B and C keep their connections, and get video again after the teacher
// republishes through C.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type CountingSubscriber, signalAs, SyntheticPublisher, SyntheticSimulcastPublisher } from "../../../../bench/sfu/ndc-peer.ts";
import { createSocket } from "node:dgram";
import { eventually, type Instance } from "../support/instances.ts";
import { CLASS, metric, startMediaCluster, until, type MediaCluster } from "../support/media-cluster.ts";
import { setReplyTimeout } from "../support/ws.ts";

setReplyTimeout(15_000);

let mc: MediaCluster;
let inst: Instance[] = [];
let token: MediaCluster["token"];
let api: MediaCluster["api"];
let closers: (() => void)[] = [];
/** The teacher's publisher through A, and the students of the first test. */
let pub: SyntheticPublisher;
let viewers: CountingSubscriber[] = [];

beforeAll(async () => {
  mc = await startMediaCluster({ MEDIA_CASCADE: "true" });
  ({ inst, token, api, closers } = mc);
}, 60_000);

afterAll(() => mc?.close());

const watcher = (base: string, student: string) => mc.watcher(base, student);

/** Packets the home's worker received from the publisher and sent down the cascade over `ms`. Both
 *  from one exposition each time: read apart, a worker's stats report could come between them (on a
 *  busy machine), and one counter would cover a second more than the other. */
async function relayedPerPacket(home: string, ms: number): Promise<{ received: number; relayed: number }> {
  const sample = async () => {
    const text = await (await fetch(`${home}/metrics`)).text();
    return [
      /edgeclass_media_received_packets_total\{worker="0"\} (\d+)/,
      /edgeclass_media_cascade_sent_packets_total\{worker="0"\} (\d+)/,
    ].map((pattern) => Number(pattern.exec(text)?.[1] ?? 0));
  };
  const [in0, out0] = await sample();
  await Bun.sleep(ms);
  const [in1, out1] = await sample();
  return { received: in1 - in0, relayed: out1 - out0 };
}

test("publish through A, students served by B and C from one relay each; forged datagrams refused", async () => {
  const [a, b, c] = inst;
  const teacher = await token("teacher", "t1");
  expect((await api(a.base, "POST", `/api/classes/${CLASS}/start`, teacher)).status).toBe(200);
  for (const i of [b, c])
    await eventually(async () => expect((await api(i.base, "GET", `/api/classes/${CLASS}`, teacher)).body.status).toBe("live"));

  pub = new SyntheticPublisher();
  closers.push(() => pub.close());
  await pub.connect(`${a.base}/api/classes/${CLASS}/whip`, signalAs(teacher));
  pub.start();
  const onB = [await watcher(b.base, "s1"), await watcher(b.base, "s2")];
  const onC = [await watcher(c.base, "s3")];
  // Served where they arrived: their sessions live on B and C, not on the home.
  for (const s of onB) expect(s.location).toEndWith("@b");
  expect(onC[0].location).toEndWith("@c");
  const all = [...onB, ...onC];
  viewers = all;
  expect(await until(() => all.every((s) => s.videoPackets > 150 && s.audioPackets > 20 && s.keyframes > 0), 20_000)).toBe(true);
  for (const s of all) expect(s.vssrcs.size).toBe(1);

  // Once per instance: A forwards to no subscriber of its own and relays each packet twice (B and C).
  await Bun.sleep(1100); // a stats report since all joined
  const { received, relayed } = await relayedPerPacket(a.base, 3100);
  expect(received).toBeGreaterThan(100);
  expect(await metric(a.base, /^edgeclass_media_subscribers (\d+)/m)).toBe(0);
  expect(relayed / received).toBeGreaterThan(1.7);
  expect(relayed / received).toBeLessThan(2.05);
  expect(await metric(b.base, /edgeclass_media_cascade_received_packets_total\{worker="0"\} (\d+)/)).toBeGreaterThan(100);

  // From outside the cluster: garbage, and a well-formed relay datagram with a wrong MAC (RTP inside).
  const port = await metric(b.base, /edgeclass_media_worker_cascade_port\{worker="0"\} (\d+)/);
  expect(port).toBeGreaterThan(0);
  const before = await metric(b.base, /edgeclass_media_cascade_rejected_packets_total\{worker="0"\} (\d+)/);
  const forged = Buffer.alloc(8 + 12 + 100 + 12);
  forged[0] = 0; // media
  forged[1] = 1; // video
  forged.writeUInt32BE(1, 4); // B's first class key
  forged[8] = 0x80;
  forged[9] = 96;
  const sock = createSocket("udp4");
  const rtp = Buffer.alloc(12 + 100); // a bare RTP packet, no relay framing
  rtp[0] = 0x80;
  rtp[1] = 0x80 | 96;
  for (const d of [Buffer.from("hello"), rtp, forged, forged]) await new Promise<void>((r) => sock.send(d, port, "127.0.0.1", () => r()));
  sock.close();
  await eventually(
    async () => expect(await metric(b.base, /edgeclass_media_cascade_rejected_packets_total\{worker="0"\} (\d+)/)).toBe(before + 4),
    5000,
  );
  for (const s of all) expect(s.vssrcs.size).toBe(1); // nothing injected reached a student
}, 120_000);

test("a viewer back on an instance that had dropped the class: the home relays to that worker once, not twice", async () => {
  const [a, , c] = inst;
  // s3 is C's only viewer: when their session ends, C drops the class (and its class key).
  const gone = viewers[2];
  const s3 = await token("student", "s3");
  await signalAs(s3).remove(new URL(gone.location, c.base).href);
  gone.close();
  await eventually(async () => expect(await metric(c.base, /^edgeclass_media_subscribers (\d+)/m)).toBe(0), 5000);
  const dropped = Date.now();
  // Back on C under a new class key: the relay to C's old key must end with it, not run out its 5 s lease.
  viewers[2] = await watcher(c.base, "s3");
  await Bun.sleep(1100); // a stats report since the new relay
  const { received, relayed } = await relayedPerPacket(a.base, 1100);
  expect(Date.now() - dropped).toBeLessThan(5000); // inside the old relay's lease: it would still be counted
  expect(received).toBeGreaterThan(30);
  expect(relayed / received).toBeGreaterThan(1.7);
  expect(relayed / received).toBeLessThan(2.05);
  expect(await until(() => viewers[2].videoPackets > 30, 10_000)).toBe(true);
}, 60_000);

test("keyframe requests and receiver reports from many remote viewers reach the publisher aggregated: at most one PLI per 300 " +
  "ms, no more feedback than with none", async () => {
  const [, b, c] = inst;
  const all = [...viewers, await watcher(b.base, "s1"), await watcher(c.base, "s2"), await watcher(c.base, "s3")];
  expect(await until(() => all.every((s) => s.videoPackets > 30), 15_000)).toBe(true);
  await Bun.sleep(700); // the joins' own keyframe requests are done
  // Baseline: what the publisher hears from the SFU in 2 s while the viewers only send their usual report a second.
  const quiet0 = { rtcp: pub.rtcpReceived, plis: pub.plisReceived };
  await Bun.sleep(2000);
  const quiet = pub.rtcpReceived - quiet0.rtcp - (pub.plisReceived - quiet0.plis);
  const asked = async () =>
    (await metric(b.base, /edgeclass_media_keyframe_requests_total\{worker="0"\} (\d+)/)) +
    (await metric(c.base, /edgeclass_media_keyframe_requests_total\{worker="0"\} (\d+)/));
  const askedBefore = await asked();
  const plisBefore = pub.plisReceived;
  const rtcpBefore = pub.rtcpReceived;
  const started = Date.now();
  // Six viewers on two instances, each asking for a keyframe and sending a receiver report every 50 ms for 3 s (360 of each).
  const timer = setInterval(() => {
    for (const s of all) {
      s.requestKeyframe();
      s.sendReceiverReport();
    }
  }, 50);
  await Bun.sleep(3000);
  clearInterval(timer);
  await Bun.sleep(400); // a pending coalesced request goes out
  const elapsed = Date.now() - started;
  const plis = pub.plisReceived - plisBefore;
  const otherFeedback = pub.rtcpReceived - rtcpBefore - plis;
  const sent = all.reduce((n, s) => n + s.plisSent, 0);
  await Bun.sleep(1100); // a stats report
  const reached = (await asked()) - askedBefore;
  console.log(
    `[cascade] ${sent} keyframe requests and as many receiver reports from ${all.length} viewers on B and C (${reached} ` +
      `requests counted by their SFUs) -> ${plis} PLIs and ${otherFeedback} other feedback messages at the publisher in ` +
      `${elapsed} ms (${quiet} in 2 s without the storm)`,
  );
  // A loaded machine fires the 50 ms timer less often; 150 requests still dwarf the PLI bound.
  expect(sent).toBeGreaterThan(150);
  expect(reached).toBeGreaterThan(100); // they did reach the SFU
  expect(plis).toBeGreaterThan(0); // and were passed on
  expect(plis).toBeLessThanOrEqual(Math.ceil(elapsed / 300) + 1); // one per 300 ms at most
  // Receiver reports stay with the viewers' SFUs: the publisher gets the home's own feedback (REMB + RR every 500 ms), as without them.
  expect(otherFeedback).toBeLessThanOrEqual(Math.ceil((quiet * elapsed) / 2000) + 3);
}, 60_000);

test("simulcast through the cascade: layers are relayed as layers, each remote viewer gets its own", async () => {
  const [a, b, c] = inst;
  const teacher = await token("teacher", "t1");
  const sim = new SyntheticSimulcastPublisher();
  closers.push(() => sim.close());
  await sim.connect(`${a.base}/api/classes/${CLASS}/whip`, signalAs(teacher));
  sim.start();
  const [lossy, clean, far] = [await watcher(b.base, "s1"), await watcher(b.base, "s2"), await watcher(c.base, "s3")];
  expect(lossy.location).toEndWith("@b");
  expect(clean.location).toEndWith("@b");
  expect(far.location).toEndWith("@c");
  // Every remote viewer starts on the largest layer (2, "h").
  expect(await until(() => [lossy, clean, far].every((s) => s.lastLayer === 2 && (s.layers.get(2) ?? 0) > 30), 15_000)).toBe(true);
  // One viewer on B reports heavy loss: it steps down, the other on the same worker stays on "h".
  lossy.reportedLoss = 128;
  expect(await until(() => lossy.lastLayer < 2, 10_000)).toBe(true);
  // Both keep receiving: the lossy one below "h", the clean one on it. The lowest layer is 30 packets a second, fewer
  // when a loaded machine fires the publisher's timer late, so the test waits for 20 more rather than timing a second.
  const lower = () => (lossy.layers.get(0) ?? 0) + (lossy.layers.get(1) ?? 0);
  const [lowBefore, cleanTop] = [lower(), clean.layers.get(2) ?? 0];
  expect(await until(() => lower() - lowBefore > 20 && (clean.layers.get(2) ?? 0) - cleanTop > 20, 10_000)).toBe(true);
  expect(lossy.lastLayer).toBeLessThan(2);
  expect(clean.lastLayer).toBe(2);
  expect(far.lastLayer).toBe(2);
  for (const s of [lossy, clean, far]) {
    expect(s.vssrcs.size).toBe(1); // one stream per viewer across the switch
    expect(s.seqJumps).toBe(0);
  }
  // The relay carried all three layers (B's worker learnt them: a layer it never got could not be chosen).
  expect(lossy.layers.size + clean.layers.size).toBeGreaterThanOrEqual(2);
  // sim stays the class's video (it replaced pub's) for the next test.
}, 60_000);

test("kill -9 of the home: students on B and C keep their connections and get video again after the teacher republishes", async () => {
  const [a, b, c] = inst;
  const subs = { b: await watcher(b.base, "s4"), c: await watcher(c.base, "s5") };
  expect(await until(() => subs.b.videoPackets > 50 && subs.c.videoPackets > 50, 15_000)).toBe(true);
  a.proc.kill("SIGKILL");
  await a.proc.exited;
  const killedAt = Date.now();
  await Bun.sleep(500);
  const stalled = { b: subs.b.videoPackets, c: subs.c.videoPackets, kb: subs.b.keyframes };
  const teacher = await token("teacher", "t1");
  const pub = new SyntheticPublisher();
  closers.push(() => pub.close());
  await pub.connect(`${c.base}/api/classes/${CLASS}/whip`, signalAs(teacher));
  pub.start();
  // No new WHEP: the same connections carry the new stream (a keyframe first).
  expect(
    await until(
      () => subs.b.keyframes > stalled.kb && subs.b.videoPackets > stalled.b + 30 && subs.c.videoPackets > stalled.c + 30,
      10_000,
    ),
  ).toBe(true);
  const ms = Date.now() - killedAt;
  console.log(`[cascade] students on B and C receive the republished stream ${ms} ms after kill -9 of the home, without reconnecting`);
  expect(ms).toBeLessThan(10_000);
  expect(subs.b.vssrcs.size).toBe(1);
  expect(subs.b.seqJumps).toBe(0);
}, 60_000);
