// The city's outbox on a real SQLite file: a class record is queued in the same transaction
// as its row (a write that rolls back leaves neither), versions only grow, even across a restart.
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "../support/server.ts";

test("a record commits with its row, or not at all; versions survive a restart", async () => {
  const dir = tempDir("edgeclass-outbox-");
  const path = join(dir, "edgeclass.db");
  let store = new SqliteStore(openDatabase(path), { centralCity: "north" });
  await store.write(() => store.live.attendanceJoin("c1", "s1", "student", 1000));
  await expect(
    store.write(() => {
      store.live.attendanceJoin("c1", "s2", "student", 1001);
      throw new Error("the write fails after its row");
    }),
  ).rejects.toThrow();
  expect(store.live.attendance("c1").map((a) => a.userId)).toEqual(["s1"]);
  const queued = store.central!.pending(10);
  expect(queued.map((e) => e.record.id)).toEqual(["north:attendance:c1/s1/1000"]);
  await store.write(() => store.live.attendanceLeave("c1", "s1", 2000));
  const both = store.central!.pending(10);
  expect(both).toHaveLength(2);
  expect(both[1].record.rev).toBeGreaterThan(both[0].record.rev);
  expect(both[1].record).toMatchObject({ kind: "attendance", row: { leftAt: 2000 } });
  store.central!.sent(both[1].seq);
  expect(store.central!.size()).toBe(0);
  store.close();

  // After a restart (outbox empty), a new record still gets a later version than any sent.
  store = new SqliteStore(openDatabase(path), { centralCity: "north" });
  await store.write(() => store.live.attendanceJoin("c1", "s3", "student", 3000));
  expect(store.central!.pending(10)[0].record.rev).toBeGreaterThan(both[1].record.rev);
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("without a city nothing is queued (embedded defaults unchanged)", async () => {
  const dir = tempDir("edgeclass-outbox-");
  const store = new SqliteStore(openDatabase(join(dir, "edgeclass.db")));
  expect(store.central).toBeNull();
  await store.write(() => store.live.attendanceJoin("c1", "s1", "student", 1000));
  expect(store.live.attendance("c1")).toHaveLength(1);
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("records carry their class's school (a class the copy does not know: the default school)", async () => {
  const dir = tempDir("edgeclass-outbox-");
  const store = new SqliteStore(openDatabase(join(dir, "edgeclass.db")), { centralCity: "north" });
  store.schools.insert({ id: "lakes", name: "Lakes", createdAt: 1, updatedAt: 1 });
  store.courses.insert({
    id: "k1",
    title: "K",
    description: "",
    status: "active",
    capacity: 10,
    teacherId: "t1",
    createdAt: 1,
    updatedAt: 1,
    schoolId: "lakes",
  });
  const cls = {
    id: "c-lakes",
    courseId: "k1",
    title: "Q",
    startsAt: 1,
    durationMinutes: 60,
    status: "live" as const,
    createdAt: 1,
    startedAt: 1,
    endedAt: null,
    schoolId: "lakes",
  };
  store.classes.insert(cls);
  await store.write(() => store.live.attendanceJoin("c-lakes", "s1", "student", 1000));
  await store.write(() => store.classes.update({ ...cls, status: "ended", endedAt: 2000 }));
  await store.write(() => store.live.attendanceJoin("c-elsewhere", "s1", "student", 1000));
  const rows = store.central!.pending(10).map((e) => [e.record.kind, e.record.row.schoolId]);
  expect(rows).toEqual([
    ["attendance", "lakes"],
    ["class", "lakes"],
    ["attendance", "default"],
  ]);
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
