// Coded errors with locations, OPA style: `file:line:col: code: message`,
// followed by the offending source line and a caret.

export interface Location {
  file: string;
  line: number;
  col: number;
  /** full source text of the file, used to print the line with a caret */
  source?: string;
}

export type RegoErrorCode =
  | "rego_parse_error"
  | "rego_compile_error"
  | "rego_unsafe_var_error"
  | "rego_recursion_error"
  | "rego_type_error"
  | "eval_conflict_error"
  | "eval_type_error"
  | "eval_builtin_error"
  | "eval_limit_error"
  | "eval_error";

export class RegoError extends Error {
  readonly code: RegoErrorCode;
  readonly location: Location | undefined;
  /** message without code and location */
  readonly detail: string;

  constructor(code: RegoErrorCode, detail: string, location?: Location) {
    super(formatError(code, detail, location));
    this.name = "RegoError";
    this.code = code;
    this.detail = detail;
    this.location = location;
  }

  toJSON(): { code: string; message: string; location?: { file: string; row: number; col: number } } {
    const loc = this.location;
    return loc
      ? { code: this.code, message: this.detail, location: { file: loc.file, row: loc.line, col: loc.col } }
      : { code: this.code, message: this.detail };
  }
}

function formatError(code: string, detail: string, loc?: Location): string {
  if (!loc) return `${code}: ${detail}`;
  let s = `${loc.file}:${loc.line}:${loc.col}: ${code}: ${detail}`;
  if (loc.source !== undefined) {
    const lines = loc.source.split("\n");
    const text = lines[loc.line - 1];
    if (text !== undefined) {
      const shown = text.replace(/\t/g, " ");
      s += `\n\t${shown}\n\t${" ".repeat(Math.max(0, loc.col - 1))}^`;
    }
  }
  return s;
}
