// The catalogue down, with real processes: a hub nats-server and two city leaves, PostgreSQL at
// the centre (the authoring API, its outbox and publisher in this process), and EdgeClass
// instances in the cities: north has two on one Redis, south one alone. What an admin authors
// at the centre reaches every instance's SQLite copy; versions decide (a replayed older version
// changes nothing, a newer local edit stands); a city whose leaf is cut gets the changes once
// when it returns; a change that is not one is left out; a city cannot forge the catalogue.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createTokenVerifier } from "../../src/auth/tokens.ts";
import { catalogueApi } from "../../src/central/catalogue-api.ts";
import { CataloguePublisher } from "../../src/central/catalogue-publisher.ts";
import { CentralCatalogue } from "../../src/central/catalogue-store.ts";
import { CentralStore } from "../../src/central/pg-store.ts";
import { CATALOGUE_STREAM, catalogueSubject } from "../../src/central/subjects.ts";
import { parseConfig } from "../../src/config/config.ts";
import { Registry } from "../../src/obs/prom.ts";
import { apiClient, eventually, spawned, startInstance, uniquePrefix, type Instance } from "../support/instances.ts";
import { natsTopology, type Topology } from "../support/nats.ts";
import { freshDatabase } from "../support/postgres.ts";
import { tempDir } from "../support/server.ts";
import { quietLogger } from "./support.ts";

const SECRET = "central-catalogue-test-secret-0123456789-abcdefgh";
const { token, api } = apiClient(SECRET);
let topo: Topology;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let store: CentralStore;
let publisher: CataloguePublisher;
const publisherRegistry = new Registry();
let mainCatalogue: CentralCatalogue;
let centre: (req: Request) => Promise<Response>;
const dirs: string[] = [];
const north: Instance[] = [];
let south: Instance;
let admin: string;

beforeAll(async () => {
  topo = await natsTopology(["north", "south"]);
  db = await freshDatabase();
  store = new CentralStore(db.url);
  await store.migrate();
  const catalogue = new CentralCatalogue(store.sql);
  mainCatalogue = catalogue;
  publisher = new CataloguePublisher(
    { url: topo.hub.url, user: topo.central.user, pass: topo.central.pass },
    catalogue,
    publisherRegistry,
    quietLogger(),
  );
  publisher.start();
  centre = catalogueApi(catalogue, createTokenVerifier(parseConfig({ JWT_SECRET: SECRET }).jwt, SECRET));
  admin = await token("admin", "platform-admin");
  const city = (name: string, extra: Record<string, string> = {}) => {
    const leaf = topo.leaves.get(name)!;
    const dir = tempDir(`edgeclass-${name}-`);
    dirs.push(dir);
    return startInstance({
      DATA_DIR: dir,
      JWT_SECRET: SECRET,
      DEMO: "false",
      NATS_URL: leaf.url,
      NATS_USER: leaf.creds.user,
      NATS_PASSWORD: leaf.creds.pass,
      CITY: name,
      ...extra,
    });
  };
  const prefix = uniquePrefix();
  const [a, b, s] = await Promise.all([
    city("north", { REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: prefix, INSTANCE_ID: "north-a" }),
    city("north", { REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: prefix, INSTANCE_ID: "north-b" }),
    city("south"),
  ]);
  north.push(a, b);
  south = s;
}, 60_000);

