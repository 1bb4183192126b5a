// Which distribution rows a reveal marks as accepted (issue 16 defect 11: only choice questions
// were marked). Rows are the server's buckets (quiz.ts responseKeys): option ids, "true"/"false",
// the number as typed, or the text normalised (trimmed, spaces collapsed, lower case, 40 chars).

const normalise = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase().slice(0, 40);

/** `correct` is the reveal's: an option id or ids, a boolean, `{value, tolerance}` or accepted texts. */
export function isAcceptedKey(kind: string, key: string, correct: unknown): boolean {
  if (correct === undefined || key === "other") return false;
  if (kind === "numeric" && correct !== null && typeof correct === "object" && "value" in correct) {
    const { value, tolerance } = correct as { value: number; tolerance?: number };
    const n = Number(key);
    return key.trim() !== "" && Number.isFinite(n) && Math.abs(n - value) <= (tolerance ?? 0) + 1e-9;
  }
  if (kind === "text" && Array.isArray(correct)) return correct.some((c) => normalise(String(c)) === key);
  return Array.isArray(correct) ? correct.map(String).includes(key) : String(correct) === key;
}
