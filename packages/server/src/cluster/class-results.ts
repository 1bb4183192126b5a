// A class's quiz results as Redis holds them (every acknowledged answer is there, for 24 h
// after the class's last write), copied into this instance's SQLite. Results are read from
// SQLite; this makes that copy complete on whichever instance serves the read.
import type { GradedAnswer, LaunchedQuestion } from "../domain/live/quiz.ts";
import type { Store } from "../store/types.ts";
import { classKeys } from "./class-keys.ts";
import type { RedisLink } from "./redis.ts";

/** Copies the class's launched questions and answers from Redis; rows already here are kept. */
export async function importClassResults(link: RedisLink, store: Store, classId: string, now: number): Promise<void> {
  const keys = classKeys(link, classId);
  const questions = Object.values(await link.timed(() => link.cmd.hgetall(keys.questions))).map((j) => JSON.parse(j) as LaunchedQuestion);
  if (questions.length === 0) return;
  const answers = new Map<string, GradedAnswer[]>();
  const lists = await Promise.all(questions.map((q) => link.timed(() => link.cmd.hgetall(keys.answers(q.id)))));
  questions.forEach((q, i) => answers.set(q.id, Object.values(lists[i]).map((j) => JSON.parse(j) as GradedAnswer)));
  await store.write(() => store.live.importShared(classId, questions, answers, [], [], now));
}
