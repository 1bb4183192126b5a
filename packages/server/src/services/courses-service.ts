// Use cases for courses, enrolments and class schedules: domain rules + storage.
import * as classes from "../domain/classes.ts";
import * as courses from "../domain/courses.ts";
import { AppError, forbidden, notFound } from "../domain/errors.ts";
import type { ClassSession, Course, Page, PageRequest, Principal, User } from "../domain/model.ts";
import { assertInSchool, isAdminOf } from "../domain/schools.ts";
import { StudentsRefused, type CourseFilter, type Store } from "../store/types.ts";

export interface ServiceDeps {
  store: Store;
  now(): number;
  newId(): string;
  defaultCapacity: number;
}

export interface EnrollResult {
  enrolled: number;
  alreadyEnrolled: number;
}

export class CoursesService {
  /** A student lost access to a course (unenrolled; studentId null: the course was archived). Live classes take them out. */
  onAccessRevoked: (courseId: string, studentId: string | null) => void = () => {};

  constructor(private readonly deps: ServiceDeps) {}

  /** Records who called, once per process per user, so rosters can show names. */
  private readonly seenUsers = new Set<string>();
  rememberUser(p: Principal): void {
    if (this.seenUsers.has(p.id)) return;
    this.deps.store.users.upsert({ id: p.id, name: p.name, role: p.role, createdAt: this.deps.now(), schoolId: p.school });
    this.seenUsers.add(p.id);
  }

  /** The course, when the caller's school may see it (another school's answers 404, like an unknown id). */
  private course(p: Principal, id: string): Course {
    const c = this.deps.store.courses.get(id);
    if (!c) throw notFound("course", id);
    assertInSchool(p, c, "course", id);
    return c;
  }

  private classSession(p: Principal, id: string): ClassSession {
    const c = this.deps.store.classes.get(id);
    if (!c) throw notFound("class", id);
    assertInSchool(p, c, "class", id);
    return c;
  }

  async createCourse(p: Principal, input: courses.NewCourse): Promise<Course> {
    const { store, now, newId, defaultCapacity } = this.deps;
    // The course goes in its teacher's school; a school admin names only their own school's teachers.
    let schoolId = p.school;
    if (input.teacherId !== undefined && input.teacherId !== p.id) {
      const teacher = store.users.get(input.teacherId);
      if (!teacher || teacher.role !== "teacher" || !isAdminOf(p, teacher.schoolId)) {
        throw new AppError("validation", `user ${input.teacherId} is not a known teacher`, {
          issues: [{ path: "teacherId", message: "not a known teacher" }],
        });
      }
      schoolId = teacher.schoolId;
    }
    const course = courses.buildCourse(p, input, { capacity: defaultCapacity }, newId(), now(), schoolId);
    // A new row: it joins the group commit (issue 19, writes: a commit of its own held this route to ~7k/s).
    await store.write(() => store.courses.insert(course));
    return course;
  }

  /** The course (the stored object, unchanged until the course changes) and its number of enrolled students. */
  getCourse(p: Principal, id: string): { course: Course; enrolled: number } {
    const course = this.course(p, id);
    const isEnrolled = p.role === "student" && this.deps.store.enrollments.isEnrolled(id, p.id);
    // A student who may not see the course learns nothing about it, not even that it exists.
    if (!courses.canViewCourse(p, course, isEnrolled)) throw notFound("course", id);
    return { course, enrolled: this.deps.store.enrollments.count(id) };
  }

  listCourses(p: Principal, filter: Omit<CourseFilter, "studentId">, page: PageRequest): Page<Course> {
    const scoped: CourseFilter = { ...filter };
    if (p.role !== "admin") {
      if (filter.schoolId !== undefined && filter.schoolId !== p.school)
        throw forbidden("only the platform admin lists another school's courses");
      scoped.schoolId = p.school;
    }
    if (p.role === "student") scoped.studentId = p.id;
    if (p.role === "teacher") {
      if (filter.teacherId !== undefined && filter.teacherId !== p.id) throw forbidden("teachers can list only their own courses");
      scoped.teacherId = p.id;
    }
    return this.deps.store.courses.list(scoped, page);
  }

