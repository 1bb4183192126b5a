// GET /api/central/... on a fresh PostgreSQL database holding records of two cities: admins
// only, filters by city, course, class and date, bad filters are 400 problems that name the field.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTokenVerifier, mintToken } from "../../src/auth/tokens.ts";
import { centralApi } from "../../src/central/api.ts";
import { CentralStore } from "../../src/central/pg-store.ts";
import type { ClassRecord } from "../../src/central/records.ts";
import { parseConfig } from "../../src/config/config.ts";
import { createLogging } from "../../src/obs/logger.ts";
import { freshDatabase } from "../support/postgres.ts";

const SECRET = "central-api-test-secret-0123456789abcdefghijkl";
let db: Awaited<ReturnType<typeof freshDatabase>>;
let store: CentralStore;
let server: ReturnType<typeof Bun.serve>;

const T0 = Date.parse("2026-12-01T10:00:00Z");
const DAY = 86_400_000;

function records(city: string, classId: string, courseId: string, at: number, schoolId = "default"): ClassRecord[] {
  return [
    {
      id: `${city}:class:${classId}`,
      city,
      kind: "class",
      rev: 2,
      row: {
        classId,
        courseId,
        title: "Quiz",
        status: "ended",
        startedAt: at,
        endedAt: at + 3600_000,
        attendees: 2,
        questions: 1,
        answers: 2,
        correct: 1,
        schoolId,
      },
    },
    ...["s1", "s2"].flatMap((u, i): ClassRecord[] => [
      {
        id: `${city}:answer:q-${classId}/${u}`,
        city,
        kind: "answer",
        rev: 1,
        row: {
          classId,
          questionId: `q-${classId}`,
          userId: u,
          answerId: `a-${u}`,
          response: { choice: "b" },
          correct: i === 0,
          points: i === 0 ? 1 : 0,
          answeredAt: at + 60_000,
          schoolId,
        },
      },
      {
        id: `${city}:attendance:${classId}/${u}/${at}`,
        city,
        kind: "attendance",
        rev: 1,
        row: { classId, userId: u, role: "student", joinedAt: at, leftAt: at + 3000_000, schoolId },
      },
    ]),
  ];
}

