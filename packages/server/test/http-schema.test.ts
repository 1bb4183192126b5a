// The route wrapper checks what a route declares (params, query, body) before its handler runs:
// bad input is a 400/415 problem naming the field and the handler never sees it; good input
// arrives typed. In-process, milliseconds.
import { expect, test } from "bun:test";
import * as v from "valibot";
import { route, wrap, type HttpDeps } from "../src/http/endpoint.ts";
import { id } from "../src/http/validate.ts";
import { createLogging } from "../src/obs/logger.ts";
import { createMetrics } from "../src/obs/metrics.ts";

const { logger } = createLogging("silent");
const deps: HttpDeps = {
  verifier: { verify: async () => ({ id: "t1", role: "teacher", name: "T", school: "default" }) },
  logger,
  access: () => {},
  metrics: createMetrics("test"),
};

const seen: unknown[] = [];
const handler = wrap(
  route({
    method: "POST",
    path: "/api/things/:id",
    auth: "public",
    schema: {
      params: v.strictObject({ id }),
      query: v.strictObject({ mode: v.optional(v.picklist(["a", "b"])) }),
      body: v.strictObject({ n: v.number() }),
    },
    bodyLimit: 64,
    handle({ params, query, body }) {
      // Typed by the schema: a string id, the picklist, a number.
      const value: { id: string; mode: "a" | "b" | undefined; n: number } = { id: params.id, mode: query.mode, n: body.n };
      seen.push(value);
      return Response.json(value);
    },
  }),
  deps,
);

const call = (idParam: string, query: string, body: string, type = "application/json") =>
  handler(
    Object.assign(new Request(`http://x/api/things/${idParam}${query}`, { method: "POST", headers: { "content-type": type }, body }), {
      params: { id: idParam },
    }) as never,
  );

test("good input reaches the handler checked and typed", async () => {
  seen.length = 0;
  const res = await call("k1", "?mode=b", '{"n":3}');
  expect(res.status).toBe(200);
  expect(seen).toEqual([{ id: "k1", mode: "b", n: 3 }]);
});

test("bad input is a problem naming the field, checked path, query, body in that order; the handler never runs", async () => {
  seen.length = 0;
  const cases: [Response, number, string, string][] = [
    [await call("no way", "?mode=c", "{}"), 400, "validation", "id"],
    [await call("k1", "?mode=c", "{}"), 400, "validation", "mode"],
    [await call("k1", "?mode=a&mode=b", '{"n":1}'), 400, "validation", "mode"],
    [await call("k1", "", '{"n":"3"}'), 400, "validation", "n"],
    [await call("k1", "", '{"n":3,"x":1}'), 400, "validation", "x"],
    [await call("k1", "", "{"), 400, "malformed-json", ""],
    [await call("k1", "", '{"n":3}', "text/plain"), 415, "unsupported-media-type", ""],
    [await call("k1", "", JSON.stringify({ n: 1, pad: "x".repeat(100) })), 413, "payload-too-large", ""],
  ];
  for (const [res, status, type, field] of cases) {
    const problem = await res.json();
    expect([res.status, res.headers.get("content-type"), problem.type]).toEqual([
      status,
      "application/problem+json",
      `https://edgeclass.dev/problems/${type}`,
    ]);
    if (field) expect(problem.issues[0].path).toBe(field);
  }
  expect(seen).toEqual([]);
});
