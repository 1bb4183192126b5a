// The pure domain rules, without storage or HTTP.
import { describe, expect, test } from "bun:test";
import { cancelClass, endClass, scheduleClass, startClass } from "../src/domain/classes.ts";
import { applyCoursePatch, archiveCourse, assertCanEnroll, buildCourse } from "../src/domain/courses.ts";
import { AppError } from "../src/domain/errors.ts";
import type { Principal } from "../src/domain/model.ts";

const teacher: Principal = { id: "t1", role: "teacher", name: "T", school: "default" };
const other: Principal = { id: "t2", role: "teacher", name: "T2", school: "default" };
const student: Principal = { id: "s1", role: "student", name: "S", school: "default" };
const admin: Principal = { id: "a", role: "admin", name: "A", school: "default" };
const course = buildCourse(teacher, { title: "C" }, { capacity: 1000 }, "c1", 1);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
  return "ok";
}

describe("courses", () => {
  test("new courses are drafts owned by their creator with the default capacity", () => {
    expect(course).toMatchObject({ status: "draft", teacherId: "t1", capacity: 1000 });
    expect(code(() => buildCourse(student, { title: "x" }, { capacity: 5 }, "c", 1))).toBe("forbidden");
    expect(code(() => buildCourse(teacher, { title: "x", teacherId: "t2" }, { capacity: 5 }, "c", 1))).toBe("forbidden");
    expect(code(() => buildCourse(admin, { title: "x" }, { capacity: 5 }, "c", 1))).toBe("validation");
    expect(code(() => buildCourse(teacher, { title: "x", status: "archived" }, { capacity: 5 }, "c", 1))).toBe("invalid-state");
  });

  test("status transitions: archived is final", () => {
    const active = applyCoursePatch(teacher, course, { status: "active" }, 2);
    expect(active.status).toBe("active");
    const archived = archiveCourse(admin, active, 3);
    expect(code(() => applyCoursePatch(admin, archived, { title: "x" }, 4))).toBe("invalid-state");
    expect(archiveCourse(admin, archived, 5)).toBe(archived);
    expect(code(() => applyCoursePatch(other, course, { title: "x" }, 2))).toBe("not-found"); // as invisible as on GET
  });

  test("enrolment rights", () => {
    const active = { ...course, status: "active" as const };
    expect(code(() => assertCanEnroll(student, active, ["s1"]))).toBe("ok");
    expect(code(() => assertCanEnroll(student, active, ["s2"]))).toBe("forbidden");
    expect(code(() => assertCanEnroll(student, course, ["s1"]))).toBe("invalid-state");
    expect(code(() => assertCanEnroll(other, active, ["s1"]))).toBe("not-found");
    expect(code(() => assertCanEnroll(admin, { ...course, status: "archived" }, ["s1"]))).toBe("invalid-state");
  });
});

describe("classes", () => {
  const active = { ...course, status: "active" as const };
  const cls = scheduleClass(teacher, active, { startsAt: 10, durationMinutes: 30 }, "k1", 1);

  test("scheduled -> live -> ended, or scheduled -> cancelled", () => {
    const live = startClass(teacher, active, cls, 5);
    expect(live).toMatchObject({ status: "live", startedAt: 5 });
    expect(code(() => cancelClass(teacher, active, live))).toBe("invalid-state");
    const ended = endClass(teacher, active, live, 9);
    expect(ended).toMatchObject({ status: "ended", endedAt: 9 });
    expect(code(() => startClass(teacher, active, ended, 10))).toBe("invalid-state");
    expect(cancelClass(teacher, active, cls).status).toBe("cancelled");
  });

  test("a class of a draft course cannot start", () => {
    expect(code(() => startClass(teacher, course, cls, 5))).toBe("invalid-state");
  });
});
