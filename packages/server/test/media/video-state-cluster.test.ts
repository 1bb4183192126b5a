// video.state across instances (issue 13 item 5): the teacher publishes through instance A;
// students whose live socket is on instance B get `video.state` live and paused, and a student
// who joins B while the video is on air finds it in the welcome. Real processes, a private Redis,
// a node-datachannel publisher.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join as joinPath } from "node:path";
import { signalAs, SyntheticPublisher } from "../../../../bench/sfu/ndc-peer.ts";
import { apiClient, privateRedis, spawned, startInstance, uniquePrefix } from "../support/instances.ts";
import { tempDir } from "../support/server.ts";
import { join, setReplyTimeout, type Peer } from "../support/ws.ts";

setReplyTimeout(15_000);
const dirs: string[] = [];
const peers: Peer[] = [];
afterAll(() => {
  for (const p of peers) p.close();
  for (const p of spawned) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("video.state reaches students on another instance, and late joiners in the welcome", async () => {
  const redis = await privateRedis();
  const dataDir = tempDir("edgeclass-video-");
  dirs.push(dataDir);
  const env = { DATA_DIR: dataDir, REDIS_URL: redis.url, REDIS_PREFIX: uniquePrefix(), MEDIA_WORKERS: "1" };
  const a = await startInstance({ ...env, INSTANCE_ID: "a" });
  const b = await startInstance({ ...env, INSTANCE_ID: "b" });
  const { token, api } = apiClient(readFileSync(joinPath(dataDir, "jwt-secret"), "utf8").trim());
  const teacher = await token("teacher", "t1");
  expect((await api(a.base, "POST", "/api/classes/demo-class-1/start", teacher)).status).toBe(200);
  const s1 = await join(b.base, "demo-class-1", await token("student", "s1"));
  peers.push(s1.peer);
  expect(s1.welcome.state.video).toBeUndefined(); // nothing published yet

  const pub = new SyntheticPublisher();
  await pub.connect(`${a.base}/api/classes/demo-class-1/whip?source=camera`, signalAs(teacher));
  pub.start();
  expect(await s1.peer.next("video.state", (m) => m.state === "live")).toEqual({ type: "video.state", source: "camera", state: "live" });

  const s2 = await join(b.base, "demo-class-1", await token("student", "s2"));
  peers.push(s2.peer);
  expect(s2.welcome.state.video).toEqual({ camera: "live" });

  // The teacher stops: paused, on the other instance too; a late joiner on A sees it as well.
  const t0 = performance.now();
  expect((await fetch(a.base + pub.location, { method: "DELETE", headers: { authorization: `Bearer ${teacher}` } })).status).toBe(200);
  pub.close();
  expect(await s1.peer.next("video.state", (m) => m.state === "paused")).toEqual({
    type: "video.state",
    source: "camera",
    state: "paused",
  });
  await s2.peer.next("video.state", (m) => m.state === "paused");
  expect(performance.now() - t0).toBeLessThan(2000);
  const s3 = await join(a.base, "demo-class-1", await token("student", "s3"));
  peers.push(s3.peer);
  expect(s3.welcome.state.video).toEqual({ camera: "paused" });

  // A bad source is refused and changes nothing.
  const bad = await fetch(`${a.base}/api/classes/demo-class-1/whip?source=webcam`, {
    method: "POST",
    headers: { "content-type": "application/sdp", authorization: `Bearer ${teacher}` },
    body: "v=0\r\n",
  });
  expect(bad.status).toBe(400);
  const s4 = await join(b.base, "demo-class-1", await token("student", "s4"));
  peers.push(s4.peer);
  expect(s4.welcome.state.video).toEqual({ camera: "paused" });
}, 90_000);

test("kill -9 of the instance holding the publish: students elsewhere see paused within seconds, live again after a " +
  "republish", async () => {
  const redis = await privateRedis();
  const dataDir = tempDir("edgeclass-video-kill-");
  dirs.push(dataDir);
  const env = { DATA_DIR: dataDir, REDIS_URL: redis.url, REDIS_PREFIX: uniquePrefix(), MEDIA_WORKERS: "1" };
  const a = await startInstance({ ...env, INSTANCE_ID: "a" });
  const b = await startInstance({ ...env, INSTANCE_ID: "b" });
  const { token, api } = apiClient(readFileSync(joinPath(dataDir, "jwt-secret"), "utf8").trim());
  const teacher = await token("teacher", "t1");
  expect((await api(b.base, "POST", "/api/classes/demo-class-1/start", teacher)).status).toBe(200);
  const s1 = await join(b.base, "demo-class-1", await token("student", "s1"));
  peers.push(s1.peer);
  // The publish goes to A (A becomes the class's media home).
  const pub = new SyntheticPublisher();
  await pub.connect(`${a.base}/api/classes/demo-class-1/whip?source=camera`, signalAs(teacher));
  pub.start();
  await s1.peer.next("video.state", (m) => m.state === "live");
  pub.close();

  const t0 = performance.now();
  a.proc.kill("SIGKILL");
  await s1.peer.next("video.state", (m) => m.state === "paused", 15_000);
  const pausedMs = performance.now() - t0;
  console.error(`[video state] paused on B ${pausedMs.toFixed(0)} ms after kill -9 of A`);
  expect(pausedMs).toBeLessThan(8000);
  const late = await join(b.base, "demo-class-1", await token("student", "s2"));
  peers.push(late.peer);
  expect(late.welcome.state.video).toEqual({ camera: "paused" });

  // The teacher publishes again, through B now: live again.
  const again = new SyntheticPublisher();
  await again.connect(`${b.base}/api/classes/demo-class-1/whip?source=camera`, signalAs(teacher));
  again.start();
  await s1.peer.next("video.state", (m) => m.state === "live", 15_000);
  again.close();
}, 90_000);
