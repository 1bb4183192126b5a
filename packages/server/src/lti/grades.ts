// Quiz scores to the LMS gradebook (AGS) through a durable outbox in SQLite: a class's scores
// are written here when it ends, then posted; a post that fails is retried with exponential
// backoff (and jitter), and after the last attempt the row stays `failed` with the LMS's answer,
// is logged and counted, and is shown to the class's teacher, who can send it again. Nothing is
// dropped: a restart resumes the pending rows.
import type { Database, Statement } from "bun:sqlite";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Registry } from "../obs/prom.ts";
import { PlatformError, type PlatformClient } from "./platform-client.ts";
import type { LtiRegistry } from "./registry.ts";

export interface GradeRow {
  classId: string;
  userId: string;
  lineitemUrl: string;
  scoreGiven: number;
  scoreMaximum: number;
  status: "pending" | "sent" | "failed";
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  sentAt: number | null;
}

export interface GradeOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_GRADE_OPTIONS: GradeOptions = { maxAttempts: 8, baseDelayMs: 2_000, maxDelayMs: 10 * 60_000 };

interface Row {
  class_id: string;
  user_id: string;
  platform_id: string;
  lineitem_url: string;
  sub: string;
  score_given: number;
  score_maximum: number;
  created_at: number;
  status: GradeRow["status"];
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  sent_at: number | null;
}

/** Delay before attempt `attempts + 1`: base * 2^(attempts-1), capped, +-20 % so many rows do not retry in step. */
export function backoff(attempts: number, o: GradeOptions, random: () => number = Math.random): number {
  const d = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(d * (0.8 + 0.4 * random()));
}

export class GradeOutbox {
  private readonly s: Record<string, Statement>;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly outcomes: Counter;

  constructor(
    private readonly db: Database,
    private readonly registry: LtiRegistry,
    private readonly client: PlatformClient,
    private readonly logger: Logger,
    registry_: Registry,
    private readonly now: () => number = Date.now,
    private readonly o: GradeOptions = DEFAULT_GRADE_OPTIONS,
  ) {
    this.s = {
      add: db.query(
        "INSERT INTO lti_grade_outbox (class_id, user_id, platform_id, lineitem_url, sub, score_given, score_maximum, " +
          "created_at, status, attempts, next_attempt_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT DO UPDATE SET score_given = excluded.score_given, " +
          "score_maximum = excluded.score_maximum, status = 'pending', attempts = 0, next_attempt_at = " +
          "excluded.next_attempt_at, last_error = NULL",
      ),
      due: db.query("SELECT * FROM lti_grade_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 50"),
      nextDue: db.query("SELECT min(next_attempt_at) AS at FROM lti_grade_outbox WHERE status = 'pending'"),
      sent: db.query(
        "UPDATE lti_grade_outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE " +
          "class_id = ? AND user_id = ? AND lineitem_url = ?",
      ),
      retry: db.query(
        "UPDATE lti_grade_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE class_id = ? AND " +
          "user_id = ? AND lineitem_url = ?",
      ),
      failed: db.query(
        "UPDATE lti_grade_outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE class_id = ? AND " +
          "user_id = ? AND lineitem_url = ?",
      ),
      ofClass: db.query("SELECT * FROM lti_grade_outbox WHERE class_id = ? ORDER BY user_id, lineitem_url"),
      again: db.query(
        "UPDATE lti_grade_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL WHERE " +
          "class_id = ? AND status = 'failed'",
      ),
      size: db.query("SELECT status, count(*) AS n FROM lti_grade_outbox GROUP BY status"),
    };
    this.outcomes = registry_.counter({
      name: "edgeclass_lti_grades_total",
      help:
        "Scores posted to LMS gradebooks (AGS), by outcome: sent, retry (a failed attempt that will be retried), failed (gave " +
        "up; shown to the teacher).",
      labelNames: ["outcome"],
    });
    registry_.gauge({
      name: "edgeclass_lti_grades_waiting",
      help: "Scores in the LTI grade outbox, by status (pending: still to send; failed: gave up, waiting for the teacher).",
      labelNames: ["status"],
      collect: (g) => {
        for (const st of ["pending", "failed"]) g.labels(st).set(0);
        for (const r of this.s.size.all() as { status: string; n: number }[]) if (r.status !== "sent") g.labels(r.status).set(r.n);
      },
    });
  }

