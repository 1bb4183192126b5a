// Fuzzing every REST body schema (issue 14, build 7): courses, course and class patches,
// enrolments, class schedules, the question bank, the demo sign-in and the OPA Data API.
// A body that breaks the schema (a missing or unknown field, a wrong type, a value out of
// range, prototype keys, deep nesting, not JSON, the wrong media type, too large) gets an
// RFC 9457 problem with a stable type and the status of that type (400, 413 or 415), and
// nothing changes: the admin's REST view of every course, class, roster and question bank
// is the same afterwards. Random and mutated bodies may be accepted, but never get a 5xx.
// More cases: FUZZ_RUNS=20000 or `npm run fuzz -- --runs 20000`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import * as v from "valibot";
import { QuestionDraftSchema } from "@edgeclass/client/protocol";
import { draftProblem } from "../../src/domain/live/quiz.ts";
import { ERRORS, type ErrorCode } from "../../src/domain/errors.ts";
import { PROBLEM_BASE } from "../../src/http/problem.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import {
  deepJson,
  draftArb,
  mutate,
  mutationArb,
  nastyNumber,
  nastyString,
  notJsonArb,
  params,
  timeLimit,
  withKey,
  withoutKey,
  wrongValue,
} from "./arbitraries.ts";
import { restSnapshot } from "./snapshot.ts";

/** Default runs (batches of up to 30 and 20 bodies) for `npm test`. */
const BROKEN_RUNS = 120;
const ANY_RUNS = 25;
let t: TestServer;
const tokens: Record<"teacher" | "admin", string> = { teacher: "", admin: "" };
let courseId = "";
let classId = "";
const teacherId = "fz-rest-teacher";
/** The fixture's course read in full, every other course as listed (accepted random bodies add courses). */
const focus = () => ({ courses: [courseId], classes: [classId] });

beforeAll(async () => {
  t = await startTestServer();
  tokens.teacher = await t.token("teacher", teacherId, 3600);
  tokens.admin = await t.token("admin", "fz-rest-admin", 3600);
  const course = await t.call("POST", "/api/courses", { token: tokens.teacher, body: { title: "REST fuzz", status: "active" } });
  courseId = course.body.id;
  const cls = await t.call("POST", `/api/courses/${courseId}/classes`, {
    token: tokens.teacher,
    body: { startsAt: "2030-01-01T10:00:00Z", durationMinutes: 60 },
  });
  classId = cls.body.id;
  await t.call("POST", `/api/courses/${courseId}/enrollments`, { token: tokens.teacher, body: { studentIds: ["fz-a", "fz-b"] } });
  // The test server listens on loopback, so the demo sign-in is on: its body schema is fuzzed too.
  expect((await t.call("GET", "/api/demo")).status).toBe(200);
}, 30_000);

afterAll(async () => {
  await t?.close();
});

// ---- The schemas, field by field ----------------------------------------------

type JsonType = "string" | "number" | "boolean" | "array" | "object";
interface Field {
  type: JsonType;
  required: boolean;
  valid: fc.Arbitrary<unknown>;
  /** Values of the right JSON type that the schema still refuses. */
  bad: fc.Arbitrary<unknown>;
}

const jsonType = (x: unknown): JsonType | "null" => (x === null ? "null" : Array.isArray(x) ? "array" : (typeof x as JsonType));
const nonBlank = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim().length > 0);
const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,40}$/);
const badId = fc.oneof(
  fc.constantFrom("", " ", "-lead", "a b", "a/b", "a%2Fb", "ü", "x".repeat(129), "__proto__ "),
  fc.string({ maxLength: 20 }).filter((s) => !/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/.test(s)),
);
const longString = (min: number) => fc.integer({ min, max: min + 2000 }).map((n) => "a".repeat(n));
const f = (type: JsonType, required: boolean, valid: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>): Field => ({
  type,
  required,
  valid,
  bad,
});

