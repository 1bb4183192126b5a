// Opens the SQLite file in WAL mode and brings its schema up to date.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DbSyncMode } from "../../config/config.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";

export function openDatabase(path: string, sync: DbSyncMode = "normal", migrations: readonly Migration[] = MIGRATIONS): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  // NORMAL in WAL mode loses nothing on a process crash; FULL also survives power loss.
  db.exec(`PRAGMA synchronous = ${sync === "full" ? "FULL" : "NORMAL"}`);
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  migrate(db, migrations);
  return db;
}

export function migrate(db: Database, migrations: readonly Migration[]): number[] {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const applied: number[] = [];
  const done = new Set(
    db
      .query<{ version: number }, []>("SELECT version FROM schema_migrations")
      .all()
      .map((r) => r.version),
  );
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    // PRAGMA foreign_keys is ignored inside a transaction: switched off (and back) around it.
    const fkWasOn =
      m.foreignKeysOff === true && (db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()?.foreign_keys ?? 0) === 1;
    if (fkWasOn) db.exec("PRAGMA foreign_keys = OFF");
    try {
      // IMMEDIATE, and the check again inside: several processes may start on one data folder at once.
      db.transaction(() => {
        if (db.query("SELECT 1 FROM schema_migrations WHERE version = ?").get(m.version) !== null) return;
        db.exec(m.sql);
        if (m.foreignKeysOff === true) {
          const broken = db.query<{ table: string; parent: string }, []>("PRAGMA foreign_key_check").all();
          if (broken.length > 0)
            throw new Error(
              `migration ${m.version} leaves ${broken.length} rows with a missing parent (first: ${broken[0].table} -> ` +
                `${broken[0].parent})`,
            );
        }
        db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
        applied.push(m.version);
      }).immediate();
    } finally {
      if (fkWasOn) db.exec("PRAGMA foreign_keys = ON");
    }
  }
  return applied;
}
