// fast-check generators for the fuzz tests: valid client messages and REST bodies, and the
// ways to break them (wrong types, missing and extra fields, huge strings, odd unicode,
// NaN and huge numbers, prototype keys, deep nesting, frames that are not JSON at all).
import fc from "fast-check";
import { MAX_CLIENT_FRAME_BYTES, REACTIONS, type QuestionDraft } from "@edgeclass/client/protocol";

/** Cases per property: the default keeps `npm test` quick; FUZZ_RUNS (or `npm run fuzz -- --runs N`) asks for more. */
function runs(defaultRuns: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : defaultRuns;
}

/** A test's time limit: a minute, plus two seconds a run (a run is a batch of frames or bodies). */
export const timeLimit = (defaultRuns: number) => 60_000 + runs(defaultRuns) * 2000;

/** fast-check parameters: FUZZ_SEED replays a reported failure. */
export function params(defaultRuns: number): fc.Parameters<unknown> {
  const seed = Number(process.env.FUZZ_SEED);
  return { numRuns: runs(defaultRuns), ...(Number.isInteger(seed) && process.env.FUZZ_SEED ? { seed } : {}) };
}

// ---- Nasty leaves ------------------------------------------------------------

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "\t\n\r",
  "\u202e\u202d", // bidi overrides
  "\u200b\ufeff", // zero width, BOM
  "\ud800", // lone surrogates
  "\udfff",
  "\ud83d",
  "e\u0301\u0301\u0301",
  "💥".repeat(300),
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "<script>alert(1)</script>",
  '=HYPERLINK("x")',
  "'; DROP TABLE courses; --",
  "../../etc/passwd",
  "%ZZ%00",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "null",
  "true",
  "2026-02-31T10:00:00Z",
  "9999-99-99T99:99:99Z",
  "a".repeat(5001),
] as const;

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 3000 }).chain((n) => fc.string({ minLength: n, maxLength: n, unit: "grapheme-ascii" })),
  },
);

/** Numbers that JSON can carry (NaN and Infinity serialise to null, so they are sent as raw text elsewhere). */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 0, -0, 0.5, 1.5, 4, 601, 3601, 100_001, 2 ** 31, 2 ** 53 + 1, -(2 ** 53), 1e308, -1e308, 5e-324, Number.MAX_VALUE),
);

/** Nested arrays/objects, `depth` levels, as JSON text. */
export const deepJson = (depth: number, kind: "array" | "object") =>
  kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

/** Any JSON value, leaning towards the awkward. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 3, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 400 }).map((d) => JSON.parse(deepJson(d, "array")) as unknown) },
  { weight: 1, arbitrary: fc.constant({ __proto__: null, polluted: true }) },
);

/** Keys a strict schema never takes, including the ones that pollute prototypes. */
const extraKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "__defineGetter__", "toString", "valueOf", "isAdmin", "role", "Type", "type "),
  fc.string({ minLength: 1, maxLength: 20 }),
);

/** Sets an own, enumerable property (also "__proto__", which an assignment would turn into a prototype). */
export function withKey(o: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(o)) Object.defineProperty(copy, k, { value: o[k], enumerable: true, writable: true, configurable: true });
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

export function withoutKey(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = withKey(o, "\u0000tmp", 0);
  delete copy[key];
  delete copy["\u0000tmp"];
  return copy;
}

// ---- Valid pieces --------------------------------------------------------------

const optionIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
export const userIdArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,40}$/);
const text = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim().length > 0);
const pointsArb = fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined });

const optionsArb = fc.uniqueArray(fc.record({ id: optionIdArb, text: text(30) }), { minLength: 2, maxLength: 6, selector: (o) => o.id });

