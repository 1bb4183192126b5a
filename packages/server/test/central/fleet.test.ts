// The fleet demo in short form, as real processes: hub, central service (npm run central's
// entry) on a fresh PostgreSQL database, two cities each a leaf nats-server and an EdgeClass
// instance wired by NATS_URL/CITY (server.ts), the course and enrolments authored at the centre and
// timed to each city, a quiz of that course over WebSockets, city1's leaf cut for 3 s.
// Every record each city's SQLite file holds must be in PostgreSQL, with no duplicate.
import { expect, test } from "bun:test";

test("demo:fleet --cities 2: every record written arrives centrally once, with a leaf cut mid-class", async () => {
  const proc = Bun.spawn(
    [process.execPath, "bench/fleet.ts", "--cities", "2", "--students", "4", "--questions", "2", "--cut-seconds", "3", "--json"],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) console.error(err);
  expect(code).toBe(0);
  const r = JSON.parse(out) as {
    ok: boolean;
    rows: {
      city: string;
      catalogueMs: number | null;
      written: number;
      arrived: number;
      inSchool: number;
      duplicates: number;
      answers: number;
      summaries: number;
      catchUpMs: number | null;
      catalogueCatchUpMs: number | null;
    }[];
  };
  expect(r.ok).toBe(true);
  for (const row of r.rows) {
    expect(row.catalogueMs).toBeGreaterThan(0); // the course authored centrally, with its enrolments, reached the city
    expect(row.answers).toBe(8); // 4 students x 2 questions, all in the city's SQLite file
    expect(row.summaries).toBe(1);
    expect(row.arrived).toBe(row.written);
    expect(row.inSchool).toBe(row.arrived); // every record names the school of its class
    expect(row.duplicates).toBe(0);
  }
  expect(r.rows[0].catchUpMs).not.toBeNull();
  expect(r.rows[0].catalogueCatchUpMs).not.toBeNull(); // a question authored during city1's cut reached it after
}, 180_000);
