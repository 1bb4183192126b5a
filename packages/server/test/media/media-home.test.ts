// WHIP and WHEP on any instance: three server processes and a Redis of the test's own. The
// teacher publishes through A (A becomes the class's media home); students watch through B and
// C, whose instances forward the signalling to A; a session made through B is deleted through C;
// the internal route refuses unsigned and forged requests. Then A is killed (SIGKILL): the
// teacher republishes through B and a student watches through C again, within the 10 s budget.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CountingSubscriber, signalAs, SyntheticPublisher } from "../../../../bench/sfu/ndc-peer.ts";
import { internalKey, signInternal } from "../../src/cluster/internal-auth.ts";
import { eventually, type Instance } from "../support/instances.ts";
import { CLASS, metric, startMediaCluster, until, type MediaCluster } from "../support/media-cluster.ts";
import { setReplyTimeout } from "../support/ws.ts";

setReplyTimeout(15_000);

let mc: MediaCluster;
let inst: Instance[] = [];
let token: MediaCluster["token"];
let api: MediaCluster["api"];
let secret = "";
let closers: (() => void)[] = [];

beforeAll(async () => {
  mc = await startMediaCluster({});
  ({ inst, token, api, secret, closers } = mc);
}, 60_000);

afterAll(() => mc?.close());

const watcher = (base: string, student: string) => mc.watcher(base, student);

test("publish through A, watch through B and C, delete through C, internal route refuses forged requests", async () => {
  const [a, b, c] = inst;
  const teacher = await token("teacher", "t1");
  expect((await api(a.base, "POST", `/api/classes/${CLASS}/start`, teacher)).status).toBe(200);
  // The other instances learn that the class is live from the catalogue.
  for (const i of [b, c])
    await eventually(async () => expect((await api(i.base, "GET", `/api/classes/${CLASS}`, teacher)).body.status).toBe("live"));

  const pub = new SyntheticPublisher();
  closers.push(() => pub.close());
  await pub.connect(`${a.base}/api/classes/${CLASS}/whip`, signalAs(teacher));
  pub.start();
  expect(pub.location).toEndWith("@home-a");

  const viaB = await watcher(b.base, "s2");
  const viaC = await watcher(c.base, "s3");
  // Both sessions live on A (the home): their resource ids name it, and A's workers forward to them.
  expect(viaB.location).toEndWith("@home-a");
  expect(viaC.location).toEndWith("@home-a");
  expect(await until(() => viaB.videoPackets > 100 && viaC.videoPackets > 100 && viaB.audioPackets > 10, 15_000)).toBe(true);
  expect(viaB.gaps + viaC.gaps).toBe(0);
  // Every offer through B was forwarded: one, or more when the test peer's libdatachannel refused an answer (ndc-peer.ts).
  expect(await metric(b.base, /edgeclass_media_signalling_forwarded_total\{kind="whep",outcome="ok"\} (\d+)/)).toBe(viaB.offers);
  await eventually(async () => expect(await metric(a.base, /^edgeclass_media_subscribers (\d+)/m)).toBe(2));
  // B and C started no media workers of their own: everything is on the home.
  expect(await metric(b.base, /^edgeclass_media_workers (\d+)/m)).toBe(0);

  // The resource URL works from any instance: PATCH through B, someone else's DELETE refused through C, the owner's DELETE through C.
  const s2 = await token("student", "s2");
  const patch = await fetch(c.base + viaB.location, {
    method: "PATCH",
    headers: { authorization: `Bearer ${s2}`, "content-type": "application/trickle-ice-sdpfrag" },
    body: "a=mid:0\r\na=candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host\r\n",
  });
  expect(patch.status).toBe(204);
  const intruder = await fetch(c.base + viaB.location, {
    method: "DELETE",
    headers: { authorization: `Bearer ${await token("student", "s4")}` },
  });
  expect(intruder.status).toBe(403);
  const del = await fetch(c.base + viaB.location, { method: "DELETE", headers: { authorization: `Bearer ${s2}` } });
  expect(del.status).toBe(200);
  await eventually(async () => expect(await metric(a.base, /^edgeclass_media_subscribers (\d+)/m)).toBe(1));
  const before = viaB.videoPackets;
  await Bun.sleep(1000);
  expect(viaB.videoPackets - before).toBeLessThan(40); // stopped (a few in flight at most)

  // The internal route: no signature, a forged key, a signature for another path: refused, counted, nothing created.
  const offer = "v=0\r\n";
  const internal = `${a.base}/internal/media/classes/${CLASS}/whep`;
  const send = (sig?: string) =>
    fetch(internal, {
      method: "POST",
      headers: { "content-type": "application/sdp", ...(sig ? { "x-edgeclass-internal": sig } : {}) },
      body: offer,
    });
  const forged = signInternal("not-the-cluster-key-not-the-cluster-key", {
    method: "POST",
    path: `/internal/media/classes/${CLASS}/whep`,
    principal: "s5",
    body: offer,
  });
  // Signed with the real key, but for another class: a captured request cannot be pointed elsewhere.
  const elsewhere = signInternal(internalKey(undefined, secret), {
    method: "POST",
    path: "/internal/media/classes/other/whep",
    principal: "s5",
    body: offer,
  });
  for (const r of [await send(), await send(forged), await send(elsewhere), await send("t=1,p=s5,s=" + "0".repeat(64))]) {
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
  }
  expect(await metric(a.base, /^edgeclass_media_internal_refused_total (\d+)/m)).toBe(4);
  expect(await metric(a.base, /^edgeclass_media_subscribers (\d+)/m)).toBe(1);
}, 120_000);

test("kill -9 of the media home: the teacher republishes through B, students watch through C again within 10 s", async () => {
  const [a, b, c] = inst;
  a.proc.kill("SIGKILL");
  await a.proc.exited;
  const killedAt = Date.now();

  // The teacher's page publishes again (on any instance; here B): B finds A gone, waits for its lease to lapse, takes the class.
  const teacher = await token("teacher", "t1");
  const pub = new SyntheticPublisher();
  closers.push(() => pub.close());
  await pub.connect(`${b.base}/api/classes/${CLASS}/whip`, signalAs(teacher));
  pub.start();
  expect(pub.location).toEndWith("@b");
  // A student's player reconnects through C, which forwards to the new home.
  const s3 = await token("student", "s3");
  const sub = new CountingSubscriber("s3-again");
  closers.push(() => sub.close());
  await sub.connect(`${c.base}/api/classes/${CLASS}/whep`, signalAs(s3));
  expect(sub.location).toEndWith("@b");
  expect(await until(() => sub.keyframes > 0 && sub.videoPackets > 10, 10_000)).toBe(true);
  const ms = Date.now() - killedAt;
  console.log(`[media-home] first keyframe on the new home ${ms} ms after kill -9 of the old one`);
  expect(ms).toBeLessThan(10_000);
  expect(await metric(b.base, /edgeclass_media_home_changes_total\{change="acquired"\} (\d+)/)).toBe(1);
}, 60_000);
