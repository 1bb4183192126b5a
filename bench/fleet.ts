// The fleet demo (issue 18): a central NATS hub, the central service on a fresh PostgreSQL
// database, and N cities, each a NATS leaf node (its own JetStream domain and credentials) and
// an EdgeClass instance with NATS_URL/CITY. An admin authors a school, a teacher and a course with
// every city's students at the centre (/api/central/catalogue); the demo times its arrival in each
// city (catalogue propagation: the course with all its enrolments visible there). Each city then
// runs a quiz class of that course with simulated students over real WebSockets; the first city's
// leaf is cut mid-class for --cut-seconds and restored.
// Prints per city: catalogue propagation time, records written (distinct, read from the city's
// SQLite file), records arrived centrally (rows in PostgreSQL), duplicates (deliveries the centre
// found not newer: its stale count), and catch-up times after the cut (its records at the centre;
// a question authored centrally during the cut, in the city). Exits 1 when a record is missing or
// the catalogue never reached a city.
//
//   npm run demo:fleet -- [--cities 3] [--students 20] [--questions 6] [--cut-seconds 30] [--json]
import { Database } from "bun:sqlite";
import { spawn } from "bun";
import { rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join as pathJoin } from "node:path";
import { mintToken } from "../packages/server/src/auth/tokens.ts";
import { CentralStore } from "../packages/server/src/central/pg-store.ts";
import { fetchUnpooled } from "../packages/server/src/http/fetch-unpooled.ts";
import { api, freePort, spawned, startInstance, waitReady } from "../packages/server/test/support/instances.ts";
import { natsTopology } from "../packages/server/test/support/nats.ts";
import { freshDatabase } from "../packages/server/test/support/postgres.ts";
import { tempDir } from "../packages/server/test/support/server.ts";
import { join, setReplyTimeout, type Peer } from "../packages/server/test/support/ws.ts";
import { parseFlags } from "./lib/process.ts";

const { json, values } = parseFlags(process.argv.slice(2));
const int = (name: string, dflt: number, min: number, max: number) => {
  const v = values[name] === undefined ? dflt : Number(values[name]);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name}: expected an integer ${min}..${max}, got ${values[name]}`);
  return v;
};
const nCities = int("cities", 3, 1, 50);
const students = int("students", 20, 1, 500);
const questions = int("questions", 6, 2, 100);
const cutSeconds = int("cut-seconds", 30, 1, 600);
const log = (...a: unknown[]) => console.error("[demo:fleet]", ...a);
const SECRET = "fleet-demo-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const SINGLE = {
  kind: "single",
  prompt: "2 + 2 = ?",
  options: [
    { id: "a", text: "3" },
    { id: "b", text: "4" },
  ],
  correct: "b",
} as const;
setReplyTimeout(20_000);

const cities = Array.from({ length: nCities }, (_, i) => `city${i + 1}`);
const startedAt = Date.now();
const load: Record<string, number> = { before: loadavg()[0] };
log(`hub + ${nCities} leaf nats-servers, PostgreSQL, central service, ${nCities} EdgeClass instances`);
const topo = await natsTopology(cities);
const db = await freshDatabase("edgeclass_fleet");
const centralPort = await freePort();
const central = spawn([process.execPath, "packages/server/src/central/main.ts"], {
  env: {
    ...process.env,
    JWT_SECRET: SECRET,
    CENTRAL_NATS_URL: topo.hub.url,
    CENTRAL_NATS_USER: topo.central.user,
    CENTRAL_NATS_PASSWORD: topo.central.pass,
    CENTRAL_CITIES: cities.join(","),
    DATABASE_URL: db.url,
    CENTRAL_PORT: String(centralPort),
    LOG_LEVEL: "warn",
  },
  stdout: "ignore",
  stderr: "inherit",
});
const centralBase = `http://127.0.0.1:${centralPort}`;
const dirs: string[] = [];
const peers: Peer[] = [];
const pg = new CentralStore(db.url);
let exitCode = 0;

interface CityRun {
  city: string;
  dataDir: string;
  base: string;
  classId: string;
  cut: { at: number; restoredAt: number } | null;
  /** The cut city: a question authored centrally while its leaf was away, and when it arrived after. */
  catalogueCatchUpMs: number | null;
}

