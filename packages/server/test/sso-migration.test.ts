// Migration 23 on a database written by 20 and 21: identity providers and LTI rows move into
// the replicated records unchanged (the sealed secret still opens), and the old tables go.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { Records } from "../src/auth/records.ts";
import { IdentityProviders } from "../src/auth/oidc/registry.ts";
import { deriveKey, seal } from "../src/auth/seal.ts";
import { LtiRegistry } from "../src/lti/registry.ts";
import { migrate } from "../src/store/sqlite/database.ts";
import { MIGRATIONS } from "../src/store/sqlite/migrations.ts";

test("rows of 20 and 21 become records", () => {
  const db = new Database(":memory:", { strict: true });
  migrate(
    db,
    MIGRATIONS.filter((m) => m.version < 23),
  );
  const key = deriveKey("a-test-secret-that-is-long-enough-0123456789", "sealed-secrets");
  db.query(
    "INSERT INTO school_identity_providers VALUES ('s1', 'https://idp', 'cid', ?, 'client_secret_post', 'openid', 'roles', " +
      "'[\"Teacher\"]', 1, 2)",
  ).run(seal(key, "shh"));
  db.exec(
    `
    INSERT INTO lti_platforms VALUES ('p1', 's1', 'LMS', 'https://lms', 'tool', 'https://lms/auth', ` +
      `'https://lms/token', 'https://lms/jwks', 3, 4);
    INSERT INTO lti_deployments VALUES ('p1', 'd1'), ('p1', 'd2');
    INSERT INTO lti_contexts VALUES ('p1', 'ctx', 'course-1', 'https://lms/nrps');
    INSERT INTO lti_links VALUES ('p1', 'rl', 'class-1', NULL);
    INSERT INTO lti_users VALUES ('s1:u', 'p1', 'sub-u');
  `,
  );
  expect(migrate(db, MIGRATIONS)[0]).toBe(23); // later migrations follow
  const records = new Records(db, null);
  expect(new IdentityProviders(records, key).get("s1")).toEqual({
    schoolId: "s1",
    issuer: "https://idp",
    clientId: "cid",
    clientSecret: "shh",
    tokenAuthMethod: "client_secret_post",
    scopes: "openid",
    roleClaim: "roles",
    teacherValues: ["Teacher"],
    createdAt: 1,
    updatedAt: 2,
  });
  const lti = new LtiRegistry(records);
  expect(lti.byIssuer("https://lms")).toEqual([
    {
      id: "p1",
      schoolId: "s1",
      name: "LMS",
      issuer: "https://lms",
      clientId: "tool",
      authLoginUrl: "https://lms/auth",
      authTokenUrl: "https://lms/token",
      jwksUrl: "https://lms/jwks",
      deploymentIds: ["d1", "d2"],
      createdAt: 3,
      updatedAt: 4,
    },
  ]);
  expect(lti.contextOfCourse("course-1")).toEqual({
    platformId: "p1",
    contextId: "ctx",
    courseId: "course-1",
    membershipsUrl: "https://lms/nrps",
  });
  expect(lti.linksOfClass("class-1")).toEqual([{ platformId: "p1", resourceLinkId: "rl", classId: "class-1", lineitemUrl: null }]);
  expect(lti.user("s1:u")).toEqual({ platformId: "p1", sub: "sub-u" });
  expect(
    db.query("SELECT name FROM sqlite_master WHERE name LIKE 'lti_%' OR name = 'school_identity_providers' ORDER BY name").all(),
  ).toEqual([{ name: "lti_grade_outbox" }, { name: "lti_grade_outbox_due" }]);
});
