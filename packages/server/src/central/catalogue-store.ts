// The catalogue authored at the centre, in PostgreSQL. Each write stores the row's new version
// and queues the change in an outbox in one transaction, so an acknowledged write always
// reaches the hub's catalogue stream (central/catalogue-publisher.ts), even after a crash.
// Versions: milliseconds, bumped past the newest the centre has issued (a clock set back
// cannot reuse one), origin "central"; the cities apply them newest-wins.
import type { SQL } from "bun";
import type { CatalogueChange, CatalogueRow } from "../store/catalogue.ts";

/** jsonb comes back as text from Bun's driver (as an object from others). */
const fromJson = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);

type RowOf<K extends CatalogueRow["kind"]> = NonNullable<Extract<CatalogueRow, { kind: K }>["row"]>;

const CENTRAL_ORIGIN = "central";

export class CentralCatalogue {
  /** Told after a write commits (the publisher wakes up). */
  onWritten: () => void = () => {};

  constructor(private readonly sql: SQL) {}

  /** Stores the rows with new versions and queues their changes; all or none. */
  async put(rows: (CatalogueRow & { key: string })[]): Promise<CatalogueChange[]> {
    if (rows.length === 0) return [];
    const changes = await this.sql.begin(async (tx) => {
      await tx.unsafe("SELECT pg_advisory_xact_lock(418002)"); // one issuer of versions at a time
      const [{ rev }] = await tx.unsafe("SELECT coalesce(max(rev), 0)::bigint AS rev FROM central_catalogue");
      let last = Number(rev);
      const out: CatalogueChange[] = [];
      for (const r of rows) {
        last = Math.max(Date.now(), last + 1);
        const c = { ...r, rev: last, origin: CENTRAL_ORIGIN } as CatalogueChange;
        await tx.unsafe(
          "INSERT INTO central_catalogue (kind, key, row, rev, origin) VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT " +
            "(kind, key) DO UPDATE SET row = excluded.row, rev = excluded.rev, origin = excluded.origin",
          [c.kind, c.key, c.row === null ? null : JSON.stringify(c.row), c.rev, c.origin],
        );
        await tx.unsafe("INSERT INTO central_catalogue_outbox (change) VALUES ($1::jsonb)", [JSON.stringify(c)]);
        out.push(c);
      }
      return out;
    });
    this.onWritten();
    return changes;
  }

  /** The centre's current row of a kind and key (null: never written, or removed). */
  async get<K extends CatalogueRow["kind"]>(kind: K, key: string): Promise<RowOf<K> | null> {
    const rows = await this.sql.unsafe("SELECT row FROM central_catalogue WHERE kind = $1 AND key = $2", [kind, key]);
    return (fromJson(rows[0]?.row ?? null) ?? null) as RowOf<K> | null;
  }

  /** Rows of a kind, newest first (the admin page lists courses). */
  async list(kind: CatalogueRow["kind"], limit: number): Promise<{ key: string; row: unknown; rev: number }[]> {
    const rows = await this.sql.unsafe(
      "SELECT key, row, rev FROM central_catalogue WHERE kind = $1 AND row IS NOT NULL ORDER BY rev DESC LIMIT $2",
      [kind, limit],
    );
    return (rows as { key: string; row: unknown; rev: string | number }[]).map((r) => ({
      key: r.key,
      row: fromJson(r.row),
      rev: Number(r.rev),
    }));
  }

  /**
   * Hands the oldest changes not yet in the hub's stream to `send` and drops them once it resolves.
   * One central service at a time (a transaction-scoped lock): two replicas never send the same
   * changes, nor older ones after newer. Returns how many were sent (0: none waiting), or null when
   * another replica is sending.
   */
  async drain(limit: number, send: (changes: CatalogueChange[]) => Promise<void>): Promise<number | null> {
    return this.sql.begin(async (tx) => {
      const [{ locked }] = await tx.unsafe("SELECT pg_try_advisory_xact_lock(418003) AS locked");
      if (!locked) return null;
      const rows = (await tx.unsafe("SELECT seq, change FROM central_catalogue_outbox ORDER BY seq LIMIT $1", [limit])) as {
        seq: string | number;
        change: unknown;
      }[];
      if (rows.length === 0) return 0;
      await send(rows.map((r) => fromJson(r.change) as CatalogueChange));
      await tx.unsafe("DELETE FROM central_catalogue_outbox WHERE seq <= $1", [Number(rows[rows.length - 1].seq)]);
      return rows.length;
    });
  }

  /** Changes waiting for the hub's stream. */
  async waiting(): Promise<number> {
    const [{ n }] = await this.sql.unsafe("SELECT count(*)::int AS n FROM central_catalogue_outbox");
    return Number(n);
  }
}
