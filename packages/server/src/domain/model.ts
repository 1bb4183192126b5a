// The domain's nouns. Plain data: no classes, no runtime APIs.

/** "admin" is the platform admin (every school); "school-admin" administers one school (the token's). */
export const ROLES = ["student", "teacher", "school-admin", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const COURSE_STATUSES = ["draft", "active", "archived"] as const;
export type CourseStatus = (typeof COURSE_STATUSES)[number];

const CLASS_STATUSES = ["scheduled", "live", "ended", "cancelled"] as const;
type ClassStatus = (typeof CLASS_STATUSES)[number];

/** Where existing data went when schools came (migration 6), and the school of a token without a `school` claim. */
export const DEFAULT_SCHOOL_ID = "default";

/** A tenant: every user, course, class and bank question belongs to one. */
export interface School {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

/** Who is calling: taken from a verified token. */
export interface Principal {
  id: string;
  role: Role;
  name: string;
  /** The caller's school (the token's `school` claim). */
  school: string;
}

export interface User {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  schoolId: string;
}

export interface Course {
  id: string;
  title: string;
  description: string;
  status: CourseStatus;
  capacity: number;
  teacherId: string;
  createdAt: number;
  updatedAt: number;
  schoolId: string;
}

export interface ClassSession {
  id: string;
  courseId: string;
  title: string;
  /** Epoch milliseconds. */
  startsAt: number;
  durationMinutes: number;
  status: ClassStatus;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** The course's school, kept on the class so a class lookup can be checked on its own. */
  schoolId: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** Return items whose id sorts after this one. */
  after: string | undefined;
}
