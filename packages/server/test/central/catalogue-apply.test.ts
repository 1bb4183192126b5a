// A city's copy taking the centre's catalogue changes (store/sqlite/catalogue-journal.ts): on a
// real SQLite file. Applied changes go on to Redis's outbox with the centre's version (one
// transaction); a city without Redis records versions for its own writes but queues nothing.
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { CatalogueChange } from "../../src/store/catalogue.ts";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "../support/server.ts";

function openStore(opts: { replicateAs?: string; centralCity?: string }) {
  const dir = tempDir("edgeclass-city-copy-");
  const store = new SqliteStore(openDatabase(join(dir, "edgeclass.db")), { cacheRows: false, ...opts });
  return { store, journal: store.catalogue!, done: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

const course = (title: string, at: number) => ({
  id: "c1",
  title,
  description: "",
  status: "active" as const,
  capacity: 10,
  teacherId: "t1",
  createdAt: 1,
  updatedAt: at,
  schoolId: "default",
});
const central = (title: string, rev: number): CatalogueChange => ({
  kind: "course",
  key: "c1",
  row: course(title, rev),
  rev,
  origin: "central",
});

test("with Redis: what the centre sends is applied newest-wins and queued, with the centre's version, for the other instances", () => {
  const { store, journal, done } = openStore({ replicateAs: "north-a", centralCity: "north" });
  const enrol: CatalogueChange = {
    kind: "enrollment",
    key: "c1/s1",
    row: { courseId: "c1", studentId: "s1", name: "Sam", enrolledAt: 5 },
    rev: 1001,
    origin: "central",
  };
  const orphan: CatalogueChange = {
    kind: "enrollment",
    key: "c9/s1",
    row: { courseId: "c9", studentId: "s1", name: "Sam", enrolledAt: 5 },
    rev: 1002,
    origin: "central",
  };
  const r = journal.applyFromCentre([enrol, central("v1", 1000), orphan]);
  expect(r.applied.map((c) => c.key)).toEqual(["c1", "c1/s1"]); // the course first, whatever the order sent
  expect(r.rejected.map((c) => c.key)).toEqual(["c9/s1"]); // no course c9 here (yet)
  expect(journal.pending(10).map((e) => e.change)).toEqual([central("v1", 1000), enrol]);
  expect(store.enrollments.isEnrolled("c1", "s1")).toBe(true);
  // A replay of an older version: stale, nothing written or queued.
  const again = journal.applyFromCentre([central("old", 999)]);
  expect(again).toEqual({ applied: [], stale: [central("old", 999)], rejected: [] });
  expect(store.courses.get("c1")?.title).toBe("v1");
  expect(journal.pending(10)).toHaveLength(2);
  done();
});

test("a city without Redis: its own writes get versions (so an older central change cannot undo them) and nothing is queued", () => {
  const { store, journal, done } = openStore({ centralCity: "south" });
  journal.applyFromCentre([central("central", 1000)]);
  store.courses.update(course("local edit", 2)); // newer: the copy has seen rev 1000, so this one is later
  expect(journal.applyFromCentre([central("older central", 1500)]).stale).toHaveLength(1);
  expect(store.courses.get("c1")?.title).toBe("local edit");
  expect(journal.applyFromCentre([central("newer central", Date.now() + 60_000)]).applied).toHaveLength(1);
  expect(store.courses.get("c1")?.title).toBe("newer central");
  expect(journal.pending(10)).toEqual([]);
  done();
});
