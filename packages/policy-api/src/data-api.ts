// OPA's Data API (read side) and health endpoint over the Fetch API's Request/Response,
// evaluated by the project's Rego engine. No runtime APIs: the Bun server's routes and the
// wasi:http component call the same code.
//
//   const api = new DataApi({ modules: [{ path: "policies/education.rego", source }] });
//   await api.data(request)      // GET|POST /v1/data[/<path>]
//   api.health(request)          // GET /health[?bundles|?plugins], /health/<path>
//   await api.fetch(request)     // routes the two above; 404/405 like OPA's Go mux otherwise
//
// What follows OPA (v1/server/server.go) exactly is listed in docs/wasm.md; in short: result
// envelope `{"result": ...}`, `{}` when undefined, the `api_usage_warning` when a POST carries
// no input, `invalid_parameter` 400s for malformed bodies and `?input=` values, evaluation
// errors as 500 `internal_error` with the engine's coded errors, `?pretty`, and Go's JSON
// formatting (sorted keys, HTML-safe escapes, trailing newline).
import { compile, RegoError, toJSON, type Limits, type Policy, type PreparedQuery, type Value } from "../../rego/src/index.ts";
import { decodeGo, encodeGo, goKind, marshalIndentGo, Struct } from "./json.ts";

export interface PolicyModule {
  /** file name used in error locations */
  path: string;
  source: string;
}

export interface DataApiOptions {
  modules: readonly PolicyModule[];
  /** request bodies above this many bytes get 413 (default 1 MiB; OPA itself has no limit) */
  maxBodyBytes?: number;
  /** engine limits per evaluation (default 1,000,000 steps, depth 1000) */
  limits?: Limits;
  /** base documents under data (default: none; policies only) */
  data?: Value;
}

// Codes and messages of OPA's v1/server/types.
const CODE_INVALID_PARAMETER = "invalid_parameter";
const CODE_INTERNAL = "internal_error";
const CODE_INVALID_OPERATION = "invalid_operation";
const MSG_EVALUATION_ERROR = "error(s) occurred while evaluating query";
const WARNING_INPUT_MISSING = new Struct([
  ["code", "api_usage_warning"],
  ["message", "'input' key missing from the request"],
]);
const JSON_HEADERS = { "content-type": "application/json" };
const MAX_PREPARED = 512;

/** An OPA error body (types.ErrorV1): always indented, then a newline, as writer.Error writes it. */
export function opaError(status: number, code: string, message: string, errors?: readonly unknown[]): Response {
  const body = new Struct([
    ["code", code],
    ["message", message],
    ["errors", errors !== undefined && errors.length > 0 ? errors : undefined],
  ]);
  return new Response(marshalIndentGo(body) + "\n", { status, headers: JSON_HEADERS });
}

function jsonOk(body: unknown, pretty: boolean): Response {
  return new Response(encodeGo(body, pretty), { status: 200, headers: JSON_HEADERS });
}

/** Go's getBoolParam: `?x` and `?x=` mean true, otherwise any value equal to "true" (any case). */
export function boolParam(url: URL, name: string): boolean {
  if (url.search === "" || url.search === "?") return false;
  const values = url.searchParams.getAll(name);
  if (values.length === 0) return false;
  if (values.length === 1 && values[0] === "") return true;
  return values.some((v) => v.toLowerCase() === "true");
}

type Segment = string | number;

class PathError extends Error {}

