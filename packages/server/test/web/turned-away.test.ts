// The teacher's count of students turned away: distinct students and attempts per reason, this
// class's student denies only.
import { expect, test } from "bun:test";
import { DecisionLog } from "../../src/policy/decision-log.ts";
import { turnedAway } from "../../src/http/routes/turned-away.ts";

test("distinct students and attempts per reason; other classes, staff and allows left out", () => {
  const log = new DecisionLog(50);
  const d = (at: number, userId: string, reasons: string[], over: Partial<Parameters<DecisionLog["record"]>[0]> = {}) =>
    log.record({ at, classId: "k1", courseId: "c1", schoolId: "default", userId, role: "student", decision: "deny", reasons, ...over });
  d(1, "s1", ["class is full"]);
  d(2, "s1", ["class is full"]); // the full page retried
  d(3, "s2", ["class is full"]);
  d(4, "s3", ["not enrolled in this course"]);
  d(5, "s4", ["course is not active", "class is full"]);
  d(6, "s9", ["class is full"], { classId: "k2" });
  d(7, "t9", ["only the course's teacher may teach"], { role: "teacher" });
  d(8, "s5", [], { decision: "allow" });
  expect(turnedAway(log, "k1")).toEqual({
    students: 4,
    attempts: 5,
    reasons: [
      { reason: "class is full", students: 3, attempts: 4 },
      { reason: "course is not active", students: 1, attempts: 1 },
      { reason: "not enrolled in this course", students: 1, attempts: 1 },
    ],
    last: new Date(5).toISOString(),
  });
  expect(turnedAway(log, "nothing")).toEqual({ students: 0, attempts: 0, reasons: [], last: null });
});
