// LiveStore on bun:sqlite. Writes are called inside Store.write (group commit).
import type { Database } from "bun:sqlite";
import { Prepared } from "./prepared.ts";
import type { ChatMessage, QuestionDraft, QuizResponse } from "@edgeclass/client/protocol";
import type { GradedAnswer, LaunchedQuestion } from "../../domain/live/quiz.ts";
import type { Page, PageRequest, Role } from "../../domain/model.ts";
import type { AttendanceRow, AttendanceSession, BankQuestion, LiveStore, Removal } from "../live-types.ts";
import type { ClassRecordSink } from "../../central/outbox.ts";
import { replicated, type RecordChange } from "./catalogue-journal.ts";

interface QuestionRow {
  id: string;
  course_id: string;
  draft: string;
  created_at: number;
  school_id: string;
}
interface LaunchedRow {
  id: string;
  class_id: string;
  bank_question_id: string | null;
  draft: string;
  launched_at: number;
  deadline: number;
  closed_at: number | null;
  revealed_at: number | null;
  eligible: number;
  flow: string | null;
}
interface AnswerRow {
  user_id: string;
  answer_id: string;
  response: string;
  correct: number;
  points: number;
  answered_at: number;
}
interface ChatRow {
  id: string;
  user_id: string;
  name: string;
  role: Role;
  text: string;
  at: number;
}

const toQuestion = (r: QuestionRow): BankQuestion => ({
  id: r.id,
  courseId: r.course_id,
  draft: JSON.parse(r.draft) as QuestionDraft,
  createdAt: r.created_at,
  schoolId: r.school_id,
});
const toLaunched = (r: LaunchedRow): LaunchedQuestion => ({
  id: r.id,
  classId: r.class_id,
  bankQuestionId: r.bank_question_id,
  draft: JSON.parse(r.draft) as QuestionDraft,
  launchedAt: r.launched_at,
  deadline: r.deadline,
  closedAt: r.closed_at,
  revealedAt: r.revealed_at,
  eligible: r.eligible,
  ...(r.flow ? { flow: JSON.parse(r.flow) as LaunchedQuestion["flow"] } : {}),
});

export class SqliteLiveStore implements LiveStore {
  private readonly s: Record<string, Prepared>;

