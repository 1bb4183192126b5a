// Recursive-descent parser for Rego v0 and v1.
// v0 modules accept the future keywords (`if`, `contains`, `in`, `every`) as
// contextual keywords; `import rego.v1` (or the regoV1 option) turns on v1's
// strictness (`if` before bodies, `contains` for multi-value rules).

import type { Expr, Import, Module, Rule, Term, With } from "./ast.ts";
import { RegoError, type Location } from "./errors.ts";
import { tokenize, type Token } from "./lexer.ts";

export interface ParseOptions {
  /** parse as Rego v1 even without `import rego.v1` */
  regoV1?: boolean;
}

const KEYWORDS = new Set(["not", "some", "with", "as", "default", "else", "package", "import", "null", "true", "false"]);
const FUTURE = new Set(["if", "contains", "in", "every"]);
const LITERALS = new Set(["null", "true", "false"]);

const ARITH_OR_AND = new Set(["plus", "minus", "mul", "div", "rem", "and"]);

const RELATION: Record<string, string> = { "==": "equal", "!=": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte" };

/** OPA's names for punctuation tokens (v1/ast/internal/tokens) */
const PUNCT_NAMES: Record<string, string> = {
  "+": "plus",
  "-": "minus",
  "*": "mul",
  "/": "div",
  "%": "rem",
  "&": "and",
  "|": "or",
  "=": "eq",
  "==": "equal",
  ":=": "assign",
  "!=": "neq",
  ">": "gt",
  "<": "lt",
  ">=": "gte",
  "<=": "lte",
};

/** A token as OPA's parser names it in errors: `} token`, `assign token`, `identifier token`, `if keyword`. */
function tokenText(t: Token, v1: boolean): string {
  switch (t.kind) {
    case "eof":
      return "eof token";
    case "ident":
      return KEYWORDS.has(t.text) || (v1 && FUTURE.has(t.text)) ? `${t.text} keyword` : "identifier token";
    case "string":
    case "rawstring":
      return "string token";
    case "number":
      return "number token";
    default:
      return `${PUNCT_NAMES[t.text] ?? t.text} token`;
  }
}

/** OPA's checkDuplicateImports (v1 and strict modules): two imports may not bind one name. */
function checkDuplicateImports(imports: readonly Import[]): void {
  const seen = new Map<string, Import>();
  for (const imp of imports) {
    const path = refPath(imp.path) ?? [];
    const name = imp.alias ?? path[path.length - 1] ?? "";
    const prev = seen.get(name);
    if (prev) {
      const prevPath = (refPath(prev.path) ?? []).join(".");
      const text = `import ${prevPath}${prev.alias ? ` as ${prev.alias}` : ""}`;
      throw new RegoError("rego_compile_error", `import must not shadow ${text}`, imp.loc);
    }
    seen.set(name, imp);
  }
}

class Parser {
  private toks: Token[];
  private pos = 0;
  private file: string;
  private src: string;
  /** stack: true when newlines end a literal at this nesting level */
  private nlStack: boolean[] = [true];
  private v1: boolean;
  private wildcard = 0;

  constructor(src: string, file: string, opts: ParseOptions = {}) {
    this.src = src;
    this.file = file;
    this.toks = tokenize(src, file);
    this.v1 = opts.regoV1 === true;
  }

  // ---------------------------------------------------------------- helpers

  private get t(): Token {
    return this.toks[this.pos];
  }
  private peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)];
  }
  private loc(t: Token = this.t): Location {
    return { file: this.file, line: t.line, col: t.col, source: this.src };
  }
  private err(expected: string, t: Token = this.t): never {
    throw new RegoError("rego_parse_error", `unexpected ${tokenText(t, this.v1)}: expecting ${expected}`, this.loc(t));
  }
  private isP(text: string, t: Token = this.t): boolean {
    return t.kind === "punct" && t.text === text;
  }
  private isId(text: string, t: Token = this.t): boolean {
    return t.kind === "ident" && t.text === text;
  }
  /** a keyword in this module's Rego version (v1 also reserves the future keywords) */
  private isKeywordName(name: string): boolean {
    return KEYWORDS.has(name) || (this.v1 && FUTURE.has(name));
  }
  /** OPA's scanAheadRef: a keyword directly followed by `.` or `[` starts a reference (`not.x`, `if[0]`). */
  private isKeywordRef(): boolean {
    const t = this.t;
    if (t.kind !== "ident" || !(KEYWORDS.has(t.text) || FUTURE.has(t.text)) || LITERALS.has(t.text)) return false;
    const n = this.toks[this.pos + 1];
    return n !== undefined && !n.ws && !n.nl && n.kind === "punct" && (n.text === "." || n.text === "[");
  }
  private eatP(text: string): Token {
    if (!this.isP(text)) this.err(`\`${text}\``);
    return this.toks[this.pos++];
  }
  private atEOF(): boolean {
    return this.t.kind === "eof";
  }
  private nlSignificant(): boolean {
    return this.nlStack[this.nlStack.length - 1];
  }
  /** true when the current token starts a new literal because of a newline */
  private atNewline(): boolean {
    return this.nlSignificant() && this.t.nl;
  }
  private freshWildcard(loc: Location): Term {
    return { type: "var", name: `$_${this.wildcard++}`, loc };
  }

  // ---------------------------------------------------------------- module

  parseModule(): Module {
    // package
    while (this.t.kind !== "eof" && !this.isId("package")) this.err("package");
    const pkgTok = this.t;
    this.pos++;
    const pkgRef = this.parseRefTerm();
    const pkgPath = refPath(pkgRef);
    const pkg = pkgPath ? ["data", ...pkgPath] : null;
    if (!pkg) throw new RegoError("rego_parse_error", "package expects a reference of names", this.loc(pkgTok));
    const mod: Module = { file: this.file, source: this.src, pkg, pkgLoc: this.loc(pkgTok), imports: [], rules: [], regoV1: this.v1 };
    let sawRegoV1 = false;
    let sawFuture = false;
    while (this.isId("import")) {
      const it = this.t;
      this.pos++;
      const path = this.parseRefTerm();
      let alias: string | null = null;
      if (this.isId("as") && !this.t.nl) {
        this.pos++;
        if (this.t.kind !== "ident") this.err("identifier");
        if (KEYWORDS.has(this.t.text) || (this.v1 && FUTURE.has(this.t.text))) {
          throw new RegoError("rego_parse_error", `unexpected ${this.t.text} keyword: expected var`, this.loc());
        }
        alias = this.t.text;
        this.pos++;
      }
      const p = refPath(path);
      const dotted = p ? p.join(".") : "";
      if (dotted === "rego.v1") {
        if (sawRegoV1 || sawFuture)
          throw new RegoError("rego_parse_error", "rego_parse_error: this import shadows previous import of `rego.v1`", this.loc(it));
        sawRegoV1 = true;
        this.v1 = true;
        mod.regoV1 = true;
      } else if (dotted.startsWith("future.keywords")) {
        if (sawRegoV1) throw new RegoError("rego_parse_error", "this import shadows previous import of `rego.v1`", this.loc(it));
        sawFuture = true;
        if (dotted !== "future.keywords" && !FUTURE.has(dotted.slice("future.keywords.".length))) {
          throw new RegoError("rego_parse_error", `unexpected keyword, must be one of [contains every if in]`, this.loc(it));
        }
      } else if (alias === null && p && !dotted.startsWith("future.") && this.isKeywordName(p[p.length - 1]!)) {
        // the import would bind a keyword as its name (OPA: import a different path or use an alias)
        const last = p[p.length - 1]!;
        throw new RegoError("rego_parse_error", `unexpected import path, must not end with a keyword, got: ${last}`, this.loc(it));
      } else if (p && p[0] === "rego") {
        throw new RegoError("rego_parse_error", `invalid import \`${dotted}\`, must be \`rego.v1\``, this.loc(it));
      } else if (!p || (p[0] !== "data" && p[0] !== "input" && p[0] !== "future")) {
        const got = p ? p[0] : dotted || "(non-ref)";
        const detail = `unexpected import path, must begin with one of: {data, future, input, rego}, got: ${got}`;
        throw new RegoError("rego_parse_error", `${detail} (import path must begin with one of data, future, input, rego)`, this.loc(it));
      } else {
        mod.imports.push({ path, alias, loc: this.loc(it) } satisfies Import);
      }
    }
    if (mod.regoV1) checkDuplicateImports(mod.imports);
    while (this.t.kind !== "eof") {
      if (this.isId("import")) throw new RegoError("rego_parse_error", "imports must appear before rules", this.loc());
      if (this.isId("package")) throw new RegoError("rego_parse_error", "unexpected package: only one package per module", this.loc());
      for (const r of this.parseRules()) mod.rules.push(r);
    }
    return mod;
  }

  parseQuery(): Expr[] {
    const body = this.parseBodyUntil(null);
    if (this.t.kind !== "eof") this.err("EOF");
    return body;
  }

  // ---------------------------------------------------------------- rules

  private parseRules(): Rule[] {
    const start = this.t;
    const loc = this.loc(start);
    let isDefault = false;
    if (this.isId("default") && !this.isKeywordRef()) {
      isDefault = true;
      this.pos++;
    }
    if (!this.isKeywordRef()) {
      if (this.t.kind !== "ident" || KEYWORDS.has(this.t.text)) this.err("rule name");
      // v1 reserves the future keywords too (v0 reads them as names unless imported)
      if (this.v1 && FUTURE.has(this.t.text)) {
        throw new RegoError("rego_parse_error", `unexpected ${this.t.text} keyword: expecting rule name`, this.loc());
      }
    }
    // head reference
    const headRef = this.parseHeadRef();
    let args: Term[] | null = null;
    if (this.isP("(") && !this.t.ws) {
      this.pos++;
      args = [];
      this.nlStack.push(false);
      if (!this.isP(")")) {
        for (;;) {
          args.push(this.parseExprTerm(false));
          if (this.isP(",")) {
            this.pos++;
            continue;
          }
          break;
        }
      }
      this.eatP(")");
      this.nlStack.pop();
    }
    let key: Term | null = null;
    let value: Term | null = null;
    let assign = false;
    let sawContains = false;
    if (this.isId("contains") && !this.t.nl) {
      if (args) {
        const name = headRef.map((t, i) => (i === 0 ? "" : ".") + (t.type === "string" ? t.value : "_")).join("");
        const detail = `the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`;
        throw new RegoError("rego_parse_error", `unexpected contains keyword: ${detail}`, this.loc());
      }
      this.pos++;
      key = this.parseExprTerm(false);
      sawContains = true;
    } else if ((this.isP("=") || this.isP(":=")) && !this.t.nl) {
      assign = this.t.text === ":=";
      this.pos++;
      value = this.parseExprTerm(false);
    }
    if (isDefault) {
      if (value === null) {
        const detail = "illegal default rule (must have a value): expecting `=` or `:=` after default rule name";
        throw new RegoError("rego_parse_error", detail, loc);
      }
      const rule: Rule = {
        kind: args ? "function" : "complete",
        isDefault: true,
        ref: headRef,
        args,
        key: null,
        value,
        assign,
        body: [],
        elseRule: null,
        loc,
      };
      return [rule];
    }
    // bodies
    const bodies: Expr[][] = [];
    let sawIf = false;
    if (this.isId("if") && !this.t.nl) {
      this.pos++;
      sawIf = true;
      bodies.push(this.parseIfBody());
    } else if (this.isP("{") && !(this.t.nl && (value !== null || key !== null))) {
      if (this.v1) throw new RegoError("rego_parse_error", "`if` keyword is required before rule body", this.loc());
      bodies.push(this.parseBraceBody());
      while (this.isP("{")) bodies.push(this.parseBraceBody());
    }
    let elseRule: Rule | null = null;
    let tail: Rule | null = null;
    while (this.isId("else") && !this.isKeywordRef()) {
      const v0Set = !this.v1 && !sawIf && value === null && headRef.length === 2; // `p[x] { ... }` is multi-value
      if (!args && !sawContains && !v0Set && headRef.slice(1).some((t) => t.type !== "string")) {
        throw new RegoError("rego_parse_error", "else keyword cannot be used on rules with variables in head", this.loc());
      }
      const elseLoc = this.loc();
      this.pos++;
      let ev: Term | null = null;
      let eAssign = false;
      if (this.isP("=") || this.isP(":=")) {
        eAssign = this.t.text === ":=";
        this.pos++;
        ev = this.parseExprTerm(false);
      }
      let ebody: Expr[];
      if (this.isId("if") && !this.t.nl) {
        this.pos++;
        ebody = this.parseIfBody();
      } else if (this.isP("{") && !this.t.nl) {
        if (this.v1) throw new RegoError("rego_parse_error", "`if` keyword is required before rule body", this.loc());
        ebody = this.parseBraceBody();
      } else {
        ebody = [];
      }
      const er: Rule = {
        kind: args ? "function" : "complete",
        isDefault: false,
        ref: headRef,
        args,
        key: null,
        value: ev,
        assign: eAssign,
        body: ebody,
        elseRule: null,
        loc: elseLoc,
      };
      if (tail) tail.elseRule = er;
      else elseRule = er;
      tail = er;
    }
    // classify
    let kind: Rule["kind"];
    let ref = headRef;
    if (args) kind = "function";
    else if (sawContains) kind = "set";
    else if (value === null && ref.length === 2 && !this.v1 && !sawIf) {
      // only v0's `p[x] { ... }` is multi-value; OPA's parser gives every other head without a
      // value (`p[x] if ...`, `a.b[x] { ... }`) the value true: a single-value (object) rule
      kind = "set";
      key = ref[1];
      ref = ref.slice(0, 1);
    } else if (ref.slice(1).some((t) => t.type !== "string")) kind = "object";
    else kind = "complete";
    const nameFollows = this.t.kind === "ident" && !this.t.nl && !KEYWORDS.has(this.t.text);
    if (bodies.length === 0 && value === null && key === null && !sawIf && nameFollows) {
      // `internal_user email if {...}`: OPA reads `internal_user` as a lone statement (ParseRuleFromExpr)
      throw new RegoError("rego_parse_error", "var cannot be used for rule name", loc);
    }
    if (this.v1 && !args && value === null && !sawContains && headRef.length === 2 && bodies.length === 0 && !sawIf) {
      throw new RegoError("rego_parse_error", "`contains` keyword is required for partial set rules", loc);
    }
    if (this.v1 && bodies.length === 0 && value === null && key === null && !sawIf) {
      throw new RegoError("rego_parse_error", "rule must have a body or assignment (`if` body, `:=` value or `contains` element)", loc);
    }
    if (kind === "set" && elseRule) throw new RegoError("rego_parse_error", "else keyword cannot be used on multi-value rules", loc);
    if (bodies.length === 0) bodies.push([]);
    return bodies.map((body, i) => ({
      kind,
      isDefault: false,
      ref,
      args,
      key,
      value,
      assign,
      body,
      elseRule: i === 0 ? elseRule : null,
      loc,
    }));
  }

  private parseIfBody(): Expr[] {
    if (this.isP("{")) {
      // `if { x | body }` / `if { k: v | body }`: a lone set or object comprehension
      // is read as the (single) expression of the body, as Regorus does
      const save = this.pos;
      const depth = this.nlStack.length;
      try {
        const loc = this.loc();
        const term = this.parseTerm();
        const next = this.t;
        if ((term.type === "setcompr" || term.type === "objectcompr") && (next.nl || next.kind === "eof" || this.isId("else"))) {
          return [{ kind: "term", term, negated: false, with: [], loc }];
        }
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
      }
      this.pos = save;
      this.nlStack.length = depth;
      return this.parseBraceBody();
    }
    this.nlStack.push(true);
    const lit = this.parseLiteral();
    this.nlStack.pop();
    return [lit];
  }

  private parseBraceBody(): Expr[] {
    this.eatP("{");
    const body = this.parseBodyUntil("}");
    this.eatP("}");
    return body;
  }

  /** literals separated by `;` or newlines until `close` (or EOF when null) */
  private parseBodyUntil(close: string | null): Expr[] {
    this.nlStack.push(true);
    const out: Expr[] = [];
    for (;;) {
      while (this.isP(";")) this.pos++;
      if (close !== null ? this.isP(close) : this.t.kind === "eof") break;
      if (this.t.kind === "eof") this.err(`\`${close}\``);
      out.push(this.parseLiteral());
      if (this.isP(";")) continue;
      if (close !== null ? this.isP(close) : this.atEOF()) break;
      if (!this.t.nl) this.err(close === null ? "EOF" : `\`;\`, newline or \`${close}\``);
    }
    this.nlStack.pop();
    if (out.length === 0 && close !== null) {
      throw new RegoError("rego_parse_error", "found empty body", this.loc());
    }
    return out;
  }

  private parseHeadRef(): Term[] {
    const first = this.t;
    this.pos++;
    const ref: Term[] = [{ type: "string", value: first.text, loc: this.loc(first) }];
    for (;;) {
      if (this.isP(".") && !this.t.ws) {
        this.pos++;
        if (this.t.kind !== "ident") this.err("identifier");
        ref.push({ type: "string", value: this.t.text, loc: this.loc() });
        this.pos++;
      } else if (this.isP("[") && !this.t.ws) {
        this.pos++;
        this.nlStack.push(false);
        ref.push(this.parseExprTerm(false));
        this.eatP("]");
        this.nlStack.pop();
      } else break;
    }
    return ref;
  }

  // ---------------------------------------------------------------- literals

  private parseLiteral(): Expr {
    const loc = this.loc();
    if (this.isId("some") && !this.isKeywordRef()) {
      this.pos++;
      const first = this.parseTermRelation(false);
      let key: Term | null = null;
      let value: Term = first;
      const vars: Term[] = [first];
      while (this.isP(",")) {
        this.pos++;
        const nx = this.parseTermRelation(false);
        vars.push(nx);
      }
      if (this.isId("in")) {
        this.pos++;
        if (vars.length > 2) this.err("`in` with at most two terms");
        if (vars.length === 2) {
          key = vars[0];
          value = vars[1];
        }
        const collection = this.parseTermRelation(false);
        return this.withMods({ kind: "somein", key, value, collection, negated: false, with: [], loc });
      }
      for (const v of vars) {
        if (v.type !== "var") throw new RegoError("rego_parse_error", "expected var in some declaration", v.loc);
      }
      return { kind: "some", vars, negated: false, with: [], loc };
    }
    if (this.isId("every") && !this.isKeywordRef()) {
      this.pos++;
      let key: Term | null = null;
      let value = this.parseTermRelation(false);
      if (this.isP(",")) {
        this.pos++;
        key = value;
        value = this.parseTermRelation(false);
      }
      if (!this.isId("in")) this.err("`in` in every");
      this.pos++;
      const domain = this.parseTermRelation(false);
      const body = this.parseBraceBody();
      return this.withMods({ kind: "every", key, value, domain, body, negated: false, with: [], loc });
    }
    let negated = false;
    if (this.isId("not") && !this.isKeywordRef()) {
      negated = true;
      this.pos++;
      // OPA's parser forbids negating `some` and `every` (write `some x in xs; not p(x)`)
      const kwUse = this.isId("some") || (this.isId("every") && this.peek().kind === "ident" && !this.peek().nl);
      if (kwUse && !this.isKeywordRef()) {
        throw new RegoError("rego_parse_error", `unexpected ${this.t.text} keyword: illegal negation of '${this.t.text}'`, this.loc());
      }
    }
    let left = this.parseExprTerm(false);
    if (this.isP(",") && left.type !== "membership") {
      const save = this.pos;
      this.pos++;
      try {
        const value = this.parseTermRelation(false);
        if (this.isId("in") && !this.atNewline()) {
          this.pos++;
          const collection = this.parseTermRelation(false);
          left = { type: "membership", key: left, value, collection, loc: left.loc };
        } else this.pos = save;
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        this.pos = save;
      }
    }
    let e: Expr;
    if ((this.isP("=") || this.isP(":=")) && !this.atNewline()) {
      const op = this.t.text;
      this.pos++;
      const right = this.parseExprTerm(false);
      e = { kind: op === "=" ? "unify" : "assign", left, right, negated, with: [], loc };
      if (op === ":=" && negated) throw new RegoError("rego_compile_error", "cannot assign vars inside negated expression", loc);
    } else {
      e = { kind: "term", term: left, negated, with: [], loc };
    }
    return this.withMods(e);
  }

  private withMods(e: Expr): Expr {
    while (this.isId("with")) {
      const wl = this.loc();
      this.pos++;
      const target = this.parseRefTerm();
      if (!this.isId("as")) this.err("`as`");
      this.pos++;
      const value = this.parseExprTerm(false);
      e.with.push({ target, value, loc: wl } satisfies With);
    }
    return e;
  }

  // ---------------------------------------------------------------- terms

  /** full expression term including `in` */
  private parseExprTerm(noPipe: boolean): Term {
    const lhs = this.parseTermRelation(noPipe);
    if (this.isId("in") && !this.atNewline()) {
      return this.parseIn(null, lhs, noPipe);
    }
    return lhs;
  }

  private parseIn(key: Term | null, value: Term, noPipe: boolean): Term {
    let lhs: Term = value;
    let k = key;
    while (this.isId("in") && !this.atNewline()) {
      const loc = lhs.loc;
      this.pos++;
      const coll = this.parseTermRelation(noPipe);
      lhs = { type: "membership", key: k, value: lhs, collection: coll, loc };
      k = null;
    }
    return lhs;
  }

  private parseTermRelation(noPipe: boolean): Term {
    let lhs = this.parseTermOr(noPipe);
    while (this.t.kind === "punct" && RELATION[this.t.text] !== undefined && !this.atNewline()) {
      const op = RELATION[this.t.text];
      this.pos++;
      const rhs = this.parseTermOr(noPipe);
      lhs = { type: "call", name: op, args: [lhs, rhs], infix: true, loc: lhs.loc };
    }
    return lhs;
  }

  private parseTermOr(noPipe: boolean): Term {
    let lhs = this.parseTermAnd(noPipe);
    while (!noPipe && this.isP("|") && !this.atNewline()) {
      this.pos++;
      const rhs = this.parseTermAnd(noPipe);
      lhs = { type: "call", name: "or", args: [lhs, rhs], infix: true, loc: lhs.loc };
    }
    return lhs;
  }

  private parseTermAnd(noPipe: boolean): Term {
    let lhs = this.parseTermArith(noPipe);
    while (this.isP("&") && !this.atNewline()) {
      this.pos++;
      const rhs = this.parseTermArith(noPipe);
      lhs = { type: "call", name: "and", args: [lhs, rhs], infix: true, loc: lhs.loc };
    }
    return lhs;
  }

  private parseTermArith(noPipe: boolean): Term {
    let lhs = this.parseTermFactor(noPipe);
    while ((this.isP("+") || this.isP("-")) && !this.atNewline()) {
      const op = this.t.text === "+" ? "plus" : "minus";
      this.pos++;
      const rhs = this.parseTermFactor(noPipe);
      lhs = { type: "call", name: op, args: [lhs, rhs], infix: true, loc: lhs.loc };
    }
    return lhs;
  }

  private parseTermFactor(_noPipe: boolean): Term {
    let lhs = this.parseTerm();
    while ((this.isP("*") || this.isP("/") || this.isP("%")) && !this.atNewline()) {
      const op = this.t.text === "*" ? "mul" : this.t.text === "/" ? "div" : "rem";
      this.pos++;
      const rhs = this.parseTerm();
      lhs = { type: "call", name: op, args: [lhs, rhs], infix: true, loc: lhs.loc };
    }
    return lhs;
  }

  /** a ref made of names (for package, import, with targets, rule heads) */
  private parseRefTerm(): Term {
    const t = this.parseTerm();
    if (t.type !== "ref" && t.type !== "var") throw new RegoError("rego_parse_error", "expected a reference", t.loc);
    return t;
  }

  private parseTerm(): Term {
    const t = this.t;
    const loc = this.loc(t);
    let term: Term;
    switch (t.kind) {
      case "number":
        this.pos++;
        term = { type: "number", text: t.text, loc };
        break;
      case "string":
      case "rawstring":
        this.pos++;
        term = { type: "string", value: t.text, loc };
        break;
      case "ident": {
        if (t.text === "null") {
          this.pos++;
          term = { type: "null", loc };
        } else if (t.text === "true" || t.text === "false") {
          this.pos++;
          term = { type: "boolean", value: t.text === "true", loc };
        } else if ((KEYWORDS.has(t.text) || (FUTURE.has(t.text) && t.text !== "contains" && t.text !== "if")) && !this.isKeywordRef()) {
          this.err("term");
        } else if (t.text === "set" && this.isP("(", this.peek()) && this.isP(")", this.peek(2)) && !this.peek().ws) {
          this.pos += 3;
          term = { type: "set", items: [], loc };
        } else {
          this.pos++;
          term = t.text === "_" ? this.freshWildcard(loc) : { type: "var", name: t.text, loc };
        }
        break;
      }
      case "punct": {
        if (t.text === "-" && this.peek().kind === "number" && !this.peek().ws) {
          this.pos += 2;
          term = { type: "number", text: "-" + this.peek(-1).text, loc };
          break;
        }
        if (t.text === "-") {
          // unary minus on a non-literal
          this.pos++;
          const operand = this.parseTerm();
          term = { type: "call", name: "minus", args: [{ type: "number", text: "0", loc }, operand], infix: true, unary: true, loc };
          return term;
        }
        if (t.text === "(") {
          this.pos++;
          this.nlStack.push(false);
          term = this.parseExprTerm(false);
          this.eatP(")");
          this.nlStack.pop();
          if (term.type === "call") term = { ...term, paren: true };
          break;
        }
        if (t.text === "[") {
          term = this.parseArray();
          break;
        }
        if (t.text === "{") {
          term = this.parseBrace();
          break;
        }
        this.err("term");
        break;
      }
      default:
        this.err("term");
    }
    return this.parseRefTail(term);
  }

  private parseRefTail(head: Term): Term {
    let term = head;
    for (;;) {
      const t = this.t;
      if (t.kind !== "punct") break;
      if (t.text === "." && !t.ws) {
        const nx = this.peek();
        if (nx.kind === "ident" && nx.ws)
          throw new RegoError("rego_parse_error", "invalid whitespace between . and identifier", this.loc(nx));
        if (nx.kind !== "ident") this.err("identifier", nx);
        this.pos += 2;
        const s: Term = { type: "string", value: nx.text, loc: this.loc(nx) };
        term = appendRef(term, s);
      } else if (t.text === "[" && !t.ws) {
        this.pos++;
        this.nlStack.push(false);
        const k = this.parseExprTerm(false);
        this.eatP("]");
        this.nlStack.pop();
        term = appendRef(term, k);
      } else if (t.text === "(" && !t.ws && (term.type === "var" || term.type === "ref")) {
        const name = callName(term);
        if (name === null) this.err("function name");
        this.pos++;
        this.nlStack.push(false);
        const args: Term[] = [];
        if (!this.isP(")")) {
          for (;;) {
            args.push(this.parseExprTerm(false));
            if (this.isP(",")) {
              this.pos++;
              if (this.isP(")")) break;
              continue;
            }
            break;
          }
        }
        this.eatP(")");
        this.nlStack.pop();
        term = { type: "call", name, args, infix: false, loc: term.loc };
      } else break;
    }
    return term;
  }

  private parseArray(): Term {
    const loc = this.loc();
    this.eatP("[");
    this.nlStack.push(false);
    const items: Term[] = [];
    if (this.isP("]")) {
      this.pos++;
      this.nlStack.pop();
      return { type: "array", items, loc };
    }
    const startPos = this.pos;
    let first = this.parseExprTerm(true);
    if (this.isP("|") && first.type === "call" && first.infix && !first.paren && ARITH_OR_AND.has(first.name)) {
      // `[a - b | c, d]`: an arithmetic head binds tighter than `|`; try an array
      // with a set union first, and fall back to a comprehension
      const save = this.pos;
      const depth = this.nlStack.length;
      try {
        this.pos = startPos;
        const alt = this.parseExprTerm(false);
        if (this.isP(",") || this.isP("]")) {
          first = alt;
        } else {
          this.pos = save;
        }
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        this.pos = save;
        this.nlStack.length = depth;
      }
    }
    if (this.isP("|")) {
      const save = this.pos;
      const depth = this.nlStack.length;
      try {
        this.pos++;
        const body = this.parseBodyUntil("]");
        this.eatP("]");
        this.nlStack.pop();
        return { type: "arraycompr", head: first, body, loc };
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        this.nlStack.length = depth;
        this.pos = startPos;
        first = this.parseExprTerm(false);
        if (this.pos <= save) throw e;
      }
    }
    items.push(first);
    while (this.isP(",")) {
      this.pos++;
      if (this.isP("]")) break;
      items.push(this.parseExprTerm(true));
    }
    this.eatP("]");
    this.nlStack.pop();
    return { type: "array", items, loc };
  }

  private parseBrace(): Term {
    const loc = this.loc();
    this.eatP("{");
    this.nlStack.push(false);
    if (this.isP("}")) {
      this.pos++;
      this.nlStack.pop();
      return { type: "object", items: [], loc };
    }
    const firstPos = this.pos;
    let first = this.parseExprTerm(true);
    if (this.isP(":")) {
      this.pos++;
      const v = this.parseExprTerm(true);
      if (this.isP("|")) {
        this.pos++;
        const body = this.parseBodyUntil("}");
        this.eatP("}");
        this.nlStack.pop();
        return { type: "objectcompr", key: first, value: v, body, loc };
      }
      const items: [Term, Term][] = [[first, v]];
      while (this.isP(",")) {
        this.pos++;
        if (this.isP("}")) break;
        const k = this.parseExprTerm(true);
        this.eatP(":");
        items.push([k, this.parseExprTerm(true)]);
      }
      this.eatP("}");
      this.nlStack.pop();
      return { type: "object", items, loc };
    }
    if (this.isP("|")) {
      const save = this.pos;
      const depth = this.nlStack.length;
      try {
        this.pos++;
        const body = this.parseBodyUntil("}");
        this.eatP("}");
        this.nlStack.pop();
        return { type: "setcompr", head: first, body, loc };
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        this.nlStack.length = depth;
        this.pos = firstPos;
        first = this.parseExprTerm(false);
        if (this.pos <= save) throw e;
      }
    }
    const items: Term[] = [first];
    while (this.isP(",")) {
      this.pos++;
      if (this.isP("}")) break;
      items.push(this.parseExprTerm(true));
    }
    if (!this.isP("}")) this.err("`,` or `}`");
    this.pos++;
    this.nlStack.pop();
    return { type: "set", items, loc };
  }
}

