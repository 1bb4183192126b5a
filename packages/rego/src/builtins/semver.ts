/** semver.is_valid and semver.compare (SemVer 2.0.0; build metadata ignored in comparisons). */
import type { Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { builtinErr, def, str } from "./util.ts";

// semver.org's regular expression, in parts: a number, a pre-release identifier; version, pre-release, build.
const NUM = String.raw`0|[1-9]\d*`;
const ID = String.raw`\d*[a-zA-Z-][0-9a-zA-Z-]*`;
const SEMVER = new RegExp(
  String.raw`^(${NUM})\.(${NUM})\.(${NUM})` +
    String.raw`(?:-((?:${NUM}|${ID})(?:\.(?:${NUM}|${ID}))*))?` +
    String.raw`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`,
);

interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string[];
}

/** Parses a SemVer 2.0.0 string; undefined when invalid. */
function parseSemver(s: string): SemVer | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return { major: BigInt(m[1]!), minor: BigInt(m[2]!), patch: BigInt(m[3]!), pre: m[4] ? m[4].split(".") : [] };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer precedence: -1, 0 or 1. */
function compareSemver(a: SemVer, b: SemVer): number {
  const c = cmpBig(a.major, b.major) || cmpBig(a.minor, b.minor) || cmpBig(a.patch, b.patch);
  if (c !== 0) return c;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i]!,
      y = b.pre[i]!;
    const xn = /^\d+$/.test(x),
      yn = /^\d+$/.test(y);
    let r: number;
    if (xn && yn) r = cmpBig(BigInt(x), BigInt(y));
    else if (xn) r = -1;
    else if (yn) r = 1;
    else r = x < y ? -1 : x > y ? 1 : 0;
    if (r !== 0) return r;
  }
  return cmpBig(BigInt(a.pre.length), BigInt(b.pre.length));
}

function compare(a: Value[]): Value {
  const x = str("semver.compare", a, 0),
    y = str("semver.compare", a, 1);
  const vx = parseSemver(x);
  if (!vx) throw builtinErr("semver.compare", `operand 1: string ${JSON.stringify(x)} is not a valid SemVer`);
  const vy = parseSemver(y);
  if (!vy) throw builtinErr("semver.compare", `operand 2: string ${JSON.stringify(y)} is not a valid SemVer`);
  return compareSemver(vx, vy);
}

export const semverBuiltins: readonly Builtin[] = [
  def("semver.is_valid", 1, (a) => typeof a[0] === "string" && parseSemver(a[0]) !== undefined),
  def("semver.compare", 2, compare),
];
