// RFC 9457 problem documents: every error leaves the server as application/problem+json.
import { AppError } from "../domain/errors.ts";

export const PROBLEM_BASE = "https://edgeclass.dev/problems/";

export function problemResponse(err: AppError, instance: string | undefined, headers: Record<string, string> = {}): Response {
  const body = { type: PROBLEM_BASE + err.code, title: err.title, status: err.status, detail: err.detail, instance, ...err.extra };
  return new Response(JSON.stringify(body), { status: err.status, headers: { "content-type": "application/problem+json", ...headers } });
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}
