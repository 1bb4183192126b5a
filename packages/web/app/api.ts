// The signed-in user (a JWT kept in localStorage) and REST calls to the server.

export type Role = "student" | "teacher" | "school-admin" | "admin";
const ROLES: readonly string[] = ["student", "teacher", "school-admin", "admin"];
const isRole = (r: unknown): r is Role => typeof r === "string" && ROLES.includes(r);
/** The platform admin or a school's admin (the server scopes the latter to their school). */
export const isAdmin = (r: Role | undefined) => r === "admin" || r === "school-admin";
export interface Session {
  token: string;
  id: string;
  name: string;
  role: Role;
  /** The user's school (the token's `school` claim; none: the server's default school). */
  school?: string;
  /** Seconds since the epoch. */
  exp: number;
  /** A school sign-in kept in an HttpOnly cookie (no token here): its CSRF token for requests that change things. */
  csrf?: string;
}

const KEY = "edgeclass.session";

/** Reads the claims of a JWT without verifying it (the server verifies; this only picks the view). */
export function decodeToken(token: string): Session | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const text = new TextDecoder().decode(Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0)));
    const c = JSON.parse(text) as { sub?: unknown; role?: unknown; name?: unknown; exp?: unknown; school?: unknown };
    if (typeof c.sub !== "string" || !isRole(c.role)) return null;
    const s: Session = {
      token,
      id: c.sub,
      role: c.role,
      name: typeof c.name === "string" && c.name ? c.name : c.sub,
      exp: typeof c.exp === "number" ? c.exp : 0,
    };
    if (typeof c.school === "string") s.school = c.school;
    return s;
  } catch {
    return null;
  }
}

let cached: Session | null | undefined;

export function session(): Session | null {
  if (cached !== undefined) return cached;
  // A class link may carry a platform token in its fragment (kept out of server logs): take it and drop it from the address bar.
  const m = /(?:^#|&)token=([\w.-]+)/.exec(location.hash);
  if (m) {
    const s = decodeToken(m[1]);
    history.replaceState(null, "", location.pathname + location.search);
    if (s) save(s);
  }
  let s: Session | null = null;
  try {
    s = decodeToken(localStorage.getItem(KEY) ?? "");
  } catch {}
  if (s && s.exp !== 0 && s.exp * 1000 < Date.now()) s = null;
  return (cached = s);
}

export function save(s: Session): void {
  cached = s;
  try {
    localStorage.setItem(KEY, s.token);
  } catch {}
}

/** At start, without a kept token: the browser session of a school sign-in (its cookie), if there is one. */
export async function loadBrowserSession(): Promise<void> {
  // The session's CSRF cookie is readable: without it there is no session to ask about.
  if (session() !== null || !/(?:^|;\s*)(?:__Host-)?edgeclass-csrf=/.test(document.cookie)) return;
  try {
    const res = await fetch("/api/auth/session", { headers: { accept: "application/json" } });
    if (!res.ok) return;
    const b = (await res.json()) as {
      user: { id: string; name: string; role: string };
      school?: string;
      csrfToken: string;
      expiresAt: string;
    };
    const role = b.user.role;
    if (!isRole(role)) return;
    cached = {
      token: "",
      id: b.user.id,
      name: b.user.name,
      role,
      school: b.school,
      exp: Math.floor(Date.parse(b.expiresAt) / 1000),
      csrf: b.csrfToken,
    };
  } catch {}
}

/** What proves who the page is: the bearer token, or with a cookie session its CSRF token (the cookie goes by itself). */
export function authHeaders(): Record<string, string> {
  const s = session();
  if (s?.token) return { authorization: `Bearer ${s.token}` };
  return s?.csrf ? { "x-csrf-token": s.csrf } : {};
}

/** A token for the live socket: the kept one, or a short one the cookie session gives (a WebSocket cannot send the CSRF header). */
export async function liveToken(): Promise<string> {
  const s = session();
  if (!s) return "";
  return s.token || (await api<{ token: string }>("POST", "/api/auth/live-token")).token;
}

export function signOut(): void {
  // A cookie session ends on the server too (revoked on every instance).
  if (cached?.csrf) void fetch("/api/auth/logout", { method: "POST", headers: { "x-csrf-token": cached.csrf } }).catch(() => {});
  // An LMS launch's session came as a bearer token: it is logged out the same way (other tokens are ignored there).
  else if (cached?.token)
    void fetch("/api/auth/logout", { method: "POST", headers: { authorization: `Bearer ${cached.token}` } }).catch(() => {});
  cached = null;
  try {
    localStorage.removeItem(KEY);
  } catch {}
}

/** One field's complaint in a problem document (`issues[]`, RFC 9457 extension). */
export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: FieldIssue[] = [],
    /** The problem's code, from its `type` (https://edgeclass.dev/problems/<code>). */
    readonly code = "",
  ) {
    super(message);
  }
}

/** fetch with the session's bearer token; JSON in and out; problem documents become ApiError. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = authHeaders();
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  if (!res.ok) {
    const problem: { issues?: unknown; type?: unknown; detail?: string; title?: string } =
      parsed && typeof parsed === "object" ? parsed : {};
    const issues = Array.isArray(problem.issues)
      ? problem.issues
          .filter((i: FieldIssue) => typeof i?.message === "string")
          .map((i: FieldIssue) => ({ path: String(i.path ?? ""), message: i.message }))
      : [];
    const code = typeof problem.type === "string" ? (problem.type.split("/").pop() ?? "") : "";
    throw new ApiError(res.status, problem.detail || problem.title || `${res.status} ${res.statusText}`, issues, code);
  }
  return parsed as T;
}

/** Sends a file as the raw body (its own Content-Type); JSON back, problems as ApiError. */
export async function upload<T>(path: string, file: Blob): Promise<T> {
  // The same proof as every other request: a cookie session has no token, only its CSRF token.
  const res = await fetch(path, {
    method: "POST",
    headers: { ...authHeaders(), "content-type": file.type || "application/octet-stream" },
    body: file,
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok)
    throw new ApiError(
      res.status,
      body.detail || body.title || `${res.status}`,
      [],
      typeof body.type === "string" ? (body.type.split("/").pop() ?? "") : "",
    );
  return body as T;
}

/** Downloads an authenticated resource as a file (results CSV/JSON). */
export async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw new ApiError(res.status, `download failed: ${res.status}`, [], "download");
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The server's response bodies (@edgeclass/client/api), under the names the pages use. */
export type { ClassView as ClassInfo, CourseView as CourseInfo } from "@edgeclass/client/api";

export function navigate(path: string): void {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}
