// The write floor for bench:http: a bare Bun.serve that stores each enrolment POST exactly as our server
// does (the same SQLite schema and pragmas, the store's group commit, answered after the COMMIT) and does
// nothing else: no auth, validation, logs or metrics. It shows what the durable write alone costs.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDemo } from "../../packages/server/src/demo/seed.ts";
import { openDatabase } from "../../packages/server/src/store/sqlite/database.ts";
import { SqliteStore } from "../../packages/server/src/store/sqlite/sqlite-store.ts";

const dataDir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "bench-bare-write-"));
const store = new SqliteStore(openDatabase(join(dataDir, "edgeclass.db")));
seedDemo(store, Date.now());

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  routes: {
    "/api/courses/:id/enrollments": {
      POST: async (req) => {
        const body = (await req.json()) as { studentIds: string[] };
        const students = body.studentIds.map((id) => ({ id, name: id }));
        const enrolled = await store.write(() => store.enrollments.add(req.params.id, students, Date.now()));
        return Response.json({ enrolled, alreadyEnrolled: students.length - enrolled }, { status: 201 });
      },
    },
  },
  fetch: () => new Response("not found", { status: 404 }),
});
console.log(`bare-write listening on ${server.port}`);
