// A city for the centre's tests: a real SQLite file whose class records go through the outbox to
// the city's NATS leaf, with a course, a class and a quiz question to write records against.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { CityPublisher } from "../../src/central/publisher.ts";
import { createLogging } from "../../src/obs/logger.ts";
import { Registry } from "../../src/obs/prom.ts";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "../support/server.ts";

export const quietLogger = () => createLogging("silent").logger;

export interface TestCity {
  name: string;
  store: SqliteStore;
  classId: string;
  /** Joins students s<from>..s<to-1> and has each answer question q<qn>. */
  students(from: number, to: number, qn: number): Promise<void>;
  /** Ends the class: open sessions close, the summary goes out. */
  end(): Promise<void>;
  written(): number;
  close(): Promise<void>;
}

export async function startCity(name: string, nats: { url: string; user: string; pass: string }): Promise<TestCity> {
  const dir = tempDir(`edgeclass-city-${name}-`);
  const store = new SqliteStore(openDatabase(join(dir, "edgeclass.db")), { centralCity: name });
  const outbox = store.central!;
  const publisher = new CityPublisher({ ...nats, city: name }, outbox, new Registry(), quietLogger());
  publisher.start();
  const now = Date.now();
  const classId = `class-${name}`;
  store.courses.insert({
    id: `course-${name}`,
    title: `Course ${name}`,
    description: "",
    status: "active",
    capacity: 500,
    teacherId: "t1",
    createdAt: now,
    updatedAt: now,
    schoolId: "default",
  });
  const cls = {
    id: classId,
    courseId: `course-${name}`,
    title: "Quiz",
    startsAt: now,
    durationMinutes: 60,
    status: "live" as const,
    createdAt: now,
    startedAt: now,
    endedAt: null,
    schoolId: "default",
  };
  store.classes.insert(cls);
  const launched = new Set<number>();
  const draft = { kind: "single" as const, prompt: "2+2?", choices: ["3", "4"], correct: [1], points: 1, seconds: 30 } as never;
  return {
    name,
    store,
    classId,
    async students(from, to, qn) {
      const qid = `q${qn}-${name}`;
      const writes: Promise<unknown>[] = [];
      if (!launched.has(qn)) {
        launched.add(qn);
        writes.push(
          store.write(() =>
            store.live.insertLaunched({
              id: qid,
              classId,
              bankQuestionId: null,
              draft,
              launchedAt: Date.now(),
              deadline: Date.now() + 30_000,
              closedAt: null,
              revealedAt: null,
              eligible: to - from,
            }),
          ),
        );
      }
      for (let i = from; i < to; i++) {
        const user = `s${i}`;
        writes.push(store.write(() => store.live.attendanceJoin(classId, user, "student", now + i)));
        writes.push(
          store.write(() =>
            store.live.insertAnswer(qid, {
              userId: user,
              answerId: `a-${qid}-${user}`,
              response: { choice: i % 2 } as never,
              correct: i % 2 === 1,
              points: i % 2,
              answeredAt: Date.now(),
            }),
          ),
        );
      }
      await Promise.all(writes);
    },
    async end() {
      const at = Date.now();
      await store.write(() => {
        store.live.attendanceCloseAll(classId, at);
        store.classes.update({ ...cls, status: "ended", endedAt: at });
      });
    },
    written: () => outbox.queued,
    async close() {
      await publisher.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
