// Abstract syntax of Rego modules and queries.

import type { Location } from "./errors.ts";

export type Term =
  | { type: "null"; loc: Location }
  | { type: "boolean"; value: boolean; loc: Location }
  | { type: "number"; text: string; loc: Location }
  | { type: "string"; value: string; loc: Location }
  | { type: "var"; name: string; loc: Location }
  | { type: "ref"; head: Term; path: Term[]; loc: Location }
  | { type: "array"; items: Term[]; loc: Location }
  | { type: "set"; items: Term[]; loc: Location }
  | { type: "object"; items: [Term, Term][]; loc: Location }
  | { type: "arraycompr"; head: Term; body: Expr[]; loc: Location }
  | { type: "setcompr"; head: Term; body: Expr[]; loc: Location }
  | { type: "objectcompr"; key: Term; value: Term; body: Expr[]; loc: Location }
  /** `name` is the dotted operator, e.g. "count", "regex.match", "data.lib.f", "f", or an infix builtin name ("plus") */
  | { type: "call"; name: string; args: Term[]; infix: boolean; unary?: boolean; paren?: boolean; loc: Location }
  | { type: "membership"; key: Term | null; value: Term; collection: Term; loc: Location };

export interface With {
  target: Term;
  value: Term;
  loc: Location;
}

type ExprBody =
  | { kind: "term"; term: Term }
  | { kind: "unify"; left: Term; right: Term }
  | { kind: "assign"; left: Term; right: Term }
  | { kind: "some"; vars: Term[] }
  | { kind: "somein"; key: Term | null; value: Term; collection: Term }
  | { kind: "every"; key: Term | null; value: Term; domain: Term; body: Expr[] };

export type Expr = ExprBody & { negated: boolean; with: With[]; loc: Location };

export type RuleKind = "complete" | "set" | "object" | "function";

export interface Rule {
  kind: RuleKind;
  isDefault: boolean;
  /** head reference; ref[0] is a string term with the rule name */
  ref: Term[];
  args: Term[] | null;
  /** set element (for `contains` / v0 `p[x]`) */
  key: Term | null;
  /** value term (complete/object/function); null means `true` */
  value: Term | null;
  assign: boolean;
  body: Expr[];
  elseRule: Rule | null;
  loc: Location;
}

export interface Import {
  path: Term; // ref term
  alias: string | null;
  loc: Location;
}

export interface Module {
  file: string;
  source: string;
  pkg: string[];
  pkgLoc: Location;
  imports: Import[];
  rules: Rule[];
  regoV1: boolean;
}
