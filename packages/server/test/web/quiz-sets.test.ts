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
  const q = async (c: string, prompt: string) =>
    (await t.call("POST", `/api/courses/${c}/questions`, { token: tok, body: { kind: "true_false", prompt, correct: true } })).body
      .id as string;
  const [q1, q2, q3, foreign] = [await q(course, "One"), await q(course, "Two"), await q(course, "Three"), await q(other, "Elsewhere")];
  const path = `/api/courses/${course}/quiz-sets`;

  const made = await t.call("POST", path, {
    token: tok,
    body: { title: " Warm-up ", questionIds: [q3, q1, q2], autoReveal: true, autoLeaderboard: false, timeLimitSeconds: 20 },
  });
  expect(made.status).toBe(201);
  expect(made.body).toMatchObject({
    title: "Warm-up",
    questionIds: [q3, q1, q2],
    autoReveal: true,
    autoLeaderboard: false,
    timeLimitSeconds: 20,
    courseId: course,
  });
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

test("migration 25 moves sets saved under 22's table into the replicated records", async () => {
  const { Database } = await import("bun:sqlite");
  const { migrate } = await import("../../src/store/sqlite/database.ts");
  const { MIGRATIONS } = await import("../../src/store/sqlite/migrations.ts");
  const { Records } = await import("../../src/auth/records.ts");
  const db = new Database(":memory:");
  migrate(
    db,
    MIGRATIONS.filter((m) => m.version < 25),
  );
  db.run("INSERT INTO schools (id, name, created_at, updated_at) VALUES ('s', 'S', 0, 0) ON CONFLICT DO NOTHING");
  db.run("INSERT INTO users (id, name, role, created_at, school_id) VALUES ('t', 'T', 'teacher', 0, 'default')");
  db.run(
    "INSERT INTO courses (id, title, description, status, capacity, teacher_id, created_at, updated_at, school_id) VALUES " +
      "('c', 'C', '', 'active', 30, 't', 0, 0, 'default')",
  );
  db.run(
    "INSERT INTO quiz_sets (id, course_id, school_id, title, question_ids, auto_reveal, auto_leaderboard, " +
      "time_limit_seconds, created_at, updated_at) VALUES ('q1', 'c', 'default', 'Warm-up', '[\"a\",\"b\"]', 1, 0, 20, 5, 6)",
  );
  migrate(db, MIGRATIONS);
  expect(new Records(db, null).get("quiz-set", "q1")).toEqual({
    id: "q1",
    courseId: "c",
    schoolId: "default",
    title: "Warm-up",
    questionIds: ["a", "b"],
    autoReveal: true,
    autoLeaderboard: false,
    timeLimitSeconds: 20,
    createdAt: 5,
    updatedAt: 6,
  });
  expect(db.query("SELECT name FROM sqlite_master WHERE name = 'quiz_sets'").all()).toEqual([]);
});
