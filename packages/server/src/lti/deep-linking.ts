// Deep Linking 2.0: the LMS asks the teacher to pick content; the tool answers with a signed
// LtiDeepLinkingResponse holding one ltiResourceLink per chosen EdgeClass class (with a line
// item, so the LMS makes a gradebook column for it), posted back by the browser.
import type { PageLocale } from "../http/page-locale.ts";
import { LTI } from "./launch.ts";
import type { Platform } from "./registry.ts";
import type { ToolKeys } from "./tool-key.ts";

export interface DeepLinkRequest {
  platformId: string;
  deploymentId: string;
  returnUrl: string;
  data: string | null;
  courseId: string;
  /** The teacher who launched it (acts as them when creating a class). */
  user: { id: string; name: string; school: string };
}

export interface LinkedClass {
  id: string;
  title: string;
}

/** The signed response JWT for the chosen classes. */
export async function deepLinkingResponse(
  keys: ToolKeys,
  p: Platform,
  r: DeepLinkRequest,
  classes: readonly LinkedClass[],
  launchUrl: string,
  now: number,
): Promise<string> {
  const jose = await import("jose");
  const key = await keys.get();
  const nowS = Math.floor(now / 1000);
  const items = classes.map((c) => ({
    type: "ltiResourceLink",
    title: c.title,
    url: launchUrl,
    custom: { edgeclass_class_id: c.id },
    lineItem: { scoreMaximum: 100, label: c.title, resourceId: c.id, tag: "edgeclass-quiz" },
  }));
  const claims: Record<string, unknown> = {
    nonce: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url"),
    [`${LTI}message_type`]: "LtiDeepLinkingResponse",
    [`${LTI}version`]: "1.3.0",
    [`${LTI}deployment_id`]: r.deploymentId,
    "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items,
  };
  if (r.data !== null) claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = r.data;
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .setIssuer(p.clientId)
    .setAudience(p.issuer)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + 300)
    .sign(key.privateKey);
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Security headers of the tool's own small pages (they run inside the LMS's frame). */
export const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action *; base-uri 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

/** The words of the tool's pages, in the reader's language (http/page-locale.ts: the browser's Accept-Language). */
const TEXT = {
  en: {
    title: "EdgeClass: add a class",
    heading: "Add an EdgeClass class to {course}",
    pick: "Pick a class",
    none: "This course has no classes yet.",
    create: "Or create one",
    classTitle: "Title",
    startsAt: "Starts at (UTC)",
    minutes: "Minutes",
    createAndAdd: "Create and add",
    back: "Return to the course",
  },
  "zh-CN": {
    title: "EdgeClass 课堂：添加课堂",
    heading: "将 EdgeClass 课堂添加到 {course}",
    pick: "选择一个课堂",
    none: "这门课程还没有课堂。",
    create: "或者新建一个",
    classTitle: "标题",
    startsAt: "开始时间（UTC）",
    minutes: "时长（分钟）",
    createAndAdd: "创建并添加",
    back: "返回课程",
  },
} satisfies Record<PageLocale, Record<string, string>>;

/** The page that sends the response to the LMS (the browser posts it; the script only clicks the button). */
export function autoPostPage(returnUrl: string, jwt: string, loc: PageLocale = "en"): string {
  return (
    `<!doctype html><html lang="${loc}"><meta charset="utf-8"><title>EdgeClass</title>
<form method="post" action="${esc(returnUrl)}"><input type="hidden" name="JWT" value="${esc(jwt)}"><button ` +
    `type="submit">${esc(TEXT[loc].back)}</button></form>
<script>document.forms[0].submit()</script>`
  );
}

/** The teacher's choice: an existing class of the course, or a new one. */
export function pickerPage(
  id: string,
  course: { title: string },
  classes: readonly { id: string; title: string; startsAt: number }[],
  loc: PageLocale = "en",
): string {
  const w = TEXT[loc];
  const when = new Intl.DateTimeFormat(loc, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  const list = classes
    .map(
      (c) =>
        `<li><form method="post"><input type="hidden" name="classId" value="${esc(c.id)}"><button ` +
        `type="submit">${esc(c.title)}</button> ` +
        `<small>${esc(when.format(c.startsAt))} UTC</small></form></li>`,
    )
    .join("");
  return (
    `<!doctype html><html lang="${loc}"><meta charset="utf-8"><title>${esc(w.title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}li{margin:.4rem ` +
    `0}label{display:block;margin:.5rem 0}</style>
<h1>${esc(w.heading).replace("{course}", esc(course.title))}</h1>
<h2>${esc(w.pick)}</h2>${classes.length > 0 ? `<ul>${list}</ul>` : `<p>${esc(w.none)}</p>`}
<h2>${esc(w.create)}</h2>
<form method="post" action="/api/lti/deep-link/${esc(id)}">
<label>${esc(w.classTitle)} <input name="title" required maxlength="200"></label>
<label>${esc(w.startsAt)} <input name="startsAt" type="datetime-local" required></label>
<label>${esc(w.minutes)} <input name="durationMinutes" type="number" min="5" max="600" value="45" required></label>
<button type="submit">${esc(w.createAndAdd)}</button></form>`
  );
}
