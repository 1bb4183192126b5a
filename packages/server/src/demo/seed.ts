// A demo course so a newcomer sees something at once. Idempotent: fixed ids, created when missing.
// It lives in the default school (created by migration 6).
import { DEFAULT_SCHOOL_ID, type Principal } from "../domain/model.ts";
import type { Store } from "../store/types.ts";

export interface DemoInfo {
  courseId: string;
  classId: string;
  teacher: Principal;
  admin: Principal;
  students: Principal[];
}

const DEMO_COURSE_ID = "demo-physics-101";
const DEMO_CLASS_ID = "demo-class-1";

/** Who the demo's people are (the web page's demo sign-in offers them). */
export function demoInfo(): DemoInfo {
  const school = DEFAULT_SCHOOL_ID;
  const teacher: Principal = { id: "t1", role: "teacher", name: "Ada Lovelace", school };
  const admin: Principal = { id: "admin", role: "admin", name: "Platform Admin", school };
  const students: Principal[] = ["Grace Hopper", "Alan Turing", "Katherine Johnson", "Claude Shannon", "Hedy Lamarr"].map((name, i) => ({
    id: `s${i + 1}`,
    role: "student",
    name,
    school,
  }));
  return { courseId: DEMO_COURSE_ID, classId: DEMO_CLASS_ID, teacher, admin, students };
}

export function seedDemo(store: Store, now: number): DemoInfo {
  const demo = demoInfo();
  const { teacher, admin, students } = demo;
  store.transaction(() => {
    for (const p of [teacher, admin, ...students]) {
      if (!store.users.get(p.id)) store.users.upsert({ id: p.id, name: p.name, role: p.role, createdAt: now, schoolId: p.school });
    }
    if (!store.courses.get(DEMO_COURSE_ID)) {
      store.courses.insert({
        id: DEMO_COURSE_ID,
        title: "Physics 101: Motion and Forces",
        description: "Demo course created on first start.",
        status: "active",
        capacity: 30,
        teacherId: teacher.id,
        createdAt: now,
        updatedAt: now,
        schoolId: teacher.school,
      });
      store.enrollments.add(DEMO_COURSE_ID, students, now);
    }
    if (!store.classes.get(DEMO_CLASS_ID)) {
      store.classes.insert({
        id: DEMO_CLASS_ID,
        courseId: DEMO_COURSE_ID,
        title: "Newton's laws, live",
        startsAt: now,
        durationMinutes: 60,
        status: "scheduled",
        createdAt: now,
        startedAt: null,
        endedAt: null,
        schoolId: teacher.school,
      });
    }
  });
  return demo;
}