beforeAll(async () => {
  db = await freshDatabase();
  store = new CentralStore(db.url);
  await store.migrate();
  await store.upsert([
    ...records("north", "n1", "math", T0),
    ...records("south", "s1", "math", T0 + DAY),
    ...records("south", "s2", "art", T0 + 2 * DAY, "arts-academy"),
  ]);
  const verifier = createTokenVerifier(parseConfig({ JWT_SECRET: SECRET }).jwt, SECRET);
  const api = centralApi(store, verifier);
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", routes: { "/api/central/*": api } });
});

afterAll(async () => {
  server?.stop(true);
  await store?.close();
  await db?.drop();
});

async function get(path: string, role: "admin" | "teacher" | "school-admin" | null = "admin", school?: string) {
  const headers: Record<string, string> = role
    ? { authorization: `Bearer ${await mintToken(SECRET, { sub: `${role}-1`, role, school, ttlSeconds: 600 })}` }
    : {};
  const r = await fetch(`${server.url}api/central/${path}`, { headers });
  return { status: r.status, type: r.headers.get("content-type"), body: (await r.json()) as any };
}

test("admins see classes, results and attendance across cities, filtered", async () => {
  expect((await get("classes")).body.items.map((c: { classId: string }) => c.classId).sort()).toEqual(["n1", "s1", "s2"]);
  expect((await get("classes?city=south")).body.items.map((c: { classId: string }) => c.classId).sort()).toEqual(["s1", "s2"]);
  expect((await get("classes?courseId=math")).body.items.map((c: { classId: string }) => c.classId).sort()).toEqual(["n1", "s1"]);
  const day2 = await get(`classes?from=${new Date(T0 + DAY).toISOString()}&to=${new Date(T0 + 2 * DAY).toISOString()}`);
  expect(day2.body.items).toEqual([
    {
      city: "south",
      schoolId: "default",
      classId: "s1",
      courseId: "math",
      title: "Quiz",
      status: "ended",
      startedAt: T0 + DAY,
      endedAt: T0 + DAY + 3600_000,
      attendees: 2,
      questions: 1,
      answers: 2,
      correct: 1,
    },
  ]);
  const results = await get("results?city=north");
  expect(results.body.items).toEqual([
    { city: "north", schoolId: "default", classId: "n1", courseId: "math", userId: "s1", answers: 1, correct: 1, points: 1 },
    { city: "north", schoolId: "default", classId: "n1", courseId: "math", userId: "s2", answers: 1, correct: 0, points: 0 },
  ]);
  // By school: the arts academy's class, its results and its attendance only.
  expect((await get("classes?school=arts-academy")).body.items.map((c: { classId: string }) => c.classId)).toEqual(["s2"]);
  expect(
    (await get("results?school=arts-academy")).body.items.map((r: { classId: string; schoolId: string }) => `${r.classId}@${r.schoolId}`),
  ).toEqual(["s2@arts-academy", "s2@arts-academy"]);
  expect((await get("attendance?school=default&city=south")).body.items.map((r: { classId: string }) => r.classId)).toEqual(["s1", "s1"]);
  const att = await get("attendance?classId=s2");
  expect(att.body.items).toHaveLength(2);
  expect(att.body.items[0]).toMatchObject({
    city: "south",
    classId: "s2",
    courseId: "art",
    userId: "s1",
    joinedAt: T0 + 2 * DAY,
    leftAt: T0 + 2 * DAY + 3000_000,
  });
});

test("no token is 401, a teacher 403, a bad filter 400: all problem documents", async () => {
  const none = await get("classes", null);
  expect(none).toMatchObject({ status: 401, type: "application/problem+json" });
  expect((await get("classes", "teacher")).status).toBe(403);
  const bad = await get("results?city=North.*&from=yesterday&limit=0");
  expect(bad.status).toBe(400);
  expect(bad.type).toBe("application/problem+json");
  expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(["city", "from", "limit"]);
  expect((await get("classes?colour=x")).status).toBe(400); // unknown filters are refused, not ignored
  expect((await get("classes?school=has%20space")).status).toBe(400);
  expect((await get("nothing")).status).toBe(404);
});

test("a school's admin sees their school's classes, results and attendance only", async () => {
  const arts = (path: string) => get(path, "school-admin", "arts-academy");
  expect((await arts("classes")).body.items.map((c: { classId: string }) => c.classId)).toEqual(["s2"]);
  expect((await arts("results?city=south")).body.items.map((r: { classId: string }) => r.classId)).toEqual(["s2", "s2"]);
  expect((await arts("attendance")).body.items.map((r: { schoolId: string }) => r.schoolId)).toEqual(["arts-academy", "arts-academy"]);
  expect((await arts("classes?school=default")).body.items).toEqual([]); // another school's: as if there were none
  expect((await get("classes", "school-admin", "default")).body.items.map((c: { classId: string }) => c.classId).sort()).toEqual([
    "n1",
    "s1",
  ]);
  expect((await get("classes", "teacher", "arts-academy")).status).toBe(403);
});

test("PostgreSQL away: a 500 problem that says nothing of it, and the failure in the log", async () => {
  const lines: string[] = [];
  const closed = new CentralStore(db.url);
  await closed.close();
  const api = centralApi(
    closed,
    createTokenVerifier(parseConfig({ JWT_SECRET: SECRET }).jwt, SECRET),
    createLogging("info", (l) => lines.push(l)).logger,
  );
  const token = await mintToken(SECRET, { sub: "admin-1", role: "admin", ttlSeconds: 600 });
  const res = await api(new Request("http://centre/api/central/classes", { headers: { authorization: `Bearer ${token}` } }));
  expect([res.status, res.headers.get("content-type")]).toEqual([500, "application/problem+json"]);
  expect(((await res.json()) as { detail: string }).detail).toBe("the centre could not answer");
  expect(lines.map((l) => JSON.parse(l))).toContainEqual(
    expect.objectContaining({ level: 50, msg: "central api failed", path: "/api/central/classes" }),
  );
});
