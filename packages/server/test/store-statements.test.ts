// The stores prepare their statements on first use (store/sqlite/prepared.ts, issue 19), so a statement
// with bad SQL would no longer stop the start: it would fail the first request that runs it. This test
// prepares every statement the stores hold, against the migrated schema, without running any.
import { expect, test } from "bun:test";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { SqliteImages } from "../src/store/sqlite/images.ts";
import { Prepared } from "../src/store/sqlite/prepared.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";

/** Every Prepared reachable from `root` through own properties (records of them included). */
function preparedIn(root: object, seen = new Set<object>()): Prepared[] {
  if (seen.has(root)) return [];
  seen.add(root);
  if (root instanceof Prepared) return [root];
  return Object.values(root).flatMap((v) => (typeof v === "object" && v !== null && !ArrayBuffer.isView(v) ? preparedIn(v, seen) : []));
}

test("every statement of the stores prepares against the schema", () => {
  const db = openDatabase(":memory:");
  const store = new SqliteStore(db, { cacheRows: false, replicateAs: "here", centralCity: "here" });
  const statements = preparedIn({ store, images: new SqliteImages(db, null) });
  expect(statements.length).toBeGreaterThan(40);
  for (const s of statements) expect(() => s.prepare()).not.toThrow();
  store.close();
});
