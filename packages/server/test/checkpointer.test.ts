// WAL checkpoints on a worker thread: the writer's connection does none, the WAL still reaches the
// database file, and under writes that never pause the WAL still starts over past its limit.
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { join } from "node:path";
import { Checkpointer } from "../src/store/sqlite/checkpointer.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { GroupCommit } from "../src/store/sqlite/group-commit.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "./support/server.ts";

/** The WAL's length in frames, without a checkpoint. */
const walFrames = (db: Database) => db.query<{ log: number }, []>("PRAGMA wal_checkpoint(NOOP)").get()?.log;
const autocheckpoint = (db: Database) =>
  db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()?.wal_autocheckpoint;

/** A file with a table of one-page rows, written through a group commit with its checkpointer. */
function pageTable(name: string, opts?: ConstructorParameters<typeof Checkpointer>[1]) {
  const path = join(tempDir(), name);
  const db = openDatabase(path, "normal", []);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
  const ckpt = new Checkpointer(db, opts);
  const gc = new GroupCommit(db, ckpt);
  const insert = db.query("INSERT INTO t (k, v) VALUES (?, ?)");
  const writePages = (keys: number[]) => Promise.all(keys.map((k) => gc.write(() => insert.run(k, "x".repeat(3000)))));
  return { path, db, ckpt, gc, insert, writePages };
}
const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

test("the worker copies committed pages into the database file; the writer's connection checkpoints nothing itself", async () => {
  const { path, db, ckpt, gc, insert, writePages } = pageTable("ckpt.db");
  expect(autocheckpoint(db)).toBe(1000); // no worker before the first write
  await gc.write(() => insert.run(-1, ""));
  expect(autocheckpoint(db)).toBe(0);
  // 3000 pages of WAL: SQLite's own checkpoint (at 1000) would have run in the writer's COMMIT.
  await writePages(keys(3000));
  expect(statSync(path).size).toBeLessThan(100_000); // all still in the WAL
  // Within a few of the worker's rounds (100 ms) the pages are in the database file.
  for (let i = 0; i < 100 && statSync(path).size < 3000 * 3000; i++) await Bun.sleep(20);
  expect(statSync(path).size).toBeGreaterThan(3000 * 3000);
  expect(ckpt.selfCheckpoints).toBe(0);
  ckpt.close();
  db.close();
  const again = new Database(path);
  expect(again.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()?.n).toBe(3001);
  again.close();
});

test("a WAL shorter than SQLite's own checkpoint point (1000 frames) is left alone: it grows, so a full disk refuses", async () => {
  const { path, db, ckpt, writePages } = pageTable("ckpt-short.db");
  await writePages(keys(300));
  await Bun.sleep(400); // four of the worker's rounds
  expect(statSync(path).size).toBeLessThan(100_000); // still all in the WAL
  ckpt.close();
  db.close();
});

test("past the limit the writer checkpoints once itself and the WAL starts over", async () => {
  // The worker only reports the WAL's length here (it copies nothing below a million frames): the writer's own checkpoint
  // is under test, and is never refused as busy behind one of the worker's, which a slow disk can keep running for long.
  const { db, ckpt, writePages } = pageTable("ckpt-limit.db", { limitFrames: 200, minFrames: 1_000_000 });
  let k = 0;
  // Writes that never pause for long: batches of 20 pages, each in its own turn, for 1.5 s, and on until the writer has
  // checkpointed (up to 15 s): on a loaded machine the worker's rounds, which tell the writer the WAL's length, come late.
  const started = performance.now();
  const writing = () => performance.now() - started < 1500 || (ckpt.selfCheckpoints === 0 && performance.now() - started < 15_000);
  for (; writing(); k += 20) await writePages(keys(20, k));
  expect(ckpt.selfCheckpoints).toBeGreaterThan(0);
  // The WAL was started over: shorter than the pages written (without, it holds them all and more).
  // Not much shorter on a loaded machine: the writer learns the WAL's length from the worker's rounds.
  expect(walFrames(db) ?? Infinity).toBeLessThan(k);
  ckpt.close();
  db.close();
}, 30_000);

test("a store on a file checkpoints on its worker; close stops it and leaves the file complete", async () => {
  const path = join(tempDir(), "ckpt-store.db");
  const db = openDatabase(path);
  const store = new SqliteStore(db);
  const now = Date.now();
  await store.write(() => store.schools.insert({ id: "sch", name: "School", createdAt: now, updatedAt: now }));
  expect(autocheckpoint(db)).toBe(0); // the worker took over with the first write
  store.close();
  expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
  const again = new Database(path, { readonly: true });
  expect(again.query<{ n: number }, []>("SELECT count(*) AS n FROM schools WHERE id = 'sch'").get()?.n).toBe(1);
  again.close();
});

test("three processes writing one file, each with its checkpoint worker, lose nothing and leave it intact", async () => {
  // cluster.test's instances share one data folder: a checkpointer that disturbed SQLite's locks there
  // (a close() of its own descriptor of -shm once did) broke reads and writes of the other processes.
  const path = join(tempDir(), "shared.db");
  const setup = openDatabase(path, "normal", []);
  setup.exec("CREATE TABLE t (writer TEXT NOT NULL, k INTEGER NOT NULL, v TEXT NOT NULL, PRIMARY KEY (writer, k))");
  setup.close();
  const rows = 3000;
  const writers = ["a", "b", "c"].map((name) =>
    Bun.spawn([process.execPath, join(import.meta.dir, "support/checkpoint-writer.ts"), path, name, String(rows)], {
      stdout: "pipe",
      stderr: "pipe",
    }),
  );
  const results = await Promise.all(
    writers.map(async (p) => ({
      code: await p.exited,
      out: await new Response(p.stdout).text(),
      err: await new Response(p.stderr).text(),
    })),
  );
  for (const r of results) expect({ code: r.code, err: r.err.trim() }).toEqual({ code: 0, err: "" });
  for (const r of results) {
    const { written, copied } = JSON.parse(r.out);
    expect(written).toBe(rows);
    expect(copied).toBeGreaterThan(0); // the workers checkpointed while the rows were written
  }
  const after = new Database(path);
  expect(after.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check).toBe("ok");
  const counts = after
    .query<{ writer: string; n: number; top: number }, []>("SELECT writer, count(*) AS n, max(k) AS top FROM t GROUP BY writer")
    .all();
  expect(counts).toEqual(["a", "b", "c"].map((writer) => ({ writer, n: rows, top: rows - 1 })));
  after.close();
}, 60_000);
