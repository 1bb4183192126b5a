// Pure helpers of the student page: decimal commas (defect 7) and refusals in words (defect 17).
import { expect, test } from "bun:test";
import { parseDecimal } from "../../../web/app/decimal.ts";
import { explainDenial } from "../../../web/app/denial.ts";
import { bump, faded, HALF_LIFE_MS } from "../../../web/app/decay.ts";

test("numbers as people type them", () => {
  expect(parseDecimal("6,5")).toBe(6.5);
  expect(parseDecimal(" 6.5 ")).toBe(6.5);
  expect(parseDecimal("-3")).toBe(-3);
  expect(parseDecimal("1 000,25")).toBe(1000.25);
  expect(parseDecimal("1.000,25")).toBe(1000.25);
  expect(parseDecimal("1,000.25")).toBe(1000.25);
  for (const bad of ["", "abc", "1,2,3", "6,5x", "--1", "1.2.3"]) expect(parseDecimal(bad)).toBeNull();
});

test("the policy's reasons become sentences with advice; unknown ones still read", () => {
  expect(explainDenial("class is full")).toEqual({
    reasons: ["Every seat in this class is taken."],
    advice: "A seat may free up when someone leaves: this page tries again by itself.",
  });
  const two = explainDenial("course is not active; not enrolled in this course");
  expect(two.reasons).toEqual(["This course is not open for classes right now.", "You are not on this course's list of students."]);
  expect(two.advice).toBe("Ask your teacher when the course opens.");
  expect(explainDenial("removed: the course was archived").reasons).toEqual(["This course has been archived: its classes are closed."]);
  expect(explainDenial("outside school hours")).toEqual({
    reasons: ["Outside school hours."],
    advice: "Ask your teacher if you think this is a mistake.",
  });
});

test("reaction counts fade: halved every half-life, new reactions added to what is left", () => {
  const f = bump(undefined, 40, 0);
  expect(faded(f, 0)).toBe(40);
  expect(faded(f, HALF_LIFE_MS)).toBeCloseTo(20);
  expect(faded(f, 3 * HALF_LIFE_MS)).toBeCloseTo(5);
  const g = bump(f, 10, HALF_LIFE_MS);
  expect(g.value).toBeCloseTo(30);
  expect(faded(g, 2 * HALF_LIFE_MS)).toBeCloseTo(15);
  expect(faded(g, 0)).toBeCloseTo(30); // never grows backwards in time
});
