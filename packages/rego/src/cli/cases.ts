// Runs Regorus-style YAML interpreter cases (cases: [{note, modules, data,
// input, query, want_result | error | no_result, strict, skip}]).

import { readFileSync } from "node:fs";
import { parse, parseDocument } from "yaml";
import { compile, RegoError, RegoMap, RegoSet, equal, formatValue, type Limits, type Value } from "../index.ts";
import { findFiles, relativeTo } from "./files.ts";

export interface CaseOutcome {
  file: string;
  note: string;
  status: "passed" | "failed" | "skipped";
  reason?: string;
}

interface RawCase {
  note?: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  query?: string;
  want_result?: unknown;
  no_result?: boolean;
  error?: string;
  want_error?: string;
  want_error_code?: string;
  strict?: boolean;
  skip?: boolean;
  execution_timer?: { limit_ms?: number; check_interval?: number; disable?: boolean };
  global_execution_timer?: { limit_ms?: number; check_interval?: number; disable?: boolean };
  time_source?: { default_increment_ms?: number };
  sort_bindings?: boolean;
}

/** converts the YAML encoding of expected values (set!, object!, #undefined) */
function expected(v: unknown): Value | undefined {
  if (v === "#undefined") return undefined;
  if (Array.isArray(v)) return v.map((x) => expected(x) as Value);
  if (v instanceof RegoMap) return new RegoMap(v.sortedEntries().map(([k, x]) => [k, expected(x) as Value]));
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === "set!" && Array.isArray(o["set!"])) {
      return new RegoSet((o["set!"] as unknown[]).map((x) => expected(x) as Value));
    }
    if (keys.length === 1 && keys[0] === "object!" && Array.isArray(o["object!"])) {
      return new RegoMap(
        (o["object!"] as { key: unknown; value: unknown }[]).map((e) => [expected(e.key) as Value, expected(e.value) as Value]),
      );
    }
    const out: Record<string, Value> = {};
    for (const k of keys) {
      const x = expected(o[k]);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  return v as Value;
}

/** YAML maps come back as Map (typed keys, e.g. `null:` or `7:`); make them Rego objects */
function fromYaml(x: unknown): unknown {
  if (x instanceof Map) {
    const entries: [unknown, unknown][] = [...x.entries()].map(([k, v]) => [fromYaml(k), fromYaml(v)]);
    if (entries.every(([k]) => typeof k === "string")) {
      const o: Record<string, unknown> = {};
      for (const [k, v] of entries) o[k as string] = v;
      return o;
    }
    return new RegoMap(entries as [Value, Value][]);
  }
  if (Array.isArray(x)) return x.map(fromYaml);
  return x;
}

function reindentFlow(text: string): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)[^#\s][^#]*:\s*\[\s*$/.exec(lines[i]);
    if (!m) continue;
    const pad = m[1].length + 2;
    for (let j = i + 1; j < lines.length; j++) {
      const cur = lines[j];
      const ind = cur.length - cur.trimStart().length;
      if (ind < pad) lines[j] = " ".repeat(pad) + cur.trimStart();
      if (cur.includes("]")) break;
    }
  }
  return lines.join("\n");
}

function loadYaml(text: string): { cases?: RawCase[] } {
  try {
    return fromYaml(parse(text, { mapAsMap: true })) as { cases?: RawCase[] };
  } catch {
    // serde_yaml (Regorus) accepts flow sequences whose lines are indented less than
    // their key; re-indent them and try again
    try {
      return fromYaml(parse(reindentFlow(text), { mapAsMap: true })) as { cases?: RawCase[] };
    } catch {
      const doc = parseDocument(text, { strict: false });
      return doc.toJS() as { cases?: RawCase[] };
    }
  }
}

