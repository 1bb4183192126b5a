// The LMS grades on the teacher's ended page: a class linked from an LMS (the test platform of
// support/lti-platform.ts) ends while the LMS refuses scores; the page shows the grade waiting
// with the LMS's answer and the next try; given up, it offers "send again", and shows it sent once
// the LMS takes it.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { LTI, ROLE, startLtiPlatform, type TestPlatform } from "../support/lti-platform.ts";
import { connect } from "../support/ws.ts";
import { audit, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let lms: TestPlatform;

beforeAll(async () => {
  h = await startHarness();
  lms = await startLtiPlatform();
  lms.toolJwksUrl = `${h.base}/api/lti/jwks`;
  const admin = await h.t.token("admin", "root");
  expect((await h.t.call("POST", "/api/schools", { token: admin, body: { id: "lake", name: "Lake School" } })).status).toBe(201);
  const r = await h.t.call("POST", "/api/schools/lake/lti/platforms", { token: admin, body: { name: "Lake LMS", ...lms.registration } });
  expect(r.status).toBe(201);
}, 60_000);
afterAll(async () => {
  lms?.close();
  await h?.close();
});

/** One launch, as the LMS makes it: login initiation, then the signed id_token posted to the tool. */
async function launch(sub: string, role: "instructor" | "learner", extra: Record<string, unknown>): Promise<Response> {
  const q = new URLSearchParams({
    iss: lms.issuer,
    login_hint: sub,
    target_link_uri: `${h.base}/api/lti/launch`,
    client_id: lms.clientId,
  });
  const init = await fetch(`${h.base}/api/lti/login?${q}`, { redirect: "manual" });
  const to = new URL(init.headers.get("location")!);
  const idToken = await lms.idToken({
    iss: lms.issuer,
    aud: lms.clientId,
    sub,
    nonce: to.searchParams.get("nonce"),
    name: role === "learner" ? "Lena Learner" : "Theo Teacher",
    [`${LTI}message_type`]: "LtiResourceLinkRequest",
    [`${LTI}version`]: "1.3.0",
    [`${LTI}deployment_id`]: lms.deploymentId,
    [`${LTI}target_link_uri`]: `${h.base}/api/lti/launch`,
    [`${LTI}roles`]: [role === "learner" ? ROLE.learner : ROLE.instructor],
    [`${LTI}context`]: { id: "lake-physics", title: "Lake physics" },
    ...extra,
  });
  return fetch(`${h.base}/api/lti/launch`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ id_token: idToken, state: to.searchParams.get("state")! }),
  });
}
const tokenOf = (res: Response) => /#token=([\w.-]+)$/.exec(res.headers.get("location") ?? "")?.[1] ?? "";

test("a grade the LMS refuses shows as waiting with its answer; given up, it is sent again from the page", async () => {
  // The teacher picks a class by Deep Linking (that makes the course), then both launch its link.
  const dl = await launch("theo", "instructor", {
    [`${LTI}message_type`]: "LtiDeepLinkingRequest",
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
      deep_link_return_url: `${lms.base}/deep-link-return`,
      accept_types: ["ltiResourceLink"],
    },
  });
  expect(dl.status).toBe(303);
  const made = await fetch(dl.headers.get("location")!, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ title: "Waves quiz", startsAt: "2030-01-01T10:00", durationMinutes: "45" }),
  });
  const classId = ((await made.json()) as { classId: string }).classId;
  const link = {
    [`${LTI}resource_link`]: { id: "rl-waves" },
    [`${LTI}custom`]: { edgeclass_class_id: classId },
    "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
      scope: ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
      lineitem: lms.lineitem("li-waves"),
    },
  };
  const student = tokenOf(await launch("lena", "learner", link));
  const teacher = tokenOf(await launch("theo", "instructor", link));
  expect(student).not.toBe("");
  expect(teacher).not.toBe("");

  expect((await h.t.call("POST", `/api/classes/${classId}/start`, { token: teacher })).status).toBe(200);
  const tp = await connect(h.t.base, classId, teacher);
  await tp.next("welcome");
  const sp = await connect(h.t.base, classId, student);
  await sp.next("welcome");
  const q = (await tp.request({
    type: "quiz.launch",
    question: { kind: "true_false", prompt: "Light is a wave?", correct: true },
    timeLimitSeconds: 60,
  })) as { questionId: string };
  await sp.request({ type: "quiz.answer", questionId: q.questionId, answerId: "a1", response: { value: true } });
  lms.failScores = { status: 503, times: 1_000 }; // the LMS is down when the class ends
  expect((await h.t.call("POST", `/api/classes/${classId}/end`, { token: teacher })).status).toBe(200);
  tp.close();
  sp.close();

  const p = await h.page();
  await p.goto(`/class/${classId}#token=${teacher}`);
  const section = p.locator("section.lms-grades");
  await section.locator('li[data-grade="pending"]').waitFor();
  expect(await section.getAttribute("data-lms-grades")).toBe("0/1/0");
  const row = await section.locator('li[data-grade="pending"]').textContent();
  expect(row).toContain("Lena Learner: waiting, next try at");
  expect(row).toContain("503");
  expect(await section.textContent()).toContain("0 sent, 1 waiting, 0 not accepted");
  expect(await audit(p)).toEqual([]);

  // The outbox gives up after its last attempt (lti-grades.test drives that); here the row is put in that state directly.
  const db = new Database(join(h.t.dataDir, "edgeclass.db"));
  db.run("PRAGMA busy_timeout = 5000");
  db.query("UPDATE lti_grade_outbox SET status = 'failed', attempts = 8, last_error = 'LMS answered 503' WHERE class_id = ?").run(classId);
  db.close();
  // The names come late (as on a loaded server): the rows must still show them, not the students' ids.
  await p.route(/\/results$/, async (route) => {
    await Bun.sleep(500);
    await route.continue();
  });
  await p.reload();
  await section.locator('li[data-grade="failed"]').waitFor();
  expect(await section.getAttribute("data-lms-grades")).toBe("0/0/1");
  expect(await section.locator('li[data-grade="failed"]').textContent()).toMatch(
    /^Lena Learner: not accepted after \d+ tries \(the LMS answered: .*503/,
  );
  expect(await audit(p)).toEqual([]);

  lms.failScores = { status: 503, times: 0 }; // the LMS is back: "send again" goes through, and the page sees it
  await section.getByRole("button", { name: "Send the grades not accepted again" }).click();
  await section.getByText("1 grade sent again.").waitFor();
  await p.waitForFunction(() => document.querySelector("section.lms-grades")?.getAttribute("data-lms-grades") === "1/0/0", null, {
    timeout: 20_000,
  });
  expect(await section.locator("li").count()).toBe(0);
  expect(await section.getByRole("button").count()).toBe(0);
  expect(lms.scores.at(-1)?.body).toMatchObject({ userId: "lena", gradingProgress: "FullyGraded" });
}, 90_000);
