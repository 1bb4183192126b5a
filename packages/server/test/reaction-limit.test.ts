// One student cannot inflate a reaction count (issue 16 defect 15): claps in a row count once
// in the window; another student's clap and the same student's other reactions still count.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./support/server.ts";
import { join, type Peer } from "./support/ws.ts";

let t: TestServer;
const peers: Peer[] = [];
beforeAll(async () => {
  t = await startTestServer({});
});
afterAll(async () => {
  for (const p of peers) p.close();
  await t.close();
});

test("8 claps in a row from one student count once; others still count", async () => {
  const tok = await t.token("teacher", "t-react");
  const course = await t.call("POST", "/api/courses", { token: tok, body: { title: "Claps", status: "active" } });
  await t.call("POST", `/api/courses/${course.body.id}/enrollments`, { token: tok, body: { studentIds: ["r1", "r2"] } });
  const cls = await t.call("POST", `/api/courses/${course.body.id}/classes`, {
    token: tok,
    body: { startsAt: new Date().toISOString(), durationMinutes: 60 },
  });
  await t.call("POST", `/api/classes/${cls.body.id}/start`, { token: tok });
  const enter = async (token: string) => {
    const r = await join(t.base, cls.body.id, token);
    peers.push(r.peer);
    return r.peer;
  };
  const teacher = await enter(tok);
  const r1 = await enter(await t.token("student", "r1"));
  const r2 = await enter(await t.token("student", "r2"));
  for (let i = 0; i < 8; i++) r1.sendRaw(JSON.stringify({ type: "reaction", reaction: "clap" }));
  r1.sendRaw(JSON.stringify({ type: "reaction", reaction: "heart" }));
  r2.sendRaw(JSON.stringify({ type: "reaction", reaction: "clap" }));
  // Wait for a reactions message with r2's clap, then two more ticks (generous: the machine is loaded).
  await teacher.next("reactions");
  await Bun.sleep(1000);
  const totals: Record<string, number> = {};
  for (const m of teacher.messages)
    if (m.type === "reactions") for (const [k, n] of Object.entries(m.counts)) totals[k] = (totals[k] ?? 0) + (n ?? 0);
  expect(totals).toEqual({ clap: 2, heart: 1 });
}, 30_000);