function runCase(c: RawCase): { ok: boolean; reason?: string } {
  if (c.error === undefined && c.want_error !== undefined) c = { ...c, error: c.want_error };
  const modules = (c.modules ?? []).map((source, i) => ({ path: `rego_${i}`, source }));
  const inputs: (Value | undefined)[] = [];
  const inp = c.input as Record<string, unknown> | undefined;
  if (inp && typeof inp === "object" && !Array.isArray(inp) && Array.isArray(inp["many!"])) {
    for (const x of inp["many!"] as unknown[]) inputs.push(x as Value);
  } else inputs.push(c.input as Value | undefined);
  const results: Value[] = [];
  try {
    const policy = compile(modules, { data: (c.data ?? {}) as Value, strictBuiltinErrors: c.strict !== false, limits: caseLimits(c) });
    const q = policy.prepare(c.query ?? "");
    for (const input of inputs) {
      const rs = q.rawResults({ input });
      for (const r of rs) {
        if (Object.keys(r.bindings).length > 0) results.push(r.bindings);
        else if (r.expressions.length === 1) results.push(r.expressions[0].value);
        else results.push(r.expressions.map((e) => e.value));
      }
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (c.error !== undefined) {
      if (msg.includes(c.error)) return { ok: true };
      return { ok: false, reason: `error ${JSON.stringify(firstLine(msg))} does not contain ${JSON.stringify(c.error)}` };
    }
    if (!(e instanceof RegoError))
      return { ok: false, reason: `crash: ${e instanceof Error ? e.stack?.split("\n").slice(0, 3).join(" | ") : msg}` };
    return { ok: false, reason: `unexpected error: ${firstLine(msg)}` };
  }
  if (c.error !== undefined)
    return {
      ok: false,
      reason: `expected error containing ${JSON.stringify(c.error)}, got ${results.map((r) => formatValue(r)).join(", ") || "no result"}`,
    };
  let want: (Value | undefined)[];
  if (c.no_result) want = [];
  else {
    const w = c.want_result as Record<string, unknown> | undefined;
    if (w && typeof w === "object" && !Array.isArray(w) && Array.isArray(w["many!"])) want = (w["many!"] as unknown[]).map(expected);
    else if (c.want_result === undefined) want = [];
    else want = [expected(c.want_result)];
  }
  if (want.length !== results.length) {
    return {
      ok: false,
      reason: `expected ${want.length} result(s), got ${results.length}: ${results.map((r) => formatValue(r)).join(", ")}`,
    };
  }
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w === undefined || !equal(w, results[i])) {
      return { ok: false, reason: `result ${i}: want ${w === undefined ? "undefined" : formatValue(w)}, got ${formatValue(results[i])}` };
    }
  }
  return { ok: true };
}

/** Regorus execution timers (with a simulated clock) map onto limits.timeoutMs */
function caseLimits(c: RawCase): Limits {
  const limits: Limits = { maxSteps: 5_000_000 };
  const global = c.global_execution_timer && !c.global_execution_timer.disable ? c.global_execution_timer : null;
  const timer = c.execution_timer && !c.execution_timer.disable ? c.execution_timer : global;
  if (timer && typeof timer.limit_ms === "number") {
    limits.timeoutMs = timer.limit_ms;
    limits.checkInterval = timer.check_interval ?? 1;
    const inc = c.time_source?.default_increment_ms;
    if (typeof inc === "number") {
      let t = 0;
      limits.clock = () => (t += inc);
    }
  }
  return limits;
}

function firstLine(s: string): string {
  return s.split("\n")[0];
}

export function runCasesDir(dir: string): CaseOutcome[] {
  const out: CaseOutcome[] = [];
  for (const file of findFiles(dir, (n) => n.endsWith(".yaml") || n.endsWith(".yml"))) {
    let doc: { cases?: RawCase[] };
    const rel = relativeTo(dir, file);
    try {
      doc = loadYaml(readFileSync(file, "utf8"));
    } catch (e) {
      out.push({ file: rel, note: "(file)", status: "failed", reason: `cannot parse YAML: ${String(e).split("\n")[0]}` });
      continue;
    }
    for (const c of doc?.cases ?? []) {
      const note = c.note ?? "(unnamed)";
      if (c.skip === true) {
        out.push({ file: rel, note, status: "skipped" });
        continue;
      }
      let r: { ok: boolean; reason?: string };
      try {
        r = runCase(c);
      } catch (e) {
        r = { ok: false, reason: `crash: ${String(e)}` };
      }
      out.push({ file: rel, note, status: r.ok ? "passed" : "failed", reason: r.reason });
    }
  }
  return out;
}
