// One request suite, two hosts: the Bun server's OPA routes and the wasi:http component
// (education-platform.wasm under jco). Every case must get the same status, content type and
// body bytes from both, and the body must be what OPA's REST API answers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { JcoServer } from "../../../../scripts/wasm/jco.ts";
import { ask, startBunHost, startComponentHost, type Answer, type BunHost } from "./support.ts";

// The jco host starts slowly (V8 tiers a 15 MB module up) on a shared, busy machine.
const SLOW = 60_000;

const STUDENT_OK = {
  action: "join",
  user: { id: "s1", role: "student" },
  course: { id: "c1", status: "active", capacity: 2, teacher_id: "t1", students: ["s0"] },
};
const FULL = { ...STUDENT_OK, course: { ...STUDENT_OK.course, capacity: 1 } };
const TEACHER_OTHER = { action: "join", user: { id: "t2", role: "teacher" }, course: { ...STUDENT_OK.course } };
// The facts the server adds (education.rego's own rules decide them): enrolment, the class's status, the shared seat count.
const NOT_ENROLLED = { ...STUDENT_OK, user: { ...STUDENT_OK.user, enrolled: false } };
const NOT_STARTED = { ...STUDENT_OK, class: { id: "k1", status: "scheduled", seats_taken: 0 } };
const SEATS_GONE = { ...STUDENT_OK, class: { id: "k1", status: "live", seats_taken: 2 } };
const HTML_ROLE = { action: "join", user: { id: "x", role: "<b>&" }, course: { ...STUDENT_OK.course } };
const WARNING = { code: "api_usage_warning", message: "'input' key missing from the request" };

interface Case {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** what OPA answers: status and either the parsed body or the exact text */
  status: number;
  json?: unknown;
  text?: string;
}

const post = (input: unknown) => JSON.stringify({ input });