afterAll(async () => {
  for (const p of spawned) p.kill("SIGKILL");
  await Promise.all(spawned.map((p) => p.exited));
  await publisher?.close();
  await store?.close();
  await db?.drop();
  await topo?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function author(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: { items?: { kind: string; key: string; rev: number }[]; detail?: string } }> {
  const res = await centre(
    new Request(`http://centre/api/central/catalogue/${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: res.status, body: (await res.json()) as never };
}

/** This instance's count of catalogue changes taken from the centre, by outcome. */
async function taken(i: Instance, outcome: "applied" | "stale" | "rejected" | "invalid"): Promise<number> {
  const text = await (await fetch(`${i.base}/metrics`)).text();
  return Number(new RegExp(`^edgeclass_catalogue_central_changes_total\\{outcome="${outcome}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
}

const gauge = async (i: Instance, name: string) =>
  Number(new RegExp(`^${name} (\\S+)`, "m").exec(await (await fetch(`${i.base}/metrics`)).text())?.[1] ?? Number.NaN);
const courseTitle = async (i: Instance, courseId: string) => {
  const r = await api(i.base, "GET", `/api/courses/${courseId}`, admin);
  return r.status === 200 ? (r.body.title as string) : `(${r.status})`;
};
const courseSchool = async (i: Instance, courseId: string) =>
  (await api(i.base, "GET", `/api/courses/${courseId}`, admin)).body.schoolId as string;
const enrolled = async (i: Instance, courseId: string) =>
  ((await api(i.base, "GET", `/api/courses/${courseId}/enrollments`, admin)).body.items ?? []).map(
    (e: { studentId: string }) => e.studentId,
  );
const everyone = () => [...north, south];
const SINGLE = {
  kind: "single",
  prompt: "2 + 2 = ?",
  options: [
    { id: "a", text: "3" },
    { id: "b", text: "4" },
  ],
  correct: "b",
} as const;

test("a course authored at the centre, with its teacher, enrolments and question bank, reaches every instance of every city", async () => {
  expect((await author("PUT", "schools/sch-lakes", { name: "Lakes School" })).status).toBe(200);
  expect((await author("PUT", "users/t-centre", { name: "Cora Central", role: "teacher", schoolId: "sch-lakes" })).status).toBe(200);
  const put = await author("PUT", "courses/c-optics", { title: "Optics", teacherId: "t-centre", capacity: 40, schoolId: "sch-lakes" });
  expect(put.status).toBe(200);
  expect(put.body.items).toEqual([{ kind: "course", key: "c-optics", rev: expect.any(Number) }]);
  const students = ["s-1", "s-2", "s-3"].map((id) => ({ id, name: `Student ${id}` }));
  expect((await author("POST", "courses/c-optics/enrollments", { students })).body.items).toHaveLength(3);
  expect((await author("PUT", "questions/q-lens", { courseId: "c-optics", draft: SINGLE })).status).toBe(200);

  for (const i of everyone()) {
    await eventually(async () => {
      expect(await courseTitle(i, "c-optics")).toBe("Optics");
      expect(await courseSchool(i, "c-optics")).toBe("sch-lakes");
      expect(await enrolled(i, "c-optics")).toEqual(["s-1", "s-2", "s-3"]);
      const qs = await api(i.base, "GET", "/api/courses/c-optics/questions", await token("teacher", "t-centre", undefined, "sch-lakes"));
      expect(qs.body.items.map((q: { id: string }) => q.id)).toEqual(["q-lens"]);
    }, 15_000);
  }
  // North's two instances share the city's consumer: each change came to one of them from NATS,
  // and reached the other through Redis's catalogue sync. When the sync was first, the NATS copy
  // is not newer there and counts as stale. The counters move just after the commit: eventually.
  const outcomes = async (i: Instance) => (await taken(i, "applied")) + (await taken(i, "stale"));
  await eventually(async () => {
    expect((await outcomes(north[0])) + (await outcomes(north[1]))).toBe(7);
    expect(await taken(south, "applied")).toBe(7);
  }, 5_000);
  // The course is taught in the city: its teacher schedules a class there.
  const cls = await api(south.base, "POST", "/api/courses/c-optics/classes", await token("teacher", "t-centre", undefined, "sch-lakes"), {
    startsAt: new Date().toISOString(),
    durationMinutes: 30,
  });
  expect(cls.status).toBe(201);
}, 40_000);

test("versions decide: a replayed older version changes nothing, a newer local edit stands until a newer central one", async () => {
  const [{ rev }] = (await store.sql.unsafe("SELECT rev FROM central_catalogue WHERE kind = 'course' AND key = 'c-optics'")) as {
    rev: string;
  }[];
  // South's teacher renames the course locally: a newer version than the centre's.
  expect(
    (
      await api(south.base, "PATCH", "/api/courses/c-optics", await token("teacher", "t-centre", undefined, "sch-lakes"), {
        title: "Optics (south)",
      })
    ).status,
  ).toBe(200);
  // An older version of the course reaches the hub's stream (a replay, or a centre whose clock was behind).
  const nc = await connect({ servers: topo.hub.url, user: topo.central.user, pass: topo.central.pass });
  const old = {
    kind: "course",
    key: "c-optics",
    rev: Number(rev) - 1,
    origin: "central",
    row: {
      id: "c-optics",
      title: "Replayed",
      description: "",
      status: "active",
      capacity: 40,
      teacherId: "t-centre",
      createdAt: 1,
      updatedAt: 1,
      schoolId: "sch-lakes",
    },
  };
  const staleBefore = await taken(south, "stale");
  await jetstream(nc).publish(catalogueSubject("course", "c-optics"), JSON.stringify(old));
  await eventually(async () => expect(await taken(south, "stale")).toBe(staleBefore + 1), 10_000);
  expect(await courseTitle(south, "c-optics")).toBe("Optics (south)");
  for (const i of north) expect(await courseTitle(i, "c-optics")).toBe("Optics");
  // A newer change at the centre wins everywhere.
  expect(
    (await author("PUT", "courses/c-optics", { title: "Optics II", teacherId: "t-centre", capacity: 40, schoolId: "sch-lakes" })).status,
  ).toBe(200);
  for (const i of everyone()) await eventually(async () => expect(await courseTitle(i, "c-optics")).toBe("Optics II"), 10_000);
  await nc.close();
}, 40_000);

test("a city whose leaf is cut gets the changes made meanwhile once when it returns", async () => {
  const before = { applied: await taken(south, "applied"), stale: await taken(south, "stale") };
  const leaf = topo.leaves.get("south")!;
  await leaf.kill();
  expect(
    (await author("PUT", "courses/c-optics", { title: "Optics III", teacherId: "t-centre", capacity: 40, schoolId: "sch-lakes" })).status,
  ).toBe(200);
  expect(
    (
      await author("POST", "courses/c-optics/enrollments", {
        students: [
          { id: "s-4", name: "Four" },
          { id: "s-5", name: "Five" },
        ],
      })
    ).status,
  ).toBe(200);
  expect((await author("DELETE", "courses/c-optics/enrollments/s-1")).status).toBe(200);
  expect(
    (await author("PUT", "courses/c-optics", { title: "Optics IV", teacherId: "t-centre", capacity: 40, schoolId: "sch-lakes" })).status,
  ).toBe(200); // the same row twice while cut
  for (const i of north) await eventually(async () => expect(await enrolled(i, "c-optics")).toEqual(["s-2", "s-3", "s-4", "s-5"]), 10_000);
  expect(await courseTitle(south, "c-optics")).toBe("Optics II"); // teaching goes on from its own copy
  // The cut shows: the mirror has not heard from the hub for a while (north's has).
  // The gauges are refreshed once a second, and a busy machine can delay a refresh: both eventually.
  await eventually(async () => expect(await gauge(south, "edgeclass_catalogue_mirror_idle_seconds")).toBeGreaterThanOrEqual(2), 10_000);
  await eventually(async () => expect(await gauge(north[0], "edgeclass_catalogue_mirror_idle_seconds")).toBeLessThan(2), 10_000);

  await leaf.start();
  await eventually(async () => {
    expect(await courseTitle(south, "c-optics")).toBe("Optics IV");
    expect(await enrolled(south, "c-optics")).toEqual(["s-2", "s-3", "s-4", "s-5"]);
  }, 20_000);
  await eventually(async () => {
    expect(await gauge(south, "edgeclass_catalogue_mirror_idle_seconds")).toBeLessThan(2);
    expect(await gauge(south, "edgeclass_catalogue_central_pending")).toBe(0);
  }, 10_000);
  // Once: the course (its newest version only: the stream keeps one per row), two enrolments and a removal.
  // The counters move just after the commit the titles above were read from.
  await eventually(async () => expect(await taken(south, "applied")).toBe(before.applied + 4), 5_000);
  await Bun.sleep(500); // time for a second, wrong, delivery to show
  expect(await taken(south, "applied")).toBe(before.applied + 4);
  // No more stale than what the leaf's kill -9 can hand out again: JetStream writes a consumer's acks to disk
  // shortly after them, so changes acknowledged just before the kill (the test above's) may come again, and
  // are found stale, as designed (seen in CI: 7 of them). A change is applied once either way (just above).
  expect(await taken(south, "stale")).toBeLessThanOrEqual(before.stale + before.applied);
}, 60_000);

test("a change that is not one is left out and the rest keep flowing; a city cannot forge the catalogue", async () => {
  const nc = await connect({ servers: topo.hub.url, user: topo.central.user, pass: topo.central.pass });
  const invalidBefore = await taken(south, "invalid");
  await jetstream(nc).publish(catalogueSubject("course", "junk"), "{ not json");
  await jetstream(nc).publish(
    catalogueSubject("course", "c-x"),
    JSON.stringify({ kind: "course", key: "c-y", rev: 1, origin: "central", row: { id: "c-x" } }),
  );
  expect((await author("PUT", "courses/c-after", { title: "After", teacherId: "t-centre", schoolId: "sch-lakes" })).status).toBe(200);
  await eventually(async () => expect(await courseTitle(south, "c-after")).toBe("After"), 10_000);
  expect(await taken(south, "invalid")).toBe(invalidBefore + 2);

  // At its own leaf, a city's instances may not publish the catalogue.
  const leaf = topo.leaves.get("south")!;
  const lc = await connect({ servers: leaf.url, user: leaf.creds.user, pass: leaf.creds.pass });
  const forged = {
    kind: "course",
    key: "c-optics",
    rev: Date.now() + 1e9,
    origin: "central",
    row: {
      id: "c-optics",
      title: "Forged",
      description: "",
      status: "active",
      capacity: 1,
      teacherId: "evil",
      createdAt: 1,
      updatedAt: 1,
      schoolId: "sch-lakes",
    },
  };
  await expect(jetstream(lc).publish(catalogueSubject("course", "c-optics"), JSON.stringify(forged), { timeout: 3000 })).rejects.toThrow(
    /Permissions Violation/,
  );
  await lc.close();
  // A city that widens its own leaf and sends the catalogue's subjects or the hub's API into the hub is dropped there.
  const hubJsm = await jetstreamManager(nc);
  const before = (await hubJsm.streams.info(CATALOGUE_STREAM)).state.last_seq;
  const rogue = await topo.rogueLeaf("south", { localPublish: [">"], domain: "rogue-catalogue" });
  const rc = await connect({ servers: rogue.url, user: rogue.creds.user, pass: rogue.creds.pass });
  for (let i = 0; i < 10; i++) {
    rc.publish(catalogueSubject("course", "c-optics"), JSON.stringify(forged));
    rc.publish(`$JS.hub.API.STREAM.PURGE.${CATALOGUE_STREAM}`, "{}");
  }
  await rc.flush();
  await Bun.sleep(1500);
  const after = await hubJsm.streams.info(CATALOGUE_STREAM);
  expect(after.state.last_seq).toBe(before);
  expect(after.state.messages).toBeGreaterThan(0); // not purged
  for (const i of everyone()) expect(await courseTitle(i, "c-optics")).toBe("Optics IV");
  await rc.close();
  await nc.close();
}, 40_000);

test("two central services send the catalogue one at a time: each change once, in order", async () => {
  const registries = [new Registry(), new Registry()];
  const store2 = new CentralStore(db.url);
  const otherCatalogue = new CentralCatalogue(store2.sql);
  const other = new CataloguePublisher(
    { url: topo.hub.url, user: topo.central.user, pass: topo.central.pass },
    otherCatalogue,
    registries[1],
    quietLogger(),
  );
  other.start();
  await Bun.sleep(300); // connected and waiting, as a running replica would be
  const sent = (r: Registry) => Number(/^edgeclass_central_catalogue_sent_total (\d+)/m.exec(r.expose())?.[1] ?? 0);
  const before = sent(publisherRegistry);
  // Forty enrolments written through the other service, and both services woken at once: both try to send them.
  const otherApi = catalogueApi(otherCatalogue, createTokenVerifier(parseConfig({ JWT_SECRET: SECRET }).jwt, SECRET));
  const wakeOther = otherCatalogue.onWritten;
  otherCatalogue.onWritten = () => {
    wakeOther();
    mainCatalogue.onWritten();
  };
  const students = Array.from({ length: 40 }, (_, i) => ({ id: `r-${i}`, name: `R ${i}` }));
  const res = await otherApi(
    new Request("http://centre/api/central/catalogue/courses/c-optics/enrollments", {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ students }),
    }),
  );
  expect(res.status).toBe(200);
  await eventually(
    async () => expect((await enrolled(south, "c-optics")).filter((s: string) => s.startsWith("r-"))).toHaveLength(40),
    15_000,
  );
  // A city can apply a change before the service that sent it has counted it (the count follows the hub's ack).
  await eventually(async () => {
    expect(sent(publisherRegistry) - before + sent(registries[1])).toBe(40);
    expect(Number((await store.sql.unsafe("SELECT count(*)::int AS n FROM central_catalogue_outbox"))[0].n)).toBe(0);
  }, 5_000);
  await Bun.sleep(500); // time for a second sending to show
  expect(sent(publisherRegistry) - before + sent(registries[1])).toBe(40);
  await other.close();
  await store2.close();
}, 40_000);

test("the authoring API: admins only, bad input is a 400 problem naming the field, and changes nothing", async () => {
  const count = async () => Number((await store.sql.unsafe("SELECT count(*)::int AS n FROM central_catalogue"))[0].n);
  const before = await count();
  const call = async (method: string, path: string, tok: string | null, body?: unknown) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (tok) headers.authorization = `Bearer ${tok}`;
    const res = await centre(
      new Request(`http://centre/api/central/catalogue/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    expect(res.headers.get("content-type")).toStartWith(res.ok ? "application/json" : "application/problem+json");
    return { status: res.status, body: (await res.json()) as { detail?: string; issues?: { path: string }[] } };
  };
  const course = { title: "X", teacherId: "t-centre" };
  expect((await call("PUT", "courses/c-new", null, course)).status).toBe(401);
  expect((await call("PUT", "courses/c-new", await token("teacher", "t-centre", undefined, "sch-lakes"), course)).status).toBe(403);
  const bad = await call("PUT", "courses/c-new", admin, { title: "", teacherId: "t-centre", colour: "red" });
  expect(bad.status).toBe(400);
  expect(bad.body.issues?.map((i) => i.path).sort()).toEqual(["colour", "title"]);
  expect((await call("PUT", "courses/bad%2", admin, course)).status).toBe(400);
  expect((await call("PUT", "courses/has%20space", admin, course)).status).toBe(400);
  const noSchool = await call("PUT", "courses/c-new", admin, { ...course, schoolId: "sch-nowhere" });
  expect([noSchool.status, noSchool.body.issues?.[0]?.path]).toEqual([400, "schoolId"]);
  expect((await call("POST", "courses/c-missing/enrollments", admin, { students: [{ id: "s-1", name: "One" }] })).status).toBe(404);
  expect(
    (await call("PUT", "questions/q-2", admin, { courseId: "c-optics", draft: { kind: "single", prompt: "?", options: [], correct: "z" } }))
      .status,
  ).toBe(400);
  expect((await call("DELETE", "courses/c-optics/enrollments/s-never", admin)).status).toBe(404);
  expect((await call("GET", "courses/c-optics", admin)).status).toBe(405);
  expect((await call("GET", "nothing-here", admin)).status).toBe(404);
  expect(await count()).toBe(before);
  const list = await call("GET", "courses", admin);
  expect((list.body as { items: { id: string }[] }).items.map((c) => c.id).sort()).toEqual(["c-after", "c-optics"]);
});
