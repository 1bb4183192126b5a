// The LTI 1.3 tool against a platform written here with jose: registration by a school's
// admin, login initiation and launches, every launch check made to fail, Deep Linking, the
// NRPS roster and AGS scores at class end.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { LTI, ROLE, startLtiPlatform, type TestPlatform } from "./support/lti-platform.ts";
import { startTestServer, tempDir, type TestServer } from "./support/server.ts";
import { connect } from "./support/ws.ts";

const SCHOOL = "north-high";
let t: TestServer;
let lms: TestPlatform;
let admin: string;
let platformId: string;

function withSchools(...ids: string[]): string {
  const dir = tempDir();
  const db = openDatabase(join(dir, "edgeclass.db"));
  for (const id of ids) db.query("INSERT INTO schools (id, name, created_at, updated_at) VALUES (?, ?, 0, 0)").run(id, id);
  db.close();
  return dir;
}

function db<T>(sql: string, ...args: string[]): T[] {
  const d = new Database(join(t.dataDir, "edgeclass.db"), { readonly: true });
  try {
    return d.query(sql).all(...args) as T[];
  } finally {
    d.close();
  }
}
const ltiUsers = () => db<{ key: string }>("SELECT key FROM replicated_records WHERE tbl = 'lti-user' ORDER BY key").map((r) => r.key);

/** The login initiation: the tool's redirect to the platform, with its state and nonce. */
async function login(extra: Record<string, string> = {}): Promise<{ state: string; nonce: string; location: URL }> {
  const q = new URLSearchParams({
    iss: lms.issuer,
    login_hint: "hint",
    target_link_uri: `${t.base}/api/lti/launch`,
    client_id: lms.clientId,
    ...extra,
  });
  const r = await fetch(`${t.base}/api/lti/login?${q}`, { redirect: "manual" });
  expect(r.status).toBe(302);
  const location = new URL(r.headers.get("location")!);
  return { state: location.searchParams.get("state")!, nonce: location.searchParams.get("nonce")!, location };
}

interface LaunchOpts {
  sub?: string;
  role?: "instructor" | "learner";
  context?: string;
  messageType?: string;
  resourceLink?: string;
  custom?: Record<string, string>;
  lineitem?: string;
  claims?: Record<string, unknown>;
  key?: "platform" | "other";
  expiresIn?: number;
  iat?: number;
}

async function claimsFor(nonce: string, o: LaunchOpts): Promise<Record<string, unknown>> {
  const context = o.context ?? "course-1";
  const messageType = o.messageType ?? "LtiResourceLinkRequest";
  const claims: Record<string, unknown> = {
    iss: lms.issuer,
    aud: lms.clientId,
    sub: o.sub ?? "u-teacher",
    nonce,
    name: o.sub === undefined ? "Tess Teacher" : `User ${o.sub}`,
    [`${LTI}message_type`]: messageType,
    [`${LTI}version`]: "1.3.0",
    [`${LTI}deployment_id`]: lms.deploymentId,
    [`${LTI}target_link_uri`]: `${t.base}/api/lti/launch`,
    [`${LTI}roles`]: [o.role === "learner" ? ROLE.learner : ROLE.instructor],
    [`${LTI}context`]: { id: context, title: `LMS course ${context}` },
    "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
      context_memberships_url: lms.memberships(context),
      service_versions: ["2.0"],
    },
  };
  if (messageType === "LtiResourceLinkRequest") {
    claims[`${LTI}resource_link`] = { id: o.resourceLink ?? "link-1" };
    if (o.custom) claims[`${LTI}custom`] = o.custom;
    if (o.lineitem)
      claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
        scope: ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        lineitem: o.lineitem,
      };
  } else {
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
      deep_link_return_url: `${lms.base}/deep-link-return`,
      accept_types: ["ltiResourceLink"],
      data: "opaque-dl-data",
    };
  }
  return { ...claims, ...o.claims };
}

