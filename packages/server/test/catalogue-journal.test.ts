// The catalogue journal on a real SQLite file: newest version wins, removals stay removed,
// local writes are queued once, and an export carries every row with its version.
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { CatalogueChange } from "../src/store/catalogue.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "./support/server.ts";

function openStore(name: string) {
  const dir = tempDir("edgeclass-journal-");
  const store = new SqliteStore(openDatabase(join(dir, "edgeclass.db")), { cacheRows: false, replicateAs: name });
  return { store, journal: store.catalogue!, done: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

const course = (title: string, updatedAt: number) => ({
  id: "c1",
  title,
  description: "",
  status: "active" as const,
  capacity: 10,
  teacherId: "t1",
  createdAt: 1,
  updatedAt,
  schoolId: "default",
});
const courseChange = (title: string, rev: number, origin: string): CatalogueChange => ({
  kind: "course",
  key: "c1",
  row: course(title, rev),
  rev,
  origin,
});

test("newest version wins whatever the order; equal revs are decided by origin", () => {
  const { store, journal, done } = openStore("here");
  expect(journal.apply([courseChange("v2", 2000, "b"), courseChange("v1", 1000, "a")]).applied).toBe(1);
  expect(store.courses.get("c1")?.title).toBe("v2");
  expect(journal.apply([courseChange("tie-a", 2000, "a")]).applied).toBe(0);
  expect(journal.apply([courseChange("tie-c", 2000, "c")]).applied).toBe(1);
  expect(store.courses.get("c1")?.title).toBe("tie-c");
  // A local write after seeing rev 2000 gets a later version, so it wins everywhere.
  store.courses.update(course("local", 5));
  const queued = journal.pending(10).map((e) => e.change);
  expect(queued).toHaveLength(1);
  expect(queued[0]).toMatchObject({ kind: "course", key: "c1", origin: "here" });
  expect(queued[0].rev).toBeGreaterThan(2000);
  done();
});

test("a removed enrolment is not brought back by an older add, and exports as removed", async () => {
  const { store, journal, done } = openStore("here");
  journal.apply([courseChange("c", 10, "a")]);
  await store.write(() => store.enrollments.add("c1", [{ id: "s1", name: "Sam" }], 20));
  expect(store.enrollments.isEnrolled("c1", "s1")).toBe(true);
  await store.write(() => store.enrollments.remove("c1", "s1"));
  const late: CatalogueChange = {
    kind: "enrollment",
    key: "c1/s1",
    row: { courseId: "c1", studentId: "s1", name: "Sam", enrolledAt: 20 },
    rev: 30,
    origin: "b",
  };
  expect(journal.apply([late]).applied).toBe(0);
  expect(store.enrollments.isEnrolled("c1", "s1")).toBe(false);
  const exported = journal.exportPage("enrollment", "", 10);
  expect(exported).toEqual([expect.objectContaining({ key: "c1/s1", row: null, origin: "here" })]);
  // Two local changes queued (add, remove), sent in order; the outbox then empties.
  const pending = journal.pending(10);
  expect(pending.map((e) => e.change.row === null)).toEqual([false, true]);
  journal.sent(pending[1].seq);
  expect(journal.outboxSize()).toBe(0);
  done();
});

test("rows written before replication export as the oldest version; a failed write queues nothing", async () => {
  const dir = tempDir("edgeclass-journal-");
  const path = join(dir, "edgeclass.db");
  const plain = new SqliteStore(openDatabase(path));
  plain.courses.insert(course("old", 1));
  plain.close();
  const store = new SqliteStore(openDatabase(path), { cacheRows: false, replicateAs: "here" });
  expect(store.catalogue!.exportPage("course", "", 10)).toEqual([expect.objectContaining({ key: "c1", rev: 0, origin: "" })]);
  expect(() => store.courses.insert(course("duplicate id", 2))).toThrow();
  expect(store.catalogue!.outboxSize()).toBe(0);
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a change this copy cannot take is left out; the rest of the batch is applied", () => {
  const { store, journal, done } = openStore("here");
  const orphan: CatalogueChange = {
    kind: "class",
    key: "k1",
    row: {
      id: "k1",
      courseId: "no-such-course",
      title: "x",
      startsAt: 1,
      durationMinutes: 60,
      status: "scheduled",
      createdAt: 1,
      startedAt: null,
      endedAt: null,
      schoolId: "default",
    },
    rev: 5,
    origin: "b",
  };
  const r = journal.apply([orphan, courseChange("fine", 6, "b")]);
  expect(r.applied).toBe(1);
  expect(r.rejected.map((c) => c.key)).toEqual(["k1"]);
  expect(store.courses.get("c1")?.title).toBe("fine");
  expect(store.classes.get("k1")).toBeUndefined();
  done();
});