const title = (required: boolean) => f("string", required, nonBlank(200), fc.oneof(fc.constantFrom("", "   ", "\n\t"), longString(201)));
const description = f("string", false, fc.string({ maxLength: 300 }), longString(5001));
const capacity = f(
  "number",
  false,
  fc.integer({ min: 1, max: 100_000 }),
  fc.oneof(fc.constantFrom(0, -1, 1.5, 100_001, 1e308, -1e308, 2 ** 53 + 2), fc.integer({ max: 0 }), fc.integer({ min: 100_001 })),
);
const status = (values: string[]) =>
  f(
    "string",
    false,
    fc.constantFrom(...values),
    nastyString.filter((s) => !["draft", "active", "archived"].includes(s)),
  );
const instant = (required: boolean) =>
  f(
    "string",
    required,
    fc.date({ min: new Date("2027-01-01"), max: new Date("2035-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom(
      "",
      "tomorrow",
      "2026-11-26",
      "2026-11-26 15:00:00Z",
      "2026-11-26T15:00:00",
      "2026-13-45T99:99:99Z",
      "26-11-26T15:00Z",
      "2026-11-26T15:00:00+0100",
      "2026-11-26T15:00:00Z ",
      "１２３４-11-26T15:00:00Z",
    ),
  );
const duration = (required: boolean) =>
  f(
    "number",
    required,
    fc.integer({ min: 5, max: 600 }),
    fc.oneof(fc.constantFrom(0, 4, 601, -5, 5.5, 1e308), fc.integer({ max: 4 }), fc.integer({ min: 601 })),
  );
const studentIds = f(
  "array",
  true,
  fc.uniqueArray(idArb, { minLength: 1, maxLength: 20 }),
  fc.oneof(fc.constant([]), fc.array(badId, { minLength: 1, maxLength: 3 }), fc.constant(Array.from({ length: 1001 }, (_, i) => `x${i}`))),
);

interface Endpoint {
  name: string;
  method: "POST" | "PATCH";
  path: () => string;
  who: "teacher" | "admin";
  fields: Record<string, Field>;
  /** Every field optional, but at least one must be sent. */
  atLeastOne?: boolean;
  /** A smaller body limit than MAX_BODY_BYTES. */
  maxBody?: number;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: "create course",
    method: "POST",
    path: () => "/api/courses",
    who: "teacher",
    fields: {
      title: title(true),
      description,
      status: status(["draft", "active"]),
      capacity,
      teacherId: f("string", false, fc.constant(teacherId), badId),
    },
  },
  {
    name: "patch course",
    method: "PATCH",
    path: () => `/api/courses/${courseId}`,
    who: "teacher",
    atLeastOne: true,
    fields: { title: title(false), description, status: status(["active"]), capacity },
  },
  { name: "enrol", method: "POST", path: () => `/api/courses/${courseId}/enrollments`, who: "teacher", fields: { studentIds } },
  {
    name: "schedule class",
    method: "POST",
    path: () => `/api/courses/${courseId}/classes`,
    who: "teacher",
    fields: { title: title(false), startsAt: instant(true), durationMinutes: duration(true) },
  },
  {
    name: "patch class",
    method: "PATCH",
    path: () => `/api/classes/${classId}`,
    who: "teacher",
    atLeastOne: true,
    fields: { title: title(false), startsAt: instant(false), durationMinutes: duration(false) },
  },
  {
    name: "demo token",
    method: "POST",
    path: () => "/api/demo/token",
    who: "teacher",
    maxBody: 4096,
    fields: { userId: f("string", true, fc.constantFrom("t1"), longString(129)) },
  },
];

/** A body the endpoint accepts: required fields, and some optional ones. */
function validBody(e: Endpoint): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(e.fields);
  return fc
    .tuple(fc.tuple(...entries.map(([, x]) => x.valid)), fc.array(fc.boolean(), { minLength: entries.length, maxLength: entries.length }))
    .map(([vals, keep]) => {
      const body: Record<string, unknown> = {};
      entries.forEach(([k, x], i) => {
        if (x.required || keep[i]) body[k] = vals[i];
      });
      if (e.atLeastOne && Object.keys(body).length === 0) body[entries[0][0]] = vals[0];
      return body;
    });
}

// ---- Requests that must be refused ---------------------------------------------

