/**
 * The builtin registry. Each family file exports a list of `Builtin`s; this
 * module merges them into `BUILTINS`, keyed by OPA's name (operators included:
 * `plus`, `eq`, `and`, ...). Pure ES2023.
 *
 * Contract for `fn`: it gets already-evaluated operands (arity of them) and
 * returns the result, `undefined` for an undefined result, or throws a
 * `BuiltinError` (code `eval_type_error` or `eval_builtin_error`). OPA turns
 * builtin errors into undefined unless strict-builtin-errors is on; that choice
 * belongs to the evaluator.
 */
import type { Value } from "../value.ts";
import { aggregatesBuiltins } from "./aggregates.ts";
import { arraysBuiltins } from "./arrays.ts";
import { bitsBuiltins } from "./bits.ts";
import { comparisonBuiltins } from "./comparison.ts";
import { cryptoBuiltins } from "./crypto.ts";
import { encodingBuiltins } from "./encoding.ts";
import { globBuiltins } from "./glob.ts";
import { graphBuiltins } from "./graph.ts";
import { jwtBuiltins } from "./jwt.ts";
import { netBuiltins } from "./net.ts";
import { numbersBuiltins } from "./numbers.ts";
import { objectsBuiltins } from "./objects.ts";
import { regexBuiltins } from "./regex.ts";
import { schemaBuiltins } from "./schema.ts";
import { semverBuiltins } from "./semver.ts";
import { setsBuiltins } from "./sets.ts";
import { stringsBuiltins } from "./strings.ts";
import { timeBuiltins } from "./time.ts";
import { typesBuiltins } from "./types.ts";
import { unitsBuiltins } from "./units.ts";
import { uuidBuiltins } from "./uuid.ts";
import { runtimeBuiltins } from "./runtime.ts";

/** What a builtin may ask of the running query. */
export interface BuiltinContext {
  /** Wall-clock time in ns since the epoch, fixed for the whole query (as OPA caches it). */
  nowNs(): number | bigint;
  /**
   * Per-query cache for nondeterministic builtins (`rand.intn`, `uuid.rfc4122`),
   * so that repeated calls with the same arguments agree within one query as in OPA.
   * Optional: without it, each call draws afresh.
   */
  cache?: Map<string, Value>;
}

/** One builtin function. */
export interface Builtin {
  /** OPA's name, e.g. "startswith", "object.get", "plus". */
  name: string;
  /** Number of operands (not counting the output). */
  arity: number;
  /** Computes the result; `undefined` means undefined; throws `BuiltinError`. */
  fn(args: Value[], ctx: BuiltinContext): Value | undefined;
  /** True when the result may differ between queries (time.now_ns, rand.intn, uuid.rfc4122, io.jwt.decode_verify). */
  nondeterministic?: boolean;
}

function build(): Map<string, Builtin> {
  const m = new Map<string, Builtin>();
  const families: readonly (readonly Builtin[])[] = [
    aggregatesBuiltins,
    arraysBuiltins,
    bitsBuiltins,
    comparisonBuiltins,
    cryptoBuiltins,
    encodingBuiltins,
    globBuiltins,
    graphBuiltins,
    jwtBuiltins,
    netBuiltins,
    numbersBuiltins,
    objectsBuiltins,
    regexBuiltins,
    schemaBuiltins,
    semverBuiltins,
    setsBuiltins,
    stringsBuiltins,
    timeBuiltins,
    typesBuiltins,
    unitsBuiltins,
    uuidBuiltins,
    runtimeBuiltins,
  ];
  for (const fam of families) {
    for (const b of fam) {
      if (m.has(b.name)) throw new Error(`duplicate builtin ${b.name}`);
      m.set(b.name, b);
    }
  }
  return m;
}

/** Every builtin, by OPA name. */
export const BUILTINS: ReadonlyMap<string, Builtin> = build();

/** A context with a fixed clock, for tests and one-off calls. */
export function fixedContext(nowNs: number | bigint = Date.now() * 1e6): BuiltinContext {
  return { nowNs: () => nowNs, cache: new Map() };
}