/** OPA's names of terms that cannot head a reference (parseRef: "illegal ref (head cannot be number)") */
const NOT_REF_HEAD: Record<string, string> = { number: "number", string: "string", boolean: "boolean", null: "null" };

function appendRef(term: Term, op: Term): Term {
  if (term.type === "ref") return { type: "ref", head: term.head, path: [...term.path, op], loc: term.loc };
  const bad = NOT_REF_HEAD[term.type];
  if (bad) throw new RegoError("rego_parse_error", `illegal ref (head cannot be ${bad})`, term.loc);
  return { type: "ref", head: term, path: [op], loc: term.loc };
}

function callName(term: Term): string | null {
  if (term.type === "var") return term.name;
  if (term.type === "ref" && term.head.type === "var") {
    let s = term.head.name;
    for (const p of term.path) {
      if (p.type !== "string") return null;
      s += "." + p.value;
    }
    return s;
  }
  return null;
}

/** ["data","a","b"] for `data.a.b` / `data["a"].b`; null if not all names */
export function refPath(t: Term): string[] | null {
  if (t.type === "var") return [t.name];
  if (t.type !== "ref" || t.head.type !== "var") return null;
  const out = [t.head.name];
  for (const p of t.path) {
    if (p.type !== "string") return null;
    out.push(p.value);
  }
  return out;
}

export function parseModule(source: string, file: string, opts: ParseOptions = {}): Module {
  return new Parser(source, file, opts).parseModule();
}

export function parseQuery(source: string, file = "query", opts: ParseOptions = {}): Expr[] {
  return new Parser(source, file, opts).parseQuery();
}
