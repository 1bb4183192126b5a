// A PostgreSQL database of the test's own on the machine's server (127.0.0.1:5432, user
// postgres), created with a unique name and dropped after.
import { SQL } from "bun";

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export async function freshDatabase(prefix = "edgeclass_test"): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new SQL(ADMIN_URL);
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } catch (e) {
    await admin.close();
    throw new Error(`PostgreSQL at ${ADMIN_URL} is needed (.ci/run starts it): ${(e as Error).message}`);
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.close();
    },
  };
}