const CASES: Case[] = [
  {
    name: "allow: a student joins an active course with room",
    method: "POST",
    path: "/v1/data/education/allow",
    body: post(STUDENT_OK),
    status: 200,
    text: '{"result":true}\n',
  },
  {
    name: "allow: full class",
    method: "POST",
    path: "/v1/data/education/allow",
    body: post(FULL),
    status: 200,
    text: '{"result":false}\n',
  },
  {
    name: "deny_reasons: full class",
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: post(FULL),
    status: 200,
    json: { result: ["class is full"] },
  },
  {
    name: "deny_reasons: another course's teacher",
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: post(TEACHER_OTHER),
    status: 200,
    json: { result: ["only the course's teacher may join as teacher"] },
  },
  {
    name: "deny_reasons: not enrolled (the seed's allow holds)",
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: post(NOT_ENROLLED),
    status: 200,
    json: { result: ["not enrolled in this course"] },
  },
  {
    name: "deny_reasons: class not started",
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: post(NOT_STARTED),
    status: 200,
    json: { result: ["class has not started"] },
  },
  {
    name: "deny_reasons: the shared seats are taken",
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: post(SEATS_GONE),
    status: 200,
    json: { result: ["class is full"] },
  },
  {
    name: "package document, keys sorted, set as sorted array",
    method: "POST",
    path: "/v1/data/education",
    body: post(FULL),
    status: 200,
    text:
      '{"result":{"allow":false,"deny_reasons":["class is ' +
      'full"],"known_role":["admin","school-admin","student","teacher"],"students_listed":true}}\n',
  },
  {
    name: "whole data document",
    method: "POST",
    path: "/v1/data",
    body: post(STUDENT_OK),
    status: 200,
    json: {
      result: {
        education: { allow: true, deny_reasons: [], known_role: ["admin", "school-admin", "student", "teacher"], students_listed: true },
      },
    },
  },
  {
    name: "whole data document, trailing slash",
    method: "POST",
    path: "/v1/data/",
    body: post(STUDENT_OK),
    status: 200,
    json: {
      result: {
        education: { allow: true, deny_reasons: [], known_role: ["admin", "school-admin", "student", "teacher"], students_listed: true },
      },
    },
  },
  {
    name: "undefined document: {} without result",
    method: "POST",
    path: "/v1/data/education/nope",
    body: post(STUDENT_OK),
    status: 200,
    text: "{}\n",
  },
  { name: "undefined package", method: "POST", path: "/v1/data/nothing/here", body: post({}), status: 200, text: "{}\n" },
  {
    name: "index into a set is undefined",
    method: "POST",
    path: "/v1/data/education/known_role/0",
    body: post({}),
    status: 200,
    text: "{}\n",
  },
  {
    name: "POST without a body: warning, evaluated without input",
    method: "POST",
    path: "/v1/data/education/allow",
    status: 200,
    json: { result: false, warning: WARNING },
  },
  {
    name: "POST {} : warning",
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: "{}",
    status: 200,
    json: { result: ["action is missing", "course status is missing", "user role is missing"], warning: WARNING },
  },
  {
    name: "POST input null: warning",
    method: "POST",
    path: "/v1/data/education/allow",
    body: '{"input":null}',
    status: 200,
    json: { result: false, warning: WARNING },
  },
  {
    name: "POST undefined and no input: warning only",
    method: "POST",
    path: "/v1/data/nope",
    status: 200,
    text: `{"warning":{"code":"api_usage_warning","message":"'input' key missing from the request"}}\n`,
  },
  {
    name: "input key matched case-insensitively (Go's decoder)",
    method: "POST",
    path: "/v1/data/education/allow",
    body: `{"Input":${JSON.stringify(STUDENT_OK)}}`,
    status: 200,
    text: '{"result":true}\n',
  },
  {
    name: "data after the JSON value is not read (Go's decoder)",
    method: "POST",
    path: "/v1/data/education/allow",
    body: `${post(STUDENT_OK)} trailing`,
    status: 200,
    text: '{"result":true}\n',
  },
  {
    name: "HTML-safe escapes in strings",
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: post(HTML_ROLE),
    status: 200,
    text: '{"result":["only students may join as students; role \\"\\u003cb\\u003e\\u0026\\" is not allowed"]}\n',
  },
  {
    name: "pretty",
    method: "POST",
    path: "/v1/data/education/deny_reasons?pretty",
    body: post(FULL),
    status: 200,
    text: '{\n  "result": [\n    "class is full"\n  ]\n}\n',
  },
  {
    name: "pretty=true",
    method: "POST",
    path: "/v1/data/education/allow?pretty=true",
    body: post(FULL),
    status: 200,
    text: '{\n  "result": false\n}\n',
  },
  {
    name: "pretty=false",
    method: "POST",
    path: "/v1/data/education/allow?pretty=false",
    body: post(FULL),
    status: 200,
    text: '{"result":false}\n',
  },
  {
    name: "metrics and explain are accepted and ignored",
    method: "POST",
    path: "/v1/data/education/allow?metrics&explain=full",
    body: post(FULL),
    status: 200,
    text: '{"result":false}\n',
  },
  { name: "GET: no input", method: "GET", path: "/v1/data/education/allow", status: 200, text: '{"result":false}\n' },
  {
    name: "GET: ?input=",
    method: "GET",
    path: `/v1/data/education/allow?input=${encodeURIComponent(JSON.stringify(STUDENT_OK))}`,
    status: 200,
    text: '{"result":true}\n',
  },
  {
    name: "GET: the last ?input= wins",
    method: "GET",
    path: `/v1/data/education/allow?input=1&input=${encodeURIComponent(JSON.stringify(STUDENT_OK))}`,
    status: 200,
    text: '{"result":true}\n',
  },
  { name: "GET: undefined", method: "GET", path: "/v1/data/nope", status: 200, text: "{}\n" },
  {
    name: "GET: whole document",
    method: "GET",
    path: "/v1/data",
    status: 200,
    json: {
      result: {
        education: {
          allow: false,
          deny_reasons: ["action is missing", "course status is missing", "user role is missing"],
          known_role: ["admin", "school-admin", "student", "teacher"],
        },
      },
    },
  },
  {
    name: "malformed JSON: truncated",
    method: "POST",
    path: "/v1/data/education/allow",
    body: '{"input":',
    status: 400,
    text: '{\n  "code": "invalid_parameter",\n  "message": "body contains malformed input document: unexpected EOF"\n}\n',
  },
  {
    name: "malformed JSON: bad literal",
    method: "POST",
    path: "/v1/data/education/allow",
    body: '{"input": tru}',
    status: 400,
    json: {
      code: "invalid_parameter",
      message: "body contains malformed input document: invalid character '}' in literal true (expecting 'e')",
    },
  },
  {
    name: "malformed JSON: not a value",
    method: "POST",
    path: "/v1/data/education/allow",
    body: "input=1",
    status: 400,
    json: {
      code: "invalid_parameter",
      message: "body contains malformed input document: invalid character 'i' looking for beginning of value",
    },
  },
  {
    name: "malformed JSON: missing comma",
    method: "POST",
    path: "/v1/data/education/allow",
    body: '{"input": {"a": 1 "b": 2}}',
    status: 400,
    json: {
      code: "invalid_parameter",
      message: "body contains malformed input document: invalid character '\"' after object key:value pair",
    },
  },
  {
    name: "body is an array",
    method: "POST",
    path: "/v1/data/education/allow",
    body: "[1]",
    status: 400,
    json: {
      code: "invalid_parameter",
      message: "body contains malformed input document: json: cannot unmarshal array into Go value of type types.DataRequestV1",
    },
  },
  {
    name: "body is a string",
    method: "POST",
    path: "/v1/data/education/allow",
    body: '"x"',
    status: 400,
    json: {
      code: "invalid_parameter",
      message: "body contains malformed input document: json: cannot unmarshal string into Go value of type types.DataRequestV1",
    },
  },
  {
    name: "GET: malformed ?input=",
    method: "GET",
    path: "/v1/data/education/allow?input=%7Bnope",
    status: 400,
    json: {
      code: "invalid_parameter",
      message: "parameter contains malformed input document: invalid character 'n' looking for beginning of object key string",
    },
  },
  {
    name: "a quote in the path",
    method: "GET",
    path: "/v1/data/education/%22allow",
    status: 500,
    json: { code: "internal_error", message: "invalid_parameter: invalid path: invalid ref term '\"allow'" },
  },
  { name: "health", method: "GET", path: "/health", status: 200, text: "{}\n" },
  { name: "health?bundles", method: "GET", path: "/health?bundles", status: 200, text: "{}\n" },
  { name: "health?plugins", method: "GET", path: "/health?plugins", status: 200, text: "{}\n" },
  {
    name: "health with a policy path that is undefined",
    method: "GET",
    path: "/health/live",
    status: 500,
    text: '{"error":"health check (data.system.health.live) was undefined"}\n',
  },
];

