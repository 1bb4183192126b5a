// The slice of wasi:http/types and wasi:io/streams (WASI 0.2) the component uses, as
// componentize-js exposes them to JavaScript. The build script rewrites the version in the
// specifier to the one the engine imports (see scripts/build-wasm.ts).
declare module "wasi:http/types@0.2.10" {
  export type Method =
    | { tag: "get" | "head" | "post" | "put" | "delete" | "connect" | "options" | "trace" | "patch" }
    | { tag: "other"; val: string };
  export type Scheme = { tag: "HTTP" | "HTTPS" } | { tag: "other"; val: string };
  export interface InputStream {
    blockingRead(len: bigint): Uint8Array;
    [Symbol.dispose]?(): void;
  }
  export interface OutputStream {
    blockingWriteAndFlush(contents: Uint8Array): void;
    [Symbol.dispose]?(): void;
  }
  export class Fields {
    constructor();
    append(name: string, value: Uint8Array): void;
    entries(): Array<[string, Uint8Array]>;
  }
  export class IncomingBody {
    stream(): InputStream;
    static finish(body: IncomingBody): unknown;
  }
  export class IncomingRequest {
    method(): Method;
    pathWithQuery(): string | undefined;
    scheme(): Scheme | undefined;
    authority(): string | undefined;
    headers(): Fields;
    consume(): IncomingBody;
  }
  export class OutgoingBody {
    write(): OutputStream;
    static finish(body: OutgoingBody, trailers: Fields | undefined): void;
  }
  export class OutgoingResponse {
    constructor(headers: Fields);
    setStatusCode(status: number): void;
    body(): OutgoingBody;
  }
  export class ResponseOutparam {
    static set(
      param: ResponseOutparam,
      response: { tag: "ok"; val: OutgoingResponse } | { tag: "err"; val: { tag: "internal-error"; val: string | undefined } },
    ): void;
  }
}