interface Req {
  endpoint: Endpoint;
  /** Raw body text. */
  body: string;
  contentType: string | null;
  /** The problem types that fit (the one the rules give first). */
  expect: ErrorCode[];
  why: string;
}

const JSON_TYPE = "application/json";
const parses = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};
const MAX_BODY_BYTES = 262_144;
/** The media type is checked first, then the size, then the JSON and the schema. */
const req = (endpoint: Endpoint, body: string, expect: ErrorCode[], why: string, contentType: string | null = JSON_TYPE): Req => {
  const tooLarge = contentType === JSON_TYPE && Buffer.byteLength(body) > (endpoint.maxBody ?? MAX_BODY_BYTES);
  const r = { endpoint, body, contentType, expect: tooLarge && expect.length > 0 ? ["payload-too-large" as const] : expect, why };
  // Counterexamples print as the request, not as the generators behind it.
  return Object.assign(r, {
    [fc.toStringMethod]: () =>
      `${endpoint.method} ${endpoint.name} (${why}) ${contentType}: ` +
      `${body.length > 300 ? `${body.slice(0, 300)}... (${body.length} chars)` : body}`,
  });
};

function brokenBodies(e: Endpoint): fc.Arbitrary<Req> {
  const fieldNames = Object.keys(e.fields);
  const pickField = fc.constantFrom(...fieldNames);
  const required = fieldNames.filter((k) => e.fields[k].required);
  const arbs: fc.Arbitrary<Req>[] = [
    // An unknown field (schemas are strict), prototype keys included.
    fc
      .tuple(
        validBody(e),
        fc.oneof(
          fc.constantFrom("__proto__", "constructor", "prototype", "isAdmin", "id", "Title"),
          fc.string({ minLength: 1, maxLength: 12 }),
        ),
        wrongValue,
      )
      .filter(([, k]) => !fieldNames.includes(k))
      .map(([b, k, val]) => req(e, JSON.stringify(withKey(b, k, val)), ["validation"], `unknown field ${JSON.stringify(k)}`)),
    // A field of the wrong JSON type (null included).
    fc
      .tuple(validBody(e), pickField, wrongValue)
      .filter(([, k, val]) => jsonType(val) !== e.fields[k].type)
      .map(([b, k, val]) => req(e, JSON.stringify(withKey(b, k, val)), ["validation"], `${k} of type ${jsonType(val)}`)),
    // The right type, out of range.
    fc
      .tuple(validBody(e), pickField)
      .chain(([b, k]) => e.fields[k].bad.map((val) => req(e, JSON.stringify(withKey(b, k, val)), ["validation"], `${k} out of range`))),
    // Deep nesting where a value goes.
    fc
      .tuple(validBody(e), pickField, fc.integer({ min: 2, max: 5000 }), fc.constantFrom("array" as const, "object" as const))
      .map(([b, k, depth, kind]) => {
        const marker = "\u0001N\u0001";
        return req(
          e,
          JSON.stringify(withKey(b, k, marker)).replace(JSON.stringify(marker), deepJson(depth, kind)),
          ["validation"],
          `${k} nested ${depth} deep`,
        );
      }),
    // Not an object, or not JSON.
    fc
      .oneof(
        fc.constantFrom("null", "[]", "true", "0", '"x"', "[{}]"),
        fc
          .jsonValue()
          .filter((x) => jsonType(x) !== "object")
          .map((x) => JSON.stringify(x)),
      )
      .map((b) => req(e, b, ["validation"], "not an object")),
    // (A leading byte order mark is dropped before parsing, as RFC 8259 allows.)
    notJsonArb.filter((s) => !parses(s.replace(/^\ufeff/, ""))).map((b) => req(e, b, ["malformed-json"], "not JSON")),
    // The wrong media type, whatever the body.
    fc
      .tuple(
        validBody(e),
        fc.constantFrom(
          null,
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/xml",
          "json",
          "application/jsn",
        ),
      )
      .map(([b, ct]) => req(e, JSON.stringify(b), ["unsupported-media-type"], `content-type ${ct}`, ct)),
  ];
  if (required.length > 0) {
    arbs.push(
      fc
        .tuple(validBody(e), fc.constantFrom(...required))
        .map(([b, k]) => req(e, JSON.stringify(withoutKey(b, k)), ["validation"], `no ${k}`)),
    );
  }
  if (e.atLeastOne) arbs.push(fc.constant(req(e, "{}", ["validation"], "no field to change")));
  return fc.oneof(...arbs);
}