/** A question draft that QuestionDraftSchema accepts (and, for choice questions, whose correct answer is an option). */
export const draftArb: fc.Arbitrary<QuestionDraft> = fc.oneof(
  optionsArb.chain((options) =>
    fc.record(
      {
        kind: fc.constant("single" as const),
        prompt: text(80),
        options: fc.constant(options),
        correct: fc.constantFrom(...options.map((o) => o.id)),
        points: pointsArb,
      },
      { requiredKeys: ["kind", "prompt", "options", "correct"] },
    ),
  ),
  optionsArb.chain((options) =>
    fc.record(
      {
        kind: fc.constant("multiple" as const),
        prompt: text(80),
        options: fc.constant(options),
        correct: fc.subarray(
          options.map((o) => o.id),
          { minLength: 1 },
        ),
        points: pointsArb,
      },
      { requiredKeys: ["kind", "prompt", "options", "correct"] },
    ),
  ),
  fc.record(
    { kind: fc.constant("true_false" as const), prompt: text(80), correct: fc.boolean(), points: pointsArb },
    { requiredKeys: ["kind", "prompt", "correct"] },
  ),
  fc.record(
    {
      kind: fc.constant("numeric" as const),
      prompt: text(80),
      correct: fc.double({ noNaN: true, noDefaultInfinity: true }),
      tolerance: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      points: pointsArb,
    },
    { requiredKeys: ["kind", "prompt", "correct"] },
  ),
  fc.record(
    {
      kind: fc.constant("text" as const),
      prompt: text(80),
      correct: fc.array(text(30), { minLength: 1, maxLength: 5 }),
      points: pointsArb,
    },
    { requiredKeys: ["kind", "prompt", "correct"] },
  ),
) as fc.Arbitrary<QuestionDraft>;

const responseArb = fc.oneof(
  fc.record({ choice: optionIdArb }),
  fc.record({ choices: fc.array(optionIdArb, { maxLength: 10 }) }),
  fc.record({ value: fc.boolean() }),
  fc.record({ number: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ text: fc.string({ maxLength: 200 }) }),
);

const ridArb = fc.option(fc.string({ maxLength: 64 }), { nil: undefined });
const withRid = <T extends Record<string, unknown>>(arb: fc.Arbitrary<T>) =>
  fc.tuple(arb, ridArb).map(([m, rid]) => (rid === undefined ? m : { ...m, rid }));

/** One valid message of every client type (what the mutations start from). */
export const clientMessageArb: fc.Arbitrary<Record<string, unknown>> = withRid(
  fc.oneof(
    fc.constant({ type: "ping" }),
    text(500).map((t) => ({ type: "chat.send", text: t })),
    fc.string({ maxLength: 64 }).map((id) => ({ type: "chat.delete", messageId: id })),
    fc.record({ type: fc.constant("chat.mute"), userId: userIdArb, muted: fc.boolean() }),
    fc.record(
      { type: fc.constant("chat.settings"), enabled: fc.boolean(), slowModeSeconds: fc.integer({ min: 0, max: 3600 }) },
      { requiredKeys: ["type"] },
    ),
    fc.constant({ type: "hand.raise" }),
    fc.constant({ type: "hand.lower" }),
    fc.record({ type: fc.constant("hand.answer"), userId: userIdArb }),
    fc.constant({ type: "hand.clear" }),
    fc.constantFrom(...REACTIONS).map((r) => ({ type: "reaction", reaction: r })),
    fc.record({
      type: fc.constant("quiz.launch"),
      questionId: fc.string({ maxLength: 64 }),
      timeLimitSeconds: fc.integer({ min: 5, max: 600 }),
    }),
    fc.record({ type: fc.constant("quiz.launch"), question: draftArb, timeLimitSeconds: fc.integer({ min: 5, max: 600 }) }),
    fc.record({
      type: fc.constant("quiz.answer"),
      questionId: fc.string({ maxLength: 64 }),
      answerId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      response: responseArb,
    }),
    fc.constant({ type: "quiz.close" }),
    fc.constant({ type: "quiz.reveal" }),
    fc.constant({ type: "leaderboard.show" }),
    fc.constant({ type: "class.end" }),
    fc.record(
      { type: fc.constant("participant.remove"), userId: userIdArb, reason: fc.string({ maxLength: 60 }) },
      { requiredKeys: ["type", "userId"] },
    ),
  ) as fc.Arbitrary<Record<string, unknown>>,
);

// ---- Mutations -------------------------------------------------------------------

