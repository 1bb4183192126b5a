// Creating courses and scheduling classes go through the group commit (issue 19, writes): a burst
// of them shares one commit, each answered only once it is durable.
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { Principal } from "../src/domain/model.ts";
import { CoursesService } from "../src/services/courses-service.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "./support/server.ts";

test("a burst of new courses and classes is written in the group commit, durable when answered", async () => {
  const path = join(tempDir(), "course-writes.db");
  const store = new SqliteStore(openDatabase(path));
  const writes: number[] = [];
  const write = store.write.bind(store);
  store.write = <T>(fn: () => T) => {
    writes.push(1);
    return write(fn);
  };
  let n = 0;
  const svc = new CoursesService({ store, now: () => 1_800_000_000_000, newId: () => `id-${++n}`, defaultCapacity: 30 });
  const teacher: Principal = { id: "t1", role: "teacher", name: "T", school: "default" };
  const created = await Promise.all(Array.from({ length: 20 }, (_, i) => svc.createCourse(teacher, { title: `Course ${i}` })));
  const reader = new Database(path, { readonly: true });
  const count = (table: string) => reader.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()?.n;
  expect(count("courses")).toBe(20); // committed before the answers
  const classes = await Promise.all(
    created.map((c) => svc.scheduleClass(teacher, c.id, { startsAt: 1_800_000_600_000, durationMinutes: 45 })),
  );
  expect(count("classes")).toBe(20);
  expect(new Set(classes.map((c) => c.courseId)).size).toBe(20);
  expect(writes).toHaveLength(40);
  reader.close();
  store.close();
});

test("two changes of one course in the same turn both stay: each is read and written inside its write", async () => {
  const store = new SqliteStore(openDatabase(join(tempDir(), "course-patch.db")));
  const svc = new CoursesService({ store, now: () => 1_800_000_000_000, newId: () => "c1", defaultCapacity: 30 });
  const teacher: Principal = { id: "t1", role: "teacher", name: "T", school: "default" };
  await svc.createCourse(teacher, { title: "Physics" });
  const [a, b] = await Promise.all([
    svc.updateCourse(teacher, "c1", { title: "Physics 2" }),
    svc.updateCourse(teacher, "c1", { description: "Waves" }),
  ]);
  expect(a.title).toBe("Physics 2");
  expect(b).toMatchObject({ title: "Physics 2", description: "Waves" });
  expect(store.courses.get("c1")).toMatchObject({ title: "Physics 2", description: "Waves" });
  const archived = await svc.archiveCourse(teacher, "c1");
  expect(archived.status).toBe("archived");
  store.close();
});

test("a row read inside a write that rolls back is not kept in the read cache", async () => {
  const store = new SqliteStore(openDatabase(join(tempDir(), "course-cache.db")));
  const svc = new CoursesService({ store, now: () => 1_800_000_000_000, newId: () => "c1", defaultCapacity: 30 });
  const teacher: Principal = { id: "t1", role: "teacher", name: "T", school: "default" };
  const course = await svc.createCourse(teacher, { title: "Physics" });
  const failed = store.write(() => {
    store.courses.update({ ...course, title: "Never committed" });
    store.courses.get("c1"); // a read of the change, inside the write
    throw new Error("this write fails");
  });
  await expect(failed).rejects.toThrow("this write fails");
  expect(store.courses.get("c1")?.title).toBe("Physics");
  store.close();
});
