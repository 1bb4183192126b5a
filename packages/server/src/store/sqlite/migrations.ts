// Versioned schema migrations, applied in order at start-up inside one transaction each.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "users, courses, enrollments, classes",
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('student','teacher','admin')),
        created_at INTEGER NOT NULL
      );
      CREATE TABLE courses (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('draft','active','archived')),
        capacity INTEGER NOT NULL CHECK (capacity > 0),
        teacher_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX courses_teacher ON courses (teacher_id, id);
      CREATE TABLE enrollments (
        course_id TEXT NOT NULL REFERENCES courses (id),
        student_id TEXT NOT NULL REFERENCES users (id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (course_id, student_id)
      ) WITHOUT ROWID;
      CREATE INDEX enrollments_student ON enrollments (student_id, course_id);
      CREATE TABLE classes (
        id TEXT PRIMARY KEY,
        course_id TEXT NOT NULL REFERENCES courses (id),
        title TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        duration_minutes INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('scheduled','live','ended','cancelled')),
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER
      );
      CREATE INDEX classes_course ON classes (course_id, id);
    `,
  },
];