async function post(state: string, idToken: string): Promise<Response> {
  return fetch(`${t.base}/api/lti/launch`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ id_token: idToken, state }),
  });
}

async function launch(o: LaunchOpts = {}): Promise<{ res: Response; idToken: string }> {
  const { state, nonce } = await login();
  const idToken = await lms.idToken(await claimsFor(nonce, o), { key: o.key, expiresIn: o.expiresIn, iat: o.iat });
  return { res: await post(state, idToken), idToken };
}

/** The bearer token the launch hands the page in the fragment. */
const tokenOf = (res: Response) => /#token=([\w.-]+)$/.exec(res.headers.get("location") ?? "")?.[1] ?? "";

beforeAll(async () => {
  t = await startTestServer({}, withSchools(SCHOOL, "south-high"));
  lms = await startLtiPlatform();
  lms.toolJwksUrl = `${t.base}/api/lti/jwks`;
  admin = await t.token("admin", "admin");
  const r = await t.call("POST", `/api/schools/${SCHOOL}/lti/platforms`, { token: admin, body: { name: "Test LMS", ...lms.registration } });
  expect(r.status).toBe(201);
  expect(r.body.tool).toEqual({
    loginUrl: `${t.base}/api/lti/login`,
    launchUrl: `${t.base}/api/lti/launch`,
    deepLinkingUrl: `${t.base}/api/lti/launch`,
    jwksUrl: `${t.base}/api/lti/jwks`,
  });
  platformId = r.body.id;
});

afterAll(async () => {
  lms?.close();
  await t?.close();
});

describe("registration of a platform", () => {
  test(
    "by an admin only, for a school that exists, with https endpoints; a second registration of the same client is a " + "conflict",
    async () => {
      const teacher = await t.token("teacher", "t-x");
      expect((await t.call("POST", `/api/schools/${SCHOOL}/lti/platforms`, { token: teacher, body: lms.registration })).status).toBe(403);
      expect(
        (await t.call("POST", "/api/schools/nowhere/lti/platforms", { token: admin, body: { ...lms.registration, clientId: "other" } }))
          .status,
      ).toBe(404);
      const plain = await t.call("POST", "/api/schools/south-high/lti/platforms", {
        token: admin,
        body: { ...lms.registration, clientId: "other", jwksUrl: "http://lms.example/jwks" },
      });
      expect(plain.status).toBe(400);
      expect(plain.body.issues[0].path).toBe("jwksUrl");
      expect(
        (await t.call("POST", "/api/schools/south-high/lti/platforms", { token: admin, body: { ...lms.registration, deploymentIds: [] } }))
          .status,
      ).toBe(400);
      expect((await t.call("POST", "/api/schools/south-high/lti/platforms", { token: admin, body: lms.registration })).status).toBe(409);
      const list = await t.call("GET", `/api/schools/${SCHOOL}/lti/platforms`, { token: admin });
      expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([platformId]);
      // another school's
      expect((await t.call("GET", `/api/schools/south-high/lti/platforms/${platformId}`, { token: admin })).status).toBe(404);
    },
  );

  test("the tool's JWKS is public and stable", async () => {
    const a = (await t.call("GET", "/api/lti/jwks")).body;
    const b = (await t.call("GET", "/api/lti/jwks")).body;
    expect(a.keys).toHaveLength(1);
    expect(a.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect(a.keys[0].d).toBeUndefined(); // never the private part
    expect(b).toEqual(a);
  });
});

describe("login initiation", () => {
  test("redirects to the platform with the OIDC parameters LTI asks for", async () => {
    const { location, state, nonce } = await login({ lti_message_hint: "mh" });
    expect(location.origin + location.pathname).toBe(`${lms.base}/auth`);
    const q = location.searchParams;
    expect([q.get("scope"), q.get("response_type"), q.get("response_mode"), q.get("prompt"), q.get("client_id")]).toEqual([
      "openid",
      "id_token",
      "form_post",
      "none",
      lms.clientId,
    ]);
    expect(q.get("redirect_uri")).toBe(`${t.base}/api/lti/launch`);
    expect(q.get("login_hint")).toBe("hint");
    expect(q.get("lti_message_hint")).toBe("mh");
    expect(state.length).toBeGreaterThan(20);
    expect(nonce.length).toBeGreaterThan(20);
  });

  test("the platform may post the initiation as a form", async () => {
    const body = new URLSearchParams({
      iss: lms.issuer,
      login_hint: "hint",
      target_link_uri: `${t.base}/api/lti/launch`,
      client_id: lms.clientId,
    });
    const r = await fetch(`${t.base}/api/lti/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    expect(r.status).toBe(302);
    expect(new URL(r.headers.get("location")!).searchParams.get("response_mode")).toBe("form_post");
    const json = await fetch(`${t.base}/api/lti/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ iss: lms.issuer }),
    });
    expect(json.status).toBe(415);
    const missing = await fetch(`${t.base}/api/lti/login?iss=${encodeURIComponent(lms.issuer)}`, { redirect: "manual" });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(["login_hint", "target_link_uri"]);
  });

  test("an unknown issuer or deployment is refused there", async () => {
    const r = await fetch(
      `${t.base}/api/lti/login?${new URLSearchParams({ iss: "https://unknown.example", login_hint: "h", target_link_uri: "x" })}`,
      { redirect: "manual" },
    );
    expect(r.status).toBe(400);
    expect(((await r.json()) as { reason: string }).reason).toBe("unknown-platform");
    const d = await fetch(
      `${t.base}/api/lti/login?` +
        `${new URLSearchParams({ iss: lms.issuer, login_hint: "h", target_link_uri: "x", lti_deployment_id: "nope" })}`,
      { redirect: "manual" },
    );
    expect(((await d.json()) as { reason: string }).reason).toBe("unknown-deployment");
  });
});

