// Exports people read (issue 16 build 3): answers by their option texts, one table per CSV file,
// times in the teacher's zone, minutes present per person from the sessions.
import { expect, test } from "bun:test";
import { answersCsv, answerText, attendanceCsv, presence, standingsCsv, type ResultsForExport } from "../../src/services/exports.ts";
import type { AttendanceRow } from "../../src/store/live-types.ts";

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0); // 20:00 in Shanghai
const opts = [
  { id: "a", text: "Paris" },
  { id: "b", text: "London, UK" },
  { id: "c", text: "Rome" },
];
const results: ResultsForExport = {
  questions: [
    {
      questionId: "q1",
      kind: "single",
      prompt: "Capital of France?",
      options: opts,
      correct: "a",
      answers: [{ userId: "s1", name: "Grace", response: { choice: "b" }, correct: false, points: 0, answeredAt: T0 + 5000 }],
    },
    {
      questionId: "q2",
      kind: "multiple",
      prompt: "In Europe?",
      options: opts,
      correct: ["a", "c"],
      answers: [{ userId: "s1", name: "Grace", response: { choices: ["a", "c"] }, correct: true, points: 120, answeredAt: T0 + 65_000 }],
    },
    {
      questionId: "q3",
      kind: "true_false",
      prompt: "Round?",
      correct: true,
      answers: [{ userId: "s2", name: "Alan", response: { value: false }, correct: false, points: 0, answeredAt: T0 }],
    },
    {
      questionId: "q4",
      kind: "numeric",
      prompt: "13/2",
      correct: { value: 6.5, tolerance: 0.1 },
      answers: [{ userId: "s2", name: "Alan", response: { number: 6.5 }, correct: true, points: 100, answeredAt: T0 }],
    },
    {
      questionId: "q5",
      kind: "text",
      prompt: "Say hi",
      correct: ["hi", "hello"],
      answers: [{ userId: "s2", name: "Alan", response: { text: "=cmd" }, correct: false, points: 0, answeredAt: T0 }],
    },
  ],
  students: [
    { rank: 1, userId: "s2", name: "Alan", score: 100, answered: 3, correct: 1 },
    { rank: 1, userId: "s1", name: "Grace", score: 100, answered: 2, correct: 1 },
  ],
};
const table = (s: string) => s.trimEnd().split("\r\n");

test("answers by their texts, the right answer beside them, times in the teacher's zone, one table", () => {
  const rows = table(answersCsv(results, "Asia/Shanghai"));
  expect(rows[0]).toBe("question,prompt,kind,student_id,name,answer,correct_answer,correct,points,answered_at (Asia/Shanghai)");
  expect(rows.slice(1)).toEqual([
    '1,Capital of France?,single,s1,Grace,"London, UK",Paris,no,0,2026-12-04 20:00:05',
    "2,In Europe?,multiple,s1,Grace,Paris; Rome,Paris; Rome,yes,120,2026-12-04 20:01:05",
    "3,Round?,true_false,s2,Alan,false,true,no,0,2026-12-04 20:00:00",
    "4,13/2,numeric,s2,Alan,6.5,6.5 ± 0.1,yes,100,2026-12-04 20:00:00",
    "5,Say hi,text,s2,Alan,'=cmd,hi; hello,no,0,2026-12-04 20:00:00",
  ]);
  expect(rows.every((r) => r !== "")).toBe(true); // one table: no blank line, no second header
  expect(table(answersCsv(results))[1]).toEndWith("2026-12-04 12:00:05"); // UTC unless told
  expect(answerText("single", opts, { choice: "zz" })).toBe("zz"); // an option since removed still reads
});

test("the standings, in their own file", () => {
  expect(table(standingsCsv(results))).toEqual(["rank,student_id,name,score,answered,correct", "1,s2,Alan,100,3,1", "1,s1,Grace,100,2,1"]);
});

test("minutes present: sessions added, overlaps (two tabs) once, an open session until the end", () => {
  const m = 60_000;
  const rows: AttendanceRow[] = [
    { userId: "s1", name: "Grace", role: "student", joinedAt: T0, leftAt: T0 + 10 * m },
    { userId: "s1", name: "Grace", role: "student", joinedAt: T0 + 20 * m, leftAt: T0 + 30 * m },
    { userId: "s2", name: "Alan", role: "student", joinedAt: T0, leftAt: T0 + 15 * m },
    { userId: "s2", name: "Alan", role: "student", joinedAt: T0 + 5 * m, leftAt: T0 + 25 * m }, // a second tab
    { userId: "s3", name: "Hedy", role: "student", joinedAt: T0 + 40 * m, leftAt: null },
    { userId: "t1", name: "Ada", role: "teacher", joinedAt: T0 - m, leftAt: T0 + 4 * 60 * m },
  ];
  const people = presence(rows, T0 + 45 * m);
  expect(people.map((p) => [p.userId, p.sessions, p.minutesPresent, p.lastLeftAt === null])).toEqual([
    ["t1", 1, 241, false],
    ["s2", 2, 25, false],
    ["s1", 2, 20, false],
    ["s3", 1, 5, true],
  ]);
  expect(table(attendanceCsv(people, "Asia/Shanghai"))).toEqual([
    "date,user_id,name,role,joined (Asia/Shanghai),left (Asia/Shanghai),sessions,minutes_present",
    "2026-12-04,t1,Ada,teacher,19:59:00,2026-12-05 00:00:00,1,241",
    "2026-12-04,s2,Alan,student,20:00:00,20:25:00,2,25",
    "2026-12-04,s1,Grace,student,20:00:00,20:30:00,2,20",
    "2026-12-04,s3,Hedy,student,20:40:00,,1,5",
  ]);
});
