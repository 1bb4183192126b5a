// wasmtime serve and runwasi's wasmtime shim create a fresh instance of the component for every
// request. Under jco's `--instantiation sync` output the same happens here: every answer below
// comes from an instance that did nothing before it (the policies were compiled at build time,
// in the Wizer snapshot), and equals the answer of the long-lived instance.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { JcoServer } from "../../../../scripts/wasm/jco.ts";
import { ask, startComponentHost, startFreshInstanceHost } from "./support.ts";

// The jco host starts slowly (V8 tiers a 15 MB module up) on a shared, busy machine.
const SLOW = 60_000;

let fresh: JcoServer;
let reused: JcoServer;

beforeAll(async () => {
  [fresh, reused] = await Promise.all([startFreshInstanceHost(), startComponentHost()]);
}, 600_000);

afterAll(async () => {
  await Promise.all([fresh?.close(), reused?.close()]);
}, SLOW);

const course = { id: "c1", status: "active", capacity: 2, teacher_id: "t1", students: ["s0"] };
const REQUESTS: { method: string; path: string; body?: string }[] = [
  {
    method: "POST",
    path: "/v1/data/education/allow",
    body: JSON.stringify({ input: { action: "join", user: { id: "s1", role: "student" }, course } }),
  },
  {
    method: "POST",
    path: "/v1/data/education/deny_reasons",
    body: JSON.stringify({ input: { action: "join", user: { id: "s1", role: "student" }, course: { ...course, capacity: 1 } } }),
  },
  { method: "POST", path: "/v1/data/education?pretty", body: "{}" },
  { method: "GET", path: "/v1/data" },
  { method: "POST", path: "/v1/data/education/allow", body: '{"input":' },
  { method: "GET", path: "/v1/data/nope" },
  { method: "GET", path: "/health" },
];

test(
  "a fresh instance per request answers as the long-lived instance does",
  async () => {
    for (const r of REQUESTS) {
      const a = await ask(fresh.url, r.method, r.path, { body: r.body });
      const b = await ask(reused.url, r.method, r.path, { body: r.body });
      expect({ request: `${r.method} ${r.path}`, ...a }).toEqual({ request: `${r.method} ${r.path}`, ...b });
    }
    const allow = await ask(fresh.url, "POST", "/v1/data/education/allow", { body: REQUESTS[0].body });
    expect(allow.body).toBe('{"result":true}\n');
  },
  SLOW,
);
