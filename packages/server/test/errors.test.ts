// The error catalogue (packages/client/src/codes.ts): every code renders as an RFC 9457 problem
// with its status and closes a live socket with its close code, whichever error class raised it.
import { expect, test } from "bun:test";
import { CLOSE, ERRORS, type ErrorCode } from "@edgeclass/client/codes";
import { AppError, closeCodeOf } from "../src/domain/errors.ts";
import { errorResponse, wrap, type HttpDeps } from "../src/http/endpoint.ts";
import { PROBLEM_BASE } from "../src/http/problem.ts";
import { liveRoutes } from "../src/http/routes/live.ts";
import { MediaError } from "../src/media/pool.ts";
import { createLogging } from "../src/obs/logger.ts";
import { createMetrics } from "../src/obs/metrics.ts";
import type { LiveService } from "../src/services/live-service.ts";

// The reviewed table: [HTTP status, close code]. Typed by ErrorCode, so a new code fails to compile until listed here.
const EXPECTED: Record<ErrorCode, [number, number]> = {
  "bad-request": [400, CLOSE.policyDenied],
  "malformed-json": [400, CLOSE.policyDenied],
  validation: [400, CLOSE.policyDenied],
  "bad-message": [400, CLOSE.policyDenied],
  unauthorized: [401, 4001],
  "invalid-token": [401, 4001],
  forbidden: [403, 4003],
  "not-found": [404, 4004],
  "method-not-allowed": [405, CLOSE.policyDenied],
  conflict: [409, CLOSE.policyDenied],
  "invalid-state": [409, CLOSE.policyDenied],
  "payload-too-large": [413, CLOSE.policyDenied],
  "too-large": [413, 1009],
  "unsupported-media-type": [415, CLOSE.policyDenied],
  "rate-limited": [429, CLOSE.policyDenied],
  internal: [500, 1011],
  unavailable: [503, 1013],
  "storage-full": [507, 1013],
  "not-enrolled": [403, 4003],
  "class-full": [403, 4003],
  "policy-denied": [403, 4003],
  removed: [403, 4013],
  "class-not-started": [409, 4009],
  "class-ended": [409, 4010],
  replaced: [409, 4011],
  "too-slow": [429, 4012],
  "going-away": [503, 1001],
  muted: [403, CLOSE.policyDenied],
  "chat-disabled": [403, CLOSE.policyDenied],
  "slow-mode": [429, CLOSE.policyDenied],
  "already-answered": [409, CLOSE.policyDenied],
  "deadline-passed": [409, CLOSE.policyDenied],
  "no-open-question": [409, CLOSE.policyDenied],
  "wrong-question": [409, CLOSE.policyDenied],
};

const { logger } = createLogging("silent");
const req = new Request("http://x/api/thing");

test("every catalogue code renders as a problem with its status, and closes with its close code", async () => {
  expect(Object.keys(ERRORS).sort()).toEqual(Object.keys(EXPECTED).sort());
  const closeCodes = new Set<number>(Object.values(CLOSE));
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const [status, close] = EXPECTED[code];
    const err = new AppError(code, `detail of ${code}`);
    expect([code, err.status, err.close, closeCodeOf(code)]).toEqual([code, status, close, close]);
    expect(closeCodes.has(close)).toBe(true);
    const res = errorResponse(err, req, "r1", logger);
    expect([code, res.status]).toEqual([code, status]);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({
      type: PROBLEM_BASE + code,
      status,
      title: ERRORS[code].title,
      detail: `detail of ${code}`,
      instance: "/api/thing",
    });
  }
});

test("live and media errors are catalogue errors: REST renders them with their own status", async () => {
  const live = errorResponse(new AppError("unavailable", "the class's shared engine (Redis) is unreachable"), req, "r2", logger);
  expect(live.status).toBe(503);
  const media = new MediaError("MEDIA_BAD_SDP", "no m= line", 400);
  expect(media).toBeInstanceOf(AppError);
  const res = errorResponse(media, req, "r3", logger);
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ type: `${PROBLEM_BASE}bad-request`, code: "MEDIA_BAD_SDP", detail: "no m= line" });
});

test("POST /api/classes/:id/end answers 503 when the live side is unavailable (was a 500)", async () => {
  const svc = {
    endClass: async () => {
      throw new AppError("unavailable", "the class's shared engine (Redis) is unreachable; try again shortly");
    },
  } as unknown as LiveService;
  const route = liveRoutes(svc, 65536).find((r) => r.path === "/api/classes/:id/end")!;
  const deps: HttpDeps = {
    verifier: { verify: async () => ({ id: "t1", role: "teacher", name: "T", school: "default" }) },
    logger,
    access: () => {},
    metrics: createMetrics("test"),
  };
  const request = Object.assign(
    new Request("http://x/api/classes/c1/end", { method: "POST", headers: { authorization: "Bearer a.b.c" } }),
    { params: { id: "c1" } },
  );
  const res = await wrap(route, deps)(request as never);
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({ type: `${PROBLEM_BASE}unavailable`, status: 503, instance: "/api/classes/c1/end" });
});
