// A student taken out of a live class loses the video too: their WHEP sessions are closed with
// their socket (4013), not left streaming. Real server, real media workers, synthetic WebRTC peers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CountingSubscriber, signalAs, SyntheticPublisher } from "../../../bench/sfu/ndc-peer.ts";
import { CLOSE } from "@edgeclass/client/protocol";
import { until } from "./support/media-cluster.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { join, type Peer } from "./support/ws.ts";

let t: TestServer;
const peers: Peer[] = [];
const closers: (() => void)[] = [];

beforeAll(async () => {
  t = await startTestServer({ RECONNECT_GRACE_MS: "30000", DEMO: "false", MEDIA_WORKERS: "1" });
});
afterAll(async () => {
  for (const c of closers) c();
  for (const p of peers) p.close();
  await t.close();
});

const subscribers = async () =>
  Number(/^edgeclass_media_subscribers (\d+)/m.exec(await (await fetch(`${t.base}/metrics`)).text())?.[1] ?? -1);

test("participant.remove closes the student's WHEP session with their socket; the other student keeps watching", async () => {
  const teacherToken = await t.token("teacher", "t-media");
  const course = await t.call("POST", "/api/courses", { token: teacherToken, body: { title: "Removal and video", status: "active" } });
  await t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: teacherToken, body: { studentIds: ["v-out", "v-in"] } });
  const cls = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: teacherToken,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  const classId: string = cls.body.id;
  await t.call("POST", `/api/classes/${classId}/start`, { token: teacherToken });
  const teacher = await join(t.base, classId, teacherToken);
  peers.push(teacher.peer);

  const pub = new SyntheticPublisher();
  closers.push(() => pub.close());
  await pub.connect(`${t.base}/api/classes/${classId}/whip`, signalAs(teacherToken));
  pub.start();
  const watch = async (id: string) => {
    const tok = await t.token("student", id);
    const { peer } = await join(t.base, classId, tok);
    peers.push(peer);
    const sub = new CountingSubscriber(id);
    closers.push(() => sub.close());
    await sub.connect(`${t.base}/api/classes/${classId}/whep`, signalAs(tok));
    return { peer, sub, tok };
  };
  const out = await watch("v-out");
  const stays = await watch("v-in");
  expect(await until(() => out.sub.videoPackets > 50 && stays.sub.videoPackets > 50, 20_000)).toBe(true);
  expect(await subscribers()).toBe(2);
  await teacher.peer.next("presence", (m) => m.count === 3 && m.joined !== undefined);

  expect(await teacher.peer.request({ type: "participant.remove", userId: "v-out" })).toEqual({ userId: "v-out", removed: true });
  expect((await out.peer.closed).code).toBe(CLOSE.removed);
  // The session is gone at once: not listed, no longer counted, and the packets stop.
  expect((await fetch(t.base + out.sub.location, { method: "DELETE", headers: { authorization: `Bearer ${out.tok}` } })).status).toBe(404);
  expect(await subscribers()).toBe(1);
  const outBefore = out.sub.videoPackets;
  const staysBefore = stays.sub.videoPackets;
  await Bun.sleep(1000);
  expect(out.sub.videoPackets - outBefore).toBeLessThan(40); // a few in flight at most
  expect(stays.sub.videoPackets - staysBefore).toBeGreaterThan(10); // the other student still watches
  // And no new session: the removed student is not admitted.
  const again = await fetch(`${t.base}/api/classes/${classId}/whep`, {
    method: "POST",
    headers: { "content-type": "application/sdp", authorization: `Bearer ${out.tok}` },
    body: "v=0\r\n",
  });
  expect(again.status).toBe(403);
}, 60_000);
