// The storage interfaces the services use. SQLite implements them today; a
// shared engine can stand beside it later without touching the domain.
import type { LiveStore } from "./live-types.ts";
import type { ClassSession, Course, CourseStatus, Page, PageRequest, School, User } from "../domain/model.ts";

export interface SchoolStore {
  get(id: string): School | undefined;
  /** Throws on an id already taken. */
  insert(school: School): void;
  update(school: School): void;
  list(page: PageRequest): Page<School>;
}

export interface UserStore {
  get(id: string): User | undefined;
  /** Insert if missing; an existing user keeps their role, their name is refreshed. */
  upsert(user: User): void;
  /** Users that exist among the ids, by id. */
  getMany(ids: readonly string[]): Map<string, User>;
}

export interface CourseFilter {
  status?: CourseStatus;
  teacherId?: string;
  /** Only courses this student is enrolled in. */
  studentId?: string;
  /** Only this school's courses. */
  schoolId?: string;
}

export interface CourseStore {
  get(id: string): Course | undefined;
  insert(course: Course): void;
  update(course: Course): void;
  list(filter: CourseFilter, page: PageRequest): Page<Course>;
}

/** Thrown by EnrollmentStore.add, which then enrols nobody: these ids are users that `admit` refused. */
export class StudentsRefused extends Error {
  constructor(readonly ids: string[]) {
    super(`not admitted: ${ids.slice(0, 10).join(", ")}`);
  }
}

export interface EnrollmentStore {
  /**
   * Enrols the students (creating missing student users, named as given); returns how many were new.
   * A student who is already a user is enrolled only if `admit` takes that user (checked in the same
   * transaction as the write); otherwise nobody is, and it throws StudentsRefused.
   */
  add(courseId: string, students: readonly { id: string; name: string }[], now: number, admit?: (user: User) => boolean): number;
  remove(courseId: string, studentId: string): boolean;
  isEnrolled(courseId: string, studentId: string): boolean;
  count(courseId: string): number;
  list(courseId: string, page: PageRequest): Page<{ studentId: string; name: string; enrolledAt: number }>;
}

export interface ClassStore {
  get(id: string): ClassSession | undefined;
  insert(cls: ClassSession): void;
  update(cls: ClassSession): void;
  listByCourse(courseId: string, page: PageRequest): Page<ClassSession>;
}

export interface Store {
  readonly schools: SchoolStore;
  readonly users: UserStore;
  readonly courses: CourseStore;
  readonly enrollments: EnrollmentStore;
  readonly classes: ClassStore;
  readonly live: LiveStore;
  /** Runs fn in one transaction, now. */
  transaction<T>(fn: () => T): T;
  /** Runs fn in a transaction shared with other writes of the same moment (group commit); settles once committed. */
  write<T>(fn: () => T): Promise<T>;
  /** Like write, but committed now with the writes queued before it: for one event that is published once durable. */
  writeNow<T>(fn: () => T): Promise<T>;
  isOpen(): boolean;
  close(): void;
}
