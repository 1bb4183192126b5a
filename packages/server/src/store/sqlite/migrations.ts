// Versioned schema migrations, applied in order at start-up inside one transaction each.
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * Run with foreign keys off (SQLite's procedure for rebuilding a table other tables refer to,
   * or for adding a column with REFERENCES and a default); checked with foreign_key_check before commit.
   */
  foreignKeysOff?: boolean;
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
  {
    version: 2,
    name: "question bank, attendance, chat, launched questions, answers",
    sql: `
      CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        course_id TEXT NOT NULL REFERENCES courses (id),
        draft TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        archived_at INTEGER
      );
      CREATE INDEX questions_course ON questions (course_id, id);
      CREATE TABLE attendance (
        class_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        left_at INTEGER,
        PRIMARY KEY (class_id, user_id, joined_at)
      ) WITHOUT ROWID;
      CREATE TABLE chat_messages (
        id TEXT PRIMARY KEY,
        class_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        text TEXT NOT NULL,
        at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE INDEX chat_class ON chat_messages (class_id, at);
      CREATE TABLE launched_questions (
        id TEXT PRIMARY KEY,
        class_id TEXT NOT NULL,
        bank_question_id TEXT,
        draft TEXT NOT NULL,
        launched_at INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        closed_at INTEGER,
        revealed_at INTEGER,
        eligible INTEGER NOT NULL
      );
      CREATE INDEX launched_class ON launched_questions (class_id, launched_at);
      CREATE TABLE answers (
        question_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        answer_id TEXT NOT NULL,
        response TEXT NOT NULL,
        correct INTEGER NOT NULL,
        points INTEGER NOT NULL,
        answered_at INTEGER NOT NULL,
        PRIMARY KEY (question_id, user_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: "catalogue replication: row versions, outbox, sync state",
    sql: `
      CREATE TABLE catalogue_versions (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        rev INTEGER NOT NULL,
        origin TEXT NOT NULL,
        PRIMARY KEY (kind, key)
      ) WITHOUT ROWID;
      CREATE TABLE catalogue_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        change TEXT NOT NULL
      );
      CREATE TABLE catalogue_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "participants removed from a live class by staff (no rejoin for the rest of the class)",
    sql: `
      CREATE TABLE live_removals (
        class_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        removed_at INTEGER NOT NULL,
        PRIMARY KEY (class_id, user_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: "class records for the centre: outbox to NATS, last version",
    sql: `
      CREATE TABLE central_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        rev INTEGER NOT NULL,
        record TEXT NOT NULL
      );
      CREATE TABLE central_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: "schools: every user, course, class and bank question belongs to one; existing rows go to the default school",
    foreignKeysOff: true,
    // users is rebuilt for its role CHECK (adds school-admin); the other tables gain a column.
    sql: `
      CREATE TABLE schools (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      INSERT INTO schools (id, name, created_at, updated_at)
        VALUES ('default', 'Default school', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
      CREATE TABLE users_v6 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('student','teacher','school-admin','admin')),
        created_at INTEGER NOT NULL,
        school_id TEXT NOT NULL DEFAULT 'default' REFERENCES schools (id)
      );
      INSERT INTO users_v6 (id, name, role, created_at) SELECT id, name, role, created_at FROM users;
      DROP TABLE users;
      ALTER TABLE users_v6 RENAME TO users;
      CREATE INDEX users_school ON users (school_id, id);
      ALTER TABLE courses ADD COLUMN school_id TEXT NOT NULL DEFAULT 'default' REFERENCES schools (id);
      CREATE INDEX courses_school ON courses (school_id, id);
      ALTER TABLE classes ADD COLUMN school_id TEXT NOT NULL DEFAULT 'default' REFERENCES schools (id);
      ALTER TABLE questions ADD COLUMN school_id TEXT NOT NULL DEFAULT 'default' REFERENCES schools (id);
    `,
  },
  // School sign-in and LTI take versions from 20 up, so other work can add 6.. meanwhile.
  {
    version: 20,
    name: "school sign-in: identity providers by school, one-time keys (revoked sessions, used nonces)",
    sql: `
      CREATE TABLE school_identity_providers (
        school_id TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        client_secret TEXT NOT NULL,
        token_auth_method TEXT NOT NULL,
        scopes TEXT NOT NULL,
        role_claim TEXT,
        teacher_values TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE auth_keys (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX auth_keys_expiry ON auth_keys (expires_at);
    `,
  },
  {
    version: 21,
    name: "LTI 1.3: platforms and deployments by school, LMS courses and links, LMS users, the grade outbox",
    sql: `
      CREATE TABLE lti_platforms (
        id TEXT PRIMARY KEY,
        school_id TEXT NOT NULL,
        name TEXT NOT NULL,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        auth_login_url TEXT NOT NULL,
        auth_token_url TEXT NOT NULL,
        jwks_url TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (issuer, client_id)
      );
      CREATE INDEX lti_platforms_school ON lti_platforms (school_id, id);
      CREATE TABLE lti_deployments (
        platform_id TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
        deployment_id TEXT NOT NULL,
        PRIMARY KEY (platform_id, deployment_id)
      ) WITHOUT ROWID;
      CREATE TABLE lti_contexts (
        platform_id TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
        context_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        memberships_url TEXT,
        PRIMARY KEY (platform_id, context_id)
      ) WITHOUT ROWID;
      CREATE TABLE lti_links (
        platform_id TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
        resource_link_id TEXT NOT NULL,
        class_id TEXT NOT NULL,
        lineitem_url TEXT,
        PRIMARY KEY (platform_id, resource_link_id)
      ) WITHOUT ROWID;
      CREATE INDEX lti_links_class ON lti_links (class_id);
      CREATE TABLE lti_users (
        user_id TEXT PRIMARY KEY,
        platform_id TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
        sub TEXT NOT NULL
      );
      CREATE TABLE lti_grade_outbox (
        class_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        platform_id TEXT NOT NULL,
        lineitem_url TEXT NOT NULL,
        sub TEXT NOT NULL,
        score_given REAL NOT NULL,
        score_maximum REAL NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        sent_at INTEGER,
        PRIMARY KEY (class_id, user_id, lineitem_url)
      ) WITHOUT ROWID;
      CREATE INDEX lti_grade_outbox_due ON lti_grade_outbox (status, next_attempt_at);
    `,
  },
  {
    version: 22,
    name:
      "quiz sets (a course's bank questions in an order, run with Next) and each launch's flow (auto-reveal, " +
      "auto-leaderboard, its place in a set)",
    sql: `
      CREATE TABLE quiz_sets (
        id TEXT PRIMARY KEY,
        course_id TEXT NOT NULL REFERENCES courses (id),
        school_id TEXT NOT NULL,
        title TEXT NOT NULL,
        question_ids TEXT NOT NULL,
        auto_reveal INTEGER NOT NULL DEFAULT 1,
        auto_leaderboard INTEGER NOT NULL DEFAULT 1,
        time_limit_seconds INTEGER NOT NULL DEFAULT 30,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        archived_at INTEGER
      );
      CREATE INDEX quiz_sets_course ON quiz_sets (course_id, id);
      ALTER TABLE launched_questions ADD COLUMN flow TEXT;
    `,
  },
  {
    version: 23,
    name: "sign-in and LMS settings as replicated records (every instance has them); the tables of 20 and 21 move into it",
    sql:
      `
      CREATE TABLE replicated_records (
        tbl TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (tbl, key)
      ) WITHOUT ROWID;
      INSERT INTO replicated_records (tbl, key, value)
        SELECT 'idp', school_id, json_object('schoolId', school_id, 'issuer', issuer, 'clientId', client_id, 'clientSecret', client_secret,
          'tokenAuthMethod', token_auth_method, 'scopes', scopes, 'roleClaim', role_claim, 'teacherValues', json(teacher_values),
          'createdAt', created_at, 'updatedAt', updated_at) FROM school_identity_providers;
      INSERT INTO replicated_records (tbl, key, value)
        SELECT 'lti-platform', p.id, json_object('id', p.id, 'schoolId', p.school_id, 'name', p.name, 'issuer', ` +
      `p.issuer, 'clientId', p.client_id,
          'authLoginUrl', p.auth_login_url, 'authTokenUrl', p.auth_token_url, 'jwksUrl', p.jwks_url,
          'deploymentIds', json((SELECT json_group_array(d.deployment_id) FROM lti_deployments d WHERE d.platform_id = p.id)),
          'createdAt', p.created_at, 'updatedAt', p.updated_at) FROM lti_platforms p;
      INSERT INTO replicated_records (tbl, key, value)
        SELECT 'lti-context', platform_id || ' ' || context_id, json_object('platformId', platform_id, 'contextId', ` +
      `context_id, 'courseId', course_id, 'membershipsUrl', memberships_url) FROM lti_contexts;
      INSERT INTO replicated_records (tbl, key, value)
        SELECT 'lti-link', platform_id || ' ' || resource_link_id, json_object('platformId', platform_id, ` +
      `'resourceLinkId', resource_link_id, 'classId', class_id, 'lineitemUrl', lineitem_url) FROM lti_links;
      INSERT INTO replicated_records (tbl, key, value)
        SELECT 'lti-user', user_id, json_object('platformId', platform_id, 'sub', sub) FROM lti_users;
      DROP TABLE lti_users;
      DROP TABLE lti_links;
      DROP TABLE lti_contexts;
      DROP TABLE lti_deployments;
      DROP TABLE lti_platforms;
      DROP TABLE school_identity_providers;
    `,
  },
  {
    version: 24,
    name: "question images: small uploaded pictures, by unguessable id",
    sql: `
      CREATE TABLE question_images (
        id TEXT PRIMARY KEY,
        course_id TEXT NOT NULL,
        school_id TEXT NOT NULL,
        type TEXT NOT NULL,
        bytes BLOB NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 25,
    name: "quiz sets move to the replicated records (every instance has them); their table of 22 goes",
    sql:
      `
      INSERT INTO replicated_records (tbl, key, value)
        SELECT 'quiz-set', id, json_object('id', id, 'courseId', course_id, 'schoolId', school_id, 'title', title, ` +
      `'questionIds', json(question_ids),
          'autoReveal', json(CASE auto_reveal WHEN 1 THEN 'true' ELSE 'false' END), 'autoLeaderboard', json(CASE ` +
      `auto_leaderboard WHEN 1 THEN 'true' ELSE 'false' END),
          'timeLimitSeconds', time_limit_seconds, 'createdAt', created_at, 'updatedAt', updated_at) FROM ` +
      `quiz_sets WHERE archived_at IS NULL;
      DROP TABLE quiz_sets;
    `,
  },
];