  constructor(
    private readonly db: Database,
    private readonly record: RecordChange | null = null,
    /** Class records for the centre, queued in the write's transaction (Store.write). */
    private readonly central: ClassRecordSink | null = null,
  ) {
    const q = (sql: string) => new Prepared(db, sql);
    this.s = {
      insertQuestion: q("INSERT INTO questions (id, course_id, draft, created_at, school_id) VALUES (?, ?, ?, ?, ?)"),
      getQuestion: q("SELECT * FROM questions WHERE id = ? AND archived_at IS NULL"),
      getAnyQuestion: q("SELECT * FROM questions WHERE id = ?"),
      listQuestions: q("SELECT * FROM questions WHERE course_id = ? AND archived_at IS NULL AND id > ? ORDER BY id LIMIT ?"),
      archiveQuestion: q("UPDATE questions SET archived_at = ? WHERE id = ? AND archived_at IS NULL"),
      updateQuestion: q("UPDATE questions SET draft = ? WHERE id = ? AND archived_at IS NULL"),
      attJoin: q("INSERT INTO attendance (class_id, user_id, role, joined_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      attLeave: q("UPDATE attendance SET left_at = ? WHERE class_id = ? AND user_id = ? AND left_at IS NULL"),
      attImport: q(
        "INSERT INTO attendance (class_id, user_id, role, joined_at, left_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE " +
          "SET left_at = coalesce(attendance.left_at, excluded.left_at)",
      ),
      attCloseAll: q("UPDATE attendance SET left_at = ? WHERE class_id = ? AND left_at IS NULL"),
      attList: q(
        "SELECT a.user_id, coalesce(u.name, a.user_id) AS name, a.role, a.joined_at, a.left_at FROM attendance a LEFT JOIN " +
          "users u ON u.id = a.user_id WHERE a.class_id = ? ORDER BY a.joined_at, a.user_id",
      ),
      insertChat: q("INSERT INTO chat_messages (id, class_id, user_id, name, role, text, at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      deleteChat: q("UPDATE chat_messages SET deleted_at = ? WHERE id = ? AND class_id = ? AND deleted_at IS NULL"),
      recentChat: q(
        "SELECT * FROM (SELECT * FROM chat_messages WHERE class_id = ? AND deleted_at IS NULL ORDER BY at DESC, id DESC " +
          "LIMIT ?) ORDER BY at, id",
      ),
      insertLaunched: q(
        "INSERT INTO launched_questions (id, class_id, bank_question_id, draft, launched_at, deadline, closed_at, " +
          "revealed_at, eligible, flow) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      markClosed: q("UPDATE launched_questions SET closed_at = coalesce(closed_at, ?) WHERE id = ?"),
      markRevealed: q(
        "UPDATE launched_questions SET revealed_at = coalesce(revealed_at, ?), closed_at = coalesce(closed_at, ?) WHERE id = ?",
      ),
      launched: q("SELECT * FROM launched_questions WHERE class_id = ? ORDER BY launched_at, id"),
      insertAnswer: q(
        "INSERT INTO answers (question_id, user_id, answer_id, response, correct, points, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      answers: q("SELECT * FROM answers WHERE question_id = ? ORDER BY answered_at, user_id"),
      importLaunched: q(
        "INSERT INTO launched_questions (id, class_id, bank_question_id, draft, launched_at, deadline, closed_at, " +
          "revealed_at, eligible, flow) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET closed_at = " +
          "excluded.closed_at, revealed_at = excluded.revealed_at",
      ),
      importAnswer: q(
        "INSERT INTO answers (question_id, user_id, answer_id, response, correct, points, answered_at) VALUES (?, ?, ?, ?, " +
          "?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      importChat: q(
        "INSERT INTO chat_messages (id, class_id, user_id, name, role, text, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      insertRemoval: q("INSERT INTO live_removals (class_id, user_id, reason, removed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      removals: q("SELECT user_id, reason, removed_at FROM live_removals WHERE class_id = ? ORDER BY removed_at, user_id"),
    };
  }

  insertQuestion(q: BankQuestion): void {
    replicated(
      this.db,
      this.record,
      () => this.s.insertQuestion.run(q.id, q.courseId, JSON.stringify(q.draft), q.createdAt, q.schoolId),
      () => ({ kind: "question", key: q.id, row: { ...q, archivedAt: null } }),
    );
  }
  getQuestion(id: string): BankQuestion | undefined {
    const r = this.s.getQuestion.get(id) as QuestionRow | null;
    return r ? toQuestion(r) : undefined;
  }
  listQuestions(courseId: string, p: PageRequest): Page<BankQuestion> {
    const rows = this.s.listQuestions.all(courseId, p.after ?? "", p.limit + 1) as QuestionRow[];
    const more = rows.length > p.limit;
    const items = (more ? rows.slice(0, p.limit) : rows).map(toQuestion);
    return { items, nextCursor: more ? items[items.length - 1].id : null };
  }
  archiveQuestion(id: string, at: number): boolean {
    let archived = false;
    replicated(
      this.db,
      this.record,
      () => (archived = this.s.archiveQuestion.run(at, id).changes > 0),
      () => {
        const r = this.s.getAnyQuestion.get(id) as (QuestionRow & { archived_at: number }) | null;
        return archived && r ? { kind: "question", key: id, row: { ...toQuestion(r), archivedAt: r.archived_at } } : null;
      },
    );
    return archived;
  }

  updateQuestion(id: string, draft: QuestionDraft): boolean {
    let updated = false;
    replicated(
      this.db,
      this.record,
      () => (updated = this.s.updateQuestion.run(JSON.stringify(draft), id).changes > 0),
      () => {
        const r = this.s.getQuestion.get(id) as QuestionRow | null;
        return updated && r ? { kind: "question", key: id, row: { ...toQuestion(r), archivedAt: null } } : null;
      },
    );
    return updated;
  }

  attendanceJoin(classId: string, userId: string, role: Role, at: number): void {
    this.s.attJoin.run(classId, userId, role, at);
    this.central?.attendance(classId, userId);
  }
  attendanceLeave(classId: string, userId: string, at: number): void {
    if (this.s.attLeave.run(at, classId, userId).changes > 0) this.central?.attendance(classId, userId);
  }
  attendanceCloseAll(classId: string, at: number): void {
    if (this.s.attCloseAll.run(at, classId).changes > 0) this.central?.attendanceOfClass(classId);
  }
  importAttendance(classId: string, sessions: readonly AttendanceSession[]): void {
    for (const s of sessions) this.s.attImport.run(classId, s.userId, s.role, s.joinedAt, s.leftAt);
  }
  attendance(classId: string): AttendanceRow[] {
    return (this.s.attList.all(classId) as { user_id: string; name: string; role: Role; joined_at: number; left_at: number | null }[]).map(
      (r) => ({
        userId: r.user_id,
        name: r.name,
        role: r.role,
        joinedAt: r.joined_at,
        leftAt: r.left_at,
      }),
    );
  }

  insertChat(classId: string, m: ChatMessage): void {
    this.s.insertChat.run(m.id, classId, m.userId, m.name, m.role, m.text, m.at);
  }
  deleteChat(classId: string, messageId: string, at: number): boolean {
    return this.s.deleteChat.run(at, messageId, classId).changes > 0;
  }
  recentChat(classId: string, limit: number): ChatMessage[] {
    return (this.s.recentChat.all(classId, limit) as ChatRow[]).map((r) => ({
      id: r.id,
      userId: r.user_id,
      name: r.name,
      role: r.role,
      text: r.text,
      at: r.at,
    }));
  }

  insertLaunched(q: LaunchedQuestion): void {
    this.s.insertLaunched.run(
      q.id,
      q.classId,
      q.bankQuestionId,
      JSON.stringify(q.draft),
      q.launchedAt,
      q.deadline,
      q.closedAt,
      q.revealedAt,
      q.eligible,
      q.flow ? JSON.stringify(q.flow) : null,
    );
  }
  markClosed(questionId: string, at: number): void {
    this.s.markClosed.run(at, questionId);
  }
  markRevealed(questionId: string, at: number): void {
    this.s.markRevealed.run(at, at, questionId);
  }
  launchedQuestions(classId: string): LaunchedQuestion[] {
    return (this.s.launched.all(classId) as LaunchedRow[]).map(toLaunched);
  }

  insertAnswer(questionId: string, a: GradedAnswer): void {
    this.s.insertAnswer.run(questionId, a.userId, a.answerId, JSON.stringify(a.response), a.correct ? 1 : 0, a.points, a.answeredAt);
    this.central?.answer(questionId, a.userId);
  }
  importShared(
    classId: string,
    questions: LaunchedQuestion[],
    answers: Map<string, GradedAnswer[]>,
    chat: ChatMessage[],
    deletedChat: string[],
    at: number,
  ): void {
    for (const q of questions)
      this.s.importLaunched.run(
        q.id,
        q.classId,
        q.bankQuestionId,
        JSON.stringify(q.draft),
        q.launchedAt,
        q.deadline,
        q.closedAt,
        q.revealedAt,
        q.eligible,
        q.flow ? JSON.stringify(q.flow) : null,
      );
    for (const [qid, list] of answers)
      for (const a of list)
        this.s.importAnswer.run(qid, a.userId, a.answerId, JSON.stringify(a.response), a.correct ? 1 : 0, a.points, a.answeredAt);
    for (const m of chat) this.s.importChat.run(m.id, classId, m.userId, m.name, m.role, m.text, m.at);
    for (const id of deletedChat) this.s.deleteChat.run(at, id, classId);
  }

  answers(questionId: string): GradedAnswer[] {
    return (this.s.answers.all(questionId) as AnswerRow[]).map((r) => ({
      userId: r.user_id,
      answerId: r.answer_id,
      response: JSON.parse(r.response) as QuizResponse,
      correct: r.correct === 1,
      points: r.points,
      answeredAt: r.answered_at,
    }));
  }

  insertRemoval(classId: string, r: Removal): void {
    this.s.insertRemoval.run(classId, r.userId, r.reason, r.at);
  }
  removals(classId: string): Removal[] {
    return (this.s.removals.all(classId) as { user_id: string; reason: string; removed_at: number }[]).map((r) => ({
      userId: r.user_id,
      reason: r.reason,
      at: r.removed_at,
    }));
  }
}
