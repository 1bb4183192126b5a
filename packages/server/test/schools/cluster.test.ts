// Schools across instances with their own data folders, through a real Redis: a school made on
// one instance, its users and its course reach the other with their school, and the other
// instance keeps them from the default school's users as the first does.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { mintToken } from "../../src/auth/tokens.ts";
import type { Role } from "../../src/domain/model.ts";
import { tempDir } from "../support/server.ts";
import { api, eventually, spawned, startInstance, uniquePrefix } from "../support/instances.ts";

const secret = "schools-cluster-test-secret-0123456789-abcdefghij";
const tok = (role: Role, sub: string, school?: string) => mintToken(secret, { role, sub, school, ttlSeconds: 600 });
const dirs: string[] = [];
afterAll(() => {
  for (const p of spawned) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("a school, its users and its course made on one instance are the same school's on the other", async () => {
  const prefix = uniquePrefix();
  const node = (name: string) => {
    const dataDir = tempDir("edgeclass-schools-node-");
    dirs.push(dataDir);
    return startInstance({
      DATA_DIR: dataDir,
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_PREFIX: prefix,
      INSTANCE_ID: name,
      JWT_SECRET: secret,
      DEMO: "false",
    });
  };
  const [a, b] = await Promise.all([node("a"), node("b")]);
  const admin = await tok("admin", "root");
  expect((await api(a.base, "POST", "/api/schools", admin, { id: "lakes", name: "Lakes School" })).status).toBe(201);

  // b learns the school: its users' tokens are accepted there once it has.
  const head = await tok("school-admin", "head", "lakes");
  await eventually(async () =>
    expect((await api(b.base, "GET", "/api/schools/lakes", head)).body).toMatchObject({ id: "lakes", name: "Lakes School" }),
  );
  const teacher = await tok("teacher", "t-lakes", "lakes");
  expect((await api(a.base, "GET", "/api/me", teacher)).status).toBe(200); // recorded on a, in lakes
  // The school admin on b makes a course for the teacher a recorded.
  const created = await eventually(async () => {
    const r = await api(b.base, "POST", "/api/courses", head, { title: "Rivers", status: "active", teacherId: "t-lakes" });
    expect(r.status).toBe(201);
    return r.body;
  });
  expect(created.schoolId).toBe("lakes");

  // On a: the lakes teacher has it; the default school's teacher and admin-less school get 404.
  await eventually(async () =>
    expect((await api(a.base, "GET", `/api/courses/${created.id}`, teacher)).body).toMatchObject({
      schoolId: "lakes",
      teacherId: "t-lakes",
    }),
  );
  const other = await api(a.base, "GET", `/api/courses/${created.id}`, await tok("teacher", "t-default"));
  expect(other.status).toBe(404);
  expect((await api(a.base, "GET", "/api/courses?schoolId=lakes", admin)).body.items.map((c: { title: string }) => c.title)).toEqual([
    "Rivers",
  ]);
  // A rename on b reaches a.
  expect((await api(b.base, "PATCH", "/api/schools/lakes", admin, { name: "Lakes Academy" })).status).toBe(200);
  await eventually(async () => expect((await api(a.base, "GET", "/api/schools/lakes", admin)).body.name).toBe("Lakes Academy"));
}, 60_000);