let bun: BunHost;
let wasm: JcoServer;
let adminAuth: Record<string, string>;

beforeAll(async () => {
  [bun, wasm] = await Promise.all([startBunHost(), startComponentHost()]);
  adminAuth = { authorization: `Bearer ${await bun.token("admin")}` };
}, 600_000);

afterAll(async () => {
  await Promise.all([bun?.close(), wasm?.close()]);
}, SLOW);

function check(c: Case, a: Answer, host: string): void {
  const label = `${host}: ${c.name}`;
  expect({ label, status: a.status }).toEqual({ label, status: c.status });
  expect({ label, ct: a.contentType }).toEqual({ label, ct: "application/json" });
  if (c.text !== undefined) expect({ label, body: a.body }).toEqual({ label, body: c.text });
  if (c.json !== undefined) expect({ label, body: JSON.parse(a.body) as unknown }).toEqual({ label, body: c.json });
}

describe("OPA Data API parity: Bun routes vs the wasi:http component under jco", () => {
  for (const c of CASES) {
    test(
      c.name,
      async () => {
        const onBun = await ask(bun.url, c.method, c.path, { body: c.body, headers: { ...c.headers, ...adminAuth } });
        const onWasm = await ask(wasm.url, c.method, c.path, { body: c.body, headers: c.headers });
        check(c, onBun, "bun");
        check(c, onWasm, "wasm");
        expect(onWasm).toEqual(onBun);
      },
      SLOW,
    );
  }

  test(
    "many decisions in a row on one component instance (StarlingMonkey#247 does not bite)",
    async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          ask(wasm.url, "POST", "/v1/data/education/allow", { body: post(i % 2 === 0 ? STUDENT_OK : FULL) }),
        ),
      );
      expect(answers.map((a) => a.body)).toEqual(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? '{"result":true}\n' : '{"result":false}\n')),
      );
    },
    SLOW,
  );
});

