/**
 * strings.render_template: a subset of Go's text/template, run over Rego values
 * the way OPA hands them to Go (sets become arrays, numbers print as written).
 *
 * Supported: text, `{{- -}}` trimming, comments, `.` / `.a.b` / `$` / `$x`
 * operands, string/number/bool/nil literals, parenthesised pipelines, `|`
 * pipelines, `$x := ...` and `$x = ...`, if/else if/else, range (arrays,
 * objects by sorted key, integers; `$i, $v :=`; else), with/else, and the
 * functions and or not len index print printf println eq ne lt le gt ge
 * urlquery. A missing key is an error (OPA sets missingkey=error).
 * Values print like Go's fmt: arrays as `[a b]`, objects as `map[k:v]`.
 */
import { RegoSet, compare, equal, formatNumber, isObject, objectEntries, objectGet, type Value } from "../value.ts";
import { queryEscape } from "./encoding.ts";
import { sprintf } from "./sprintf.ts";
import { utf8Encode } from "./util.ts";

class TemplateError extends Error {}

// ---------------------------------------------------------------------------
// Lexing into text and actions

type Tok = { kind: "text"; text: string } | { kind: "action"; src: string; pos: number };

function split(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, "");
    trimNext = false;
    if (open < 0) {
      if (text) out.push({ kind: "text", text });
      break;
    }
    let start = open + 2;
    if (src.startsWith("- ", start) || src.startsWith("-\t", start) || src.startsWith("-\n", start)) {
      text = text.replace(/\s+$/, "");
      start += 1;
    }
    if (text) out.push({ kind: "text", text });
    // find the closing delimiter outside string literals
    let j = start;
    let q: string | null = null;
    for (; j < src.length; j++) {
      const c = src[j]!;
      if (q) {
        if (c === "\\" && q !== "`") j++;
        else if (c === q) q = null;
      } else if (c === '"' || c === "`" || c === "'") q = c;
      else if (src.startsWith("}}", j)) break;
    }
    if (j >= src.length) throw new TemplateError("unclosed action");
    let end = j;
    if (src[j - 1] === "-" && /\s/.test(src[j - 2] ?? "")) {
      end = j - 1;
      trimNext = true;
    }
    const action = src.slice(start, end).trim();
    if (!action.startsWith("/*")) out.push({ kind: "action", src: action, pos: open });
    i = j + 2;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Expressions

type Expr =
  | { k: "dot"; fields: string[] }
  | { k: "var"; name: string; fields: string[] }
  | { k: "lit"; v: Value }
  | { k: "call"; fn: string; args: Expr[] }
  | { k: "pipe"; cmds: Expr[] }
  | { k: "field"; base: Expr; fields: string[] };

function tokenizeExpr(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "`") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += s[j] === "\\" && c === '"' ? 2 : 1;
      out.push(s.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === "'") {
      const j = s.indexOf("'", i + 2);
      out.push(s.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if ("()|,".includes(c)) {
      out.push(c);
      i++;
      continue;
    }
    if (s.startsWith(":=", i)) {
      out.push(":=");
      i += 2;
      continue;
    }
    if (c === "=") {
      out.push("=");
      i++;
      continue;
    }
    const m = /^[^\s()|,=]+/.exec(s.slice(i))!;
    // a field chain after a parenthesis: ").a.b"
    out.push(m[0]);
    i += m[0].length;
  }
  return out;
}

