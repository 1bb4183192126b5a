// REST-side use cases of live classes: the question bank, starting and ending
// classes, attendance and results.
import type { ClassResults, QuestionResult } from "@edgeclass/client/api";
import type { QuestionDraft } from "@edgeclass/client/protocol";
import * as classes from "../domain/classes.ts";
import { assertCanManageCourse } from "../domain/courses.ts";
import { AppError, notFound } from "../domain/errors.ts";
import * as quiz from "../domain/live/quiz.ts";
import type { ClassSession, Page, PageRequest, Principal } from "../domain/model.ts";
import { assertInSchool } from "../domain/schools.ts";
import type { LiveHub } from "../live/ports.ts";
import type { AttendanceRow, BankQuestion } from "../store/live-types.ts";
import type { CoursesService, ServiceDeps } from "./courses-service.ts";
import { optionsOf, presence, type Presence } from "./exports.ts";

export class LiveService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly courses: CoursesService,
    private readonly hub: () => LiveHub,
    /** With several instances: brings this instance's copy of a class's answers and attendance up to date. */
    private readonly refreshClassRecords: (classId: string) => Promise<void> = async () => {},
  ) {}

  private managedCourse(p: Principal, courseId: string) {
    const course = this.deps.store.courses.get(courseId);
    if (!course) throw notFound("course", courseId);
    assertCanManageCourse(p, course);
    return course;
  }

  private managedClass(p: Principal, classId: string): ClassSession {
    const cls = this.deps.store.classes.get(classId);
    if (!cls) throw notFound("class", classId);
    assertInSchool(p, cls, "class", classId);
    this.managedCourse(p, cls.courseId);
    return cls;
  }

  async addQuestion(p: Principal, courseId: string, draft: QuestionDraft): Promise<BankQuestion> {
    const course = this.managedCourse(p, courseId);
    const problem = quiz.draftProblem(draft);
    if (problem) throw new AppError("validation", problem, { issues: [{ path: "correct", message: problem }] });
    const q: BankQuestion = { id: this.deps.newId(), courseId, draft, createdAt: this.deps.now(), schoolId: course.schoolId };
    await this.deps.store.write(() => this.deps.store.live.insertQuestion(q));
    return q;
  }

  listQuestions(p: Principal, courseId: string, page: PageRequest): Page<BankQuestion> {
    this.managedCourse(p, courseId);
    return this.deps.store.live.listQuestions(courseId, page);
  }

  getQuestion(p: Principal, id: string): BankQuestion {
    const q = this.deps.store.live.getQuestion(id);
    if (!q) throw notFound("question", id);
    assertInSchool(p, q, "question", id);
    this.managedCourse(p, q.courseId);
    return q;
  }

  async archiveQuestion(p: Principal, id: string): Promise<void> {
    const q = this.getQuestion(p, id);
    await this.deps.store.write(() => this.deps.store.live.archiveQuestion(q.id, this.deps.now()));
  }

  /** Edits a bank question in place; questions already launched keep the text they were asked with. */
  async updateQuestion(p: Principal, id: string, draft: QuestionDraft): Promise<BankQuestion> {
    const q = this.getQuestion(p, id);
    const problem = quiz.draftProblem(draft);
    if (problem) throw new AppError("validation", problem, { issues: [{ path: "correct", message: problem }] });
    if (!(await this.deps.store.write(() => this.deps.store.live.updateQuestion(q.id, draft)))) throw notFound("question", id);
    return { ...q, draft };
  }

  startClass(p: Principal, classId: string): ClassSession {
    return this.courses.changeClass(p, classId, (course, cls) => classes.startClass(p, course, cls, this.deps.now()));
  }

  async endClass(p: Principal, classId: string): Promise<ClassSession> {
    const cls = this.managedClass(p, classId);
    const end = () => this.courses.changeClass(p, classId, (course, c) => classes.endClass(p, course, c, this.deps.now()));
    if (cls.status !== "live" || !(await this.hub().end(classId))) return end();
    // Ended by its owner, maybe on another instance whose change has not reached this copy yet.
    const after = this.deps.store.classes.get(classId)!;
    const ended = after.status === "live" ? end() : after;
    await this.refreshClassRecords(classId); // keep the results here too
    return ended;
  }

  /** The class, when `p` may manage it (its course's teacher, an admin of its school); else not-found/forbidden. */
  managed(p: Principal, classId: string): ClassSession {
    return this.managedClass(p, classId);
  }

  async attendance(p: Principal, classId: string): Promise<AttendanceRow[]> {
    this.managedClass(p, classId);
    await this.refreshClassRecords(classId);
    return this.deps.store.live.attendance(classId);
  }

  /** The sessions and, per person, first join, last leave and minutes present (open sessions until the end, or now). */
  async attendanceReport(p: Principal, classId: string): Promise<{ sessions: AttendanceRow[]; people: Presence[] }> {
    const cls = this.managedClass(p, classId);
    await this.refreshClassRecords(classId);
    const sessions = this.deps.store.live.attendance(classId);
    return { sessions, people: presence(sessions, cls.endedAt ?? this.deps.now()) };
  }

  async results(p: Principal, classId: string): Promise<ClassResults> {
    const cls = this.managedClass(p, classId);
    await this.refreshClassRecords(classId);
    const { store } = this.deps;
    const names = new Map<string, string>();
    const nameOf = (id: string) => {
      let n = names.get(id);
      if (n === undefined) names.set(id, (n = store.users.get(id)?.name ?? id));
      return n;
    };
    const scores = new Map<string, number>();
    const tallies = new Map<string, { answered: number; correct: number }>();
    const questions = store.live.launchedQuestions(classId).map((q): QuestionResult => {
      const answers = store.live.answers(q.id);
      const counts = quiz.emptyCounts(q.draft);
      for (const a of answers) {
        quiz.countResponse(counts, a.response);
        scores.set(a.userId, (scores.get(a.userId) ?? 0) + a.points);
        const t = tallies.get(a.userId) ?? { answered: 0, correct: 0 };
        t.answered++;
        if (a.correct) t.correct++;
        tallies.set(a.userId, t);
      }
      return {
        questionId: q.id,
        bankQuestionId: q.bankQuestionId,
        kind: q.draft.kind,
        prompt: q.draft.prompt,
        options: optionsOf(q.draft),
        correct: quiz.correctAnswer(q.draft),
        launchedAt: q.launchedAt,
        deadline: q.deadline,
        eligible: q.eligible,
        answered: answers.length,
        correctCount: answers.filter((a) => a.correct).length,
        distribution: counts,
        answers: answers.map((a) => ({
          userId: a.userId,
          name: nameOf(a.userId),
          answerId: a.answerId,
          response: a.response,
          correct: a.correct,
          points: a.points,
          answeredAt: a.answeredAt,
        })),
      };
    });
    // Students who attended but never answered are on the board with 0.
    for (const row of store.live.attendance(classId)) if (row.role === "student" && !scores.has(row.userId)) scores.set(row.userId, 0);
    const students = quiz.rankScores(scores, nameOf).map((e) => ({ ...e, ...(tallies.get(e.userId) ?? { answered: 0, correct: 0 }) }));
    return { classId, courseId: cls.courseId, title: cls.title, questions, students };
  }
}
