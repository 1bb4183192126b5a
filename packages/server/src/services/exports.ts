// Exports people read in a spreadsheet (issue 16 build 3): one table per CSV file, answers named
// by their option texts, times in the teacher's time zone; the JSON routes keep the full detail.
import type { QuestionDraft } from "@edgeclass/client/protocol";
import type { AttendanceRow } from "../store/live-types.ts";

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  // Text that a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading ' (OWASP CSV injection).
  const s =
    typeof v === "string"
      ? /^[=+\-@\t\r]/.test(v)
        ? `'${v}`
        : v
      : typeof v === "number" || typeof v === "boolean"
        ? String(v)
        : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180 with CRLF line ends. */
const csv = (rows: readonly (readonly unknown[])[]): string => rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";

type Options = { id: string; text: string }[] | undefined;

/** A response or a correct answer in words: option texts for choices, true/false, the number, the text. */
export function answerText(kind: string, options: Options, value: unknown): string {
  const option = (id: unknown) => options?.find((o) => o.id === id)?.text ?? String(id);
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return kind === "single" ? option(value) : String(value);
  const v = value as { choice?: unknown; choices?: unknown; value?: unknown; number?: unknown; text?: unknown; tolerance?: unknown };
  if (Array.isArray(value)) return value.map((x) => (kind === "text" ? String(x) : option(x))).join("; ");
  if (v.choice !== undefined) return option(v.choice);
  if (Array.isArray(v.choices)) return v.choices.map(option).join("; ");
  if (v.number !== undefined) return String(v.number);
  if (v.text !== undefined) return String(v.text);
  if (v.value !== undefined) return typeof v.tolerance === "number" && v.tolerance > 0 ? `${v.value} ± ${v.tolerance}` : String(v.value);
  return JSON.stringify(value);
}

export const optionsOf = (d: QuestionDraft): Options => ("options" in d ? d.options.map((o) => ({ id: o.id, text: o.text })) : undefined);

export interface ResultsForExport {
  questions: {
    questionId: string;
    kind: string;
    prompt: string;
    options?: Options;
    correct: unknown;
    answers: { userId: string; name: string; response: unknown; correct: boolean; points: number; answeredAt: number }[];
  }[];
  students: { rank: number; userId: string; name: string; score: number; answered: number; correct: number }[];
}

/** A time zone the runtime knows (IANA name), or null. */
export function knownZone(tz: string): string | null {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** "2026-12-04" and "21:30:05" in the zone (sv-SE writes ISO-like dates). */
function local(at: number, tz: string): { date: string; time: string } {
  const [date, time] = new Intl.DateTimeFormat("sv-SE", {
    timeZone: tz,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  })
    .format(at)
    .split(" ");
  return { date, time };
}

/** One row per answer: the question in order, who, the answer and the right answer in words. */
export function answersCsv(r: ResultsForExport, tz = "UTC"): string {
  const rows: unknown[][] = [
    ["question", "prompt", "kind", "student_id", "name", "answer", "correct_answer", "correct", "points", `answered_at (${tz})`],
  ];
  r.questions.forEach((q, i) => {
    const right = answerText(q.kind, q.options, q.correct);
    for (const a of q.answers) {
      const t = local(a.answeredAt, tz);
      rows.push([
        i + 1,
        q.prompt,
        q.kind,
        a.userId,
        a.name,
        answerText(q.kind, q.options, a.response),
        right,
        a.correct ? "yes" : "no",
        a.points,
        `${t.date} ${t.time}`,
      ]);
    }
  });
  return csv(rows);
}

/** The final standings: the same ranks and scores the class's podium shows. */
export function standingsCsv(r: ResultsForExport): string {
  return csv([
    ["rank", "student_id", "name", "score", "answered", "correct"],
    ...r.students.map((s) => [s.rank, s.userId, s.name, s.score, s.answered, s.correct]),
  ]);
}

export interface Presence {
  userId: string;
  name: string;
  role: string;
  /** Sessions (a reload or a dropped connection starts another). */
  sessions: number;
  firstJoinedAt: number;
  /** Null while still in the class. */
  lastLeftAt: number | null;
  /** Sum of the sessions (overlaps, e.g. two tabs, counted once), rounded to whole minutes. */
  minutesPresent: number;
}

/** Attendance per person from the sessions; an open session counts until `until` (class end, or now). */
export function presence(rows: readonly AttendanceRow[], until: number): Presence[] {
  const by = new Map<string, AttendanceRow[]>();
  for (const r of rows) by.set(r.userId, [...(by.get(r.userId) ?? []), r]);
  return [...by.values()]
    .map((sessions) => {
      const spans = sessions.map((s) => [s.joinedAt, s.leftAt ?? until] as const).sort((a, b) => a[0] - b[0]);
      let ms = 0;
      let end = -Infinity;
      for (const [from, to] of spans) {
        const start = Math.max(from, end);
        if (to > start) ms += to - start;
        end = Math.max(end, to);
      }
      const open = sessions.some((s) => s.leftAt === null);
      return {
        userId: sessions[0].userId,
        name: sessions[0].name,
        role: sessions[0].role,
        sessions: sessions.length,
        firstJoinedAt: spans[0][0],
        lastLeftAt: open ? null : Math.max(...sessions.map((s) => s.leftAt ?? 0)),
        minutesPresent: Math.round(ms / 60_000),
      };
    })
    .sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === "student" ? 1 : -1));
}

/** One row per person: date, first join, last leave (in the zone), sessions, minutes present. */
export function attendanceCsv(people: readonly Presence[], tz = "UTC"): string {
  const rows: unknown[][] = [["date", "user_id", "name", "role", `joined (${tz})`, `left (${tz})`, "sessions", "minutes_present"]];
  for (const p of people) {
    const j = local(p.firstJoinedAt, tz);
    const l = p.lastLeftAt === null ? null : local(p.lastLeftAt, tz);
    // A class past midnight: the leave time carries its own date.
    rows.push([
      j.date,
      p.userId,
      p.name,
      p.role,
      j.time,
      l === null ? "" : l.date === j.date ? l.time : `${l.date} ${l.time}`,
      p.sessions,
      p.minutesPresent,
    ]);
  }
  return csv(rows);
}
