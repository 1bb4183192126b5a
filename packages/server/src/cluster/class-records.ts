// A class's records as Redis holds them: launched questions, every acknowledged answer and
// who attended (kept 24 h after the class's last write). Results and attendance are read
// from SQLite; copying these first makes that read complete on whichever instance serves it.
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import type { AttendanceSession } from "../store/live-types.ts";
import type { Store } from "../store/types.ts";
import { classKeys, type ClassKeys } from "./keys.ts";
import type { RedisLink } from "./redis.ts";

export interface SharedRecords {
  questions: LaunchedQuestion[];
  answers: Map<string, GradedAnswer[]>;
  attendance: AttendanceSession[];
}

const parsed = <T>(hash: Record<string, string>) => Object.values(hash).map((j) => JSON.parse(j) as T);

export async function readSharedRecords(link: RedisLink, keys: ClassKeys): Promise<SharedRecords> {
  const [questionsRaw, attendanceRaw] = await Promise.all([link.cmd.hgetall(keys.questions), link.cmd.hgetall(keys.attendance)]);
  const questions = parsed<LaunchedQuestion>(questionsRaw);
  const lists = await Promise.all(questions.map((q) => link.cmd.hgetall(keys.answers(q.id))));
  const answers = new Map(questions.map((q, i) => [q.id, parsed<GradedAnswer>(lists[i])]));
  return { questions, answers, attendance: parsed<AttendanceSession>(attendanceRaw) };
}

/** Copies the class's records from Redis into this instance's store; rows already here are kept. */
export async function importClassRecords(link: RedisLink, store: Store, classId: string, now: number): Promise<void> {
  const r = await link.timed(() => readSharedRecords(link, classKeys(link, classId)));
  if (r.questions.length === 0 && r.attendance.length === 0) return;
  await store.write(() => {
    store.live.importShared(classId, r.questions, r.answers, [], [], now);
    store.live.importAttendance(classId, r.attendance);
    // The owner closes its sessions when the class ends, without telling Redis: close ours too.
    const cls = store.classes.get(classId);
    if (cls?.status === "ended" && cls.endedAt !== null) store.live.attendanceCloseAll(classId, cls.endedAt);
  });
}