const SCHOOL = "fleet-school";
const COURSE = "fleet-course";
const TEACHER = "fleet-teacher";
const CUT_QUESTION = "fleet-question-during-cut";
const studentIds = (city: string) => Array.from({ length: students }, (_, i) => `${city}-s${i}`);
const tok = (role: "teacher" | "student" | "admin", sub: string) => mintToken(SECRET, { sub, role, school: SCHOOL, ttlSeconds: 3600 });

async function startCity(city: string): Promise<{ city: string; dataDir: string; base: string }> {
  const leaf = topo.leaves.get(city)!;
  const dataDir = tempDir(`fleet-${city}-`);
  dirs.push(dataDir);
  const inst = await startInstance({
    DATA_DIR: dataDir,
    JWT_SECRET: SECRET,
    DEMO: "false",
    MAX_STUDENTS: String(students + 10),
    NATS_URL: leaf.url,
    CITY: city,
    NATS_USER: leaf.creds.user,
    NATS_PASSWORD: leaf.creds.pass,
  });
  return { city, dataDir, base: inst.base };
}

/** Calls the centre's authoring API as a platform admin; throws unless 200. */
async function author(method: string, path: string, body: unknown): Promise<void> {
  const admin = await mintToken(SECRET, { sub: "fleet-admin", role: "admin", ttlSeconds: 3600 });
  const res = await fetchUnpooled(`${centralBase}/api/central/catalogue/${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

/**
 * Authors the school, teacher and course with every city's students at the centre, then times, per
 * city, until the course with all its enrolments is visible there (and the course alone).
 */
async function publishCatalogue(
  bases: { city: string; base: string }[],
): Promise<Map<string, { courseMs: number | null; catalogueMs: number | null }>> {
  const all = cities.flatMap((c) => studentIds(c).map((id) => ({ id, name: `Student ${id}` })));
  const admin = await tok("admin", "fleet-admin");
  const t0 = Date.now();
  await author("PUT", `schools/${SCHOOL}`, { name: "Fleet School" });
  await author("PUT", `users/${TEACHER}`, { name: "Fleet Teacher", role: "teacher", schoolId: SCHOOL });
  await author("PUT", `courses/${COURSE}`, { title: "Fleet quiz", teacherId: TEACHER, schoolId: SCHOOL, capacity: all.length + 10 });
  for (let i = 0; i < all.length; i += 1000) await author("POST", `courses/${COURSE}/enrollments`, { students: all.slice(i, i + 1000) });
  const out = new Map<string, { courseMs: number | null; catalogueMs: number | null }>();
  await Promise.all(
    bases.map(async ({ city, base }) => {
      const r: { courseMs: number | null; catalogueMs: number | null } = { courseMs: null, catalogueMs: null };
      const deadline = t0 + 30_000;
      while (Date.now() < deadline && r.catalogueMs === null) {
        const res = await api(base, "GET", `/api/courses/${COURSE}`, admin).catch(() => null);
        if (res?.status === 200) {
          r.courseMs ??= Date.now() - t0;
          if (res.body.enrolled === all.length) r.catalogueMs = Date.now() - t0;
        }
        if (r.catalogueMs === null) await Bun.sleep(25);
      }
      out.set(city, r);
    }),
  );
  return out;
}

async function runCity(c: { city: string; dataDir: string; base: string }, cutThis: boolean): Promise<CityRun> {
  const { city, dataDir, base } = c;
  const leaf = topo.leaves.get(city)!;
  const teacherTok = await tok("teacher", TEACHER);
  const cls = await api(base, "POST", `/api/courses/${COURSE}/classes`, teacherTok, {
    title: `Quiz in ${city}`,
    startsAt: new Date().toISOString(),
    durationMinutes: 60,
  });
  if (cls.status !== 201) throw new Error(`${city}: scheduling the class: ${cls.status} ${JSON.stringify(cls.body)}`);
  const classId = cls.body.id as string;
  await api(base, "POST", `/api/classes/${classId}/start`, teacherTok);
  const teacher = (await join(base, classId, teacherTok)).peer;
  const kids = await Promise.all(studentIds(city).map(async (id) => (await join(base, classId, await tok("student", id))).peer));
  peers.push(teacher, ...kids);
  let cut: CityRun["cut"] = null;
  // Questions spread over the cut: half before, half while the leaf is away.
  const gapMs = cutThis ? Math.floor((cutSeconds * 1000 * 0.8) / Math.ceil(questions / 2)) : 500;
  for (let q = 0; q < questions; q++) {
    if (cutThis && q === Math.floor(questions / 2)) {
      await leaf.kill();
      cut = { at: Date.now(), restoredAt: 0 };
      log(`${city}: leaf cut mid-class (question ${q + 1} of ${questions})`);
      // The catalogue changes while the city is away: a question for the course's bank.
      await author("PUT", `questions/${CUT_QUESTION}`, { courseId: COURSE, draft: SINGLE });
    }
    const launched = (await teacher.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 60 })) as { questionId: string };
    await Promise.all(
      kids.map((k, i) =>
        k.request({
          type: "quiz.answer",
          questionId: launched.questionId,
          answerId: `${city}-${q}-${i}`,
          response: { choice: i % 3 === 0 ? "a" : "b" },
        }),
      ),
    );
    await teacher.request({ type: "quiz.close" }).catch(() => {}); // closing early is optional; the deadline would
    await Bun.sleep(gapMs);
  }
  for (const k of kids.slice(0, Math.floor(kids.length / 4))) k.close(); // some leave before the end
  await Bun.sleep(300);
  await api(base, "POST", `/api/classes/${classId}/end`, teacherTok);
  if (cut) {
    const wait = cut.at + cutSeconds * 1000 - Date.now();
    if (wait > 0) await Bun.sleep(wait);
    await leaf.start();
    cut.restoredAt = Date.now();
    log(`${city}: leaf restored after ${((cut.restoredAt - cut.at) / 1000).toFixed(1)} s`);
  }
  let catalogueCatchUpMs: number | null = null;
  for (const deadline = Date.now() + 30_000; cut && catalogueCatchUpMs === null && Date.now() < deadline; await Bun.sleep(25)) {
    const bank = await api(base, "GET", `/api/courses/${COURSE}/questions`, teacherTok).catch(() => null);
    if (bank?.body?.items?.some((q: { id: string }) => q.id === CUT_QUESTION)) catalogueCatchUpMs = Date.now() - cut.restoredAt;
  }
  return { city, dataDir, base, classId, cut, catalogueCatchUpMs };
}

/** Distinct records the city wrote: answers, attendance sessions and class summaries (ended classes). */
function written(dataDir: string): { answers: number; attendance: number; classes: number; total: number } {
  const d = new Database(pathJoin(dataDir, "edgeclass.db"), { readonly: true });
  const n = (sql: string) => (d.query(sql).get() as { n: number }).n;
  const r = {
    answers: n("SELECT count(*) AS n FROM answers"),
    attendance: n("SELECT count(*) AS n FROM attendance"),
    classes: n("SELECT count(*) AS n FROM classes WHERE status IN ('ended','cancelled')"),
  };
  d.close();
  return { ...r, total: r.answers + r.attendance + r.classes };
}

async function arrived(): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const r of await pg.counts()) m.set(r.city, (m.get(r.city) ?? 0) + r.n);
  return m;
}

/** Rows at the centre that name the demo's school, per city (every record should: its class is in the school). */
async function inSchool(): Promise<Map<string, number>> {
  const rows = (await pg.sql.unsafe(
    ["central_answers", "central_attendance", "central_classes"]
      .map((t) => `SELECT city, count(*)::int AS n FROM ${t} WHERE school_id = $1 GROUP BY city`)
      .join(" UNION ALL "),
    [SCHOOL],
  )) as { city: string; n: number }[];
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.city, (m.get(r.city) ?? 0) + r.n);
  return m;
}

async function staleByCity(): Promise<Map<string, number>> {
  const text = await (await fetch(`${centralBase}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    const x = /^edgeclass_central_records_total\{city="([^"]+)",outcome="stale"\} (\d+)/.exec(line);
    if (x) m.set(x[1], Number(x[2]));
  }
  return m;
}

