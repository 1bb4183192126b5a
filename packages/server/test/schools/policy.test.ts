// The join decision across schools: policies/education.rego's cross-school rule (the seed's rules
// left as they were) through the server's JoinPolicy, and the server's own guard when a
// policy of POLICY_DIR has no such rule.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Role } from "../../src/domain/model.ts";
import { CROSS_SCHOOL_REASON, JoinPolicy, type JoinInput } from "../../src/policy/join-policy.ts";
import { policySources } from "../../src/policy/sources.ts";

const SEED_RULE = `# The seed rule: a student joins an active course that still has room.
allow {
	input.action == "join"
	input.user.role == "student"
	input.course.status == "active"
	input.course.capacity > count(input.course.students)
}`;

const input = (role: Role, userSchool: string, courseSchool: string, id = role === "teacher" ? "t1" : "u1"): JoinInput => ({
  action: "join",
  user: { id, role, school: userSchool, enrolled: role === "student" },
  course: { id: "c1", status: "active", capacity: 30, teacher_id: "t1", students: [], school: courseSchool },
  class: { id: "k1", status: "live", seats_taken: 0 },
});

describe("policies/education.rego", () => {
  const policy = new JoinPolicy(policySources(undefined));
  beforeAll(() => policy.load());

  test("the seed's rule is there word for word", () => {
    expect(readFileSync(join(import.meta.dir, "../../../../policies/education.rego"), "utf8")).toContain(SEED_RULE);
  });

  test("the same school: students, the teacher and the school admin join", () => {
    for (const role of ["student", "teacher", "school-admin"] as const)
      expect(policy.decide(input(role, "north", "north"))).toEqual({ allow: true, reasons: [] });
  });

  test("across schools: every role but the platform admin is refused, with the reason", () => {
    for (const role of ["student", "teacher", "school-admin"] as const) {
      const d = policy.decide(input(role, "south", "north"));
      expect(d.allow).toBe(false);
      expect(d.reasons).toContain("class of another school: only that school's users may join");
    }
    // A student the seed rule alone would admit: the only reason is the school.
    expect(policy.decide(input("student", "south", "north")).reasons).toEqual([
      "class of another school: only that school's users may join",
    ]);
    expect(policy.decide(input("admin", "default", "north"))).toEqual({ allow: true, reasons: [] });
  });

  test("a user without a school does not join a school's course", () => {
    const noSchool = { ...input("student", "x", "north"), user: { id: "u1", role: "student" as const } } as unknown as JoinInput;
    expect(policy.decide(noSchool).allow).toBe(false);
  });
});

test("a POLICY_DIR policy without a school rule: the server still refuses a join across schools", async () => {
  const lax = new JoinPolicy([
    {
      path: "lax.rego",
      source: `package education\ndefault allow = false\nallow { input.action == "join" }\ndeny_reasons[r] { not allow; r := "no" }\n`,
    },
  ]);
  await lax.load();
  expect(lax.decide(input("student", "north", "north"))).toEqual({ allow: true, reasons: [] });
  expect(lax.decide(input("teacher", "south", "north"))).toEqual({ allow: false, reasons: [CROSS_SCHOOL_REASON] });
  expect(lax.decide(input("admin", "south", "north")).allow).toBe(true);
});