describe("each launch check, made to fail: a problem with its reason, and nothing written", () => {
  async function refusedWith(reason: string, res: Response, sub: string) {
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as { reason: string; detail: string };
    expect(body.reason).toBe(reason);
    expect(body.detail).toContain("nothing was changed");
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(ltiUsers().some((u) => u.includes(sub))).toBe(false);
  }

  test("signed with a key not in the platform's JWKS", async () => {
    await refusedWith("bad-signature", (await launch({ sub: "forger", key: "other" })).res, "forger");
  });

  test("a wrong audience", async () => {
    await refusedWith("wrong-audience", (await launch({ sub: "aud1", claims: { aud: "some-other-tool" } })).res, "aud1");
    await refusedWith(
      "wrong-audience",
      (await launch({ sub: "aud2", claims: { aud: [lms.clientId, "other"], azp: "other" } })).res,
      "aud2",
    );
  });

  test("an unknown deployment", async () => {
    await refusedWith("unknown-deployment", (await launch({ sub: "dep", claims: { [`${LTI}deployment_id`]: "dep-unknown" } })).res, "dep");
  });

  test("a replayed nonce: the same id_token under a fresh state", async () => {
    const first = await launch({ sub: "replay", role: "instructor", context: "replay-course" });
    expect(first.res.status).toBe(303);
    const { state } = await login();
    await refusedWith("replayed-nonce", await post(state, first.idToken), "nothing-new");
  });

  test("a nonce that is not the one the login sent", async () => {
    const { state } = await login();
    const idToken = await lms.idToken(await claimsFor("a-nonce-of-my-choosing", { sub: "nonce" }));
    await refusedWith("wrong-nonce", await post(state, idToken), "nonce");
  });

  test("a state the tool did not sign, or one used already", async () => {
    const { state, nonce } = await login();
    const idToken = await lms.idToken(await claimsFor(nonce, { sub: "state" }));
    await refusedWith("unknown-state", await post("made-up-state", idToken), "state");
    const forged = state.slice(0, -4) + (state.endsWith("AAAA") ? "BBBB" : "AAAA"); // the tool's signature broken
    await refusedWith("unknown-state", await post(forged, idToken), "state");
    expect((await post(state, idToken)).status).toBe(303); // the right one still works once
    const again = await post(state, idToken);
    expect(((await again.json()) as { reason: string }).reason).toBe("replayed-nonce"); // a state is good once: its nonce is spent
  });

  test("an expired id_token, another issuer, another LTI version, no subject", async () => {
    await refusedWith("expired", (await launch({ sub: "old", iat: Math.floor(Date.now() / 1000) - 3600, expiresIn: 600 })).res, "old");
    await refusedWith("wrong-issuer", (await launch({ sub: "iss", claims: { iss: "https://other-lms.example" } })).res, "iss");
    await refusedWith("wrong-version", (await launch({ sub: "ver", claims: { [`${LTI}version`]: "1.1" } })).res, "ver");
    await refusedWith(
      "unsupported-message",
      (await launch({ sub: "msg", claims: { [`${LTI}message_type`]: "LtiSubmissionReviewRequest" } })).res,
      "msg",
    );
  });

  test("refusals are counted by reason", async () => {
    const metrics = (await (await fetch(`${t.base}/metrics`)).text()).split("\n");
    for (const reason of ["bad-signature", "unknown-deployment", "wrong-nonce", "expired"]) {
      expect(metrics).toContain(`edgeclass_sign_ins_total{via="lti",outcome="${reason}"} 1`);
    }
    for (const reason of ["wrong-audience", "unknown-state", "replayed-nonce"])
      expect(metrics).toContain(`edgeclass_sign_ins_total{via="lti",outcome="${reason}"} 2`); // two of each above
  });

  test("a learner before any teacher set the course up", async () => {
    const { res } = await launch({ sub: "early", role: "learner", context: "not-set-up" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { reason: string }).reason).toBe("course-not-set-up");
    expect(ltiUsers().some((u) => u.includes("early"))).toBe(false);
  });
});

