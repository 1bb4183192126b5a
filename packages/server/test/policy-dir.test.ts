// An operator's POLICY_DIR decides every join, end to end over real WebSockets: here
// education.rego without its enrolment rule, "class is full" worded otherwise and a class that
// has not started allowed. A student who is not enrolled gets in, a full class refuses with the
// operator's words, and the server still seats nobody in a class that is not live.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join as joinPath } from "node:path";
import { CLOSE } from "@edgeclass/client/protocol";
import { policySources } from "../src/policy/sources.ts";
import { startTestServer, tempDir, type TestServer } from "./support/server.ts";
import { join, type Peer } from "./support/ws.ts";

let t: TestServer;
let dir = "";
const peers: Peer[] = [];

beforeAll(async () => {
  const enrolmentRule = /deny_reasons\[reason\] \{\n\tinput\.user\.role == "student"\n\tinput\.user\.enrolled == false[^}]*\}\n/;
  const notStartedRule = /deny_reasons\[reason\] \{\n\tinput\.class\.status == "scheduled"[^}]*\}\n/;
  const base = policySources(undefined)[0].source;
  expect(base).toMatch(enrolmentRule);
  expect(base).toMatch(notStartedRule);
  dir = tempDir("edgeclass-policy-dir-");
  mkdirSync(joinPath(dir, "policies"));
  writeFileSync(
    joinPath(dir, "policies", "education.rego"),
    base.replace(enrolmentRule, "").replace(notStartedRule, "").replaceAll('"class is full"', '"no seats left, sorry"'),
  );
  t = await startTestServer({ POLICY_DIR: joinPath(dir, "policies") });
  await t.server.whenReady;
});
afterAll(async () => {
  for (const p of peers) p.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

test("POLICY_DIR: one not enrolled joins; a full class refuses in the operator's words; a scheduled class stays shut", async () => {
  const teacher = await t.token("teacher", "t-pd");
  const course = await t.call("POST", "/api/courses", { token: teacher, body: { title: "Operator", status: "active", capacity: 1 } });
  const live = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: teacher,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  expect((await t.call("POST", `/api/classes/${live.body.id}/start`, { token: teacher })).status).toBe(200);
  const stranger = await join(t.base, live.body.id, await t.token("student", "pd-stranger")); // never enrolled
  peers.push(stranger.peer);
  expect(stranger.welcome.type).toBe("welcome");
  const second = await join(t.base, live.body.id, await t.token("student", "pd-second")).catch((e) => e);
  expect(second).toMatchObject({ code: CLOSE.policyDenied, reason: "no seats left, sorry", serverCode: "policy-denied" });
  const later = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: teacher,
    body: { startsAt: "2030-01-01T00:00:00Z", durationMinutes: 30 },
  });
  const notStarted = await join(t.base, later.body.id, teacher).catch((e) => e);
  expect(notStarted).toMatchObject({ code: CLOSE.notStarted, reason: "class has not started", serverCode: "class-not-started" });
  const decisions = await t.call("GET", "/api/admin/decisions?limit=3", { token: await t.token("admin", "root") });
  expect(
    decisions.body.items.map((d: { userId: string; decision: string; reasons: string[] }) => [d.userId, d.decision, d.reasons]),
  ).toEqual([
    ["t-pd", "deny", ["class has not started"]], // the policy allowed it; the server's reason is logged
    ["pd-second", "deny", ["no seats left, sorry"]],
    ["pd-stranger", "allow", []],
  ]);
});
