// Questions, grading, scoring and leaderboards. Pure functions.
import type { Distribution, LeaderboardEntry, PublicQuestion, QuestionDraft, QuizFlow, QuizResponse } from "@edgeclass/client/protocol";

const DEFAULT_POINTS = 1000;
/** A correct answer earns between half and all of its points, more for faster answers. */
const SPEED_SHARE = 0.5;
const MAX_DISTRIBUTION_KEYS = 50;

export interface LaunchedQuestion {
  /** Id of this launch (one question may be launched twice in a class). */
  id: string;
  classId: string;
  bankQuestionId: string | null;
  draft: QuestionDraft;
  launchedAt: number;
  deadline: number;
  closedAt: number | null;
  revealedAt: number | null;
  /** Students in the class at launch. */
  eligible: number;
  /** How this launch runs on (auto-reveal, auto-leaderboard) and its place in a quiz set. */
  flow?: QuizFlow;
}

export interface GradedAnswer {
  userId: string;
  answerId: string;
  response: QuizResponse;
  correct: boolean;
  points: number;
  answeredAt: number;
}

export function publicQuestion(q: LaunchedQuestion): PublicQuestion {
  const d = q.draft;
  const view: PublicQuestion = { id: q.id, kind: d.kind, prompt: d.prompt, points: d.points ?? DEFAULT_POINTS };
  if (d.kind === "single" || d.kind === "multiple") view.options = d.options;
  if (d.kind === "multiple" && d.partialCredit) view.partialCredit = true;
  if (d.image) {
    view.image = `/api/images/${d.image}`;
    if (d.imageAlt) view.imageAlt = d.imageAlt;
  }
  return view;
}

/** Checks that a draft's correct answer refers to its own options. Returns a problem or null. */
export function draftProblem(d: QuestionDraft): string | null {
  if (d.kind === "single" && !d.options.some((o) => o.id === d.correct)) return `correct option ${d.correct} is not one of the options`;
  if (d.kind === "multiple") {
    const ids = new Set(d.options.map((o) => o.id));
    const bad = d.correct.find((c) => !ids.has(c));
    if (bad !== undefined) return `correct option ${bad} is not one of the options`;
  }
  return null;
}

/** Why a response does not fit the question, or null when it does. */
export function responseProblem(d: QuestionDraft, r: QuizResponse): string | null {
  switch (d.kind) {
    case "single":
      if (!("choice" in r)) return "answer a single-choice question with {choice}";
      return d.options.some((o) => o.id === r.choice) ? null : `no option ${r.choice}`;
    case "multiple": {
      if (!("choices" in r)) return "answer a multiple-choice question with {choices}";
      if (new Set(r.choices).size !== r.choices.length) return "choices repeat";
      const bad = r.choices.find((c) => !d.options.some((o) => o.id === c));
      return bad === undefined ? null : `no option ${bad}`;
    }
    case "true_false":
      return "value" in r ? null : "answer a true/false question with {value}";
    case "numeric":
      return "number" in r ? null : "answer a numeric question with {number}";
    case "text":
      return "text" in r ? null : "answer a text question with {text}";
  }
}

const normalise = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

function isCorrect(d: QuestionDraft, r: QuizResponse): boolean {
  switch (d.kind) {
    case "single":
      return "choice" in r && r.choice === d.correct;
    case "multiple":
      return "choices" in r && r.choices.length === d.correct.length && d.correct.every((c) => r.choices.includes(c));
    case "true_false":
      return "value" in r && r.value === d.correct;
    case "numeric":
      return "number" in r && Math.abs(r.number - d.correct) <= (d.tolerance ?? 0);
    case "text":
      return "text" in r && d.correct.some((c) => normalise(c) === normalise(r.text));
  }
}

/** Points for an answer: 0 when wrong; for a right answer, half the points plus up to half for
 *  speed; `credit` (0..1) scales them for a partly right multiple-choice answer. */
