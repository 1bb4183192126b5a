// Quiz sets (issue 16 build 2): a course's bank questions in an order, with how the run goes on
// by itself (auto-reveal, auto-leaderboard) and the time per question. Kept as replicated records
// (auth/records.ts, catalogue kind "record"), so every instance of a cluster has them.
import type { Records } from "../auth/records.ts";
import { assertCanManageCourse } from "../domain/courses.ts";
import { AppError, notFound } from "../domain/errors.ts";
import type { Principal } from "../domain/model.ts";
import type { BankQuestion, QuizSet } from "../store/live-types.ts";
import type { ServiceDeps } from "./courses-service.ts";

export interface QuizSetInput {
  title: string;
  questionIds: string[];
  autoReveal?: boolean;
  autoLeaderboard?: boolean;
  timeLimitSeconds?: number;
}

export class QuizSetService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly records: Records,
  ) {}

  private find(id: string): QuizSet | undefined {
    return this.records.get<QuizSet>("quiz-set", id);
  }

  private course(p: Principal, courseId: string) {
    const course = this.deps.store.courses.get(courseId);
    if (!course) throw notFound("course", courseId);
    assertCanManageCourse(p, course);
    return course;
  }

  /** Every question must be in this course's bank (not removed): otherwise a 400 naming it. */
  private checkQuestions(courseId: string, ids: readonly string[]): BankQuestion[] {
    const issues: { path: string; message: string }[] = [];
    const found = ids.map((id, i) => {
      const q = this.deps.store.live.getQuestion(id);
      if (!q || q.courseId !== courseId) issues.push({ path: `questionIds.${i}`, message: `no question ${id} in this course's bank` });
      return q!;
    });
    if (issues.length) throw new AppError("validation", issues[0].message, { issues });
    return found;
  }

  list(p: Principal, courseId: string): QuizSet[] {
    this.course(p, courseId);
    return this.records
      .where<QuizSet>("quiz-set", "courseId", courseId)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** The set and its questions in order (drafts with the right answers: for its teacher). */
  get(p: Principal, courseId: string, id: string): { set: QuizSet; questions: BankQuestion[] } {
    this.course(p, courseId);
    const set = this.find(id);
    if (!set || set.courseId !== courseId) throw notFound("quiz set", id);
    const questions = set.questionIds.map((q) => this.deps.store.live.getQuestion(q)).filter((q): q is BankQuestion => q !== undefined);
    return { set, questions };
  }

  async create(p: Principal, courseId: string, input: QuizSetInput): Promise<QuizSet> {
    const course = this.course(p, courseId);
    this.checkQuestions(courseId, input.questionIds);
    const now = this.deps.now();
    const set: QuizSet = {
      id: this.deps.newId(),
      courseId,
      schoolId: course.schoolId,
      title: input.title,
      questionIds: input.questionIds,
      autoReveal: input.autoReveal ?? true,
      autoLeaderboard: input.autoLeaderboard ?? true,
      timeLimitSeconds: input.timeLimitSeconds ?? 30,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.store.write(() => this.records.put("quiz-set", set.id, set));
    return set;
  }

  async replace(p: Principal, courseId: string, id: string, input: QuizSetInput): Promise<QuizSet> {
    const { set } = this.get(p, courseId, id);
    this.checkQuestions(courseId, input.questionIds);
    const next: QuizSet = {
      ...set,
      title: input.title,
      questionIds: input.questionIds,
      autoReveal: input.autoReveal ?? set.autoReveal,
      autoLeaderboard: input.autoLeaderboard ?? set.autoLeaderboard,
      timeLimitSeconds: input.timeLimitSeconds ?? set.timeLimitSeconds,
      updatedAt: this.deps.now(),
    };
    await this.deps.store.write(() => this.records.put("quiz-set", next.id, next));
    return next;
  }

  async remove(p: Principal, courseId: string, id: string): Promise<void> {
    this.get(p, courseId, id);
    await this.deps.store.write(() => this.records.remove("quiz-set", id));
  }
}
