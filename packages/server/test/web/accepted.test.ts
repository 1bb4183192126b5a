// Reveal marks every accepted row, for number and text questions too (issue 16 defect 11).
import { expect, test } from "bun:test";
import { isAcceptedKey } from "../../../web/app/accepted.ts";

test("choice, true/false, number within tolerance, text as the server buckets it", () => {
  expect(isAcceptedKey("single", "b", "b")).toBe(true);
  expect(isAcceptedKey("multiple", "a", ["a", "c"])).toBe(true);
  expect(isAcceptedKey("multiple", "b", ["a", "c"])).toBe(false);
  expect(isAcceptedKey("true_false", "true", true)).toBe(true);
  const num = { value: 6.5, tolerance: 0.1 };
  expect(isAcceptedKey("numeric", "6.5", num)).toBe(true);
  expect(isAcceptedKey("numeric", "6.45", num)).toBe(true);
  expect(isAcceptedKey("numeric", "7", num)).toBe(false);
  expect(isAcceptedKey("numeric", "other", num)).toBe(false);
  expect(isAcceptedKey("text", "paris", ["Paris"])).toBe(true);
  expect(isAcceptedKey("text", "new york", ["New  York "])).toBe(true);
  expect(isAcceptedKey("text", "london", ["Paris"])).toBe(false);
  expect(isAcceptedKey("single", "b", undefined)).toBe(false);
});
