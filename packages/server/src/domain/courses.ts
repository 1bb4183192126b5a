// Rules about courses and who may do what with them. Pure functions.
import { AppError, forbidden, invalidState, notFound } from "./errors.ts";
import type { Course, CourseStatus, Principal } from "./model.ts";
import { inSchool, isAdminOf } from "./schools.ts";

export interface NewCourse {
  title: string;
  description?: string;
  status?: CourseStatus;
  capacity?: number;
  teacherId?: string;
}

export interface CoursePatch {
  title?: string;
  description?: string;
  status?: CourseStatus;
  capacity?: number;
}

const TRANSITIONS: Record<CourseStatus, readonly CourseStatus[]> = {
  draft: ["draft", "active", "archived"],
  active: ["active", "draft", "archived"],
  // Archived is final: the course's history is kept as it was.
  archived: ["archived"],
};

function assertCanCreateCourse(p: Principal): void {
  if (p.role === "student") throw forbidden("students cannot create courses");
}

/** Teachers manage their own courses; a school admin their school's; the platform admin all. */
export function assertCanManageCourse(p: Principal, course: Course): void {
  // Another school's course is invisible (404), whatever the role.
  if (!inSchool(p, course.schoolId)) throw notFound("course", course.id);
  if (isAdminOf(p, course.schoolId)) return;
  if (p.role === "teacher" && course.teacherId === p.id) return;
  // Another teacher's course is invisible to a teacher (GET says 404): a write must not tell it exists either.
  if (p.role === "teacher") throw notFound("course", course.id);
  throw forbidden("students cannot change courses");
}

export function canViewCourse(p: Principal, course: Course, enrolled: boolean): boolean {
  if (!inSchool(p, course.schoolId)) return false;
  return isAdminOf(p, course.schoolId) || course.teacherId === p.id || enrolled;
}

/** `schoolId`: the school the course goes in (the teacher's). */
export function buildCourse(
  p: Principal,
  input: NewCourse,
  defaults: { capacity: number },
  id: string,
  now: number,
  schoolId: string = p.school,
): Course {
  assertCanCreateCourse(p);
  let teacherId = p.id;
  if (input.teacherId !== undefined && input.teacherId !== p.id) {
    if (p.role !== "admin" && p.role !== "school-admin") throw forbidden("only an admin can create a course for another teacher");
    teacherId = input.teacherId;
  }
  if ((p.role === "admin" || p.role === "school-admin") && input.teacherId === undefined) {
    throw new AppError("validation", "an admin must name the course's teacher", {
      issues: [{ path: "teacherId", message: "required when an admin creates a course" }],
    });
  }
  if (input.status === "archived") throw invalidState("a new course cannot be archived");
  return {
    id,
    title: input.title,
    description: input.description ?? "",
    status: input.status ?? "draft",
    capacity: input.capacity ?? defaults.capacity,
    teacherId,
    createdAt: now,
    updatedAt: now,
    schoolId,
  };
}

export function applyCoursePatch(p: Principal, course: Course, patch: CoursePatch, now: number): Course {
  assertCanManageCourse(p, course);
  if (course.status === "archived") throw invalidState(`course ${course.id} is archived and cannot change`);
  if (patch.status !== undefined && !TRANSITIONS[course.status].includes(patch.status)) {
    throw invalidState(`a course cannot go from ${course.status} to ${patch.status}`);
  }
  return {
    ...course,
    title: patch.title ?? course.title,
    description: patch.description ?? course.description,
    status: patch.status ?? course.status,
    capacity: patch.capacity ?? course.capacity,
    updatedAt: now,
  };
}

export function archiveCourse(p: Principal, course: Course, now: number): Course {
  assertCanManageCourse(p, course);
  if (course.status === "archived") return course;
  return { ...course, status: "archived", updatedAt: now };
}

/** Students may enrol themselves in an active course; teachers (own course) and admins enrol anyone. */
export function assertCanEnroll(p: Principal, course: Course, studentIds: readonly string[]): void {
  if (!inSchool(p, course.schoolId)) throw notFound("course", course.id);
  if (course.status === "archived") throw invalidState(`course ${course.id} is archived`);
  if (p.role === "student") {
    if (studentIds.some((id) => id !== p.id)) throw forbidden("students can only enrol themselves");
    if (course.status !== "active") throw invalidState(`course ${course.id} is not open for enrolment`);
    return;
  }
  assertCanManageCourse(p, course);
}

export function assertCanUnenroll(p: Principal, course: Course, studentId: string): void {
  if (!inSchool(p, course.schoolId)) throw notFound("course", course.id);
  if (p.role === "student") {
    if (studentId !== p.id) throw forbidden("students can only unenrol themselves");
    return;
  }
  assertCanManageCourse(p, course);
}
