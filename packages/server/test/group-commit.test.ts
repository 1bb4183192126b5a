// Group commit on a real SQLite file: one transaction per burst, failures isolated, nothing lost.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { GroupCommit } from "../src/store/sqlite/group-commit.ts";
import { tempDir } from "./support/server.ts";

test("a burst of writes shares one commit; a failing write rolls back alone", async () => {
  const path = join(tempDir(), "gc.db");
  const db = openDatabase(path, "normal", []);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY)");
  const gc = new GroupCommit(db);
  const insert = db.query("INSERT INTO t (k) VALUES (?)");
  const results = await Promise.allSettled(Array.from({ length: 500 }, (_, i) => gc.write(() => insert.run(i === 250 ? 1 : i + 1).changes)));
  expect(gc.batches).toBe(1);
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(499);
  expect(results[250].status).toBe("rejected"); // duplicate key
  db.close();
  // Durable: a fresh connection to the file sees every acknowledged write.
  const again = openDatabase(path, "normal", []);
  expect(again.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()?.n).toBe(499);
  again.close();
});
