// Browser sessions: a signed cookie (HS256 under a key of its own, so it is never a bearer
// token), HttpOnly and SameSite=Lax, living a bounded time from sign-in. Any instance that
// shares the secret accepts it, and a restart loses none; logout revokes its id in the shared
// one-time keys until it would have expired. Requests that change state with the cookie need
// the session's CSRF token in `X-CSRF-Token` (an HMAC of the session id: nothing to store)
// and, when the browser says where they come from (Origin, Sec-Fetch-Site), this origin.
import { AppError } from "../domain/errors.ts";
import { ROLES, type Principal, type Role } from "../domain/model.ts";
import type { OneTimeKeys } from "./keys.ts";

export interface SessionInfo {
  /** The user, in the school whose provider (or LMS) signed them in. */
  principal: Principal;
  /** How the session began: "oidc" or "lti". */
  via: string;
  sid: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface SessionOptions {
  /** Key of the cookie's signature and the CSRF tokens (seal.ts deriveKey). */
  key: Uint8Array<ArrayBuffer>;
  ttlSeconds: number;
  /** Secure cookies with the `__Host-` prefix (HTTPS only). */
  secure: boolean;
  keys: OneTimeKeys;
  /** PUBLIC_URL: the origin state-changing requests may come from (besides the request's own host). */
  publicUrl?: string;
  now?: () => number;
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
let joseModule: Promise<typeof import("jose")> | undefined;
const loadJose = () => (joseModule ??= import("jose"));

export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.get("cookie");
  if (header === null) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class Sessions {
  readonly cookieName: string;
  readonly csrfCookieName: string;
  private readonly now: () => number;

  constructor(private readonly o: SessionOptions) {
    this.now = o.now ?? Date.now;
    this.cookieName = o.secure ? "__Host-edgeclass-session" : "edgeclass-session";
    this.csrfCookieName = o.secure ? "__Host-edgeclass-csrf" : "edgeclass-csrf";
  }

  get ttlSeconds(): number {
    return this.o.ttlSeconds;
  }

  /**
   * A new session for the user: the Set-Cookie values, its CSRF token, and the same session as
   * a bearer token (for pages inside an LMS frame, where the browser may not keep the cookie).
   */
  async issue(
    principal: Principal,
    via: string,
  ): Promise<{ cookies: string[]; info: SessionInfo; csrfToken: string; accessToken: string }> {
    const sid = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
    const nowS = Math.floor(this.now() / 1000);
    const exp = nowS + this.o.ttlSeconds;
    const jwt = await this.sign("session", principal, via, sid, nowS, exp);
    const csrfToken = this.csrfToken(sid);
    return {
      cookies: [
        this.cookie(this.cookieName, jwt, this.o.ttlSeconds, true),
        this.cookie(this.csrfCookieName, csrfToken, this.o.ttlSeconds, false),
      ],
      info: { principal, via, sid, expiresAt: exp * 1000 },
      csrfToken,
      accessToken: await this.sign("access", principal, via, sid, nowS, exp),
    };
  }

  /**
   * A short bearer token of a live session, for what cannot send the cookie's CSRF header (the
   * page's WebSocket): its own life is `seconds`, never past the session's end.
   */
  async shortAccessToken(info: SessionInfo, seconds: number): Promise<{ token: string; expiresAt: number }> {
    const nowS = Math.floor(this.now() / 1000);
    const exp = Math.min(nowS + seconds, Math.floor(info.expiresAt / 1000));
    return { token: await this.sign("access", info.principal, info.via, info.sid, nowS, exp), expiresAt: exp * 1000 };
  }

  /** A session's bearer token (from `issue`): the principal, unless it expired or was logged out. */
  async verifyAccessToken(token: string): Promise<Principal> {
    return (await this.accessSession(token)).principal;
  }

  /** The session a bearer token of `issue` belongs to (to log it out), unless it ended. */
  async accessSession(token: string): Promise<SessionInfo> {
    const info = await this.verify(token, "access");
    if ((await this.o.keys.get(`session-revoked:${info.sid}`)) !== null)
      throw new AppError("invalid-token", "this session was logged out: sign in again");
    return info;
  }

  private async sign(typ: "session" | "access", p: Principal, via: string, sid: string, iat: number, exp: number): Promise<string> {
    const { SignJWT } = await loadJose();
    return new SignJWT({ typ, role: p.role, name: p.name, sch: p.school, via, sid })
      .setProtectedHeader({ alg: "HS256", typ: `edgeclass-${typ}` })
      .setSubject(p.id)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.o.key);
  }

  /** Set-Cookie values that remove both cookies. */
  clearCookies(): string[] {
    return [this.cookie(this.cookieName, "", 0, true), this.cookie(this.csrfCookieName, "", 0, false)];
  }

  csrfToken(sid: string): string {
    return new Bun.CryptoHasher("sha256", this.o.key).update(`csrf:${sid}`).digest("base64url");
  }

  /**
   * The request's session: null without a session cookie; throws `invalid-token` for a cookie
   * that is forged, expired or logged out, `forbidden` for a state-changing request without
   * the CSRF token or from another origin.
   */
  async authenticate(req: Request): Promise<SessionInfo | null> {
    const raw = readCookie(req, this.cookieName);
    if (raw === null || raw === "") return null;
    const info = await this.verify(raw);
    if (!SAFE.has(req.method)) this.checkCsrf(req, info.sid);
    if ((await this.o.keys.get(`session-revoked:${info.sid}`)) !== null)
      throw new AppError("invalid-token", "this session was logged out: sign in again");
    return info;
  }

  /** Logout: the session id is refused everywhere until the cookie would have expired anyway. */
  async revoke(info: SessionInfo): Promise<void> {
    await this.o.keys.claim(`session-revoked:${info.sid}`, "1", Math.max(1000, info.expiresAt - this.now() + 60_000));
  }

  private async verify(raw: string, typ: "session" | "access" = "session"): Promise<SessionInfo> {
    const { jwtVerify, errors } = await loadJose();
    let p: Record<string, unknown>;
    try {
      p = (await jwtVerify(raw, this.o.key, { algorithms: ["HS256"], requiredClaims: ["exp", "sub"], currentDate: new Date(this.now()) }))
        .payload;
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw new AppError("invalid-token", "the session has expired: sign in again");
      throw new AppError("invalid-token", "the session cookie is not valid: sign in again");
    }
    const role = p.role;
    if (
      p.typ !== typ ||
      typeof p.sid !== "string" ||
      typeof p.sch !== "string" ||
      typeof p.sub !== "string" ||
      typeof role !== "string" ||
      !(ROLES as readonly string[]).includes(role)
    ) {
      throw new AppError("invalid-token", "the session cookie is not valid: sign in again");
    }
    // Bounded: a cookie claiming a longer life than configured (an old setting) ends at iat + ttl.
    const exp = Math.min(Number(p.exp), Number(p.iat ?? 0) + this.o.ttlSeconds) * 1000;
    if (exp <= this.now()) throw new AppError("invalid-token", "the session has expired: sign in again");
    const name = typeof p.name === "string" && p.name !== "" ? p.name : p.sub;
    return { principal: { id: p.sub, role: role as Role, name, school: p.sch }, via: String(p.via ?? ""), sid: p.sid, expiresAt: exp };
  }

  private checkCsrf(req: Request, sid: string): void {
    const site = req.headers.get("sec-fetch-site");
    if (site !== null && site !== "same-origin" && site !== "none") throw csrf(`a ${site} request cannot use this session`);
    const origin = req.headers.get("origin");
    if (origin !== null && !this.sameOrigin(req, origin)) throw csrf(`requests from ${origin.slice(0, 100)} cannot use this session`);
    const given = req.headers.get("x-csrf-token") ?? "";
    const want = this.csrfToken(sid);
    if (given.length !== want.length || !crypto.timingSafeEqual(Buffer.from(given), Buffer.from(want))) {
      throw csrf("send the session's CSRF token (GET /api/auth/session, csrfToken) in the X-CSRF-Token header");
    }
  }

  private sameOrigin(req: Request, origin: string): boolean {
    let o: URL;
    try {
      o = new URL(origin);
    } catch {
      return false;
    }
    if (this.o.publicUrl !== undefined && o.origin === new URL(this.o.publicUrl).origin) return true;
    return o.host === (req.headers.get("host") ?? new URL(req.url).host);
  }

  private cookie(name: string, value: string, maxAge: number, httpOnly: boolean): string {
    const parts = [`${name}=${value}`, "Path=/", `Max-Age=${maxAge}`, "SameSite=Lax"];
    if (httpOnly) parts.push("HttpOnly");
    if (this.o.secure) parts.push("Secure");
    return parts.join("; ");
  }
}

/**
 * The server's token verifier, also taking sessions' bearer tokens (LTI launches hand one to the
 * page): tokens whose header says `edgeclass-access` go to the sessions, all others as before.
 */
export function withSessionTokens<V extends { verify(token: string): Promise<Principal> }>(
  verifier: V,
  sessions: () => Sessions | null,
): V {
  // A token's header is one of a few (one per issuer and key): decoded once, not on every request.
  const isAccess = new Map<string, boolean>();
  const accessHeader = (header: string): boolean => {
    let access = isAccess.get(header);
    if (access === undefined) {
      try {
        access = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { typ?: unknown }).typ === "edgeclass-access";
      } catch {
        access = false;
      }
      if (isAccess.size >= 64) isAccess.clear(); // made-up headers cannot grow it
      isAccess.set(header, access);
    }
    return access;
  };
  return {
    ...verifier,
    verify(token: string): Promise<Principal> {
      const s = sessions();
      if (s === null) return verifier.verify(token);
      const dot = token.indexOf(".");
      return accessHeader(dot < 0 ? token : token.slice(0, dot)) ? s.verifyAccessToken(token) : verifier.verify(token);
    },
  };
}

const csrf = (detail: string) => new AppError("forbidden", `cross-site request refused: ${detail}`, { reason: "csrf" });
