// Errors in the user's language. The server's live refusals carry a stable code (protocol
// ErrorCode); REST problems a code in their `type` (https://edgeclass.dev/problems/<code>). The
// page translates the code; in English a REST problem keeps the server's own, more precise detail.
import { ApiError } from "./api.ts";
import { hasKey, locale, t } from "./i18n.ts";

/** A live command's refusal (the SDK's EdgeClassError, or anything with a code) in words. */
export function liveErrorText(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  const msg = (e as Error)?.message ?? String(e);
  if (code === "slow-mode") {
    // The server says "slow mode: wait 10 s": only the number is taken (defect 5 said it twice).
    const n = /(\d+)\s*s\b/.exec(msg);
    return n ? t("live.slow-mode.wait", { n: Number(n[1]) }) : t("live.slow-mode");
  }
  if (typeof code === "string" && hasKey(`live.${code}`)) return t(`live.${code}` as "live.internal");
  if (e instanceof ApiError) return apiErrorText(e);
  return msg || t("live.internal");
}

/** A REST error: the problem's code translated (English keeps the server's detail). */
export function apiErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return liveErrorText(e);
  if (locale() === "en" && e.message) return e.message;
  return e.code && hasKey(`problem.${e.code}`) ? t(`problem.${e.code}` as "problem.internal") : t("problem.status", { status: e.status });
}