describe("how each host protects and routes the Data API", () => {
  test(
    "Bun: decision routes need a bearer token of role admin; /health is public",
    async () => {
      const none = await ask(bun.url, "POST", "/v1/data/education/allow", { body: post(STUDENT_OK) });
      expect(none.status).toBe(401);
      expect(none.contentType).toBe("application/problem+json");
      const student = await ask(bun.url, "POST", "/v1/data/education/allow", {
        body: post(STUDENT_OK),
        headers: { authorization: `Bearer ${await bun.token("student")}` },
      });
      expect(student.status).toBe(403);
      const teacher = await ask(bun.url, "GET", "/v1/data", { headers: { authorization: `Bearer ${await bun.token("teacher")}` } });
      expect(teacher.status).toBe(403);
      expect((await ask(bun.url, "GET", "/health")).status).toBe(200);
    },
    SLOW,
  );

  test(
    "write methods: the component answers 405 invalid_operation (read-only); Bun answers 405 as every route does",
    async () => {
      const w = await ask(wasm.url, "PUT", "/v1/data/education", { body: "{}" });
      expect(w.status).toBe(405);
      expect(JSON.parse(w.body)).toEqual({
        code: "invalid_operation",
        message: "this Data API is read-only: policies and data are bundled at build time",
      });
      const b = await ask(bun.url, "PUT", "/v1/data/education", { body: "{}", headers: adminAuth });
      expect(b.status).toBe(405);
    },
    SLOW,
  );

  test(
    "gzip request bodies (Content-Encoding: gzip) on both hosts",
    async () => {
      const body = Bun.gzipSync(new TextEncoder().encode(post(STUDENT_OK)));
      for (const [base, headers] of [
        [wasm.url, {}],
        [bun.url, adminAuth],
      ] as const) {
        const r = await fetch(`${base}/v1/data/education/allow`, {
          method: "POST",
          body,
          headers: { ...headers, "content-encoding": "gzip" },
        });
        expect(await r.text()).toBe('{"result":true}\n');
      }
    },
    SLOW,
  );

  test(
    "component: HEAD is GET without a body, as Go's mux answers it",
    async () => {
      const r = await fetch(`${wasm.url}/health`, { method: "HEAD" });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe("");
    },
    SLOW,
  );

  test(
    "component: unknown paths get Go's 404 text",
    async () => {
      const a = await ask(wasm.url, "GET", "/v1/query");
      expect(a.status).toBe(404);
      expect(a.body).toBe("404 page not found\n");
    },
    SLOW,
  );

  test(
    "body limit: 413 above the limit on both hosts",
    async () => {
      const big = JSON.stringify({ input: { pad: "x".repeat(1100 * 1024) } });
      expect((await ask(wasm.url, "POST", "/v1/data/education/allow", { body: big })).status).toBe(413);
      expect((await ask(bun.url, "POST", "/v1/data/education/allow", { body: big, headers: adminAuth })).status).toBe(413);
    },
    SLOW,
  );
});
