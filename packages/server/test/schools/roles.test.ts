// The school-admin role in the domain rules: their school as the platform admin has all; another
// school's course is missing (404) whatever the role.
import { describe, expect, test } from "bun:test";
import { assertCanEnroll, assertCanManageCourse, buildCourse, canViewCourse } from "../../src/domain/courses.ts";
import type { Principal } from "../../src/domain/model.ts";
import { staffRemovalReason } from "../../src/live/removal.ts";

const head: Principal = { id: "h", role: "school-admin", name: "H", school: "north" };
const root: Principal = { id: "r", role: "admin", name: "R", school: "default" };
const teacher: Principal = { id: "t", role: "teacher", name: "T", school: "north" };
const stranger: Principal = { id: "t", role: "teacher", name: "T", school: "south" }; // same id, other school
const course = buildCourse(teacher, { title: "C", status: "active" }, { capacity: 10 }, "c1", 1);

describe("school admin", () => {
  test("manages and sees every course of their school", () => {
    expect(course.schoolId).toBe("north");
    expect(() => assertCanManageCourse(head, course)).not.toThrow();
    expect(canViewCourse(head, course, false)).toBe(true);
    expect(() => assertCanEnroll(head, course, ["s1", "s2"])).not.toThrow();
  });

  test("another school's course is missing for them, and for its teacher's namesake", () => {
    const south = { ...course, schoolId: "south" };
    expect(() => assertCanManageCourse(head, south)).toThrow(expect.objectContaining({ status: 404 }));
    expect(canViewCourse(head, south, false)).toBe(false);
    expect(() => assertCanManageCourse(stranger, course)).toThrow(expect.objectContaining({ status: 404 }));
    expect(canViewCourse(stranger, course, true)).toBe(false);
    expect(() => assertCanEnroll({ ...stranger, role: "student" }, course, ["t"])).toThrow(expect.objectContaining({ status: 404 }));
    // The platform admin: every school.
    expect(() => assertCanManageCourse(root, south)).not.toThrow();
  });

  test("must name the course's teacher, like the platform admin", () => {
    expect(() => buildCourse(head, { title: "X" }, { capacity: 5 }, "c2", 1)).toThrow("an admin must name the course's teacher");
    expect(buildCourse(head, { title: "X", teacherId: "t" }, { capacity: 5 }, "c2", 1, "north")).toMatchObject({
      teacherId: "t",
      schoolId: "north",
    });
  });

  test("a student removed by a school admin is told an admin removed them", () => {
    expect(staffRemovalReason("school-admin", undefined)).toBe("removed from the class by an admin");
    expect(staffRemovalReason("teacher", "noise")).toBe("removed by the teacher: noise");
  });
});
