// Deep Linking 2.0: the LMS asks the teacher to pick content; the tool answers with a signed
// LtiDeepLinkingResponse holding one ltiResourceLink per chosen EdgeClass class (with a line
// item, so the LMS makes a gradebook column for it), posted back by the browser.
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

/** The page that sends the response to the LMS (the browser posts it; the script only clicks the button). */
export function autoPostPage(returnUrl: string, jwt: string): string {
  return (
    `<!doctype html><meta charset="utf-8"><title>EdgeClass</title>
<form method="post" action="${esc(returnUrl)}"><input type="hidden" name="JWT" value="${esc(jwt)}"><button ` +
    `type="submit">Return to the course</button></form>
<script>document.forms[0].submit()</script>`
  );
}

/** The teacher's choice: an existing class of the course, or a new one. */
export function pickerPage(
  id: string,
  course: { title: string },
  classes: readonly { id: string; title: string; startsAt: number }[],
): string {
  const list = classes
    .map(
      (c) =>
        `<li><form method="post"><input type="hidden" name="classId" value="${esc(c.id)}"><button ` +
        `type="submit">${esc(c.title)}</button> ` +
        `<small>${esc(new Date(c.startsAt).toISOString().slice(0, 16).replace("T", " "))} UTC</small></form></li>`,
    )
    .join("");
  return (
    `<!doctype html><meta charset="utf-8"><title>EdgeClass: add a class</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}li{margin:.4rem ` +
    `0}label{display:block;margin:.5rem 0}</style>
<h1>Add an EdgeClass class to ${esc(course.title)}</h1>
<h2>Pick a class</h2>${classes.length > 0 ? `<ul>${list}</ul>` : "<p>This course has no classes yet.</p>"}
<h2>Or create one</h2>
<form method="post" action="/api/lti/deep-link/${esc(id)}">
<label>Title <input name="title" required maxlength="200"></label>
<label>Starts at (UTC) <input name="startsAt" type="datetime-local" required></label>
<label>Minutes <input name="durationMinutes" type="number" min="5" max="600" value="45" required></label>
<button type="submit">Create and add</button></form>`
  );
}
