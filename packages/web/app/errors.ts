// Errors in the user's language, by the stable code of the error catalogue
// (packages/client/src/codes.ts): live refusals carry it in their `error` message, REST problems
// at the end of their `type`, refused joins on EdgeClassError.serverCode. The page translates the
// code (`error.<code>`); in English a REST problem keeps the server's own, more precise detail.
import { ApiError } from "./api.ts";
import { hasKey, locale, t, type Key } from "./i18n.ts";

const codeKey = (code: unknown): Key | null => (typeof code === "string" && hasKey(`error.${code}`) ? (`error.${code}` as Key) : null);

/** A live command's refusal (the SDK's EdgeClassError, or anything with a code) in words. */
export function liveErrorText(e: unknown): string {
  if (e instanceof ApiError) return apiErrorText(e);
  const code = (e as { code?: unknown })?.code;
  const msg = (e as Error)?.message ?? String(e);
  if (code === "slow-mode") {
    // The server says "slow mode: wait 10 s": only the number is taken (defect 5 said it twice).
    const n = /(\d+)\s*s\b/.exec(msg);
    return n ? t("error.slow-mode.wait", { n: Number(n[1]) }) : t("error.slow-mode");
  }
  const key = codeKey((e as { serverCode?: unknown })?.serverCode) ?? codeKey(code);
  return key ? t(key) : msg || t("error.internal");
}

/** A REST error: the problem's code translated (English keeps the server's detail). */
export function apiErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return liveErrorText(e);
  if (locale() === "en" && e.message) return e.message;
  return codeKey(e.code) ? t(codeKey(e.code)!) : t("error.status", { status: e.status });
}
