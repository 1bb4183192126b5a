// The catalogue journal carries schools and every row's school: a copy that receives a change
// learns the school first (kind order), rows keep their school, and a change from an instance
// older than schools (no schoolId) lands in the default school.
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { CatalogueChange } from "../../src/store/catalogue.ts";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "../support/server.ts";

function openStore(name: string) {
  const dir = tempDir("edgeclass-schools-");
  const store = new SqliteStore(openDatabase(join(dir, "edgeclass.db")), { cacheRows: false, replicateAs: name });
  return { store, journal: store.catalogue!, done: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

test("a school and its course written on one copy arrive whole on another, whatever order they were sent in", () => {
  const a = openStore("a");
  const b = openStore("b");
  a.store.schools.insert({ id: "north", name: "North High", createdAt: 1, updatedAt: 1 });
  a.store.courses.insert({
    id: "c1",
    title: "Optics",
    description: "",
    status: "active",
    capacity: 5,
    teacherId: "t1",
    createdAt: 2,
    updatedAt: 2,
    schoolId: "north",
  });
  a.store.enrollments.add("c1", [{ id: "s1", name: "Sam" }], 3);
  const sent = a.journal.pending(100).map((e) => e.change);
  expect(sent.map((c) => c.kind)).toEqual(["school", "course", "enrollment"]);
  // Reversed: the journal applies a school before the rows that name it.
  expect(b.journal.apply([...sent].reverse())).toEqual({ applied: 3, rejected: [] });
  expect(b.store.schools.get("north")?.name).toBe("North High");
  expect(b.store.courses.get("c1")?.schoolId).toBe("north");
  expect(b.store.users.get("s1")?.schoolId).toBe("north");
  // The full export (a new instance's first sync) carries the schools too.
  expect(a.journal.exportPage("school", "", 10).map((c) => c.key)).toEqual(["default", "north"]);
  expect(a.journal.exportPage("course", "", 10)[0].row).toMatchObject({ schoolId: "north" });
  a.done();
  b.done();
});

test("a course of a school this copy does not know is left out, not put in another school", () => {
  const b = openStore("b");
  const orphan: CatalogueChange = {
    kind: "course",
    key: "c2",
    row: {
      id: "c2",
      title: "x",
      description: "",
      status: "active",
      capacity: 5,
      teacherId: "t1",
      createdAt: 1,
      updatedAt: 1,
      schoolId: "unknown",
    },
    rev: 5,
    origin: "a",
  };
  expect(b.journal.apply([orphan]).rejected).toHaveLength(1);
  expect(b.store.courses.get("c2")).toBeUndefined();
  b.done();
});

test("a change from an instance older than schools (no schoolId) lands in the default school", () => {
  const b = openStore("b");
  const old = {
    kind: "course",
    key: "c3",
    row: { id: "c3", title: "Old", description: "", status: "active", capacity: 5, teacherId: "t1", createdAt: 1, updatedAt: 1 },
    rev: 5,
    origin: "a",
  };
  expect(b.journal.apply([old as unknown as CatalogueChange]).applied).toBe(1);
  expect(b.store.courses.get("c3")?.schoolId).toBe("default");
  b.done();
});

test("a join forwarded by an instance older than schools (no school on the principal) is the default school's", async () => {
  const { decodeRequest } = await import("../../src/cluster/codec.ts");
  const old = decodeRequest(
    JSON.stringify({ t: "admit", id: "i:p:1", from: "i", principal: { id: "s1", role: "student", name: "S" }, enrolled: true }),
  );
  expect(old).toMatchObject({ principal: { id: "s1", school: "default" } });
  const north = decodeRequest(
    JSON.stringify({
      t: "admit",
      id: "i:p:2",
      from: "i",
      principal: { id: "s2", role: "student", name: "S", school: "north" },
      enrolled: true,
    }),
  );
  expect(north).toMatchObject({ principal: { school: "north" } });
  expect(
    decodeRequest(
      JSON.stringify({
        t: "admit",
        id: "i:p:3",
        from: "i",
        principal: { id: "s3", role: "student", name: "S", school: 7 },
        enrolled: true,
      }),
    ),
  ).toBeNull();
});
