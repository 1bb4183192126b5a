// Schools kept apart, route by route: every REST route of the running server is in the table
// below, and each one that names a record by id is called by another school's teacher, school
// admin and student with the default school's ids. Each must answer 403 or 404 as a problem
// document, and the default school's data must be exactly as before. The live socket refuses
// a join across schools with the policy's reason. A route added without an entry here fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CLOSE } from "@edgeclass/client/protocol";
import { mintToken } from "../../src/auth/tokens.ts";
import type { Role } from "../../src/domain/model.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { join } from "../support/ws.ts";

type IdKind = "course" | "class" | "question" | "school" | "student";
/** A route that names records: which id goes in each path parameter, and a body when it takes one. */
interface Named {
  ids: Record<string, IdKind>;
  body?: unknown;
  /** The default school has none (its own admin gets 404 too). */
  noneHere?: true;
}
/** A route that names no school's record by id: why, and where it is checked instead. */
interface Unnamed {
  none: string;
}

const DRAFT = { kind: "true_false", prompt: "Hijacked?", correct: true };
const ROUTES: Record<string, Named | Unnamed> = {
  "GET /healthz": { none: "public probe" },
  "GET /readyz": { none: "public probe" },
  "GET /metrics": { none: "public, counts only" },
  "GET /api/config": { none: "platform admin only (403 for everyone else: tested below)" },
  "GET /api/me": { none: "the caller's own principal" },
  "POST /api/courses": { none: "creates in the caller's school; naming another school's teacher is tested below" },
  "GET /api/courses": { none: "lists the caller's school only: tested below" },
  "GET /api/courses/:id": { ids: { id: "course" } },
  "PATCH /api/courses/:id": { ids: { id: "course" }, body: { title: "Hijacked" } },
  "POST /api/courses/:id/archive": { ids: { id: "course" } },
  "POST /api/courses/:id/enrollments": { ids: { id: "course" }, body: { studentIds: ["sb"] } },
  "GET /api/courses/:id/enrollments": { ids: { id: "course" } },
  "PUT /api/courses/:id/enrollments/:studentId": { ids: { id: "course", studentId: "student" } },
  "DELETE /api/courses/:id/enrollments/:studentId": { ids: { id: "course", studentId: "student" } },
  "POST /api/courses/:id/classes": { ids: { id: "course" }, body: { startsAt: "2030-01-01T10:00:00Z", durationMinutes: 30 } },
  "GET /api/courses/:id/classes": { ids: { id: "course" } },
  "GET /api/classes/:id": { ids: { id: "class" } },
  "PATCH /api/classes/:id": { ids: { id: "class" }, body: { title: "Hijacked" } },
  "POST /api/classes/:id/cancel": { ids: { id: "class" } },
  "GET /api/schools": { none: "platform admin only: tested below" },
  "POST /api/schools": { none: "platform admin only: tested below" },
  "GET /api/schools/:id": { ids: { id: "school" } },
  "PATCH /api/schools/:id": { ids: { id: "school" }, body: { name: "Hijacked" } },
  "POST /api/classes/:id/start": { ids: { id: "class" } },
  "POST /api/classes/:id/end": { ids: { id: "class" } },
  "GET /api/classes/:id/attendance": { ids: { id: "class" } },
  "GET /api/classes/:id/turned-away": { ids: { id: "class" } },
  "GET /api/courses/:id/quiz-sets": { ids: { id: "course" } },
  "POST /api/courses/:id/images": { ids: { id: "course" }, body: "not an image" },
  "GET /api/images/:id": { none: "an image is addressed by 128 random bits (a capability, like the class link); images.test" },
  "POST /api/courses/:id/quiz-sets": { ids: { id: "course" }, body: { title: "Hijacked", questionIds: ["q-none"] } },
  "GET /api/courses/:id/quiz-sets/:setId": {
    none:
      "a set is found only under its own course's path, whose school and teacher are checked as the list's (quiz-sets.test: " +
      "another course's path answers 404)",
  },
  "PUT /api/courses/:id/quiz-sets/:setId": { none: "as GET .../quiz-sets/:setId" },
  "DELETE /api/courses/:id/quiz-sets/:setId": { none: "as GET .../quiz-sets/:setId" },
  "GET /api/classes/:id/results": { ids: { id: "class" } },
  "POST /api/courses/:id/questions": { ids: { id: "course" }, body: DRAFT },
  "GET /api/courses/:id/questions": { ids: { id: "course" } },
  "GET /api/questions/:id": { ids: { id: "question" } },
  "PUT /api/questions/:id": { ids: { id: "question" }, body: DRAFT },
  "DELETE /api/questions/:id": { ids: { id: "question" } },
  "GET /api/admin/decisions": { none: "a school admin sees their school's decisions only: tested below" },
  "POST /api/classes/:id/whip": { ids: { id: "class" }, body: "v=0" },
  "POST /api/classes/:id/whep": { ids: { id: "class" }, body: "v=0" },
  "DELETE /api/media/resources/:id": {
    none: "a media resource is its creator's (by user id), not a school's; the media tests refuse another user's",
  },
  "PATCH /api/media/resources/:id": { none: "as DELETE" },
  "GET /api/media/ice-servers": { none: "the caller's own TURN credential" },
  "GET /v1/data": { none: "OPA's Data API: platform admin only, policy documents, no school data" },
  "POST /v1/data": { none: "as GET /v1/data" },
  "GET /v1/data/*": { none: "as GET /v1/data" },
  "POST /v1/data/*": { none: "as GET /v1/data" },
  "GET /health": { none: "public probe" },
  "GET /health/*": { none: "public probe" },
  "GET /api/demo": { none: "public demo listing" },
  "POST /api/demo/token": { none: "demo users are the default school's; minting is not reading a school's data" },
  "GET /api/classes/:id/live": { none: "the live socket: tested below" },
  "GET /api/auth/oidc/:school/login": { none: "public sign-in redirect to the school's own provider" },
  "GET /api/auth/oidc/callback": { none: "public; the pending sign-in names its school (sso-lti's tests)" },
  "GET /api/auth/session": { none: "the caller's own session" },
  "POST /api/auth/logout": { none: "the caller's own session" },
  "POST /api/auth/live-token": { none: "the caller's own session" },
  "PUT /api/schools/:school/identity-provider": {
    ids: { school: "school" },
    body: { issuer: "https://idp.example", clientId: "x", clientSecret: "y" },
  },
  "GET /api/schools/:school/identity-provider": { ids: { school: "school" }, noneHere: true },
  "DELETE /api/schools/:school/identity-provider": { ids: { school: "school" } },
  "POST /api/schools/:school/lti/platforms": {
    ids: { school: "school" },
    body: {
      issuer: "https://lms.example",
      clientId: "x",
      authLoginUrl: "https://lms.example/auth",
      authTokenUrl: "https://lms.example/token",
      jwksUrl: "https://lms.example/jwks",
      deploymentIds: ["1"],
    },
  },
  "GET /api/schools/:school/lti/platforms": { ids: { school: "school" } },
  "GET /api/schools/:school/lti/platforms/:id": {
    none:
      "a platform is found only under its own school's path, whose school is checked as the list's (lti.test: another " +
      "school's path answers 404)",
  },
  "PUT /api/schools/:school/lti/platforms/:id/deployments": { none: "as GET .../platforms/:id" },
  "DELETE /api/schools/:school/lti/platforms/:id": { none: "as GET .../platforms/:id" },
  "GET /api/lti/tool": { none: "public: the tool's own URLs" },
  "GET /api/lti/jwks": { none: "public: the tool's public key" },
  "GET /api/lti/login": { none: "public LTI login initiation; the platform it names is registered to one school" },
  "POST /api/lti/login": { none: "as GET /api/lti/login" },
  "POST /api/lti/launch": { none: "public; the platform's signed id_token puts the user in the platform's school (lti.test)" },
  "GET /api/lti/deep-link/:id": { none: "a one-time capability made by a teacher's launch, for that teacher's course" },
  "POST /api/lti/deep-link/:id": { none: "as GET /api/lti/deep-link/:id" },
  "POST /api/courses/:id/lti/roster-sync": { ids: { id: "course" } },
  "GET /api/classes/:id/lti/grades": { ids: { id: "class" } },
  "POST /api/classes/:id/lti/grades/retry": { ids: { id: "class" } },
};

