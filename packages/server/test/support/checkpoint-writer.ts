// One of several processes writing one SQLite file, each with its own checkpoint worker
// (checkpointer.test): writes ROWS rows of ~3 KB in batches through the group commit, reads its
// own rows back after each batch, and prints {"written":N,"copied":frames} (the most WAL frames
// it saw already checkpointed) or exits 1 with the error.
//   bun checkpoint-writer.ts PATH WRITER ROWS
import { Checkpointer } from "../../src/store/sqlite/checkpointer.ts";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { GroupCommit } from "../../src/store/sqlite/group-commit.ts";

const [path, writer, rows] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const db = openDatabase(path, "normal", []);
// The workers look every 2 ms and checkpoint from 50 pages on, hundreds of times meanwhile; the writers never do.
const checkpointer = new Checkpointer(db, { limitFrames: 1_000_000, minFrames: 50, intervalMs: 2 });
const commits = new GroupCommit(db, checkpointer);
const insert = db.prepare("INSERT INTO t (writer, k, v) VALUES (?, ?, ?)");
const wal = db.prepare<{ checkpointed: number }, []>("PRAGMA wal_checkpoint(NOOP)");
const count = db.prepare<{ n: number }, [string]>("SELECT count(*) AS n FROM t WHERE writer = ?");
let copied = 0;
try {
  for (let k = 0; k < rows; ) {
    const batch = Array.from({ length: 20 }, () => {
      const key = k++;
      return commits.write(() => insert.run(writer, key, "v".repeat(3000)));
    });
    await Promise.all(batch);
    const seen = count.get(writer)?.n;
    if (seen !== k) throw new Error(`after ${k} rows written, ${seen} read back`);
    copied = Math.max(copied, wal.get()?.checkpointed ?? 0);
    if (k % 100 === 0) await Bun.sleep(2); // lets the other processes and the worker in
  }
  checkpointer.close();
  db.close();
  console.log(JSON.stringify({ written: rows, copied }));
} catch (e) {
  console.error(String((e as Error).stack ?? e));
  process.exit(1);
}
