// Group commit on a real SQLite file: one transaction per burst, failures isolated, nothing lost.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { newTrace, stagesOf, withTrace } from "../src/obs/event-trace.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { GroupCommit } from "../src/store/sqlite/group-commit.ts";
import { tempDir } from "./support/server.ts";

test("a burst of writes shares one commit; a failing write rolls back alone", async () => {
  const path = join(tempDir(), "gc.db");
  const db = openDatabase(path, "normal", []);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY)");
  const gc = new GroupCommit(db);
  const insert = db.query("INSERT INTO t (k) VALUES (?)");
  const results = await Promise.allSettled(
    Array.from({ length: 500 }, (_, i) => gc.write(() => insert.run(i === 250 ? 1 : i + 1).changes)),
  );
  expect(gc.batches).toBe(1);
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(499);
  expect(results[250].status).toBe("rejected"); // duplicate key
  db.close();
  // Durable: a fresh connection to the file sees every acknowledged write.
  const again = openDatabase(path, "normal", []);
  expect(again.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()?.n).toBe(499);
  again.close();
});

test("a write made for a live frame stamps the frame's trace with its queue and commit times", async () => {
  const db = openDatabase(join(tempDir(), "gc-trace.db"), "normal", []);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY)");
  const gc = new GroupCommit(db);
  const insert = db.query("INSERT INTO t (k) VALUES (?)");
  const trace = newTrace(performance.now());
  const untraced = gc.write(() => insert.run(1));
  await withTrace(trace, async () => {
    await gc.write(() => insert.run(2));
    await gc.write(() => insert.run(3)); // a second write keeps the first's times
  });
  await untraced;
  expect(trace.commitQueuedAt).toBeGreaterThanOrEqual(trace.receivedAt);
  expect(trace.commitStartAt).toBeGreaterThanOrEqual(trace.commitQueuedAt);
  expect(trace.committedAt).toBeGreaterThanOrEqual(trace.commitStartAt);
  const firstCommit = trace.committedAt;
  const stages = stagesOf(trace, firstCommit + 0.5, firstCommit + 0.7, firstCommit + 1);
  expect(stages.resume).toBeCloseTo(0.0005, 6);
  expect(stages.serialise).toBeCloseTo(0.0002, 6);
  const total = Object.values(stages).reduce((a, b) => a + b, 0);
  expect(total).toBeCloseTo((firstCommit + 1 - trace.receivedAt) / 1000, 6);
  db.close();
});

test("an event without a durable write has no commit stages", () => {
  const trace = newTrace(10);
  trace.validatedAt = 10.2;
  const stages = stagesOf(trace, 10.5, 10.6, 11);
  const want = { parse: 0.0002, room: 0.0003, commit_wait: 0, commit: 0, resume: 0, serialise: 0.0001, publish: 0.0004 };
  for (const [stage, seconds] of Object.entries(want)) expect(stages[stage as keyof typeof want]).toBeCloseTo(seconds, 9);
});

test("writeNow commits at once, in one transaction with the writes queued before it and none after", async () => {
  const path = join(tempDir(), "gc-now.db");
  const db = openDatabase(path, "normal", []);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY)");
  const gc = new GroupCommit(db);
  const insert = db.query("INSERT INTO t (k) VALUES (?)");
  const reader = openDatabase(path, "normal", []);
  const committed = () =>
    reader
      .query<{ k: number }, []>("SELECT k FROM t ORDER BY k")
      .all()
      .map((r) => r.k);
  const settled: number[] = [];
  const before = gc.write(() => insert.run(1)).then(() => settled.push(1));
  const now = gc.writeNow(() => insert.run(2)).then(() => settled.push(2));
  const after = gc.write(() => insert.run(3)).then(() => settled.push(3));
  // Durable before the caller's turn ends: the earlier write with it, the later one not yet.
  expect(committed()).toEqual([1, 2]);
  expect(gc.batches).toBe(1);
  await Promise.all([before, now, after]);
  expect(settled).toEqual([1, 2, 3]);
  expect(committed()).toEqual([1, 2, 3]);
  expect(gc.batches).toBe(2);
  reader.close();
  db.close();
});

test("writeNow inside a transaction is queued, not committed in the middle of it", async () => {
  const db = openDatabase(join(tempDir(), "gc-now-tx.db"), "normal", []);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY)");
  const gc = new GroupCommit(db);
  const insert = db.query("INSERT INTO t (k) VALUES (?)");
  let done: Promise<unknown> = Promise.resolve();
  db.transaction(() => {
    insert.run(1);
    done = gc.writeNow(() => insert.run(2));
  })();
  expect(gc.batches).toBe(0);
  await done;
  expect(gc.batches).toBe(1);
  expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()?.n).toBe(2);
  db.close();
});