try {
  await waitReady(centralBase, 20_000).catch(async () => {
    // the central service has /healthz, not /readyz
    for (let i = 0; i < 200; i++) {
      if ((await fetch(`${centralBase}/healthz`).catch(() => null))?.ok) return;
      await Bun.sleep(100);
    }
    throw new Error("the central service did not start");
  });
  const started = await Promise.all(cities.map(startCity));
  const catalogue = await publishCatalogue(started);
  for (const [city, r] of catalogue) log(`${city}: catalogue arrived in ${r.catalogueMs ?? "-"} ms (course alone ${r.courseMs ?? "-"} ms)`);
  if ([...catalogue.values()].some((r) => r.catalogueMs === null)) throw new Error("the catalogue did not reach every city within 30 s");
  const runs = await Promise.all(started.map((c, i) => runCity(c, i === 0)));
  load.during = loadavg()[0];
  // Wait until every city's records are in PostgreSQL (or give up after 60 s past the last event).
  const want = new Map(runs.map((r) => [r.city, written(r.dataDir)]));
  const doneAt = new Map<string, number>();
  const deadline = Date.now() + 60_000;
  while (doneAt.size < runs.length && Date.now() < deadline) {
    const got = await arrived();
    for (const r of runs) if (!doneAt.has(r.city) && (got.get(r.city) ?? 0) >= want.get(r.city)!.total) doneAt.set(r.city, Date.now());
    await Bun.sleep(50);
  }
  const got = await arrived();
  const stale = await staleByCity();
  const school = await inSchool();
  const rows = runs.map((r) => {
    const w = want.get(r.city)!;
    const a = got.get(r.city) ?? 0;
    const done = doneAt.get(r.city);
    return {
      city: r.city,
      catalogueMs: catalogue.get(r.city)?.catalogueMs ?? null,
      courseMs: catalogue.get(r.city)?.courseMs ?? null,
      written: w.total,
      answers: w.answers,
      attendance: w.attendance,
      summaries: w.classes,
      arrived: a,
      missing: Math.max(0, w.total - a),
      inSchool: school.get(r.city) ?? 0,
      duplicates: stale.get(r.city) ?? 0,
      cutSeconds: r.cut ? Math.round((r.cut.restoredAt - r.cut.at) / 100) / 10 : null,
      catchUpMs: r.cut && done ? done - r.cut.restoredAt : null,
      catalogueCatchUpMs: r.catalogueCatchUpMs,
    };
  });
  if (
    rows.some(
      (r) =>
        r.missing > 0 || r.arrived !== r.written || r.inSchool !== r.arrived || (r.cutSeconds !== null && r.catalogueCatchUpMs === null),
    )
  )
    exitCode = 1;
  const result = {
    cities: nCities,
    studentsPerCity: students,
    questions,
    cutSeconds,
    rows,
    ok: exitCode === 0,
    seconds: Math.round((Date.now() - startedAt) / 1000),
    load: { ...load, after: loadavg()[0] },
  };
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log("city      catalogue  written  arrived  missing  duplicates  catch-up after cut");
    for (const r of rows)
      console.log(
        `${r.city.padEnd(9)} ${`${r.catalogueMs} ms`.padStart(9)}  ${String(r.written).padStart(7)}  ` +
          `${String(r.arrived).padStart(7)}  ${String(r.missing).padStart(7)}  ${String(r.duplicates).padStart(10)}  ` +
          `${r.catchUpMs === null ? "-" : `${r.catchUpMs} ms (cut ${r.cutSeconds} s; catalogue ${r.catalogueCatchUpMs ?? "-"} ms)`}`,
      );
    console.log(result.ok ? "OK: every record arrived once" : "FAIL: records missing");
  }
} catch (e) {
  log("failed:", (e as Error).message);
  exitCode = 1;
} finally {
  for (const p of peers) p.close();
  for (const p of spawned) p.kill();
  await Promise.all(spawned.map((p) => p.exited));
  central.kill();
  await central.exited;
  await pg.close();
  await db.drop().catch(() => {});
  await topo.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.exit(exitCode);
