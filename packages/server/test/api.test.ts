// The REST API against a real server with a real SQLite file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { mintToken } from "../src/auth/tokens.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

let t: TestServer;
let teacher: string, otherTeacher: string, student: string, admin: string;

beforeAll(async () => {
  t = await startTestServer({ MAX_STUDENTS: "40", MAX_BODY_BYTES: "4096" });
  [teacher, otherTeacher, student, admin] = await Promise.all([
    t.token("teacher", "t-alice"),
    t.token("teacher", "t-bob"),
    t.token("student", "st-1"),
    t.token("admin", "root"),
  ]);
});
afterAll(() => t.close());

async function newCourse(body: Record<string, unknown> = {}) {
  const r = await t.call("POST", "/api/courses", { token: teacher, body: { title: "Algebra", ...body } });
  expect(r.status).toBe(201);
  return r.body as { id: string; status: string; capacity: number };
}

describe("courses", () => {
  test("a teacher creates a course, enrols students and reads it back", async () => {
    const c = await newCourse({ status: "active" });
    expect(c.capacity).toBe(40); // MAX_STUDENTS is the default capacity
    const bulk = await t.call("POST", `/api/courses/${c.id}/enrollments`, {
      token: teacher,
      body: { studentIds: ["st-1", "st-2", "st-3", "st-2"] },
    });
    expect(bulk.status).toBe(201);
    expect(bulk.body).toEqual({ enrolled: 3, alreadyEnrolled: 0 });
    const one = await t.call("PUT", `/api/courses/${c.id}/enrollments/st-4`, { token: teacher });
    expect(one.body).toEqual({ enrolled: 1, alreadyEnrolled: 0 });
    const again = await t.call("PUT", `/api/courses/${c.id}/enrollments/st-4`, { token: teacher });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ enrolled: 0, alreadyEnrolled: 1 });
    const read = await t.call("GET", `/api/courses/${c.id}`, { token: teacher });
    expect(read.body).toMatchObject({ id: c.id, title: "Algebra", status: "active", teacherId: "t-alice", enrolled: 4 });
    const list = await t.call("GET", `/api/courses/${c.id}/enrollments?limit=2`, { token: teacher });
    expect(list.body.items.map((e: { studentId: string }) => e.studentId)).toEqual(["st-1", "st-2"]);
    const next = await t.call("GET", `/api/courses/${c.id}/enrollments?limit=2&cursor=${list.body.nextCursor}`, { token: teacher });
    expect(next.body.items.map((e: { studentId: string }) => e.studentId)).toEqual(["st-3", "st-4"]);
    expect(next.body.nextCursor).toBeNull();
    const gone = await t.call("DELETE", `/api/courses/${c.id}/enrollments/st-4`, { token: teacher });
    expect(gone.body).toEqual({ removed: true });
    expect((await t.call("GET", `/api/courses/${c.id}`, { token: teacher })).body.enrolled).toBe(3);
  });

  test("lists are scoped by role and paged", async () => {
    const a = await newCourse({ title: "Scoped A", status: "active" });
    await t.call("POST", "/api/courses", { token: otherTeacher, body: { title: "Bob's course" } });
    await t.call("PUT", `/api/courses/${a.id}/enrollments/st-scope`, { token: teacher });
    const mine = await t.call("GET", "/api/courses?limit=500", { token: teacher });
    expect(mine.body.items.every((c: { teacherId: string }) => c.teacherId === "t-alice")).toBe(true);
    const stu = await t.call("GET", "/api/courses", { token: await t.token("student", "st-scope") });
    expect(stu.body.items.map((c: { id: string }) => c.id)).toEqual([a.id]);
    const all = await t.call("GET", "/api/courses?limit=500", { token: admin });
    expect(all.body.items.some((c: { teacherId: string }) => c.teacherId === "t-bob")).toBe(true);
    const first = await t.call("GET", "/api/courses?limit=1", { token: admin });
    const second = await t.call("GET", `/api/courses?limit=1&cursor=${first.body.nextCursor}`, { token: admin });
    expect(second.body.items[0].id > first.body.items[0].id).toBe(true);
    // A cursor this server did not issue is refused, not read as something else.
    for (const bad of ["%ZZ", "%25", "a.b", `${first.body.nextCursor}=`, "!!"]) {
      const r = await t.call("GET", `/api/courses?limit=1&cursor=${bad}`, { token: admin });
      expect([r.status, r.body.type]).toEqual([400, "https://edgeclass.dev/problems/validation"]);
    }
    const active = await t.call("GET", "/api/courses?status=active&limit=500", { token: admin });
    expect(active.body.items.every((c: { status: string }) => c.status === "active")).toBe(true);
  });

  test("update, archive, and archived is final", async () => {
    const c = await newCourse();
    const up = await t.call("PATCH", `/api/courses/${c.id}`, {
      token: teacher,
      body: { title: "Algebra II", capacity: 12, status: "active" },
    });
    expect(up.body).toMatchObject({ title: "Algebra II", capacity: 12, status: "active" });
    const arch = await t.call("POST", `/api/courses/${c.id}/archive`, { token: teacher });
    expect(arch.body.status).toBe("archived");
    const after = await t.call("PATCH", `/api/courses/${c.id}`, { token: teacher, body: { status: "active" } });
    expect(after.status).toBe(409);
    expect(after.body.type).toBe("https://edgeclass.dev/problems/invalid-state");
    const enrol = await t.call("PUT", `/api/courses/${c.id}/enrollments/st-9`, { token: teacher });
    expect(enrol.status).toBe(409);
  });

  test("an admin creates a course for a known teacher only", async () => {
    const noTeacher = await t.call("POST", "/api/courses", { token: admin, body: { title: "X" } });
    expect(noTeacher.status).toBe(400);
    const unknown = await t.call("POST", "/api/courses", { token: admin, body: { title: "X", teacherId: "nobody" } });
    expect(unknown.status).toBe(400);
    const ok = await t.call("POST", "/api/courses", { token: admin, body: { title: "X", teacherId: "t-alice" } });
    expect(ok.status).toBe(201);
    expect(ok.body.teacherId).toBe("t-alice");
  });

  test("classes are scheduled, rescheduled and cancelled", async () => {
    const c = await newCourse({ status: "active" });
    const made = await t.call("POST", `/api/courses/${c.id}/classes`, {
      token: teacher,
      body: { startsAt: "2026-12-01T09:00:00Z", durationMinutes: 45 },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      courseId: c.id,
      title: "Algebra",
      status: "scheduled",
      startsAt: "2026-12-01T09:00:00.000Z",
      durationMinutes: 45,
    });
    const moved = await t.call("PATCH", `/api/classes/${made.body.id}`, {
      token: teacher,
      body: { startsAt: "2026-12-02T09:00:00+01:00" },
    });
    expect(moved.body.startsAt).toBe("2026-12-02T08:00:00.000Z");
    const list = await t.call("GET", `/api/courses/${c.id}/classes`, { token: teacher });
    expect(list.body.items).toHaveLength(1);
    const cancelled = await t.call("POST", `/api/classes/${made.body.id}/cancel`, { token: teacher });
    expect(cancelled.body.status).toBe("cancelled");
    const badDate = await t.call("POST", `/api/courses/${c.id}/classes`, {
      token: teacher,
      body: { startsAt: "tomorrow", durationMinutes: 45 },
    });
    expect(badDate.status).toBe(400);
    expect(badDate.body.issues[0].path).toBe("startsAt");
  });
});

