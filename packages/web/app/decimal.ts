// A number as people type it: "6.5", "6,5" (decimal comma, as in much of Europe), "-3", " 1 000,5 ".
// A lone comma is a decimal comma; with both marks, the last one is the decimal point.

/** The number, or null when the text is not one. */
export function parseDecimal(text: string): number | null {
  let t = text
    .trim()
    .replace(/[\s\u00a0\u202f']/g, "")
    .replace(/^\u2212/, "-");
  if (!/^[-+]?[\d.,]*\d[\d.,]*$/.test(t)) return null;
  const dot = t.lastIndexOf(".");
  const comma = t.lastIndexOf(",");
  if (dot >= 0 && comma >= 0) t = dot > comma ? t.replace(/,/g, "") : t.replace(/\./g, "").replace(",", ".");
  else if (comma >= 0) {
    if (t.indexOf(",") !== comma) return null; // "1,2,3": not a number
    t = t.replace(",", ".");
  }
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}
