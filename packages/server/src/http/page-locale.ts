// The language of the pages the server writes itself (index.html's loading line and <noscript>,
// the LTI Deep Linking pages): the app's remembered choice (the `edgeclass-lang` cookie its
// switch sets), else the browser's Accept-Language, best first; English otherwise. Any Chinese
// is zh-CN, as in the app (packages/web/app/i18n.ts pickLocale).

export type PageLocale = "en" | "zh-CN";

/** The cookie the app's language switch sets (packages/web/app/i18n.ts setLocale). */
const LANG_COOKIE = "edgeclass-lang";

const supported = (tag: string): PageLocale | null => {
  const low = tag.trim().toLowerCase();
  if (low === "zh" || low.startsWith("zh-")) return "zh-CN";
  if (low === "en" || low.startsWith("en-")) return "en";
  return null;
};

/** The first supported language of an Accept-Language header, by quality then order; null when none is. */
function fromAcceptLanguage(header: string | null): PageLocale | null {
  if (!header) return null;
  const ranked = header
    .split(",")
    .map((part, i) => {
      const [tag, ...params] = part.split(";");
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) {
    const l = supported(r.tag);
    if (l !== null) return l;
  }
  return null;
}

export function pageLocale(req: Request): PageLocale {
  const cookie = new RegExp(`(?:^|;\\s*)${LANG_COOKIE}=([^;]*)`).exec(req.headers.get("cookie") ?? "")?.[1];
  const chosen = cookie === "en" || cookie === "zh-CN" ? cookie : null;
  return chosen ?? fromAcceptLanguage(req.headers.get("accept-language")) ?? "en";
}
