// Rules about scheduled and live class sessions. Pure functions.
import { invalidState } from "./errors.ts";
import { assertCanManageCourse } from "./courses.ts";
import type { ClassSession, Course, Principal } from "./model.ts";

export interface NewClass {
  title?: string;
  startsAt: number;
  durationMinutes: number;
}

export interface ClassPatch {
  title?: string;
  startsAt?: number;
  durationMinutes?: number;
}

export function scheduleClass(p: Principal, course: Course, input: NewClass, id: string, now: number): ClassSession {
  assertCanManageCourse(p, course);
  if (course.status === "archived") throw invalidState(`course ${course.id} is archived`);
  return {
    id,
    courseId: course.id,
    title: input.title ?? course.title,
    startsAt: input.startsAt,
    durationMinutes: input.durationMinutes,
    status: "scheduled",
    createdAt: now,
    startedAt: null,
    endedAt: null,
    schoolId: course.schoolId,
  };
}

export function rescheduleClass(p: Principal, course: Course, cls: ClassSession, patch: ClassPatch): ClassSession {
  assertCanManageCourse(p, course);
  if (cls.status !== "scheduled") throw invalidState(`class ${cls.id} is ${cls.status}; only scheduled classes can change`);
  return {
    ...cls,
    title: patch.title ?? cls.title,
    startsAt: patch.startsAt ?? cls.startsAt,
    durationMinutes: patch.durationMinutes ?? cls.durationMinutes,
  };
}

export function cancelClass(p: Principal, course: Course, cls: ClassSession): ClassSession {
  assertCanManageCourse(p, course);
  if (cls.status === "cancelled") return cls;
  if (cls.status !== "scheduled") throw invalidState(`class ${cls.id} is ${cls.status}; only scheduled classes can be cancelled`);
  return { ...cls, status: "cancelled" };
}

export function startClass(p: Principal, course: Course, cls: ClassSession, now: number): ClassSession {
  assertCanManageCourse(p, course);
  if (cls.status === "live") return cls;
  if (cls.status !== "scheduled") throw invalidState(`class ${cls.id} is ${cls.status} and cannot start`);
  if (course.status !== "active") throw invalidState(`course ${course.id} is ${course.status}; activate it before starting a class`);
  return { ...cls, status: "live", startedAt: now };
}

export function endClass(p: Principal, course: Course, cls: ClassSession, now: number): ClassSession {
  assertCanManageCourse(p, course);
  if (cls.status === "ended") return cls;
  if (cls.status !== "live") throw invalidState(`class ${cls.id} is ${cls.status}; only a live class can end`);
  return { ...cls, status: "ended", endedAt: now };
}
