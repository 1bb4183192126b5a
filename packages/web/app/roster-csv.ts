// Student ids from what a teacher types, pastes or uploads: plain ids (one per line or separated
// by commas, semicolons, tabs or spaces), or a CSV table: the column its header names (id,
// student_id, 学号...), else the first column (names and e-mails beside the ids are ignored).

/** The server's id rule (packages/server/src/http/validate.ts). */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const ID_HEADER = /^(student[ _-]?)?id$|^(student[ _-]?)?(number|no)$|^学号$/i;

/** One CSV line's cells (double quotes may wrap a cell and "" is a quote inside one). */
function cells(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) out.push(cur.trim()), (cur = "");
    else cur += c;
  }
  out.push(cur.trim());
  return out;
}

export interface RosterParse {
  /** Unique ids in the order first seen. */
  ids: string[];
  /** "line N: text" for each value that is not an id. */
  bad: string[];
}

export function parseRoster(text: string): RosterParse {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l) => l.trim());
  const first = lines.find((l) => l !== "") ?? "";
  const sep = [",", ";", "\t"].find((s) => first.includes(s));
  const ids: string[] = [];
  const bad: string[] = [];
  const seen = new Set<string>();
  const take = (v: string, n: number) => {
    if (!v) return;
    if (!ID.test(v)) return void bad.push(`line ${n}: ${v.length > 40 ? v.slice(0, 40) + "…" : v}`);
    if (!seen.has(v)) seen.add(v), ids.push(v);
  };
  // A table (several lines of several cells): one column, the one its header names, else the first.
  const header = sep ? cells(first, sep) : [];
  const headerLine = lines.indexOf(first);
  const filled = lines.filter((l) => l !== "").length;
  if (sep && header.length > 1 && filled > 1) {
    const named = header.findIndex((h) => ID_HEADER.test(h));
    const col = Math.max(0, named);
    lines.forEach((l, i) => (i > headerLine || (i === headerLine && named < 0)) && l && take(cells(l, sep)[col] ?? "", i + 1));
    return { ids, bad };
  }
  // Otherwise every value is an id; a lone header word such as "id" or "student_id" is skipped.
  lines.forEach((l, i) => {
    for (const v of sep ? cells(l, sep) : l.split(/[\s,;]+/)) if (!(i === headerLine && ID_HEADER.test(v))) take(v, i + 1);
  });
  return { ids, bad };
}