/** A path to somewhere inside a JSON value (object keys and array indexes), for nested mutations. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === "object")
    for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

function setAt(root: unknown, path: (string | number)[], f: (v: unknown) => unknown): unknown {
  if (path.length === 0) return f(root);
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((x, i) => (i === head ? setAt(x, rest, f) : x));
  const o = root as Record<string, unknown>;
  return withKey(o, String(head), setAt(o[head as string], rest, f));
}

export type Mutation =
  | { op: "drop" }
  | { op: "add"; key: string; value: unknown }
  | { op: "replace"; value: unknown }
  | { op: "retype"; type: unknown }
  | { op: "nest"; depth: number; kind: "array" | "object" };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ op: "drop" as const }),
  fc.record({ op: fc.constant("add" as const), key: extraKey, value: wrongValue }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant("replace" as const), value: wrongValue }) },
  fc.record({
    op: fc.constant("retype" as const),
    type: fc.oneof(nastyString, fc.constantFrom("PING", "chat", "chat.send ", "quiz.answer\u0000", "__proto__"), wrongValue),
  }),
  fc.record({
    op: fc.constant("nest" as const),
    depth: fc.integer({ min: 2, max: 1500 }),
    kind: fc.constantFrom("array" as const, "object" as const),
  }),
);

/** Applies a mutation at a place chosen by `pick` (an index into the value's paths); the result is JSON text. */
export function mutate(value: unknown, m: Mutation, pick: number): string {
  const all = paths(value);
  const objects = all.filter((p) => {
    let v: unknown = value;
    for (const k of p) v = (v as Record<string | number, unknown>)[k];
    return v !== null && typeof v === "object" && !Array.isArray(v);
  });
  const inner = all.filter((p) => p.length > 0);
  const at = <T>(xs: T[]) => xs[pick % xs.length];
  switch (m.op) {
    case "drop": {
      if (inner.length === 0) return JSON.stringify(value);
      const p = at(inner);
      const parent = p.slice(0, -1);
      const last = p[p.length - 1];
      return JSON.stringify(
        setAt(value, parent, (o) =>
          Array.isArray(o) ? o.filter((_, i) => i !== last) : withoutKey(o as Record<string, unknown>, String(last)),
        ),
      );
    }
    case "add":
      return JSON.stringify(setAt(value, at(objects), (o) => withKey(o as Record<string, unknown>, m.key, m.value)));
    case "replace":
      return JSON.stringify(setAt(value, at(inner.length ? inner : all), () => m.value));
    case "retype":
      return JSON.stringify(withKey(value as Record<string, unknown>, "type", m.type));
    case "nest": {
      // Splice raw nesting text in place of a value: deeper than JSON.stringify would go comfortably.
      const marker = "\u0001NEST\u0001";
      const s = JSON.stringify(setAt(value, at(inner.length ? inner : all), () => marker));
      return s.replace(JSON.stringify(marker), deepJson(m.depth, m.kind));
    }
  }
}

/** Text that is not a JSON object at all. */
export const notJsonArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom(
    "",
    " ",
    "null",
    "true",
    "0",
    "-1",
    '"ping"',
    "[]",
    '[{"type":"ping"}]',
    "{",
    "}",
    '{"type":"ping"',
    '{"type":"ping",}',
    "{'type':'ping'}",
    '{"type":NaN}',
    '{"type":"ping","x":Infinity}',
    '{"type":"ping","x":-Infinity}',
    '{"type":"ping","x":undefined}',
    '{"type":"ping"}garbage',
    '\ufeff{"type":"ping"}',
    '{"type":"ping"}\u0000',
    "1e999",
  ),
  fc.integer({ min: 1, max: 3000 }).map((d) => deepJson(d, "array")),
  fc.integer({ min: 1, max: 600 }).map((d) => deepJson(d, "object")),
  // Valid JSON cut short.
  fc.tuple(clientMessageArb, fc.nat()).map(([m, n]) => {
    const s = JSON.stringify(m);
    return s.slice(0, n % s.length);
  }),
);

/** Frames over the readable limit but under the hard cap: a `too-large` error, not a close. */
export const tooLargeArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: MAX_CLIENT_FRAME_BYTES + 1, max: 60_000 }).map((n) => JSON.stringify({ type: "chat.send", text: "x".repeat(n) })),
  // Multi-byte characters: few characters, many bytes.
  fc
    .integer({ min: Math.ceil(MAX_CLIENT_FRAME_BYTES / 4) + 1, max: 14_000 })
    .map((n) => JSON.stringify({ type: "chat.send", text: "🙂".repeat(n) })),
  fc.integer({ min: 1400, max: 20_000 }).map((n) => JSON.stringify({ type: "chat.send", text: "€".repeat(n) })),
);
