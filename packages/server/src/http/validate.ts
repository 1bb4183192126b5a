// Turns untrusted bodies, parameters and query strings into typed values, or a 4xx AppError.
import * as v from "valibot";
import { AppError, type FieldIssue } from "../domain/errors.ts";

type Schema = v.GenericSchema<unknown, unknown>;

export const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/, "must be 1-128 letters, digits or _ . : @ -"));

/** Trimmed text of 1 to `max` characters. */
export const text = (max: number) =>
  v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty"), v.maxLength(max, `must be at most ${max} characters`));

/** A host on this machine: the only one that may be reached over plain http:// (tests, development). */
export function isLoopbackUrl(u: URL): boolean {
  const h = u.hostname.replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** An https:// URL of at most `max` characters (http:// only for a host on this machine). */
export const httpsUrl = (max: number) =>
  v.pipe(
    v.string(),
    v.maxLength(max),
    v.check((s) => {
      try {
        const u = new URL(s);
        return u.protocol === "https:" || (u.protocol === "http:" && isLoopbackUrl(u));
      } catch {
        return false;
      }
    }, "must be an https:// URL (http:// only on this machine)"),
  );

function issuesOf(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  return issues.slice(0, 20).map((i) => {
    const path = v.getDotPath(i) ?? "";
    if (i.kind === "schema" && i.type === "strict_object" && i.expected === "never") {
      return { path, message: `unknown field ${String(i.input === undefined ? path : path)}` };
    }
    return { path, message: i.message };
  });
}

export function check<S extends Schema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const r = v.safeParse(schema, input);
  if (r.success) return r.output;
  const issues = issuesOf(r.issues);
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  throw new AppError("validation", `invalid ${what}: ${summary}`, { issues });
}

const utf8 = new TextDecoder(); // stateless without { stream: true }: one for every request

export async function readJson<S extends Schema>(req: Request, schema: S, maxBytes: number): Promise<v.InferOutput<S>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError("unsupported-media-type", "send the body as application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > maxBytes) throw new AppError("payload-too-large", `body is ${declared} bytes; the limit is ${maxBytes}`);
  const bytes = await req.arrayBuffer();
  if (bytes.byteLength > maxBytes) throw new AppError("payload-too-large", `body is larger than the limit of ${maxBytes} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new AppError("malformed-json", `body is not valid JSON: ${(e as Error).message}`);
  }
  return check(schema, body, "body");
}

export function readQuery<S extends Schema>(url: string, schema: S): v.InferOutput<S> {
  const q = url.indexOf("?");
  const params: Record<string, string> = {};
  if (q >= 0) {
    for (const [k, val] of new URLSearchParams(url.slice(q + 1))) {
      if (k in params) throw new AppError("validation", `query parameter ${k} is repeated`, { issues: [{ path: k, message: "repeated" }] });
      params[k] = val;
    }
  }
  return check(schema, params, "query");
}

/** A query-string integer within bounds. */
export const intParam = (min: number, max: number) =>
  v.pipe(v.string(), v.regex(/^\d{1,9}$/, "must be an integer"), v.transform(Number), v.minValue(min), v.maxValue(max));
