// Short-lived keys every instance must agree on: revoked sessions, LTI login states, used
// nonces. In SQLite on one instance (a restart keeps them); in Redis with REDIS_URL
// (redis-keys.ts), so a nonce used on one instance is refused on every other.
import type { Database, Statement } from "bun:sqlite";

export interface OneTimeKeys {
  /** Stores key -> value until ttl unless it is already there; true when this call stored it. */
  claim(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The live value, or null. */
  get(key: string): Promise<string | null>;
  /** Reads and removes in one step: only one caller ever gets a value. */
  take(key: string): Promise<string | null>;
}

export class SqliteKeys implements OneTimeKeys {
  private readonly s: Record<"sweep" | "insert" | "get" | "take", Statement>;
  private writes = 0;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.s = {
      sweep: db.query("DELETE FROM auth_keys WHERE expires_at <= ?"),
      // An expired row counts as absent: it is replaced.
      insert: db.query(
        "INSERT INTO auth_keys (key, value, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET value = " +
          "excluded.value, expires_at = excluded.expires_at WHERE auth_keys.expires_at <= ?4",
      ),
      get: db.query("SELECT value FROM auth_keys WHERE key = ? AND expires_at > ?"),
      take: db.query("DELETE FROM auth_keys WHERE key = ? AND expires_at > ? RETURNING value"),
    };
  }

  claim(key: string, value: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    if (++this.writes % 500 === 0) this.s.sweep.run(now);
    return Promise.resolve(this.s.insert.run(key, value, now + ttlMs, now).changes === 1);
  }

  get(key: string): Promise<string | null> {
    return Promise.resolve((this.s.get.get(key, this.now()) as { value: string } | null)?.value ?? null);
  }

  take(key: string): Promise<string | null> {
    return Promise.resolve((this.s.take.get(key, this.now()) as { value: string } | null)?.value ?? null);
  }
}
