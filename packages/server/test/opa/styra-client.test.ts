// A real OPA client library, @styra/opa, against both hosts: the same decisions.
import { OPAClient } from "@styra/opa";
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { JcoServer } from "../../../../scripts/wasm/jco.ts";
import { startBunHost, startComponentHost, type BunHost } from "./support.ts";

// The jco host starts slowly (V8 tiers a 15 MB module up) on a shared, busy machine.
const SLOW = 60_000;

const course = { id: "c1", status: "active", capacity: 2, teacher_id: "t1", students: ["s0"] };
const INPUTS: Record<string, unknown> = {
  student: { action: "join", user: { id: "s1", role: "student" }, course },
  full: { action: "join", user: { id: "s1", role: "student" }, course: { ...course, capacity: 1 } },
  teacher: { action: "join", user: { id: "t1", role: "teacher" }, course },
  otherTeacher: { action: "join", user: { id: "t2", role: "teacher" }, course },
  admin: { action: "join", user: { id: "a", role: "admin" }, course: { ...course, status: "archived" } },
  guest: { action: "join", user: { id: "g", role: "guest" }, course },
  leave: { action: "leave", user: { id: "s1", role: "student" }, course },
};

let bun: BunHost;
let wasm: JcoServer;
let clients: { name: string; opa: OPAClient }[];

beforeAll(async () => {
  [bun, wasm] = await Promise.all([startBunHost(), startComponentHost()]);
  clients = [
    { name: "bun", opa: new OPAClient(bun.url, { headers: { authorization: `Bearer ${await bun.token("admin")}` } }) },
    { name: "wasm", opa: new OPAClient(wasm.url) },
  ];
}, 600_000);

afterAll(async () => {
  await Promise.all([bun?.close(), wasm?.close()]);
}, SLOW);

type Decision = { allow: boolean; reasons: string[] };

async function decide(opa: OPAClient, input: unknown): Promise<Decision> {
  const allow = await opa.evaluate<Record<string, unknown>, boolean>("education/allow", input as Record<string, unknown>);
  const reasons = await opa.evaluate<Record<string, unknown>, string[]>("education/deny_reasons", input as Record<string, unknown>);
  return { allow, reasons };
}

test(
  "@styra/opa evaluate(): the same decisions from the Bun server and the component",
  async () => {
    const expected: Record<string, Decision> = {
      student: { allow: true, reasons: [] },
      full: { allow: false, reasons: ["class is full"] },
      teacher: { allow: true, reasons: [] },
      otherTeacher: { allow: false, reasons: ["only the course's teacher may join as teacher"] },
      admin: { allow: true, reasons: [] },
      guest: { allow: false, reasons: ['only students may join as students; role "guest" is not allowed'] },
      leave: { allow: false, reasons: ["only join requests are handled by this policy"] },
    };
    for (const { name, opa } of clients) {
      const got: Record<string, Decision> = {};
      for (const [k, input] of Object.entries(INPUTS)) got[k] = await decide(opa, input);
      expect({ host: name, got }).toEqual({ host: name, got: expected });
    }
  },
  SLOW,
);

test(
  "@styra/opa: a whole package document, and evaluate() without input",
  async () => {
    const results = [];
    for (const { opa } of clients) {
      results.push(
        await opa.evaluate<Record<string, unknown>, Record<string, unknown>>("education", INPUTS.full as Record<string, unknown>),
      );
      results.push(await opa.evaluate<Record<string, unknown>, boolean>("education/allow"));
    }
    expect(results[0]).toEqual({
      allow: false,
      deny_reasons: ["class is full"],
      known_role: ["admin", "school-admin", "student", "teacher"],
      students_listed: true,
    });
    expect(results[1]).toBe(false);
    expect(results[2]).toEqual(results[0]);
    expect(results[3]).toBe(false);
  },
  SLOW,
);

test(
  "@styra/opa: an undefined decision comes back as undefined from both",
  async () => {
    for (const { name, opa } of clients) {
      const got = await opa.evaluate<Record<string, unknown>, unknown>("education/nope", {});
      expect({ host: name, got }).toEqual({ host: name, got: undefined });
    }
  },
  SLOW,
);
