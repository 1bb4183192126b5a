import { expect, test } from "bun:test";
import { startTestServer } from "./support/server.ts";
// The Data API is mounted on the server: admin token required, /health public.
test("OPA Data API on the server", async () => {
  const t = await startTestServer();
  const admin = await t.token("admin", "root");
  const r = await t.call("POST", "/v1/data/education/allow", {
    token: admin,
    body: { input: { action: "join", user: { role: "student" }, course: { status: "active", capacity: 2, students: [] } } },
  });
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ result: true });
  expect((await t.call("POST", "/v1/data/education/allow", { body: { input: {} } })).status).toBe(401);
  expect((await t.call("GET", "/health")).status).toBe(200);
  await t.close();
});