class ExprParser {
  private i = 0;
  constructor(private readonly t: string[]) {}
  done(): boolean {
    return this.i >= this.t.length;
  }
  peek(): string | undefined {
    return this.t[this.i];
  }
  next(): string {
    const x = this.t[this.i++];
    if (x === undefined) throw new TemplateError("unexpected end of action");
    return x;
  }
  pipeline(): Expr {
    const cmds: Expr[] = [this.command()];
    while (this.peek() === "|") {
      this.i++;
      cmds.push(this.command());
    }
    return cmds.length === 1 ? cmds[0]! : { k: "pipe", cmds };
  }
  private command(): Expr {
    const first = this.peek();
    if (first !== undefined && /^[A-Za-z_]\w*$/.test(first) && !["true", "false", "nil"].includes(first)) {
      this.i++;
      const args: Expr[] = [];
      while (!this.done() && this.peek() !== "|" && this.peek() !== ")") args.push(this.operand());
      return { k: "call", fn: first, args };
    }
    const op = this.operand();
    if (!this.done() && this.peek() !== "|" && this.peek() !== ")") throw new TemplateError(`can't give argument to non-function ${first}`);
    return op;
  }
  private operand(): Expr {
    const x = this.next();
    if (x === "(") {
      const p = this.pipeline();
      if (this.next() !== ")") throw new TemplateError("unclosed left paren");
      const f = this.peek();
      if (f !== undefined && f.startsWith(".")) {
        this.i++;
        return { k: "field", base: p, fields: f.slice(1).split(".") };
      }
      return p;
    }
    if (x === ".") return { k: "dot", fields: [] };
    if (x.startsWith(".")) return { k: "dot", fields: x.slice(1).split(".") };
    if (x.startsWith("$")) {
      const [name, ...fields] = x.split(".");
      return { k: "var", name: name!, fields };
    }
    if (x.startsWith('"')) return { k: "lit", v: JSON.parse(x) as string };
    if (x.startsWith("`")) return { k: "lit", v: x.slice(1, -1) };
    if (x.startsWith("'")) return { k: "lit", v: x.codePointAt(1)! };
    if (x === "true" || x === "false") return { k: "lit", v: x === "true" };
    if (x === "nil") return { k: "lit", v: null };
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(x)) return { k: "lit", v: Number(x) };
    if (/^[A-Za-z_]\w*$/.test(x)) return { k: "call", fn: x, args: [] };
    throw new TemplateError(`unexpected ${JSON.stringify(x)} in operand`);
  }
}

// ---------------------------------------------------------------------------
// Tree

type Node =
  | { k: "text"; text: string }
  | { k: "out"; e: Expr; decl?: { names: string[]; assign: boolean } }
  | { k: "if"; branches: { cond: Expr; body: Node[] }[]; else: Node[] }
  | { k: "range"; e: Expr; vars: string[]; body: Node[]; else: Node[] }
  | { k: "with"; e: Expr; body: Node[]; else: Node[] }
  | { k: "break" }
  | { k: "continue" };

function parseAction(src: string): { kw: string; rest: string } {
  const m = /^(if|else if|else with|else|end|range|with|break|continue|define|template|block)\b\s*/.exec(src);
  return m ? { kw: m[1]!, rest: src.slice(m[0].length) } : { kw: "", rest: src };
}

function parseDecl(src: string): { names: string[]; assign: boolean; expr: string } | null {
  const m = /^(\$\w*)(?:\s*,\s*(\$\w*))?\s*(:=|=)(?!=)\s*/.exec(src);
  if (!m) return null;
  return { names: m[2] ? [m[1]!, m[2]] : [m[1]!], assign: m[3] === "=", expr: src.slice(m[0].length) };
}

function expr(src: string): Expr {
  const p = new ExprParser(tokenizeExpr(src));
  const e = p.pipeline();
  if (!p.done()) throw new TemplateError(`unexpected ${JSON.stringify(p.peek())} in command`);
  return e;
}

function parseTree(toks: Tok[]): Node[] {
  let i = 0;
  const body = (ends: string[]): { nodes: Node[]; end: string; rest: string } => {
    const nodes: Node[] = [];
    while (i < toks.length) {
      const t = toks[i++]!;
      if (t.kind === "text") {
        nodes.push({ k: "text", text: t.text });
        continue;
      }
      const { kw, rest } = parseAction(t.src);
      if (ends.includes(kw)) return { nodes, end: kw, rest };
      switch (kw) {
        case "if": {
          const branches = [{ cond: expr(rest), body: [] as Node[] }];
          let els: Node[] = [];
          for (;;) {
            const b = body(["else if", "else", "end"]);
            branches[branches.length - 1]!.body = b.nodes;
            if (b.end === "else if") {
              branches.push({ cond: expr(b.rest), body: [] });
              continue;
            }
            if (b.end === "else") els = body(["end"]).nodes;
            break;
          }
          nodes.push({ k: "if", branches, else: els });
          break;
        }
        case "range":
        case "with": {
          let vars: string[] = [];
          let src = rest;
          const d = kw === "range" ? parseDecl(rest) : null;
          if (d) {
            vars = d.names;
            src = d.expr;
          }
          const e = expr(src);
          const b = body(["else", "end"]);
          const els = b.end === "else" ? body(["end"]).nodes : [];
          nodes.push(kw === "range" ? { k: "range", e, vars, body: b.nodes, else: els } : { k: "with", e, body: b.nodes, else: els });
          break;
        }
        case "break":
          nodes.push({ k: "break" });
          break;
        case "continue":
          nodes.push({ k: "continue" });
          break;
        case "": {
          const d = parseDecl(rest);
          if (d) nodes.push({ k: "out", e: expr(d.expr), decl: { names: d.names, assign: d.assign } });
          else nodes.push({ k: "out", e: expr(rest) });
          break;
        }
        default:
          throw new TemplateError(`unsupported action ${JSON.stringify(kw)}`);
      }
    }
    if (ends.length > 0) throw new TemplateError("unexpected EOF");
    return { nodes, end: "", rest: "" };
  };
  return body([]).nodes;
}