function scoreAnswer(q: LaunchedQuestion, correct: boolean, answeredAt: number, credit = correct ? 1 : 0): number {
  if (credit <= 0) return 0;
  const points = q.draft.points ?? DEFAULT_POINTS;
  const window = Math.max(1, q.deadline - q.launchedAt);
  const remaining = Math.min(1, Math.max(0, (q.deadline - answeredAt) / window));
  return Math.round(points * credit * (1 - SPEED_SHARE + SPEED_SHARE * remaining));
}

/** The share of a multiple-choice question's points an answer earns when the question gives partial
 *  credit: right picks minus wrong picks, over the right options, never below 0. 1 or 0 otherwise. */
export function credit(d: QuestionDraft, r: QuizResponse): number {
  if (isCorrect(d, r)) return 1;
  if (d.kind !== "multiple" || !d.partialCredit || !("choices" in r)) return 0;
  const right = r.choices.filter((c) => d.correct.includes(c)).length;
  const wrong = r.choices.length - right;
  return Math.max(0, (right - wrong) / d.correct.length);
}

export function grade(q: LaunchedQuestion, userId: string, answerId: string, response: QuizResponse, answeredAt: number): GradedAnswer {
  const correct = isCorrect(q.draft, response);
  return { userId, answerId, response, correct, points: scoreAnswer(q, correct, answeredAt, credit(q.draft, response)), answeredAt };
}

/** The distribution buckets a response counts towards. */
function responseKeys(r: QuizResponse): string[] {
  if ("choice" in r) return [r.choice];
  if ("choices" in r) return r.choices;
  if ("value" in r) return [String(r.value)];
  if ("number" in r) return [String(r.number)];
  return [normalise(r.text).slice(0, 40)];
}

export function emptyCounts(d: QuestionDraft): Record<string, number> {
  if (d.kind === "single" || d.kind === "multiple") return Object.fromEntries(d.options.map((o) => [o.id, 0]));
  if (d.kind === "true_false") return { true: 0, false: 0 };
  return {};
}

/** Adds one response to running counts; open-ended kinds keep at most 50 buckets, the rest go to "other". */
export function countResponse(counts: Record<string, number>, r: QuizResponse): void {
  for (const key of responseKeys(r)) {
    const k = key in counts || Object.keys(counts).length < MAX_DISTRIBUTION_KEYS ? key : "other";
    counts[k] = (counts[k] ?? 0) + 1;
  }
}

export function distribution(q: LaunchedQuestion, answered: number, counts: Record<string, number>): Distribution {
  return { questionId: q.id, answered, eligible: q.eligible, counts: { ...counts } };
}

/** The distribution everyone sees on reveal. Free-text answers are students' own words: only the
 *  accepted answers keep their rows, the rest count as "other" (issue 16 defect 10: every student
 *  read every answer verbatim, outside chat moderation). Staff keep the full distribution. */
export function publicDistribution(d: QuestionDraft, dist: Distribution): Distribution {
  if (d.kind !== "text") return dist;
  const accepted = new Set(d.correct.map((c) => normalise(c).slice(0, 40)));
  const counts: Record<string, number> = {};
  let other = 0;
  for (const [k, n] of Object.entries(dist.counts)) {
    if (accepted.has(k)) counts[k] = n;
    else other += n;
  }
  if (other > 0) counts.other = other;
  return { ...dist, counts };
}

export function correctAnswer(d: QuestionDraft): unknown {
  return d.kind === "numeric" ? { value: d.correct, tolerance: d.tolerance ?? 0 } : d.correct;
}

/** Competition ranking (1, 2, 2, 4) by score; ties broken by name for a stable order. */
export function rankScores(scores: ReadonlyMap<string, number>, names: (id: string) => string): LeaderboardEntry[] {
  const entries = [...scores].map(([userId, score]) => ({ userId, name: names(userId), score, rank: 0 }));
  entries.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
  for (let i = 0; i < entries.length; i++) {
    entries[i].rank = i > 0 && entries[i].score === entries[i - 1].score ? entries[i - 1].rank : i + 1;
  }
  return entries;
}
