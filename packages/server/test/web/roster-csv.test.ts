// The set-up page's roster import (packages/web/app/roster-csv.ts): what a teacher pastes or
// uploads becomes the ids sent to POST /api/courses/:id/enrollments, and nothing else.
import { expect, test } from "bun:test";
import { parseRoster } from "../../../web/app/roster-csv.ts";

test("plain ids: lines, commas, spaces; duplicates once; a lone header word skipped", () => {
  expect(parseRoster("s1\ns2, s3  s4\n\ns2\n")).toEqual({ ids: ["s1", "s2", "s3", "s4"], bad: [] });
  expect(parseRoster("student_id\r\ns1\r\ns2\r\n")).toEqual({ ids: ["s1", "s2"], bad: [] });
  expect(parseRoster("s1,s2,s3")).toEqual({ ids: ["s1", "s2", "s3"], bad: [] });
});

test("a CSV table: the id column by its header, else the first column; names and e-mails ignored", () => {
  const csv = '\uFEFFname,student_id,email\n"Li, Wei",s10,li@example.org\nAna,s11,ana@example.org\n';
  expect(parseRoster(csv)).toEqual({ ids: ["s10", "s11"], bad: [] });
  expect(parseRoster("s20;Ana\ns21;Bo\n")).toEqual({ ids: ["s20", "s21"], bad: [] });
  expect(parseRoster("姓名\t学号\n王芳\tcn-1\n")).toEqual({ ids: ["cn-1"], bad: [] });
});

test("values that are not ids are reported with their line", () => {
  expect(parseRoster("s1\nwho?\n")).toEqual({ ids: ["s1"], bad: ["line 2: who?"] });
  const r = parseRoster("id,name\ns1,Ana\nbad id,Bo\n");
  expect(r.ids).toEqual(["s1"]);
  expect(r.bad).toEqual(["line 3: bad id"]);
});
