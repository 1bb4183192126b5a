// UI text from message catalogues (English and Simplified Chinese), with Intl alone: plurals by
// Intl.PluralRules, numbers, dates and times by Intl.NumberFormat / DateTimeFormat. The language
// comes from the browser's list unless the user picked one (remembered in localStorage).
import { en } from "./messages/en.ts";
import { zhCN } from "./messages/zh-CN.ts";

/** A plural message: one text per CLDR category the language uses (`other` always). */
type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
export type Message = string | Plural;
export type Key = keyof typeof en;
export type Catalogue = Record<Key, Message>;

export const LOCALES = ["en", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];
/** Each language's own name, for the switch. */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", "zh-CN": "简体中文" };
export const CATALOGUES: Record<Locale, Catalogue> = { en, "zh-CN": zhCN };

const STORE = "edgeclass.lang";

/** The first of the browser's languages we ship (any Chinese gets zh-CN), else English. */
export function pickLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored && (LOCALES as readonly string[]).includes(stored)) return stored as Locale;
  for (const l of languages) {
    const low = l.toLowerCase();
    if (low.startsWith("zh")) return "zh-CN";
    if (low.startsWith("en")) return "en";
  }
  return "en";
}

function initial(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORE);
  } catch {}
  return pickLocale(stored, typeof navigator === "undefined" ? [] : (navigator.languages ?? [navigator.language]));
}

let current: Locale = typeof location === "undefined" ? "en" : initial();
const listeners = new Set<(l: Locale) => void>();
if (typeof document !== "undefined") document.documentElement.lang = current;

export const locale = (): Locale => current;

/** Switches the language (remembered) and tells the subscribers (the app re-renders). */
export function setLocale(l: Locale): void {
  current = l;
  try {
    localStorage.setItem(STORE, l);
  } catch {}
  if (typeof document !== "undefined") {
    document.documentElement.lang = l;
    // The server reads it too: the page it sends before any script runs (loading line, <noscript>) follows the choice.
    // biome-ignore lint/suspicious/noDocumentCookie: one fixed value; the Cookie Store API is not in every browser the app serves
    document.cookie = `edgeclass-lang=${l}; path=/; max-age=31536000; samesite=lax`;
  }
  fmtCache.clear();
  for (const f of listeners) f(l);
}
export function onLocale(f: (l: Locale) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

const fmtCache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>(id: string, make: () => T): T {
  let f = fmtCache.get(id) as T | undefined;
  if (!f) fmtCache.set(id, (f = make()));
  return f;
}

export type Param = string | number;

/** The message text for `key` in `loc` (a plural picked by `count`), before placeholders are filled. */
function template(key: Key, params: Record<string, unknown> | undefined, loc: Locale): string {
  const m: Message = CATALOGUES[loc][key] ?? en[key];
  if (typeof m === "string") return m;
  const n = typeof params?.count === "number" ? params.count : 0;
  const rule = cached(`p:${loc}`, () => new Intl.PluralRules(loc)).select(n);
  return m[rule] ?? m.other;
}

/** Splits "a {x} b" into literal parts and placeholder names (odd indexes). */
const parts = (s: string) => s.split(/\{(\w+)\}/);

/** The translated text; numbers in `params` are formatted for the language. */
export function t(key: Key, params?: Record<string, Param>, loc: Locale = current): string {
  return parts(template(key, params, loc))
    .map((p, i) => (i % 2 === 0 ? p : fill(params?.[p], loc)))
    .join("");
}

/** Like `t`, but placeholders may be rich nodes (e.g. a <span class="num">): returns parts to render. */
export function tx<N>(key: Key, params: Record<string, Param | N>, loc: Locale = current): (string | N)[] {
  return parts(template(key, params, loc))
    .map((p, i) =>
      i % 2 === 0 ? p : typeof params[p] === "string" || typeof params[p] === "number" ? fill(params[p] as Param, loc) : (params[p] as N),
    )
    .filter((p) => p !== "");
}

function fill(v: Param | undefined, loc: Locale): string {
  if (v === undefined) return "";
  return typeof v === "number" ? num(v, loc) : v;
}

/** Whether `key` is in the catalogue (for codes that come from the server). */
export const hasKey = (key: string): key is Key => Object.hasOwn(en, key);

export const num = (n: number, loc: Locale = current) => cached(`n:${loc}`, () => new Intl.NumberFormat(loc)).format(n);
/** 1.2K / 1.2万: short counts that keep a fixed width. */
export const compactNum = (n: number, loc: Locale = current) =>
  cached(`c:${loc}`, () => new Intl.NumberFormat(loc, { notation: "compact", maximumFractionDigits: 1 })).format(n);
const dt =
  (id: string, o: Intl.DateTimeFormatOptions) =>
  (d: Date | string | number, loc: Locale = current) =>
    cached(`d:${id}:${loc}`, () => new Intl.DateTimeFormat(loc, o)).format(new Date(d));
/** A date and time, e.g. "4 Dec 2026, 21:30" / "2026年12月4日 21:30". */
export const dateTime = dt("dt", { dateStyle: "medium", timeStyle: "short" });
/** Hours and minutes. */
export const timeShort = dt("hm", { hour: "2-digit", minute: "2-digit" });
/** Hours, minutes and seconds. */
export const timeLong = dt("hms", { timeStyle: "medium" });
