// A statement prepared on its first use, not when the store is built: the stores hold ~50 statements,
// ~2 ms to prepare on the way to readiness (issue 19), and a restart runs few of them soon.
import type { Changes, Database, SQLQueryBindings, Statement } from "bun:sqlite";

export class Prepared<Row = unknown, Params extends SQLQueryBindings[] = SQLQueryBindings[]> {
  private statement: Statement<Row, Params> | null = null;

  constructor(
    private readonly db: Database,
    private readonly sql: string,
  ) {}

  /** Prepares it now (a test checks every store statement's SQL this way, without running it). */
  prepare(): Statement<Row, Params> {
    // (query's type wraps a parameter that is not an array in one; Params always is)
    this.statement ??= this.db.query<Row, Params>(this.sql) as Statement<Row, Params>;
    return this.statement;
  }

  get(...params: Params): Row | null {
    return this.prepare().get(...params);
  }

  all(...params: Params): Row[] {
    return this.prepare().all(...params);
  }

  run(...params: Params): Changes {
    return this.prepare().run(...params);
  }
}