describe("roles", () => {
  test("a student cannot create courses, enrol others, or read the roster", async () => {
    const c = await newCourse({ status: "active" });
    expect((await t.call("POST", "/api/courses", { token: student, body: { title: "Mine" } })).status).toBe(403);
    const other = await t.call("PUT", `/api/courses/${c.id}/enrollments/st-2`, { token: student });
    expect(other.status).toBe(403);
    expect(other.body.type).toBe("https://edgeclass.dev/problems/forbidden");
    expect((await t.call("GET", `/api/courses/${c.id}/enrollments`, { token: student })).status).toBe(403);
    // ...but may enrol themselves in an active course, and then see it.
    expect((await t.call("GET", `/api/courses/${c.id}`, { token: student })).status).toBe(404);
    expect((await t.call("PUT", `/api/courses/${c.id}/enrollments/st-1`, { token: student })).status).toBe(201);
    expect((await t.call("GET", `/api/courses/${c.id}`, { token: student })).status).toBe(200);
  });

  test("a teacher cannot change another teacher's course, and learns no more than GET tells (404)", async () => {
    const c = await newCourse();
    const r = await t.call("PATCH", `/api/courses/${c.id}`, { token: otherTeacher, body: { title: "Mine now" } });
    expect(r.status).toBe(404);
    expect(r.body.type).toBe("https://edgeclass.dev/problems/not-found");
    expect((await t.call("GET", `/api/courses/${c.id}`, { token: otherTeacher })).status).toBe(404);
    const cls = await t.call("POST", `/api/courses/${c.id}/classes`, {
      token: teacher,
      body: { startsAt: "2026-11-26T15:00:00Z", durationMinutes: 30 },
    });
    expect(cls.status).toBe(201);
    for (const [method, path, body] of [
      ["POST", `/api/courses/${c.id}/archive`, undefined],
      ["PUT", `/api/courses/${c.id}/enrollments/st-1`, undefined],
      ["DELETE", `/api/courses/${c.id}/enrollments/st-1`, undefined],
      ["GET", `/api/courses/${c.id}/enrollments`, undefined],
      ["POST", `/api/courses/${c.id}/classes`, { startsAt: "2026-11-26T15:00:00Z", durationMinutes: 30 }],
      ["PATCH", `/api/classes/${cls.body.id}`, { durationMinutes: 45 }],
      ["POST", `/api/classes/${cls.body.id}/cancel`, undefined],
      ["POST", `/api/classes/${cls.body.id}/start`, undefined],
    ] as const) {
      expect({ method, path, status: (await t.call(method, path, { token: otherTeacher, body })).status }).toEqual({
        method,
        path,
        status: 404,
      });
    }
    expect((await t.call("GET", `/api/courses/${c.id}`, { token: teacher })).body.title).toBe("Algebra");
  });

  test("teachers and admins cannot be enrolled as students", async () => {
    const c = await newCourse();
    await t.call("GET", "/api/me", { token: otherTeacher }); // the server learns t-bob is a teacher
    const r = await t.call("PUT", `/api/courses/${c.id}/enrollments/t-bob`, { token: teacher });
    expect(r.status).toBe(400);
  });

  test("a bulk enrolment naming a teacher enrols nobody, names who was refused, and a new student keeps an existing name", async () => {
    const c = await newCourse();
    await t.call("GET", "/api/me", { token: otherTeacher }); // the server learns t-bob is a teacher
    const named = await mintToken(t.server.secret, { role: "student", sub: "st-named", name: "Nora Named", ttlSeconds: 60 });
    await t.call("GET", "/api/me", { token: named }); // and st-named, by name
    const r = await t.call("POST", `/api/courses/${c.id}/enrollments`, {
      token: teacher,
      body: { studentIds: ["st-new-1", "t-bob", "st-named", "root"] },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe("only students of the course's school can be enrolled; not: t-bob, root");
    expect(r.body.issues).toEqual([
      { path: "studentIds", message: "t-bob is not a student of this school" },
      { path: "studentIds", message: "root is not a student of this school" },
    ]);
    const none = await t.call("GET", `/api/courses/${c.id}/enrollments`, { token: teacher });
    expect(none.body.items).toEqual([]);
    const ok = await t.call("POST", `/api/courses/${c.id}/enrollments`, { token: teacher, body: { studentIds: ["st-new-1", "st-named"] } });
    expect(ok.body).toEqual({ enrolled: 2, alreadyEnrolled: 0 });
    const list = await t.call("GET", `/api/courses/${c.id}/enrollments`, { token: teacher });
    expect(list.body.items.find((i: { studentId: string }) => i.studentId === "st-named").name).toBe("Nora Named");
    expect(list.body.items.map((i: { studentId: string }) => i.studentId)).toEqual(["st-named", "st-new-1"]);
  });

  test("the configuration endpoint is for admins and hides secrets", async () => {
    expect((await t.call("GET", "/api/config", { token: teacher })).status).toBe(403);
    const r = await t.call("GET", "/api/config", { token: admin });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ maxStudents: 40, videoQuality: "720p" });
    expect(JSON.stringify(r.body)).not.toContain(t.server.secret);
  });
});