/** OPA's stringPathToRef: segments split on "/", unescaped, integers become numbers; `"` is refused. */
export function parseDataPath(escaped: string): Segment[] {
  const out: Segment[] = [];
  for (const raw of escaped.split("/")) {
    if (raw === "") continue;
    let x = raw;
    try {
      x = decodeURIComponent(raw);
    } catch {
      // Go keeps the segment as it is when it does not unescape
    }
    if (x.includes('"')) throw new PathError(`invalid ref term '${x}'`);
    out.push(/^[+-]?\d+$/.test(x) && Number.isSafeInteger(Number(x)) ? Number(x) : x);
  }
  return out;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A ref as OPA prints it (`data.a.b[0]`, `data["x-y"]`), for messages. */
export function refText(root: string, segs: readonly Segment[]): string {
  let s = root;
  for (const x of segs) s += typeof x === "number" ? `[${x}]` : IDENT.test(x) ? `.${x}` : `[${JSON.stringify(x)}]`;
  return s;
}

/** The query evaluated for a ref: every term bracketed, so keywords (`data.in`) parse too. */
function refQuery(root: string, segs: readonly Segment[]): string {
  let s = root;
  for (const x of segs) s += typeof x === "number" ? `[${x}]` : `[${JSON.stringify(x)}]`;
  return s;
}

type Input = { present: false } | { present: true; value: unknown };

export class DataApi {
  private readonly opts: DataApiOptions;
  private policy: Policy | null = null;
  private compileError: RegoError | Error | null = null;
  private readonly prepared = new Map<string, PreparedQuery>();

  constructor(opts: DataApiOptions) {
    this.opts = opts;
  }

  /** Compiles the policies now (otherwise on first use). Never throws; see `loadError`. */
  load(): this {
    if (this.policy !== null || this.compileError !== null) return this;
    try {
      this.policy = compile(this.opts.modules, {
        limits: this.opts.limits ?? { maxSteps: 1_000_000, maxDepth: 1000 },
        data: this.opts.data,
      });
    } catch (e) {
      this.compileError = e instanceof Error ? e : new Error(String(e));
    }
    return this;
  }

  /** Why the policies do not compile, or null. */
  loadError(): string | null {
    this.load();
    return this.compileError === null ? null : this.compileError.message;
  }

  /** Compiles and caches the query for a data path (warms the engine when called at start-up). */
  prepare(path: string): void {
    this.load();
    if (this.policy !== null) this.preparedFor(refQuery("data", parseDataPath(path)));
  }

  private preparedFor(query: string): PreparedQuery {
    let q = this.prepared.get(query);
    if (q === undefined) {
      q = (this.policy as Policy).prepare(query);
      if (this.prepared.size >= MAX_PREPARED) this.prepared.clear();
      this.prepared.set(query, q);
    }
    return q;
  }

  /** Routes OPA's paths: the Data API, /health; 404 and 405 as Go's ServeMux answers them. */
  async fetch(req: Request): Promise<Response> {
    if (req.method === "HEAD") {
      // Go's ServeMux answers HEAD with the GET handler, without the body
      const r = await this.fetch(new Request(req.url, { method: "GET", headers: req.headers }));
      return new Response(null, { status: r.status, headers: r.headers });
    }
    const url = new URL(req.url);
    const p = url.pathname;
    if (p === "/v1/data" || p.startsWith("/v1/data/")) {
      if (req.method === "GET" || req.method === "POST") return this.data(req);
      if (req.method === "PUT" || req.method === "PATCH" || req.method === "DELETE") {
        const r = opaError(405, CODE_INVALID_OPERATION, "this Data API is read-only: policies and data are bundled at build time");
        r.headers.set("allow", "GET, POST");
        return r;
      }
      return new Response("Method Not Allowed\n", {
        status: 405,
        headers: { "content-type": "text/plain; charset=utf-8", allow: "GET, POST" },
      });
    }
    if (p === "/health" || p.startsWith("/health/")) {
      if (req.method === "GET") return this.health(req);
      return new Response("Method Not Allowed\n", { status: 405, headers: { "content-type": "text/plain; charset=utf-8", allow: "GET" } });
    }
    return new Response("404 page not found\n", {
      status: 404,
      headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    });
  }

  /** GET|POST /v1/data and /v1/data/<path>. */
  async data(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const pretty = boolParam(url, "pretty");
    const escapedPath = url.pathname.replace(/^\/v1\/data\/?/, "");

    let input: Input;
    if (req.method === "POST") {
      const read = await this.readPostInput(req);
      if (read instanceof Response) return read;
      input = read;
    } else {
      const values = url.searchParams.getAll("input");
      if (values.length === 0) input = { present: false };
      else {
        const d = decodeStrict(values[values.length - 1]);
        if (!d.ok) return opaError(400, CODE_INVALID_PARAMETER, `parameter contains malformed input document: ${d.message}`);
        input = { present: true, value: d.value };
      }
    }

    this.load();
    if (this.policy === null)
      return opaError(500, CODE_INTERNAL, `policies do not compile: ${this.compileError?.message ?? "unknown error"}`);

    let segs: Segment[];
    try {
      segs = parseDataPath(escapedPath);
    } catch (e) {
      // OPA answers a bad path through writer.ErrorAuto with an ErrorV1: 500, message "<code>: <message>".
      return opaError(500, CODE_INTERNAL, `${CODE_INVALID_PARAMETER}: invalid path: ${(e as Error).message}`);
    }

    let value: Value | undefined;
    try {
      const q = this.preparedFor(refQuery("data", segs));
      const strict = boolParam(url, "strict-builtin-errors");
      const inputValue = input.present ? (input.value as Value) : undefined;
      if (strict) {
        const rs = q.rawResults({ input: inputValue, strictBuiltinErrors: true });
        value = rs.length === 0 ? undefined : rs[0].expressions[0].value;
      } else value = q.evaluate(inputValue);
    } catch (e) {
      if (e instanceof RegoError) return opaError(500, CODE_INTERNAL, MSG_EVALUATION_ERROR, [e.toJSON()]);
      return opaError(500, CODE_INTERNAL, e instanceof Error ? e.message : String(e));
    }

    const warning = req.method === "POST" && !input.present ? WARNING_INPUT_MISSING : undefined;
    const body = new Struct([
      ["result", value === undefined ? undefined : toJSON(value)],
      ["warning", warning],
    ]);
    return jsonOk(body, pretty);
  }

  /** OPA's readInputPostV1: `{"input": ...}` (key matched case-insensitively, as Go's decoder does). */
  private async readPostInput(req: Request): Promise<Input | Response> {
    const max = this.opts.maxBodyBytes ?? 1024 * 1024;
    const declared = Number(req.headers.get("content-length") ?? "0");
    if (declared > max) return opaError(413, CODE_INVALID_PARAMETER, `request body is larger than ${max} bytes`);
    let bytes: Uint8Array<ArrayBuffer> = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength > max) return opaError(413, CODE_INVALID_PARAMETER, `request body is larger than ${max} bytes`);
    const encoding = (req.headers.get("content-encoding") ?? "").toLowerCase();
    if (encoding.includes("gzip")) {
      const inflated = await gunzip(bytes, max);
      if (inflated === null) return opaError(400, CODE_INVALID_PARAMETER, "could not decompress the body");
      bytes = inflated;
    }
    const text = new TextDecoder().decode(bytes);
    const d = decodeGo(text);
    if (!d.ok) return opaError(400, CODE_INVALID_PARAMETER, `body contains malformed input document: ${d.message}`);
    if (d.empty || d.value === null) return { present: false };
    if (typeof d.value !== "object" || Array.isArray(d.value)) {
      return opaError(
        400,
        CODE_INVALID_PARAMETER,
        `body contains malformed input document: json: cannot unmarshal ${goKind(d.value)} into Go value of type types.DataRequestV1`,
      );
    }
    let input: Input = { present: false };
    for (const [k, v] of Object.entries(d.value as Record<string, unknown>)) {
      if (k.toLowerCase() === "input") input = v === null ? { present: false } : { present: true, value: v };
    }
    return input;
  }

  /**
   * GET /health: `{}` when the policies compiled and evaluate; `?bundles` / `?plugins` change nothing (bundled at build time, no plugins).
   */
  health(req: Request): Response {
    const url = new URL(req.url);
    const unhealthy = (msg: string) => new Response(encodeGo(new Struct([["error", msg]]), false), { status: 500, headers: JSON_HEADERS });
    this.load();
    if (this.policy === null) return unhealthy("unable to perform evaluation");
    const sub = url.pathname.replace(/^\/health\/?/, "");
    if (sub === "") return new Response("{}\n", { status: 200, headers: JSON_HEADERS });
    // /health/<path>: OPA evaluates data.system.health.<path> with the plugin state as input.
    let segs: Segment[];
    try {
      segs = parseDataPath(sub);
    } catch (e) {
      return opaError(400, CODE_INVALID_PARAMETER, `invalid path: ${(e as Error).message}`);
    }
    const query = refText("data.system.health", segs);
    try {
      const v = this.preparedFor(refQuery('data["system"]["health"]', segs)).evaluate({ plugin_state: {}, plugins_ready: true });
      if (v === undefined) return unhealthy(`health check (${query}) was undefined`);
      if (v === true) return new Response("{}\n", { status: 200, headers: JSON_HEADERS });
      return unhealthy(`health check (${query}) returned unexpected value`);
    } catch (e) {
      return unhealthy(e instanceof Error ? e.message : String(e));
    }
  }
}

/** `?input=` is read with util.UnmarshalJSON: the whole value must be JSON. */
function decodeStrict(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const d = decodeGo(text);
  if (!d.ok) return d;
  if (d.empty) return { ok: false, message: "EOF" };
  return { ok: true, value: d.value };
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>, max: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (typeof DecompressionStream !== "function") return null;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const out = new Uint8Array(await new Response(stream).arrayBuffer());
    return out.byteLength > max ? null : out;
  } catch {
    return null;
  }
}