  // Read, checked and written in one write of the group commit (issue 19, writes): two changes of a
  // course in one turn each start from the other's result, as when each committed alone.
  async updateCourse(p: Principal, id: string, patch: courses.CoursePatch): Promise<Course> {
    const { store, now } = this.deps;
    const [before, updated] = await store.write(() => {
      const before = this.course(p, id);
      const updated = courses.applyCoursePatch(p, before, patch, now());
      store.courses.update(updated);
      return [before, updated] as const;
    });
    if (updated.status === "archived" && before.status !== "archived") this.onAccessRevoked(id, null);
    return updated;
  }

  async archiveCourse(p: Principal, id: string): Promise<Course> {
    const { store, now } = this.deps;
    const [before, after] = await store.write(() => {
      const before = this.course(p, id);
      const after = courses.archiveCourse(p, before, now());
      if (after !== before) store.courses.update(after);
      return [before, after] as const;
    });
    if (after !== before) this.onAccessRevoked(id, null);
    return after;
  }

  async enroll(p: Principal, courseId: string, studentIds: readonly string[]): Promise<EnrollResult> {
    const { store, now } = this.deps;
    const course = this.course(p, courseId);
    const unique = [...new Set(studentIds)];
    courses.assertCanEnroll(p, course, unique);
    // A new user is named by the enrolment (themselves: by their token); an existing one keeps their name.
    const students = unique.map((id) => ({ id, name: id === p.id ? p.name : id }));
    // A user of another school is refused like a teacher: not a student of this course's school (checked in the write).
    const admit = (u: User) => u.role === "student" && u.schoolId === course.schoolId;
    let enrolled: number;
    try {
      enrolled = await store.write(() => store.enrollments.add(courseId, students, now(), admit));
    } catch (e) {
      if (!(e instanceof StudentsRefused)) throw e;
      const notStudents = unique.filter((id) => e.ids.includes(id)).slice(0, 10);
      throw new AppError("validation", `only students of the course's school can be enrolled; not: ${notStudents.join(", ")}`, {
        issues: notStudents.map((id) => ({ path: "studentIds", message: `${id} is not a student of this school` })),
      });
    }
    return { enrolled, alreadyEnrolled: unique.length - enrolled };
  }

  async unenroll(p: Principal, courseId: string, studentId: string): Promise<boolean> {
    const course = this.course(p, courseId);
    courses.assertCanUnenroll(p, course, studentId);
    const removed = await this.deps.store.write(() => this.deps.store.enrollments.remove(courseId, studentId));
    // Also when it was already gone here: a student may still sit in a live class.
    this.onAccessRevoked(courseId, studentId);
    return removed;
  }

  listEnrollments(p: Principal, courseId: string, page: PageRequest) {
    courses.assertCanManageCourse(p, this.course(p, courseId));
    return this.deps.store.enrollments.list(courseId, page);
  }

  async scheduleClass(p: Principal, courseId: string, input: classes.NewClass): Promise<ClassSession> {
    const cls = classes.scheduleClass(p, this.course(p, courseId), input, this.deps.newId(), this.deps.now());
    await this.deps.store.write(() => this.deps.store.classes.insert(cls)); // a new row, as createCourse
    return cls;
  }

  listClasses(p: Principal, courseId: string, page: PageRequest): Page<ClassSession> {
    this.getCourse(p, courseId);
    return this.deps.store.classes.listByCourse(courseId, page);
  }

  getClass(p: Principal, id: string): ClassSession {
    const cls = this.classSession(p, id);
    this.getCourse(p, cls.courseId);
    return cls;
  }

  /** Applies a change to a class under the rules of its course; returns the class as stored. */
  changeClass(p: Principal, id: string, change: (course: Course, cls: ClassSession) => ClassSession): ClassSession {
    const before = this.classSession(p, id);
    const after = change(this.course(p, before.courseId), before);
    if (after !== before) this.deps.store.classes.update(after);
    return after;
  }

  rescheduleClass(p: Principal, id: string, patch: classes.ClassPatch): ClassSession {
    return this.changeClass(p, id, (course, cls) => classes.rescheduleClass(p, course, cls, patch));
  }

  cancelClass(p: Principal, id: string): ClassSession {
    return this.changeClass(p, id, (course, cls) => classes.cancelClass(p, course, cls));
  }
}