describe("bad input changes nothing", () => {
  async function expectUnchanged(id: string) {
    const r = await t.call("GET", `/api/courses/${id}`, { token: teacher });
    expect(r.body).toMatchObject({ title: "Algebra", capacity: 40, status: "draft", enrolled: 0 });
  }

  test.each([
    ["malformed JSON", { raw: '{"title": ', headers: { "content-type": "application/json" } }, 400, "malformed-json"],
    ["wrong type", { body: { capacity: "ten" } }, 400, "validation"],
    ["unknown field", { body: { title: "Z", owner: "me" } }, 400, "validation"],
    ["empty patch", { body: {} }, 400, "validation"],
    ["negative capacity", { body: { capacity: -1 } }, 400, "validation"],
    ["bad status", { body: { status: "open" } }, 400, "validation"],
    ["oversize body", { body: { title: "x".repeat(5000) } }, 413, "payload-too-large"],
    [
      "not JSON content type",
      { raw: "title=x", headers: { "content-type": "application/x-www-form-urlencoded" } },
      415,
      "unsupported-media-type",
    ],
  ] as const)("%s", async (_name, opts, status, type) => {
    const c = await newCourse();
    const r = await t.call("PATCH", `/api/courses/${c.id}`, { token: teacher, ...opts });
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body.type).toBe(`https://edgeclass.dev/problems/${type}`);
    expect(r.body.status).toBe(status);
    await expectUnchanged(c.id);
  });

  test("bulk enrolment with one bad id enrols no one", async () => {
    const c = await newCourse();
    const r = await t.call("POST", `/api/courses/${c.id}/enrollments`, { token: teacher, body: { studentIds: ["ok-1", "bad id!"] } });
    expect(r.status).toBe(400);
    expect(r.body.issues[0].path).toBe("studentIds.1");
    await expectUnchanged(c.id);
  });

  test("bad query and path parameters", async () => {
    expect((await t.call("GET", "/api/courses?limit=0", { token: teacher })).status).toBe(400);
    expect((await t.call("GET", "/api/courses?limit=abc", { token: teacher })).status).toBe(400);
    expect((await t.call("GET", "/api/courses?sort=title", { token: teacher })).status).toBe(400);
    expect((await t.call("GET", "/api/courses/%20bad", { token: teacher })).status).toBe(400);
    expect((await t.call("GET", "/api/courses/nope", { token: teacher })).status).toBe(404);
  });

  test("missing, expired, forged and malformed tokens are refused", async () => {
    const c = await newCourse();
    const none = await t.call("GET", `/api/courses/${c.id}`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    const expired = await new SignJWT({ role: "teacher" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("t-alice")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(t.server.secret));
    const r1 = await t.call("GET", `/api/courses/${c.id}`, { token: expired });
    expect(r1.status).toBe(401);
    expect(r1.body.detail).toContain("expired");
    const forged = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("t-alice")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-secret-not-the-secret-not-the-secret"));
    expect((await t.call("PATCH", `/api/courses/${c.id}`, { token: forged, body: { title: "Hacked" } })).status).toBe(401);
    const noRole = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("x")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(t.server.secret));
    expect((await t.call("GET", `/api/courses/${c.id}`, { token: noRole })).status).toBe(401);
    expect((await t.call("GET", `/api/courses/${c.id}`, { headers: { authorization: "Basic abc" } })).status).toBe(401);
    await expectUnchanged(c.id);
  });

  test("unknown routes and methods", async () => {
    const r = await t.call("GET", "/api/nothing-here");
    expect(r.status).toBe(404);
    expect(r.body.type).toBe("https://edgeclass.dev/problems/not-found");
    const m = await t.call("DELETE", "/api/courses", { token: teacher });
    expect(m.status).toBe(405);
    expect(m.headers.get("allow")).toBe("POST, GET");
  });
});

describe("observability", () => {
  test("responses carry a request id, echoed when the client sends one", async () => {
    const r = await t.call("GET", "/healthz", { headers: { "x-request-id": "trace-123" } });
    expect(r.headers.get("x-request-id")).toBe("trace-123");
    expect((await t.call("GET", "/healthz")).headers.get("x-request-id")).toMatch(/^\w+-\w+$/);
  });

  test("/metrics counts requests by route template and status", async () => {
    await t.call("GET", "/api/courses/does-not-exist", { token: teacher });
    const r = await fetch(t.base + "/metrics");
    const text = await r.text();
    expect(text).toContain('edgeclass_http_requests_total{method="GET",route="/api/courses/:id",status="404"}');
    expect(text).toMatch(/edgeclass_http_request_duration_seconds_bucket\{method="GET",route="\/api\/courses\/:id",le="0.005"\} \d+/);
    expect(text).not.toContain('method="DELETE",route="/api/classes/:id/cancel"'); // routes never called stay out
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    expect(text).toContain("edgeclass_ready 1");
  });
});
