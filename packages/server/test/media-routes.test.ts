// Who may publish and watch: the media routes' authorisation, against a running server.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./support/server.ts";
import { join } from "./support/ws.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const offer = { "content-type": "application/sdp" };

test("only the class's teacher publishes, only admitted participants watch, only live classes", async () => {
  const teacher = await t.token("teacher", "t1");
  const intruder = await t.token("teacher", "t-other");
  const s1 = await t.token("student", "s1");
  const call = (path: string, token: string) => t.call("POST", path, { token, raw: "v=0\r\n", headers: offer });

  expect((await call("/api/classes/demo-class-1/whip", teacher)).status).toBe(409); // not live yet
  await t.call("POST", "/api/classes/demo-class-1/start", { token: teacher });
  expect((await call("/api/classes/demo-class-1/whip", intruder)).status).toBe(403);
  expect((await call("/api/classes/demo-class-1/whip", s1)).status).toBe(403);
  const notAdmitted = await call("/api/classes/demo-class-1/whep", s1);
  expect(notAdmitted.status).toBe(403);
  expect(notAdmitted.body.detail).toBe("join the live class before watching its video");
  // Counted, and nothing else changed: no media session anywhere (the workers did not even start).
  const metrics = await (await fetch(`${t.base}/metrics`)).text();
  expect(metrics).toContain('edgeclass_http_requests_total{method="POST",route="/api/classes/:id/whep",status="403"} 1');
  expect(metrics).not.toMatch(/^edgeclass_media_subscribers [1-9]/m);
  expect(metrics).not.toMatch(/^edgeclass_media_workers [1-9]/m);
  expect((await call("/api/classes/nope/whep", s1)).status).toBe(404);
  // Once admitted to the live class, the student is past authorisation (the media layer judges the SDP).
  const { peer } = await join(t.base, "demo-class-1", s1);
  expect((await call("/api/classes/demo-class-1/whep", s1)).status).not.toBe(403);
  peer.close();
}, 30_000);