describe("a course from the LMS", () => {
  let courseId: string;
  let classId: string;
  let teacherToken: string;

  test("the instructor's first launch makes the course and signs them in (bearer token in the fragment, session cookie)", async () => {
    const { res } = await launch({ context: "physics" });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(new RegExp(`^${t.base}/courses/[^#]+#token=`));
    expect(res.headers.getSetCookie().some((c) => c.startsWith("edgeclass-session=") && c.includes("HttpOnly"))).toBe(true);
    teacherToken = tokenOf(res);
    const me = await t.call("GET", "/api/me", { token: teacherToken });
    expect(me.body).toMatchObject({ role: "teacher", school: SCHOOL, name: "Tess Teacher" });
    courseId = decodeURIComponent(/\/courses\/([^#]+)#/.exec(location)![1]);
    const course = await t.call("GET", `/api/courses/${courseId}`, { token: teacherToken });
    expect(course.body).toMatchObject({ title: "LMS course physics", teacherId: me.body.id, status: "active" });
  });

  test("Deep Linking: the teacher creates a class; the LMS gets it back signed by the tool", async () => {
    const { res } = await launch({ context: "physics", messageType: "LtiDeepLinkingRequest" });
    expect(res.status).toBe(303);
    const page = res.headers.get("location")!;
    expect(page).toMatch(/\/api\/lti\/deep-link\/[\w-]+$/);
    const html = await fetch(page, { headers: { "accept-language": "en-GB,en;q=0.9" } });
    expect(html.status).toBe(200);
    const en = await html.text();
    expect(en).toContain("Add an EdgeClass class to LMS course physics");
    expect(en).toContain('<html lang="en">');
    // The page follows the browser's language (the LMS frame sends its Accept-Language).
    const zh = await (await fetch(page, { headers: { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" } })).text();
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toContain("将 EdgeClass 课堂添加到 LMS course physics");
    for (const words of ["选择一个课堂", "或者新建一个", "开始时间（UTC）", "创建并添加"]) expect(zh).toContain(words);
    expect(zh).not.toContain("Pick a class");
    const bad = await fetch(page, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: "title=&startsAt=x&durationMinutes=1",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
      "title",
      "startsAt",
      "durationMinutes",
    ]);
    const made = await fetch(page, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ title: "Forces quiz", startsAt: "2030-01-01T10:00", durationMinutes: "45" }),
    });
    expect(made.status).toBe(200);
    const answer = (await made.json()) as { returnUrl: string; jwt: string; classId: string };
    classId = answer.classId;
    expect(answer.returnUrl).toBe(`${lms.base}/deep-link-return`);
    // The browser posts it to the LMS, which checks it against the tool's JWKS.
    const back = await fetch(answer.returnUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ JWT: answer.jwt }),
    });
    expect(back.status).toBe(200);
    const items = lms.deepLinks.at(-1)!.claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] as {
      type: string;
      title: string;
      url: string;
      custom: Record<string, string>;
      lineItem: { resourceId: string };
    }[];
    expect(items).toEqual([
      expect.objectContaining({
        type: "ltiResourceLink",
        title: "Forces quiz",
        url: `${t.base}/api/lti/launch`,
        custom: { edgeclass_class_id: classId },
      }),
    ]);
    expect(lms.deepLinks.at(-1)!.claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"]).toBe("opaque-dl-data");
    const cls = await t.call("GET", `/api/classes/${classId}`, { token: teacherToken });
    expect(cls.body).toMatchObject({ courseId, title: "Forces quiz" });
    // Spent: the same choice cannot be made twice.
    expect(
      (
        await fetch(page, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ classId }),
        })
      ).status,
    ).toBe(404);
  });

  test("a learner cannot start Deep Linking", async () => {
    const { res } = await launch({ sub: "s-dl", role: "learner", context: "physics", messageType: "LtiDeepLinkingRequest" });
    expect(((await res.json()) as { reason: string }).reason).toBe("not-instructor");
  });

  test("NRPS: the roster syncs into the course (active learners in, inactive out, instructors left alone, pages followed)", async () => {
    lms.members = [
      { user_id: "u-teacher", name: "Tess Teacher", roles: [ROLE.instructor] },
      { user_id: "s-1", name: "Ana", roles: [ROLE.learner] },
      { user_id: "s-2", name: "Ben", roles: [ROLE.learner], status: "Active" },
      { user_id: "s-3", name: "Cy", roles: [ROLE.learner] },
      { user_id: "s-4", name: "Dee", roles: [ROLE.learner], status: "Inactive" },
    ];
    const r = await t.call("POST", `/api/courses/${courseId}/lti/roster-sync`, { token: teacherToken });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ members: 5, enrolled: 3, removed: 0 });
    const roster = await t.call("GET", `/api/courses/${courseId}/enrollments`, { token: teacherToken });
    expect(roster.body.items.map((e: { name: string }) => e.name).sort()).toEqual(["Ana", "Ben", "Cy"]);
    lms.members[1].status = "Deleted";
    const again = await t.call("POST", `/api/courses/${courseId}/lti/roster-sync`, { token: teacherToken });
    expect(again.body).toMatchObject({ enrolled: 0, removed: 1 });
    expect((await t.call("GET", `/api/courses/${courseId}/enrollments`, { token: teacherToken })).body.items).toHaveLength(2);
    expect(lms.tokensIssued.some((x) => x.scope.includes("contextmembership.readonly"))).toBe(true);
    expect(
      (await t.call("POST", `/api/courses/${courseId}/lti/roster-sync`, { token: await t.token("teacher", "someone-else") })).status,
    ).toBe(404);
  });

  test("AGS: quiz scores reach the LMS gradebook when the class ends", async () => {
    const lineitem = lms.lineitem("li-forces");
    const student = await launch({
      sub: "s-2",
      role: "learner",
      context: "physics",
      resourceLink: "rl-forces",
      custom: { edgeclass_class_id: classId },
      lineitem,
    });
    expect(student.res.headers.get("location")).toContain(`/class/${classId}#token=`);
    const studentToken = tokenOf(student.res);
    const teacher = await launch({ context: "physics", resourceLink: "rl-forces", lineitem });
    expect(teacher.res.status).toBe(303);
    expect((await t.call("POST", `/api/classes/${classId}/start`, { token: teacherToken })).status).toBe(200);
    const tp = await connect(t.base, classId, teacherToken);
    await tp.next("welcome");
    const sp = await connect(t.base, classId, studentToken); // the LTI session's bearer token works on the live socket
    await sp.next("welcome");
    const q = (await tp.request({
      type: "quiz.launch",
      question: {
        kind: "single",
        prompt: "F = ?",
        options: [
          { id: "a", text: "ma" },
          { id: "b", text: "mv" },
        ],
        correct: "a",
      },
      timeLimitSeconds: 60,
    })) as { questionId: string };
    await sp.request({ type: "quiz.answer", questionId: q.questionId, answerId: "ans-1", response: { choice: "a" } });
    expect((await t.call("POST", `/api/classes/${classId}/end`, { token: teacherToken })).status).toBe(200);
    tp.close();
    sp.close();
    for (let i = 0; i < 100 && lms.scores.length === 0; i++) await Bun.sleep(50);
    expect(lms.scores).toHaveLength(1);
    const s = lms.scores[0];
    expect(s.lineitem).toBe(lineitem);
    expect(s.body).toMatchObject({ userId: "s-2", activityProgress: "Completed", gradingProgress: "FullyGraded" });
    expect(s.body.scoreGiven).toBeGreaterThan(0);
    expect(s.body.scoreGiven).toBeLessThanOrEqual(s.body.scoreMaximum);
    const grades = await t.call("GET", `/api/classes/${classId}/lti/grades`, { token: teacherToken });
    expect(grades.body).toMatchObject({ sent: 1, pending: 0, failed: 0 });
  });

  test("AGS: a link made without Deep Linking gets its gradebook column from the tool, once", async () => {
    const ags = {
      scope: ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem", "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
      lineitems: lms.lineitemsUrl("physics"),
    };
    const claims = { "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": ags };
    for (const sub of ["s-3", "u-teacher"]) {
      const { res } = await launch({
        sub,
        role: sub === "u-teacher" ? "instructor" : "learner",
        context: "physics",
        resourceLink: "rl-manual",
        custom: { edgeclass_class_id: classId },
        claims,
      });
      expect(res.status).toBe(303);
    }
    expect(lms.lineItems).toEqual([
      {
        id: `${lms.base}/lineitems/auto-1`,
        label: "Forces quiz",
        scoreMaximum: 100,
        resourceId: classId,
        resourceLinkId: "rl-manual",
        tag: "edgeclass-quiz",
      } as never,
    ]);
    const link = db<{ value: string }>("SELECT value FROM replicated_records WHERE tbl = 'lti-link' AND key LIKE '% rl-manual'");
    expect(JSON.parse(link[0].value).lineitemUrl).toBe(`${lms.base}/lineitems/auto-1`);
  });

  test("logout with the launch's bearer token ends that session everywhere it is used", async () => {
    const { res } = await launch({
      sub: "s-9",
      role: "learner",
      context: "physics",
      resourceLink: "rl-forces",
      custom: { edgeclass_class_id: classId },
    });
    const token = tokenOf(res);
    expect((await t.call("GET", "/api/me", { token })).status).toBe(200);
    const out = await fetch(`${t.base}/api/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(204);
    const after = await t.call("GET", "/api/me", { token });
    expect(after.status).toBe(401);
    expect(after.body.detail).toContain("logged out");
    // The cookie the same launch set is the same session.
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    expect((await fetch(`${t.base}/api/me`, { headers: { cookie } })).status).toBe(401);
  });
});
