// Editing a question in the bank (PUT /api/questions/:id): the teacher's set-up page edits
// questions in place instead of deleting and re-adding them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./support/server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({});
});
afterAll(async () => {
  await t.close();
});

const SINGLE = {
  kind: "single",
  prompt: "2 + 2 = ?",
  options: [
    { id: "a", text: "3" },
    { id: "b", text: "4" },
  ],
  correct: "b",
};

test("PUT /api/questions/:id replaces the draft; bad drafts, strangers and archived questions change nothing", async () => {
  const teacher = await t.token("teacher", "t-edit");
  const course = await t.call("POST", "/api/courses", { token: teacher, body: { title: "Edit", status: "active" } });
  const q = await t.call("POST", `/api/courses/${course.body.id}/questions`, { token: teacher, body: SINGLE });
  const path = `/api/questions/${q.body.id}`;

  const edited = await t.call("PUT", path, {
    token: teacher,
    body: { kind: "numeric", prompt: "6.5 + 0 = ?", correct: 6.5, tolerance: 0 },
  });
  expect(edited.status).toBe(200);
  expect(edited.body).toMatchObject({ id: q.body.id, courseId: course.body.id, kind: "numeric", prompt: "6.5 + 0 = ?", correct: 6.5 });
  expect((await t.call("GET", path, { token: teacher })).body.prompt).toBe("6.5 + 0 = ?");
  const list = await t.call("GET", `/api/courses/${course.body.id}/questions`, { token: teacher });
  expect(list.body.items).toHaveLength(1);

  // A draft whose answer is not one of its options: a problem with issues, nothing changed.
  const bad = await t.call("PUT", path, { token: teacher, body: { ...SINGLE, correct: "z" } });
  expect(bad.status).toBe(400);
  expect(bad.headers.get("content-type")).toStartWith("application/problem+json");
  expect(bad.body.issues.length).toBeGreaterThan(0);
  const empty = await t.call("PUT", path, { token: teacher, body: { ...SINGLE, prompt: "" } });
  expect(empty.status).toBe(400);
  expect(empty.body.issues[0].path).toBe("prompt");
  expect((await t.call("GET", path, { token: teacher })).body.kind).toBe("numeric");

  // Another teacher's question is not theirs to edit.
  const other = await t.call("PUT", path, { token: await t.token("teacher", "t-other"), body: SINGLE });
  expect(other.status).toBe(404);
  // An admin may.
  expect((await t.call("PUT", path, { token: await t.token("admin", "a1"), body: SINGLE })).status).toBe(200);

  // A deleted question cannot be edited back to life.
  expect((await t.call("DELETE", path, { token: teacher })).status).toBe(204);
  expect((await t.call("PUT", path, { token: teacher, body: SINGLE })).status).toBe(404);
}, 30_000);