  /** Queues the scores of an ended class for every LMS link of the class (users the LMS does not know are left out). */
  enqueue(classId: string, scores: readonly { userId: string; scoreGiven: number; scoreMaximum: number }[]): number {
    const links = this.registry.linksOfClass(classId).filter((l) => l.lineitemUrl !== null);
    let queued = 0;
    const now = this.now();
    this.db.transaction(() => {
      for (const l of links) {
        for (const s of scores) {
          const lms = this.registry.user(s.userId);
          if (lms === undefined || lms.platformId !== l.platformId) continue;
          this.s.add.run(classId, s.userId, l.platformId, l.lineitemUrl, lms.sub, s.scoreGiven, s.scoreMaximum, now, now);
          queued++;
        }
      }
    })();
    if (queued > 0) this.wake(0);
    return queued;
  }

  rows(classId: string): GradeRow[] {
    return (this.s.ofClass.all(classId) as Row[]).map((r) => ({
      classId: r.class_id,
      userId: r.user_id,
      lineitemUrl: r.lineitem_url,
      scoreGiven: r.score_given,
      scoreMaximum: r.score_maximum,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      lastError: r.last_error,
      sentAt: r.sent_at,
    }));
  }

  /** The teacher's "send again": failed rows of the class go back to pending. */
  retryFailed(classId: string): number {
    const n = this.s.again.run(this.now(), classId).changes;
    if (n > 0) this.wake(0);
    return n;
  }

  start(): void {
    this.wake(0);
  }

  /** Sends what is due now (one pass at a time); resolves when done. */
  flush(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
      this.scheduleNext();
    });
    return this.running;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private wake(ms: number): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  private scheduleNext(): void {
    const at = (this.s.nextDue.get() as { at: number | null }).at;
    if (at !== null) this.wake(Math.max(0, Math.min(at - this.now(), 60_000)));
  }

  private async pass(): Promise<void> {
    for (;;) {
      const due = this.s.due.all(this.now()) as Row[];
      if (due.length === 0 || this.closed) return;
      for (const r of due) await this.send(r);
    }
  }

  private async send(r: Row): Promise<void> {
    const keys = [r.class_id, r.user_id, r.lineitem_url] as const;
    const platform = this.registry.get(r.platform_id);
    try {
      if (platform === undefined) throw new PlatformError(0, `platform ${r.platform_id} is no longer registered`);
      await this.client.postScore(platform, r.lineitem_url, {
        userId: r.sub,
        scoreGiven: r.score_given,
        scoreMaximum: r.score_maximum,
        timestamp: new Date(r.created_at).toISOString(),
      });
      this.s.sent.run(this.now(), ...keys);
      this.outcomes.labels("sent").inc();
    } catch (e) {
      const message = (e instanceof Error ? e.message : String(e)).slice(0, 500);
      if (e instanceof PlatformError && e.status === 401 && platform !== undefined) this.client.forget(platform);
      const attempts = r.attempts + 1;
      if (attempts >= this.o.maxAttempts) {
        this.s.failed.run(message, ...keys);
        this.outcomes.labels("failed").inc();
        this.logger.error(
          { classId: r.class_id, userId: r.user_id, lineitem: r.lineitem_url, attempts, err: message },
          "LTI grade not accepted by the LMS after the last attempt; the teacher sees it and can send it again",
        );
      } else {
        this.s.retry.run(this.now() + backoff(attempts, this.o), message, ...keys);
        this.outcomes.labels("retry").inc();
        this.logger.warn({ classId: r.class_id, userId: r.user_id, attempts, err: message }, "LTI grade post failed; retrying later");
      }
    }
  }
}
