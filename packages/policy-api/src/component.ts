// The wasi:http/proxy entry. The component exports wasi:http/incoming-handler itself (rather
// than StarlingMonkey's `fetch` event, which cannot serve a second request on the same
// instance: bytecodealliance/StarlingMonkey#247), so hosts that reuse an instance (jco's
// Node host) and hosts that create one per request (wasmtime serve, runwasi's wasmtime shim)
// both work. Requests and responses are converted to the Fetch API's types and handed to the
// same DataApi the Bun server uses.
//
// The build script generates the entry: it imports the policies as text, calls
// configure(), and re-exports incomingHandler. componentize-js runs that top level at build
// time (Wizer), so the policies are parsed and compiled, and the common queries prepared,
// before the snapshot is taken: an instance starts ready to answer.
import { Fields, IncomingBody, OutgoingBody, OutgoingResponse, ResponseOutparam, type IncomingRequest } from "wasi:http/types@0.2.10";
import { DataApi, opaError, type PolicyModule } from "./data-api.ts";

const MAX_BODY = 1024 * 1024;
const CHUNK = 4096; // blocking-write-and-flush accepts at most 4096 bytes per call
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let api: DataApi | null = null;

export function configure(modules: readonly PolicyModule[], warm: readonly string[] = []): DataApi {
  api = new DataApi({ modules, maxBodyBytes: MAX_BODY }).load();
  for (const path of warm) api.prepare(path);
  return api;
}

function methodName(r: IncomingRequest): string {
  const m = r.method();
  return m.tag === "other" ? m.val.toUpperCase() : m.tag.toUpperCase();
}

/** Reads the request body (at most MAX_BODY + 1 bytes: DataApi answers 413 above the limit). */
function readBody(r: IncomingRequest): Uint8Array<ArrayBuffer> {
  const body = r.consume();
  const stream = body.stream();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total <= MAX_BODY) {
      const chunk = stream.blockingRead(65536n);
      parts.push(chunk);
      total += chunk.byteLength;
    }
  } catch {
    // stream-error closed: the body ended
  }
  stream[Symbol.dispose]?.();
  IncomingBody.finish(body);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function toRequest(r: IncomingRequest): Request {
  const method = methodName(r);
  const scheme = r.scheme();
  const proto = scheme === undefined ? "http" : scheme.tag === "other" ? scheme.val : scheme.tag.toLowerCase();
  const url = `${proto}://${r.authority() ?? "localhost"}${r.pathWithQuery() ?? "/"}`;
  const headers = new Headers();
  for (const [name, value] of r.headers().entries()) {
    const n = name.toLowerCase();
    if (n === "content-type" || n === "content-encoding" || n === "authorization") headers.append(n, decoder.decode(value));
  }
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, { method, headers, body: hasBody ? readBody(r) : undefined });
}

async function respond(res: Response, out: ResponseOutparam): Promise<void> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const fields = new Fields();
  res.headers.forEach((value, name) => {
    if (name !== "content-length") fields.append(name, encoder.encode(value));
  });
  fields.append("content-length", encoder.encode(String(bytes.byteLength)));
  const outgoing = new OutgoingResponse(fields);
  outgoing.setStatusCode(res.status);
  const body = outgoing.body();
  ResponseOutparam.set(out, { tag: "ok", val: outgoing });
  const stream = body.write();
  for (let i = 0; i < bytes.byteLength; i += CHUNK) stream.blockingWriteAndFlush(bytes.subarray(i, i + CHUNK));
  stream[Symbol.dispose]?.();
  OutgoingBody.finish(body, undefined);
}

export const incomingHandler = {
  async handle(request: IncomingRequest, out: ResponseOutparam): Promise<void> {
    let res: Response;
    try {
      if (api === null) throw new Error("the component was built without configure(): no policies");
      res = await api.fetch(toRequest(request));
    } catch (e) {
      res = opaError(500, "internal_error", e instanceof Error ? e.message : String(e));
    }
    await respond(res, out);
  },
};
