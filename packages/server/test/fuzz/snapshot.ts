// The state a fuzz case must leave alone, as the REST API shows it to an admin: every
// course, and for the courses in focus their classes, roster and question bank, and a live
// class's results and attendance.
import type { TestServer } from "../support/server.ts";

/** One admin token per server (each test file starts its own, with its own secret). */
const adminTokens = new WeakMap<object, Promise<string>>();

export interface Focus {
  /** Courses read in full (default: every course; a long run that creates many keeps this short). */
  courses?: readonly string[];
  /** Classes whose results and attendance are read. */
  classes?: readonly string[];
}

export async function restSnapshot(t: Pick<TestServer, "call" | "token">, focus: Focus = {}): Promise<unknown> {
  let pending = adminTokens.get(t);
  if (!pending) adminTokens.set(t, (pending = t.token("admin", "fz-admin", 3600)));
  const token = await pending;
  const get = async (path: string) => {
    const r = await t.call("GET", path, { token });
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const courses = (await get("/api/courses?limit=500")).items as { id: string }[];
  const out: Record<string, unknown> = { courses };
  for (const c of courses) {
    if (focus.courses && !focus.courses.includes(c.id)) continue;
    out[`course ${c.id}`] = await get(`/api/courses/${c.id}`);
    const classes = (await get(`/api/courses/${c.id}/classes?limit=500`)).items as { id: string }[];
    out[`classes ${c.id}`] = classes;
    out[`enrollments ${c.id}`] = await get(`/api/courses/${c.id}/enrollments?limit=500`);
    out[`questions ${c.id}`] = await get(`/api/courses/${c.id}/questions?limit=500`);
    for (const cls of classes) {
      if (!focus.classes?.includes(cls.id)) continue;
      out[`results ${cls.id}`] = await get(`/api/classes/${cls.id}/results`);
      out[`attendance ${cls.id}`] = await get(`/api/classes/${cls.id}/attendance`);
    }
  }
  return out;
}