// ---------------------------------------------------------------------------
// Evaluation

const NO_VALUE = Symbol("no value");
type TV = Value | typeof NO_VALUE;

function truthy(v: TV): boolean {
  if (v === NO_VALUE || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof RegoSet) return v.size > 0;
  if (isObject(v)) return objectEntries(v).length > 0;
  return true;
}

/** Go's fmt %v of the value OPA hands to text/template. */
function show(v: TV): string {
  if (v === NO_VALUE) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v) || v instanceof RegoSet) return "[" + (Array.isArray(v) ? v : v.sorted()).map(inner).join(" ") + "]";
  return (
    "map[" +
    objectEntries(v)
      .map(([k, x]) => inner(k) + ":" + inner(x))
      .join(" ") +
    "]"
  );
}

function inner(v: Value): string {
  return v === null ? "<nil>" : show(v);
}

class Exec {
  out = "";
  private vars: [string, TV][][] = [];
  constructor(root: Value) {
    this.vars.push([["$", root]]);
  }
  private lookupVar(name: string): TV {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const scope = this.vars[i]!;
      for (let j = scope.length - 1; j >= 0; j--) if (scope[j]![0] === name) return scope[j]![1];
    }
    throw new TemplateError(`undefined variable: ${name}`);
  }
  private setVar(name: string, v: TV, declare: boolean): void {
    if (declare) {
      this.vars[this.vars.length - 1]!.push([name, v]);
      return;
    }
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const scope = this.vars[i]!;
      for (let j = scope.length - 1; j >= 0; j--)
        if (scope[j]![0] === name) {
          scope[j]![1] = v;
          return;
        }
    }
    throw new TemplateError(`undefined variable: ${name}`);
  }
  private fields(v: TV, fs: string[]): TV {
    let cur = v;
    for (const f of fs) {
      if (f === "") continue;
      if (cur === NO_VALUE || cur === null || !isObject(cur))
        throw new TemplateError(`can't evaluate field ${f} in type ${cur === NO_VALUE || cur === null ? "<nil>" : typeof cur}`);
      const x = objectGet(cur, f);
      if (x === undefined) throw new TemplateError(`map has no entry for key "${f}"`);
      cur = x;
    }
    return cur;
  }
  eval(e: Expr, dot: TV, piped?: TV): TV {
    switch (e.k) {
      case "dot":
        return this.fields(dot, e.fields);
      case "var":
        return this.fields(this.lookupVar(e.name), e.fields);
      case "lit":
        return e.v;
      case "field":
        return this.fields(this.eval(e.base, dot), e.fields);
      case "pipe": {
        let v: TV | undefined;
        for (const c of e.cmds) v = this.eval(c, dot, v);
        return v!;
      }
      case "call": {
        const args = e.args.map((a) => this.eval(a, dot));
        if (piped !== undefined) args.push(piped);
        return this.call(e.fn, args);
      }
    }
  }
  private call(fn: string, args: TV[]): TV {
    const val = (v: TV): Value => (v === NO_VALUE ? null : v);
    const cmp = (): number => {
      if (args.length < 2) throw new TemplateError(`wrong number of args for ${fn}`);
      return compare(val(args[0]!), val(args[1]!));
    };
    switch (fn) {
      case "and": {
        let v: TV = true;
        for (const a of args) {
          v = a;
          if (!truthy(a)) return a;
        }
        return v;
      }
      case "or": {
        let v: TV = false;
        for (const a of args) {
          v = a;
          if (truthy(a)) return a;
        }
        return v;
      }
      case "not":
        return !truthy(args[0] ?? NO_VALUE);
      case "len": {
        const v = args[0];
        if (typeof v === "string") return utf8Encode(v).length;
        if (Array.isArray(v)) return v.length;
        if (v instanceof RegoSet) return v.size;
        if (v !== undefined && v !== NO_VALUE && isObject(v)) return objectEntries(v).length;
        throw new TemplateError("len of unsupported type");
      }
      case "index": {
        let v = args[0] ?? NO_VALUE;
        for (const k of args.slice(1)) {
          if (Array.isArray(v) && typeof k === "number") {
            if (k < 0 || k >= v.length) throw new TemplateError(`index out of range: ${k}`);
            v = v[k]!;
          } else if (v !== NO_VALUE && isObject(v)) v = objectGet(v, val(k)) ?? NO_VALUE;
          else throw new TemplateError("can't index item");
        }
        return v;
      }
      case "eq": {
        if (args.length < 2) throw new TemplateError("missing argument for comparison");
        return args.slice(1).some((b) => equal(val(args[0]!), val(b)));
      }
      case "ne":
        return !equal(val(args[0] ?? null), val(args[1] ?? null));
      case "lt":
        return cmp() < 0;
      case "le":
        return cmp() <= 0;
      case "gt":
        return cmp() > 0;
      case "ge":
        return cmp() >= 0;
      case "print":
        return args.map((a, i) => (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string" ? " " : "") + show(a)).join("");
      case "println":
        return args.map(show).join(" ") + "\n";
      case "printf": {
        const f = args[0];
        if (typeof f !== "string") throw new TemplateError("printf: format must be a string");
        return sprintf(f, args.slice(1).map(val));
      }
      case "urlquery":
        return queryEscape(args.map(show).join(""));
      default:
        throw new TemplateError(`function "${fn}" not defined`);
    }
  }
  run(nodes: Node[], dot: TV): "break" | "continue" | undefined {
    for (const n of nodes) {
      switch (n.k) {
        case "text":
          this.out += n.text;
          break;
        case "out": {
          const v = this.eval(n.e, dot);
          if (n.decl) {
            for (const name of n.decl.names) this.setVar(name, v, !n.decl.assign);
          } else this.out += show(v);
          break;
        }
        case "if": {
          let done = false;
          for (const b of n.branches) {
            if (truthy(this.eval(b.cond, dot))) {
              const r = this.scoped(b.body, dot);
              if (r) return r;
              done = true;
              break;
            }
          }
          if (!done) {
            const r = this.scoped(n.else, dot);
            if (r) return r;
          }
          break;
        }
        case "with": {
          const v = this.eval(n.e, dot);
          const r = truthy(v) ? this.scoped(n.body, v) : this.scoped(n.else, dot);
          if (r) return r;
          break;
        }
        case "range": {
          const v = this.eval(n.e, dot);
          let items: [Value, Value][];
          if (Array.isArray(v)) items = v.map((x, i) => [i, x]);
          else if (v instanceof RegoSet) items = v.sorted().map((x, i) => [i, x]);
          else if (v !== NO_VALUE && isObject(v)) items = objectEntries(v);
          else if (typeof v === "number" && Number.isInteger(v))
            items = Array.from({ length: Math.max(0, Math.min(v, 1e6)) }, (_, i) => [i, i]);
          else if (v === NO_VALUE || v === null) items = [];
          else throw new TemplateError(`range can't iterate over ${show(v)}`);
          if (items.length === 0) {
            const r = this.scoped(n.else, dot);
            if (r) return r;
            break;
          }
          for (const [k, x] of items) {
            this.vars.push([]);
            if (n.vars.length === 1) this.setVar(n.vars[0]!, x, true);
            else if (n.vars.length === 2) {
              this.setVar(n.vars[0]!, k, true);
              this.setVar(n.vars[1]!, x, true);
            }
            const r = this.run(n.body, x);
            this.vars.pop();
            if (r === "break") break;
          }
          break;
        }
        case "break":
          return "break";
        case "continue":
          return "continue";
      }
    }
    return undefined;
  }
  private scoped(nodes: Node[], dot: TV): "break" | "continue" | undefined {
    this.vars.push([]);
    try {
      return this.run(nodes, dot);
    } finally {
      this.vars.pop();
    }
  }
}

/** Renders `src` with `vars` as the template's dot; throws Error with Go-like messages. */
export function renderTemplate(src: string, vars: Value): string {
  try {
    const ex = new Exec(vars);
    ex.run(parseTree(split(src)), vars);
    return ex.out;
  } catch (e) {
    if (e instanceof TemplateError) throw new Error(`template: template: ${e.message}`);
    throw e;
  }
}
