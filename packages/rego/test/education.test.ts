// Tests of policies/education.rego: every condition of the seed rule, teacher and
// admin joins, deny_reasons, an empty class, a full class and missing fields.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compile, toJSON, type Value } from "../src/index.ts";

const path = join(import.meta.dir, "../../../policies/education.rego");
const policy = compile([{ path: "policies/education.rego", source: readFileSync(path, "utf8") }]);
const allow = policy.prepare("data.education.allow");
const reasons = policy.prepare("data.education.deny_reasons");

type Input = Record<string, unknown>;
const student = (over: Input = {}, course: Input = {}): Input => ({
  action: "join",
  user: { id: "s1", role: "student" },
  course: { status: "active", capacity: 3, students: ["a", "b"], teacher_id: "t1", ...course },
  ...over,
});
const why = (input: Input): unknown => toJSON(reasons.evaluate(input as Value)!);

describe("education.allow (seed rule)", () => {
  test("a student joins an active course with room", () => {
    expect(allow.evaluate(student() as Value)).toBe(true);
    expect(why(student())).toEqual([]);
  });
  test("an empty class admits a student", () => {
    expect(allow.evaluate(student({}, { students: [] }) as Value)).toBe(true);
  });
  test("a full class refuses a student", () => {
    const full = student({}, { capacity: 2, students: ["a", "b"] });
    expect(allow.evaluate(full as Value)).toBe(false);
    expect(why(full)).toEqual(["class is full"]);
    const over = student({}, { capacity: 1, students: ["a", "b"] });
    expect(allow.evaluate(over as Value)).toBe(false);
  });
  test("the last seat is available (capacity = students + 1)", () => {
    expect(allow.evaluate(student({}, { capacity: 3, students: ["a", "b"] }) as Value)).toBe(true);
  });
  test("action must be join", () => {
    const leave = student({ action: "leave" });
    expect(allow.evaluate(leave as Value)).toBe(false);
    expect(why(leave)).toEqual(["only join requests are handled by this policy"]);
  });
  test("course must be active", () => {
    const closed = student({}, { status: "archived" });
    expect(allow.evaluate(closed as Value)).toBe(false);
    expect(why(closed)).toEqual(["course is not active"]);
  });
  test("role must be student (or the owning teacher, or admin)", () => {
    const guest = student({ user: { id: "g", role: "guest" } });
    expect(allow.evaluate(guest as Value)).toBe(false);
    expect(why(guest)).toEqual(['only students may join as students; role "guest" is not allowed']);
  });
});

describe("teacher and admin joins", () => {
  test("the course's teacher joins even a full class", () => {
    expect(allow.evaluate(student({ user: { id: "t1", role: "teacher" } }, { capacity: 0 }) as Value)).toBe(true);
  });
  test("another teacher is refused", () => {
    const other = student({ user: { id: "t2", role: "teacher" } });
    expect(allow.evaluate(other as Value)).toBe(false);
    expect(why(other)).toEqual(["only the course's teacher may join as teacher"]);
  });
  test("an admin joins any course", () => {
    expect(allow.evaluate(student({ user: { id: "x", role: "admin" } }, { status: "archived" }) as Value)).toBe(true);
  });
});

describe("missing fields deny, never crash", () => {
  test("empty input", () => {
    expect(allow.evaluate({})).toBe(false);
    expect(why({})).toEqual(["action is missing", "course status is missing", "user role is missing"]);
  });
  test("no input at all", () => {
    expect(allow.evaluate(undefined)).toBe(false);
  });
  test("missing students list", () => {
    const input = student({}, { students: undefined });
    delete (input.course as Input).students;
    expect(allow.evaluate(input as Value)).toBe(false);
    expect(why(input)).toEqual(["course student list is missing"]);
  });
  test("missing capacity", () => {
    const input = student();
    delete (input.course as Input).capacity;
    expect(allow.evaluate(input as Value)).toBe(false);
    expect(why(input)).toEqual(["course capacity is missing"]);
  });
  test("missing user", () => {
    const input = student();
    delete input.user;
    expect(allow.evaluate(input as Value)).toBe(false);
    expect(why(input)).toEqual(["user role is missing"]);
  });
  test("types follow OPA's ordering: a string capacity sorts above every number", () => {
    // Rego compares across types (null < boolean < number < string < ...), so the
    // seed rule admits here; callers validate input types before asking the policy.
    expect(allow.evaluate(student({}, { capacity: "10" }) as Value)).toBe(true);
    expect(allow.evaluate(student({}, { capacity: null }) as Value)).toBe(false);
  });
});