let t: TestServer;
const ids: Record<IdKind, string> = { course: "", class: "", question: "", school: "default", student: "sa" };
const tokens: Record<string, string> = {};
const tok = (role: Role, sub: string, school?: string) => mintToken(t.server.secret, { role, sub, school, ttlSeconds: 600 });
let northClass = "";

beforeAll(async () => {
  t = await startTestServer();
  tokens.admin = await tok("admin", "root");
  tokens.ta = await tok("teacher", "ta");
  tokens.sa = await tok("student", "sa");
  expect((await t.call("POST", "/api/schools", { token: tokens.admin, body: { id: "north", name: "North High" } })).status).toBe(201);
  tokens.tb = await tok("teacher", "tb", "north");
  tokens.hb = await tok("school-admin", "hb", "north");
  tokens.sb = await tok("student", "sb", "north");
  for (const who of ["ta", "sa", "tb", "hb", "sb"]) expect((await t.call("GET", "/api/me", { token: tokens[who] })).status).toBe(200);

  // The default school's records, which north must not reach.
  const course = await t.call("POST", "/api/courses", { token: tokens.ta, body: { title: "Default physics", status: "active" } });
  ids.course = course.body.id;
  expect(course.body.schoolId).toBe("default");
  expect((await t.call("POST", `/api/courses/${ids.course}/enrollments`, { token: tokens.ta, body: { studentIds: ["sa"] } })).status).toBe(
    201,
  );
  ids.class = (
    await t.call("POST", `/api/courses/${ids.course}/classes`, {
      token: tokens.ta,
      body: { startsAt: "2030-01-01T09:00:00Z", durationMinutes: 45 },
    })
  ).body.id;
  ids.question = (
    await t.call("POST", `/api/courses/${ids.course}/questions`, {
      token: tokens.ta,
      body: { kind: "true_false", prompt: "Sky blue?", correct: true },
    })
  ).body.id;
  expect((await t.call("POST", `/api/classes/${ids.class}/start`, { token: tokens.ta })).status).toBe(200);
  const teacherIn = await join(t.base, ids.class, tokens.ta); // a decision in the default school's log
  teacherIn.peer.close();

  // North's own course and class, run by its school admin.
  const north = await t.call("POST", "/api/courses", {
    token: tokens.hb,
    body: { title: "North chemistry", status: "active", teacherId: "tb" },
  });
  expect(north.status).toBe(201);
  expect(north.body).toMatchObject({ schoolId: "north", teacherId: "tb" });
  northClass = (
    await t.call("POST", `/api/courses/${north.body.id}/classes`, {
      token: tokens.tb,
      body: { startsAt: "2030-01-01T09:00:00Z", durationMinutes: 45 },
    })
  ).body.id;
  expect((await t.call("POST", `/api/classes/${northClass}/start`, { token: tokens.hb })).status).toBe(200);
}, 30_000);