/** Bank questions: the protocol's draft schema is the oracle (and a correct answer must be an option). */
const questions: Endpoint = {
  name: "add question",
  method: "POST",
  path: () => `/api/courses/${courseId}/questions`,
  who: "teacher",
  fields: {},
};
const brokenQuestionArb: fc.Arbitrary<Req> = fc
  .tuple(draftArb, mutationArb, fc.nat())
  .map(([d, m, pick]) => mutate(d, m, pick))
  .filter((text) => {
    const parsed = v.safeParse(QuestionDraftSchema, JSON.parse(text));
    return !parsed.success || draftProblem(parsed.output) !== null;
  })
  .map((text) => req(questions, text, ["validation"], "a draft the schema refuses"));

const brokenArb: fc.Arbitrary<Req> = fc.oneof(...ENDPOINTS.map(brokenBodies), brokenQuestionArb);

async function send(r: Req): Promise<{ status: number; body: any; headers: Headers }> {
  const e = r.endpoint;
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[e.who]}` };
  if (r.contentType !== null) headers["content-type"] = r.contentType;
  const res = await fetch(t.base + e.path(), { method: e.method, headers, body: r.body });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

/** An RFC 9457 problem: the media type, a stable type of the catalogue, and a status that matches it. */
function expectProblem(r: Req, res: { status: number; body: any; headers: Headers }, codes: readonly ErrorCode[]): void {
  const seen = { why: r.why, endpoint: r.endpoint.name, body: r.body.slice(0, 200), status: res.status, type: res.body?.type };
  const code =
    typeof res.body?.type === "string" && res.body.type.startsWith(PROBLEM_BASE)
      ? (res.body.type.slice(PROBLEM_BASE.length) as ErrorCode)
      : null;
  expect({ ...seen, code }).toEqual({ ...seen, code: codes.includes(code as ErrorCode) ? code : codes[0] });
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.status).toBe(ERRORS[code as ErrorCode].status);
  expect(res.body.status).toBe(res.status);
  expect(typeof res.body.title).toBe("string");
  expect(typeof res.body.detail).toBe("string");
}

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

test(
  "every schema refuses broken bodies with a problem document and changes nothing",
  async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(brokenArb, { minLength: 1, maxLength: 30, size: "max" }), async (batch) => {
        const before = await restSnapshot(t, focus());
        const replies = await Promise.all(batch.map(async (r) => ({ r, res: await send(r) })));
        for (const { r, res } of replies) expectProblem(r, res, r.expect);
        cases += batch.length;
        expect(await restSnapshot(t, focus())).toEqual(before);
      }),
      params(BROKEN_RUNS),
    );
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    console.log(`REST fuzz: ${cases} refused bodies`);
  },
  timeLimit(BROKEN_RUNS),
);

test("a body over MAX_BODY_BYTES gets 413 on every endpoint, declared or not", async () => {
  const before = await restSnapshot(t, focus());
  for (const e of [...ENDPOINTS.filter((x) => x.name !== "demo token"), questions]) {
    const big = JSON.stringify({ title: "x".repeat(300_000) });
    const r = req(e, big, ["payload-too-large"], "too large");
    expectProblem(r, await send(r), ["payload-too-large"]);
    // Streamed without a length: the server counts what it reads.
    const res = await fetch(t.base + e.path(), {
      method: e.method,
      headers: { authorization: `Bearer ${tokens[e.who]}`, "content-type": JSON_TYPE },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 40; i++) c.enqueue(new TextEncoder().encode("x".repeat(10_000)));
          c.close();
        },
      }),
    });
    const text = await res.text();
    expectProblem(r, { status: res.status, body: JSON.parse(text), headers: res.headers }, ["payload-too-large"]);
  }
  expect(await restSnapshot(t, focus())).toEqual(before);
}, 60_000);

// ---- Anything at all ----------------------------------------------------------------

const anyBodyArb: fc.Arbitrary<Req> = fc.oneof(
  ...[...ENDPOINTS, questions].map((e) =>
    fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((x) => req(e, JSON.stringify(x), [], "random JSON")),
      fc
        .tuple(e === questions ? draftArb : validBody(e), mutationArb, fc.nat())
        .map(([b, m, pick]) => req(e, mutate(b, m, pick), [], "a mutated valid body")),
      fc.tuple(nastyString, nastyNumber).map(([s, n]) => req(e, JSON.stringify({ [s]: n }), [], "one odd field")),
    ),
  ),
  // The OPA Data API takes any input document; errors there are OPA's own format (docs/wasm.md).
  fc
    .jsonValue({ maxDepth: 4 })
    .map((x) =>
      req(
        { name: "opa data", method: "POST", path: () => "/v1/data/edgeclass", who: "admin", fields: {} },
        JSON.stringify({ input: x }),
        [],
        "OPA input",
      ),
    ),
  notJsonArb.map((b) =>
    req({ name: "opa data", method: "POST", path: () => "/v1/data/edgeclass", who: "admin", fields: {} }, b, [], "OPA not JSON"),
  ),
);

test(
  "random and mutated bodies never get a 5xx; a refusal is a problem document and changes nothing",
  async () => {
    let cases = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(anyBodyArb, { minLength: 1, maxLength: 20, size: "max" }), async (batch) => {
        let before = await restSnapshot(t, focus());
        for (const r of batch) {
          const res = await send(r);
          cases++;
          expect({
            why: r.why,
            endpoint: r.endpoint.name,
            body: r.body.slice(0, 200),
            status: res.status < 500 ? "below 500" : res.status,
          }).toEqual({ why: r.why, endpoint: r.endpoint.name, body: r.body.slice(0, 200), status: "below 500" });
          if (res.status < 300) {
            accepted++;
            before = await restSnapshot(t, focus());
            continue;
          }
          if (r.endpoint.name === "opa data") continue;
          expectProblem(r, res, Object.keys(ERRORS) as ErrorCode[]);
          expect(await restSnapshot(t, focus())).toEqual(before);
        }
      }),
      params(ANY_RUNS),
    );
    console.log(`REST fuzz: ${cases} random bodies, ${accepted} accepted`);
  },
  timeLimit(ANY_RUNS),
);

// ---- Query strings and path parameters ------------------------------------------------

const queryValue = fc.oneof(
  nastyString,
  nastyNumber.map(String),
  fc.constantFrom("%ZZ", "%", "%00", "%C0%AF", "%E2%80%AE", "+", "&", "=", "#", "a=b=c"),
);
/** Percent-encoded (lone surrogates become U+FFFD first, as on the wire). */
const enc = (s: string) => encodeURIComponent(Buffer.from(s, "utf8").toString("utf8"));
const queryArb = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom("limit", "cursor", "status", "teacherId", "format", "decision", "__proto__", "constructor", "limit[]", "token"),
        fc.string({ maxLength: 10 }),
      ),
      queryValue,
      fc.boolean(),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([k, val, raw]) => `${enc(k)}=${raw ? enc(val).replace(/%25/g, "%") : enc(val)}`).join("&"));
const pathId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }).map(enc),
  fc.constantFrom("%ZZ", "%", "%2F", "..", "%2e%2e", "%00", "a%20b", "x".repeat(200), "__proto__", "constructor"),
);
const GET_ROUTES = [
  (id: string) => `/api/courses/${id}`,
  (id: string) => `/api/courses/${id}/classes`,
  (id: string) => `/api/courses/${id}/enrollments`,
  (id: string) => `/api/courses/${id}/questions`,
  (id: string) => `/api/classes/${id}`,
  (id: string) => `/api/classes/${id}/results`,
  (id: string) => `/api/classes/${id}/attendance`,
  (id: string) => `/api/questions/${id}`,
  () => "/api/courses",
  () => "/api/admin/decisions",
];

test(
  "odd query strings and path ids get a problem document or a page, never a 5xx",
  async () => {
    const before = await restSnapshot(t, focus());
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...GET_ROUTES),
        fc.oneof(pathId, fc.constantFrom(courseId, classId)),
        queryArb,
        fc.constantFrom("teacher" as const, "admin" as const),
        async (route, id, query, who) => {
          const path = route(id) + (query ? `?${query}` : "");
          const res = await fetch(t.base + path, { headers: { authorization: `Bearer ${tokens[who]}` } });
          const text = await res.text();
          cases++;
          expect({ path, status: res.status < 500 ? "below 500" : res.status }).toEqual({ path, status: "below 500" });
          if (res.status >= 400) {
            expect({ path, contentType: res.headers.get("content-type") }).toEqual({ path, contentType: "application/problem+json" });
            const body = JSON.parse(text);
            expect(body.status).toBe(res.status);
            expect(String(body.type).startsWith(PROBLEM_BASE)).toBe(true);
          }
        },
      ),
      params(400),
    );
    expect(await restSnapshot(t, focus())).toEqual(before);
    console.log(`REST fuzz: ${cases} odd queries and paths`);
  },
  timeLimit(40),
);

// ---- WHIP offers --------------------------------------------------------------------------

// A browser-like offer to mutate: line by line (dropped, repeated, cut, garbage in between).
const OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "a=msid-semantic: WMS",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=ice-ufrag:fZzq",
  "a=ice-pwd:aBcDeFgHiJkLmNoPqRsTuVwX",
  "a=fingerprint:sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0",
  "a=setup:actpass",
  "a=mid:0",
  "a=sendonly",
  "a=rtcp-mux",
  "a=rtpmap:96 VP8/90000",
  "a=ssrc:1111 cname:fuzz",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "c=IN IP4 0.0.0.0",
  "a=mid:1",
  "a=sendonly",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
];
const sdpArb = fc.oneof(
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...OFFER),
        nastyString.map((s) => s.replace(/\r?\n/g, " ")),
        fc.constantFrom(
          "m=video 99999999999 RTP 96",
          "a=rtpmap:96",
          "a=ssrc:",
          "a=candidate:1 1 UDP 1 999.1.1.1 1 typ host",
          "a=mid:" + "x".repeat(5000),
          "a=fingerprint:sha-256 ZZ",
        ),
      ),
      { maxLength: 40 },
    )
    .map((ls) => ls.join("\r\n") + "\r\n"),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => {
    const ls = [...OFFER];
    ls.splice(i % ls.length, 1);
    ls.splice(j % ls.length, 0, ls[j % ls.length]);
    return ls.join("\r\n") + "\r\n";
  }),
  fc.string({ unit: "binary", maxLength: 300 }),
);

test(
  "mangled WHIP offers are refused with a 4xx, never a 5xx (media errors: docs/media.md)",
  async () => {
    const media = await t.call("POST", `/api/classes/${classId}/start`, { token: tokens.teacher });
    expect(media.status).toBe(200);
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(sdpArb, fc.constantFrom("application/sdp", "application/sdp; charset=utf-8", "text/plain"), async (sdp, ct) => {
        const res = await fetch(`${t.base}/api/classes/${classId}/whip`, {
          method: "POST",
          headers: { authorization: `Bearer ${tokens.teacher}`, "content-type": ct },
          body: sdp,
        });
        await res.text();
        cases++;
        expect({ sdp: sdp.slice(0, 300), status: res.status < 500 ? "below 500" : res.status }).toEqual({
          sdp: sdp.slice(0, 300),
          status: "below 500",
        });
        const location = res.headers.get("location");
        if (res.status === 201 && location)
          await fetch(new URL(location, t.base), { method: "DELETE", headers: { authorization: `Bearer ${tokens.teacher}` } });
        else expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      params(60),
    );
    console.log(`REST fuzz: ${cases} WHIP offers`);
  },
  timeLimit(30),
);
