// Quiz sets over REST (issue 16 build 2): create, list, read with the questions in order, replace,
// remove; questions from another course's bank refused by position; another course's path, another
// teacher and students kept out.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../support/server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
}, 30_000);
afterAll(() => t?.close());

test("a teacher's quiz sets: questions in her order, options kept, bad ids refused, others kept out", async () => {
  const tok = await t.token("teacher", "t-sets");
  const course = (await t.call("POST", "/api/courses", { token: tok, body: { title: "Sets", status: "active" } })).body.id as string;
  const other = (await t.call("POST", "/api/courses", { token: tok, body: { title: "Other" } })).body.id as string;
  const q = async (c: string, prompt: string) => (await t.call("POST", `/api/courses/${c}/questions`, { token: tok, body: { kind: "true_false", prompt, correct: true } })).body.id as string;
  const [q1, q2, q3, foreign] = [await q(course, "One"), await q(course, "Two"), await q(course, "Three"), await q(other, "Elsewhere")];
  const path = `/api/courses/${course}/quiz-sets`;

  const made = await t.call("POST", path, { token: tok, body: { title: " Warm-up ", questionIds: [q3, q1, q2], autoReveal: true, autoLeaderboard: false, timeLimitSeconds: 20 } });
  expect(made.status).toBe(201);
  expect(made.body).toMatchObject({ title: "Warm-up", questionIds: [q3, q1, q2], autoReveal: true, autoLeaderboard: false, timeLimitSeconds: 20, courseId: course });
  const setId = made.body.id as string;
  expect((await t.call("GET", path, { token: tok })).body.items.map((s: { id: string }) => s.id)).toEqual([setId]);
  const read = await t.call("GET", `${path}/${setId}`, { token: tok });
  expect(read.body.questions.map((x: { prompt: string }) => x.prompt)).toEqual(["Three", "One", "Two"]);

  // A question of another course's bank: refused by its place in the list, nothing changes.
  const bad = await t.call("PUT", `${path}/${setId}`, { token: tok, body: { title: "W", questionIds: [q1, foreign] } });
  expect(bad.status).toBe(400);
  expect(bad.body.issues[0].path).toBe("questionIds.1");
  expect((await t.call("POST", path, { token: tok, body: { title: "Twice", questionIds: [q1, q1] } })).status).toBe(400);
  expect((await t.call("GET", `${path}/${setId}`, { token: tok })).body.title).toBe("Warm-up");

  const put = await t.call("PUT", `${path}/${setId}`, { token: tok, body: { title: "Warm-up 2", questionIds: [q2] } });
  expect(put.body).toMatchObject({ title: "Warm-up 2", questionIds: [q2], autoReveal: true, autoLeaderboard: false, timeLimitSeconds: 20 });

  // Another course's path, another teacher, a student.
  expect((await t.call("GET", `/api/courses/${other}/quiz-sets/${setId}`, { token: tok })).status).toBe(404);
  expect((await t.call("GET", `${path}/${setId}`, { token: await t.token("teacher", "t-else") })).status).toBe(404);
  expect((await t.call("GET", path, { token: await t.token("student", "s1") })).status).toBe(403);

  expect((await t.call("DELETE", `${path}/${setId}`, { token: tok })).status).toBe(204);
  expect((await t.call("GET", `${path}/${setId}`, { token: tok })).status).toBe(404);
  expect((await t.call("GET", path, { token: tok })).body.items).toEqual([]);
});
