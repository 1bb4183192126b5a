// GET /api/central/* at a city instance (CENTRAL_URL set): passed to the central service, so the
// web page asks its own origin. The caller's bearer token goes along and the centre decides (the
// city checks nothing itself). Only reads; an unreachable centre is a 503 problem.
import { AppError } from "../domain/errors.ts";
import { problemResponse } from "../http/problem.ts";

const VIEWS = /^\/api\/central\/(classes|results|attendance)$/;
const TIMEOUT_MS = 10_000;

export function centralProxy(centralUrl: string, fetcher: typeof fetch = fetch): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    try {
      if (!VIEWS.test(url.pathname)) throw new AppError("not-found", `no such view: ${url.pathname} (classes, results, attendance)`);
      if (req.method !== "GET") throw new AppError("method-not-allowed", "only GET");
      const headers: Record<string, string> = { accept: "application/json" };
      const auth = req.headers.get("authorization");
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        res = await fetcher(`${centralUrl}${url.pathname}${url.search}`, {
          headers,
          signal: AbortSignal.timeout(TIMEOUT_MS),
          redirect: "manual",
        });
      } catch (e) {
        throw new AppError("unavailable", `the central service is unreachable: ${(e as Error).message}`);
      }
      const type = res.headers.get("content-type") ?? "";
      if (!/^application\/(problem\+)?json/.test(type))
        throw new AppError("unavailable", `the central service answered ${res.status} ${type || "without a content type"}`);
      return new Response(res.body, { status: res.status, headers: { "content-type": type, "cache-control": "no-store" } });
    } catch (e) {
      return problemResponse(e instanceof AppError ? e : new AppError("internal", "the centre could not be asked"), url.pathname);
    }
  };
}
