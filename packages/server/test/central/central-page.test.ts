// The central page in the web client (issue 18), in Chromium: a city server with CENTRAL_URL passes
// GET /api/central/* to a central API on a fresh PostgreSQL database holding two cities' records;
// a platform admin sees classes, results and attendance across cities and narrows them by city,
// school and course. The city's pass-through answers a 503 problem when the centre is away.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTokenVerifier, mintToken } from "../../src/auth/tokens.ts";
import { centralApi } from "../../src/central/api.ts";
import { CentralStore } from "../../src/central/pg-store.ts";
import { centralProxy } from "../../src/central/proxy.ts";
import type { ClassRecord } from "../../src/central/records.ts";
import { parseConfig } from "../../src/config/config.ts";
import { freePort } from "../support/instances.ts";
import { freshDatabase } from "../support/postgres.ts";
import { startHarness, type Harness } from "../web/harness.ts";

const SECRET = "central-page-test-secret-0123456789-abcdefghijk";
let db: Awaited<ReturnType<typeof freshDatabase>>;
let store: CentralStore;
let centre: ReturnType<typeof Bun.serve>;
let h: Harness;

function records(city: string, classId: string, courseId: string, schoolId: string, at: number): ClassRecord[] {
  return [
    {
      id: `${city}:class:${classId}`,
      city,
      kind: "class",
      rev: 2,
      row: {
        classId,
        courseId,
        title: `Quiz ${classId}`,
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
          userId: `${city}-${u}`,
          answerId: `a-${u}`,
          response: 1,
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
        row: { classId, userId: `${city}-${u}`, role: "student", joinedAt: at, leftAt: at + 3000_000, schoolId },
      },
    ]),
  ];
}

beforeAll(async () => {
  db = await freshDatabase();
  store = new CentralStore(db.url);
  await store.migrate();
  const at = Date.now() - 86_400_000;
  await store.upsert([
    ...records("north", "n1", "optics", "lakes", at),
    ...records("south", "s1", "optics", "default", at),
    ...records("south", "s2", "art", "default", at + 60_000),
  ]);
  const api = centralApi(store, createTokenVerifier(parseConfig({ JWT_SECRET: SECRET }).jwt, SECRET));
  centre = Bun.serve({ port: 0, hostname: "127.0.0.1", routes: { "/api/central/*": api } });
  h = await startHarness({ JWT_SECRET: SECRET, CENTRAL_URL: centre.url.href });
}, 180_000);

afterAll(async () => {
  await h?.close();
  centre?.stop(true);
  await store?.close();
  await db?.drop();
});

test("a platform admin sees every city's classes, results and attendance, and filters them", async () => {
  const admin = await mintToken(SECRET, { sub: "platform-admin", role: "admin", ttlSeconds: 600 });
  const p = await h.page();
  await p.goto(`/central#token=${admin}`);
  const rows = () => p.locator("table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-city")));
  await p.locator("table[data-rows='3']").waitFor();
  expect((await rows()).sort()).toEqual(["north", "south", "south"]);
  // By city.
  await p.getByLabel("City").fill("south");
  await p.getByRole("button", { name: "Show" }).click();
  await p.locator("table[data-rows='2']").waitFor();
  expect(await rows()).toEqual(["south", "south"]);
  // Results of one course in one school: north's two students.
  await p.getByRole("button", { name: "Clear filters" }).click();
  await p.getByLabel("School").fill("lakes");
  await p.getByLabel("Course").fill("optics");
  await p.getByRole("button", { name: "Show" }).click();
  await p.getByRole("button", { name: "Results" }).click();
  await p.locator("table[data-rows='2']").waitFor();
  expect(await p.locator("table tbody").innerText()).toContain("north-s1");
  expect(await rows()).toEqual(["north", "north"]);
  // Attendance, and a filter that matches nothing.
  await p.getByRole("button", { name: "Attendance" }).click();
  await p.locator("table[data-rows='2']").waitFor();
  await p.getByLabel("City").fill("nowhere");
  await p.getByRole("button", { name: "Show" }).click();
  await p.getByText("No records match.").waitFor();
  expect(h.errors).toEqual([]);
  // A teacher is told the page is not theirs (and asks the centre nothing).
  const teacher = await mintToken(SECRET, { sub: "t1", role: "teacher", ttlSeconds: 600 });
  const q = await h.page();
  await q.goto(`/central#token=${teacher}`);
  await q.getByText("The central page is for admins.").waitFor();
}, 60_000);

test("the city's pass-through: reads only, the caller's token goes along, an unreachable centre is a 503 problem", async () => {
  const admin = await mintToken(SECRET, { sub: "platform-admin", role: "admin", ttlSeconds: 600 });
  const ok = await fetch(`${h.t.base}/api/central/classes?city=north`, { headers: { authorization: `Bearer ${admin}` } });
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { items: unknown[] }).items).toHaveLength(1);
  const none = await fetch(`${h.t.base}/api/central/classes`);
  expect([none.status, none.headers.get("content-type")]).toEqual([401, "application/problem+json"]);
  expect((await fetch(`${h.t.base}/api/central/classes`, { method: "POST", headers: { authorization: `Bearer ${admin}` } })).status).toBe(
    405,
  );
  // authoring is at the centre only
  expect((await fetch(`${h.t.base}/api/central/catalogue/courses`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(404);
  const away = centralProxy(`http://127.0.0.1:${await freePort()}`);
  const res = await away(new Request("http://city/api/central/classes", { headers: { authorization: `Bearer ${admin}` } }));
  expect([res.status, res.headers.get("content-type")]).toEqual([503, "application/problem+json"]);
});