afterAll(() => t?.close());

/** The default school's data as the platform admin reads it. */
async function snapshot(): Promise<unknown[]> {
  const paths = [
    `/api/courses/${ids.course}`,
    `/api/courses/${ids.course}/enrollments`,
    `/api/courses/${ids.course}/classes`,
    `/api/courses/${ids.course}/questions`,
    `/api/classes/${ids.class}`,
    `/api/questions/${ids.question}`,
    `/api/classes/${ids.class}/results`,
    "/api/schools/default",
    "/api/courses?schoolId=default",
  ];
  return Promise.all(paths.map(async (p) => ({ p, ...(await t.call("GET", p, { token: tokens.admin })) }))).then((rs) =>
    rs.map(({ p, status, body }) => ({ p, status, body })),
  );
}

const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
const fill = (path: string, named: Named) =>
  path.replace(/:(\w+)/g, (_, name: string) => {
    const kind = named.ids[name];
    if (kind === undefined) throw new Error(`no id kind for :${name} in ${path}`);
    return ids[kind];
  });

describe("every REST route", () => {
  test("is in this file's table (a new route needs its cross-school entry)", () => {
    const missing = t.server.routes.map(routeKey).filter((k) => !(k in ROUTES));
    if (missing.length > 0)
      throw new Error(
        `add these routes to ROUTES in test/schools/cross-school.test.ts (the ids they take, or why they name no school's ` +
          `record): ${missing.join(", ")}`,
      );
  });

  test("with the default school's ids, answers north's teacher, school admin and student 403 or 404 as a problem, and changes " +
    "nothing", async () => {
    const before = await snapshot();
    expect(before.every((s) => (s as { status: number }).status === 200)).toBe(true);
    const named = t.server.routes.filter((r) => "ids" in (ROUTES[routeKey(r)] ?? { none: "" }));
    expect(named.length).toBeGreaterThanOrEqual(25);
    const wrong: string[] = [];
    for (const r of named) {
      const entry = ROUTES[routeKey(r)] as Named;
      const path = fill(r.path, entry);
      for (const who of ["tb", "hb", "sb"]) {
        const raw = typeof entry.body === "string" ? entry.body : undefined;
        const res = await t.call(r.method, path, {
          token: tokens[who],
          body: typeof entry.body === "string" ? undefined : entry.body,
          raw,
          headers: raw !== undefined ? { "content-type": "application/sdp" } : undefined,
        });
        const problem = res.headers.get("content-type") === "application/problem+json" && typeof res.body?.title === "string";
        if (![403, 404].includes(res.status) || !problem)
          wrong.push(`${who} ${r.method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 30_000);

  test("the same ids are right: the default school's own teacher and the platform admin read them", async () => {
    for (const r of t.server.routes.filter((r) => r.method === "GET" && "ids" in (ROUTES[routeKey(r)] ?? { none: "" }))) {
      const entry = ROUTES[routeKey(r)] as Named;
      if (entry.noneHere) continue;
      const path = fill(r.path, entry);
      expect({ path, status: (await t.call("GET", path, { token: tokens.admin })).status }).toEqual({ path, status: 200 });
      if (!path.startsWith("/api/schools"))
        expect({ path, status: (await t.call("GET", path, { token: tokens.ta })).status }).toEqual({ path, status: 200 });
    }
  });
});

describe("routes without an id", () => {
  test("course lists hold the caller's school only; a school admin cannot ask for another school", async () => {
    for (const who of ["tb", "hb", "sb"]) {
      const list = await t.call("GET", "/api/courses", { token: tokens[who] });
      expect(list.status).toBe(200);
      expect(list.body.items.map((c: { schoolId: string }) => c.schoolId).filter((s: string) => s !== "north")).toEqual([]);
    }
    expect((await t.call("GET", "/api/courses", { token: tokens.hb })).body.items.map((c: { title: string }) => c.title)).toEqual([
      "North chemistry",
    ]);
    const other = await t.call("GET", "/api/courses?schoolId=default", { token: tokens.hb });
    expect(other.status).toBe(403);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    // The platform admin sees every school, and can narrow to one.
    const all = await t.call("GET", "/api/courses", { token: tokens.admin });
    expect(new Set(all.body.items.map((c: { schoolId: string }) => c.schoolId))).toEqual(new Set(["default", "north"]));
    const north = await t.call("GET", "/api/courses?schoolId=north", { token: tokens.admin });
    expect(north.body.items.map((c: { title: string }) => c.title)).toEqual(["North chemistry"]);
  });

  test("a school admin cannot put a course in another school by naming its teacher", async () => {
    const before = (await t.call("GET", "/api/courses?schoolId=default", { token: tokens.admin })).body.items.length;
    const r = await t.call("POST", "/api/courses", { token: tokens.hb, body: { title: "Planted", teacherId: "ta" } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe("user ta is not a known teacher"); // the same as for an id nobody has
    expect((await t.call("GET", "/api/courses?schoolId=default", { token: tokens.admin })).body.items.length).toBe(before);
  });

  test("north's student cannot be enrolled in the default school's course, even by its teacher", async () => {
    const r = await t.call("POST", `/api/courses/${ids.course}/enrollments`, { token: tokens.ta, body: { studentIds: ["sb"] } });
    expect(r.status).toBe(400);
    expect(
      (await t.call("GET", `/api/courses/${ids.course}/enrollments`, { token: tokens.ta })).body.items.map(
        (e: { studentId: string }) => e.studentId,
      ),
    ).toEqual(["sa"]);
  });

  test("join decisions: a school admin sees their school's only; the platform admin all", async () => {
    const mine = await t.call("GET", "/api/admin/decisions", { token: tokens.hb });
    expect(mine.status).toBe(200);
    expect(mine.body.items.every((d: { schoolId: string }) => d.schoolId === "north")).toBe(true);
    const all = await t.call("GET", "/api/admin/decisions", { token: tokens.admin });
    expect(all.body.items.some((d: { schoolId: string }) => d.schoolId === "default")).toBe(true);
  });

  test("schools: the platform admin's; a school admin reads only their own", async () => {
    expect((await t.call("GET", "/api/schools", { token: tokens.hb })).status).toBe(403);
    expect((await t.call("POST", "/api/schools", { token: tokens.hb, body: { id: "south", name: "South" } })).status).toBe(403);
    expect((await t.call("GET", "/api/schools/north", { token: tokens.hb })).body).toMatchObject({ id: "north", name: "North High" });
    expect((await t.call("GET", "/api/config", { token: tokens.hb })).status).toBe(403);
  });
});

describe("the schools API", () => {
  test("create, read, rename, list; bad input is refused and changes nothing", async () => {
    const root = { token: tokens.admin };
    const created = await t.call("POST", "/api/schools", { ...root, body: { id: "east", name: "  East Side  " } });
    expect(created).toMatchObject({ status: 201, body: { id: "east", name: "East Side" } });
    expect(created.headers.get("location")).toBe("/api/schools/east");
    const refusals = [
      { body: { id: "east", name: "Again" }, status: 409 },
      { body: { id: "no spaces", name: "X" }, status: 400 },
      { body: { id: "west", name: "" }, status: 400 },
      { body: { id: "west", name: "West", extra: 1 }, status: 400 },
      { body: { name: "No id" }, status: 400 },
    ];
    for (const r of refusals) {
      const res = await t.call("POST", "/api/schools", { ...root, body: r.body });
      expect({ body: r.body, status: res.status, type: res.headers.get("content-type") }).toEqual({
        body: r.body,
        status: r.status,
        type: "application/problem+json",
      });
    }
    expect((await t.call("GET", "/api/schools/east", root)).body.name).toBe("East Side");
    expect((await t.call("GET", "/api/schools/west", root)).status).toBe(404);
    expect((await t.call("PATCH", "/api/schools/east", { ...root, body: { name: "East Academy" } })).body).toMatchObject({
      id: "east",
      name: "East Academy",
    });
    expect((await t.call("PATCH", "/api/schools/east", { ...root, body: { id: "other" } })).status).toBe(400);
    expect((await t.call("PATCH", "/api/schools/west", { ...root, body: { name: "W" } })).status).toBe(404);
    const first = await t.call("GET", "/api/schools?limit=2", root);
    expect(first.body.items.map((x: { id: string }) => x.id)).toEqual(["default", "east"]);
    const rest = await t.call("GET", `/api/schools?limit=2&cursor=${first.body.nextCursor}`, root);
    expect(rest.body.items.map((x: { id: string }) => x.id)).toEqual(["north"]);
  });
});

describe("the live socket", () => {
  test("north's teacher, school admin and student cannot join the default school's class; the policy says why", async () => {
    for (const who of ["tb", "hb", "sb"]) {
      const refused = await join(t.base, ids.class, tokens[who]).then(
        (j) => (j.peer.close(), { code: 0, reason: "admitted" }),
        (e: { code: number; reason: string }) => e,
      );
      expect({ who, code: refused.code }).toEqual({ who, code: CLOSE.policyDenied });
      expect({ who, reason: refused.reason.startsWith("class of another school: only that school's users may join") }).toEqual({
        who,
        reason: true,
      });
    }
    const denied = (await t.call("GET", "/api/admin/decisions?decision=deny", { token: tokens.admin })).body.items;
    expect(
      denied.filter((d: { userId: string; classId: string }) => d.classId === ids.class && ["tb", "hb", "sb"].includes(d.userId)),
    ).toHaveLength(3);
  });

  test("north's school admin joins north's class as staff; the platform admin joins any school's", async () => {
    const hb = await join(t.base, northClass, tokens.hb);
    expect(hb.welcome.you).toMatchObject({ id: "hb", role: "school-admin" });
    const root = await join(t.base, northClass, tokens.admin);
    expect(root.welcome.you.role).toBe("admin");
    // Staff can launch a quiz in their school's class.
    expect(
      await hb.peer.request({ type: "quiz.launch", question: { kind: "true_false", prompt: "Ok?", correct: true }, timeLimitSeconds: 30 }),
    ).toMatchObject({ questionId: expect.any(String) });
    hb.peer.close();
    root.peer.close();
  });
});

describe("tokens", () => {
  test("a token of a school this server does not have is refused", async () => {
    const r = await t.call("GET", "/api/me", { token: await tok("teacher", "tz", "nowhere") });
    expect(r.status).toBe(401);
    expect(r.body.detail).toContain("school nowhere does not exist");
  });

  test("a token of north cannot act as the default school's user of the same id", async () => {
    const r = await t.call("GET", `/api/courses/${ids.course}`, { token: await tok("teacher", "ta", "north") });
    expect(r.status).toBe(401);
    expect(r.body.detail).toContain("user ta belongs to another school");
    const socket = await join(t.base, ids.class, await tok("teacher", "ta", "north")).catch((e: { code: number }) => e);
    expect((socket as { code: number }).code).toBe(CLOSE.unauthorized);
  });
});
