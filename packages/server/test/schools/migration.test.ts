// Migration 6 (schools) on a database written before it: every existing row lands in the
// default school, references still hold, and the new columns and role are enforced.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { migrate } from "../../src/store/sqlite/database.ts";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";

function before6(): Database {
  const db = new Database(":memory:", { strict: true });
  db.exec("PRAGMA foreign_keys = ON");
  migrate(
    db,
    MIGRATIONS.filter((m) => m.version < 6),
  );
  db.exec(
    `
    INSERT INTO users (id, name, role, created_at) VALUES ('t1', 'Ada', 'teacher', 1), ('s1', 'Grace', 'student', 1), ` +
      `('admin', 'Root', 'admin', 1);
    INSERT INTO courses (id, title, status, capacity, teacher_id, created_at, updated_at) VALUES ('c1', 'Physics', ` +
      `'active', 30, 't1', 1, 1);
    INSERT INTO enrollments (course_id, student_id, created_at) VALUES ('c1', 's1', 2);
    INSERT INTO classes (id, course_id, title, starts_at, duration_minutes, status, created_at) VALUES ('k1', 'c1', ` +
      `'Live', 3, 60, 'scheduled', 3);
    INSERT INTO questions (id, course_id, draft, created_at) VALUES ('q1', 'c1', '{"kind":"truefalse","prompt":"?","correct":true}', 4);
  `,
  );
  return db;
}

test("existing rows go to the default school; enrolments keep their users", () => {
  const db = before6();
  expect(migrate(db, MIGRATIONS)[0]).toBe(6); // later migrations (20: school sign-in) follow
  const store = new SqliteStore(db);
  expect(store.schools.get("default")).toMatchObject({ id: "default", name: "Default school" });
  expect(store.users.get("t1")).toEqual({ id: "t1", name: "Ada", role: "teacher", createdAt: 1, schoolId: "default" });
  expect(store.courses.get("c1")?.schoolId).toBe("default");
  expect(store.classes.get("k1")?.schoolId).toBe("default");
  expect(store.live.getQuestion("q1")?.schoolId).toBe("default");
  expect(store.enrollments.isEnrolled("c1", "s1")).toBe(true);
  // Foreign keys are back on after the migration, and the rebuilt users table is still a parent.
  expect(db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()?.foreign_keys).toBe(1);
  expect(() => db.exec("INSERT INTO enrollments (course_id, student_id, created_at) VALUES ('c1', 'nobody', 5)")).toThrow(/FOREIGN KEY/);
  expect(() => db.exec("DELETE FROM users WHERE id = 's1'")).toThrow(/FOREIGN KEY/);
  store.close();
});

test("the schema after 6: school-admin is a role, a row's school must exist", () => {
  const db = before6();
  migrate(db, MIGRATIONS);
  db.exec("INSERT INTO schools (id, name, created_at, updated_at) VALUES ('north', 'North', 1, 1)");
  db.exec("INSERT INTO users (id, name, role, created_at, school_id) VALUES ('sa', 'Head', 'school-admin', 1, 'north')");
  expect(() => db.exec("INSERT INTO users (id, name, role, created_at) VALUES ('x', 'X', 'owner', 1)")).toThrow(/CHECK/);
  expect(() => db.exec("INSERT INTO users (id, name, role, created_at, school_id) VALUES ('y', 'Y', 'student', 1, 'nowhere')")).toThrow(
    /FOREIGN KEY/,
  );
  expect(() => db.exec("UPDATE courses SET school_id = 'nowhere' WHERE id = 'c1'")).toThrow(/FOREIGN KEY/);
  // A student first named by an enrolment joins the course's school.
  const store = new SqliteStore(db);
  store.courses.insert({
    id: "c2",
    title: "North course",
    description: "",
    status: "active",
    capacity: 5,
    teacherId: "t1",
    createdAt: 1,
    updatedAt: 1,
    schoolId: "north",
  });
  store.enrollments.add("c2", [{ id: "s9", name: "New" }], 5);
  expect(store.users.get("s9")?.schoolId).toBe("north");
  store.close();
});

test("a migration that would leave a dangling reference is refused whole", () => {
  const db = before6();
  const broken = {
    version: 7,
    name: "bad",
    foreignKeysOff: true,
    sql:
      "INSERT INTO courses (id, title, status, capacity, teacher_id, created_at, updated_at, school_id) VALUES ('c9', 'x', " +
      "'active', 1, 't1', 1, 1, 'nowhere')",
  };
  expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow(/migration 7 leaves 1 rows with a missing parent/);
  expect(db.query("SELECT 1 FROM courses WHERE id = 'c9'").get()).toBeNull();
  expect(db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()?.foreign_keys).toBe(1);
});
