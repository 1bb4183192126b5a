// School sign-in with OpenID Connect (openid-client): the authorization code flow with PKCE
// against the school's own provider. The flow's state, nonce and PKCE verifier travel in a
// signed, HttpOnly cookie bound to this browser (no server state: any instance finishes what
// another began), and the callback must match all three before a session is issued.
import type { Configuration } from "openid-client";
import { AppError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import { fetchUnpooled } from "../../http/fetch-unpooled.ts";
import { isLoopbackUrl } from "../../http/validate.ts";
import type { Logger } from "../../obs/logger.ts";
import { readCookie, type Sessions } from "../session.ts";
import type { IdentityProvider, IdentityProviders } from "./registry.ts";

let clientModule: Promise<typeof import("openid-client")> | undefined;
const loadClient = () => (clientModule ??= import("openid-client"));
let joseModule: Promise<typeof import("jose")> | undefined;
const loadJose = () => (joseModule ??= import("jose"));

const PENDING_TTL_S = 600;
const DISCOVERY_TTL_MS = 10 * 60_000;

interface Pending {
  school: string;
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  next: string;
}

export interface OidcSignInOptions {
  providers: IdentityProviders;
  sessions: Sessions;
  /** Key of the pending-login cookie (the session key serves: the cookie's `typ` keeps them apart). */
  key: Uint8Array<ArrayBuffer>;
  secure: boolean;
  publicUrl: string | undefined;
  logger: Logger;
  now?: () => number;
  /** Told about every user who signs in (the users table). */
  onSignedIn?(p: Principal): void;
}

/** Where to go after sign-in: a path on this site only (no open redirect). */
function safeNext(next: string | null): string {
  return next !== null && next.length <= 512 && /^\/(?![/\\])[^\s]*$/.test(next) ? next : "/";
}

/** The user id for a provider's subject: school-qualified, hashed when it does not fit an id. */
export function userIdFor(school: string, sub: string): string {
  const id = `${school}:${sub}`;
  return /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/.test(id)
    ? id
    : `${school}:h-${new Bun.CryptoHasher("sha256").update(sub).digest("hex").slice(0, 40)}`;
}

/**
 * school-admin, else teacher, when the role claim (a string, a list, or space-separated) holds one of their values; else student.
 * Never the platform admin: a school's provider speaks for that school only.
 */
function roleFrom(
  claims: Record<string, unknown>,
  p: Pick<IdentityProvider, "roleClaim" | "teacherValues" | "schoolAdminValues">,
): "school-admin" | "teacher" | "student" {
  if (p.roleClaim === null) return "student";
  const raw = claims[p.roleClaim];
  const values = Array.isArray(raw)
    ? raw.filter((x): x is string => typeof x === "string")
    : typeof raw === "string"
      ? raw.split(/[\s,]+/)
      : [];
  if (values.some((v) => p.schoolAdminValues?.includes(v))) return "school-admin";
  return values.some((v) => p.teacherValues.includes(v)) ? "teacher" : "student";
}

/** An error's message and its causes' (openid-client wraps the specific one). */
function causes(e: unknown): string[] {
  const out: string[] = [];
  for (let c: unknown = e; c instanceof Error && out.length < 4; c = c.cause) out.push(c.message);
  return out.length > 0 ? out : [String(e)];
}

export class OidcSignIn {
  private readonly configs = new Map<string, { at: number; version: number; config: Promise<Configuration> }>();
  private readonly now: () => number;
  readonly pendingCookie: string;

  constructor(private readonly o: OidcSignInOptions) {
    this.now = o.now ?? Date.now;
    this.pendingCookie = o.secure ? "__Secure-edgeclass-oidc" : "edgeclass-oidc";
  }

  /** The provider's metadata (discovery), cached a while per school and registration. */
  async configuration(
    p: Omit<IdentityProvider, "createdAt" | "updatedAt"> & { updatedAt?: number },
    fresh = false,
  ): Promise<Configuration> {
    const hit = this.configs.get(p.schoolId);
    if (!fresh && hit !== undefined && hit.version === (p.updatedAt ?? -1) && this.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
    const client = await loadClient();
    const auth =
      p.tokenAuthMethod === "client_secret_post" ? client.ClientSecretPost(p.clientSecret) : client.ClientSecretBasic(p.clientSecret);
    const config = client.discovery(new URL(p.issuer), p.clientId, undefined, auth, {
      timeout: 5,
      execute: isLoopbackUrl(new URL(p.issuer)) ? [client.allowInsecureRequests] : [],
      // Every request to the provider, the code's exchange (a POST) too, on a connection of its own.
      // (oauth4webapi types a body as any Uint8Array, fetch's as one on an ArrayBuffer: the same at run time.)
      [client.customFetch]: (url, options) => fetchUnpooled(url, options as RequestInit),
    });
    config.catch(() => this.configs.delete(p.schoolId));
    this.configs.set(p.schoolId, { at: this.now(), version: p.updatedAt ?? -1, config });
    return config;
  }

  /** Starts a sign-in: a redirect to the school's provider and the cookie that binds it to this browser. */
  async begin(req: Request, school: string, next: string | null): Promise<Response> {
    const p = this.o.providers.get(school);
    if (p === undefined) throw new AppError("not-found", `school ${school} has no identity provider registered`);
    const client = await loadClient();
    let config: Configuration;
    try {
      config = await this.configuration(p);
    } catch (e) {
      this.o.logger.warn({ school, issuer: p.issuer, err: e }, "identity provider discovery failed");
      throw new AppError("unavailable", `the school's identity provider (${p.issuer}) did not answer discovery; try again later`);
    }
    const pending: Pending = {
      school,
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      redirectUri: `${this.o.publicUrl ?? new URL(req.url).origin}/api/auth/oidc/callback`,
      next: safeNext(next),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: pending.redirectUri,
      scope: p.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    const { SignJWT } = await loadJose();
    const cookie = await new SignJWT({ typ: "oidc-pending", ...pending })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime(Math.floor(this.now() / 1000) + PENDING_TTL_S)
      .sign(this.o.key);
    const headers = new Headers({ location: url.href, "cache-control": "no-store" });
    headers.append("set-cookie", this.pendingCookieValue(cookie, PENDING_TTL_S));
    return new Response(null, { status: 303, headers });
  }

  /**
   * The provider's redirect back. Refused, with nothing changed (no user, no session, the
   * pending sign-in kept), unless state, PKCE and the ID token's nonce, issuer, audience and
   * signature all check out.
   */
  async finish(req: Request): Promise<Response> {
    const pending = await this.readPending(req);
    const params = new URL(req.url).searchParams;
    const state = params.get("state");
    if (state !== pending.state) {
      throw new AppError(
        "bad-request",
        "the sign-in response does not belong to the sign-in this browser started (state mismatch): nothing was changed; " +
          "start the sign-in again",
        { reason: "state-mismatch" },
      );
    }
    const error = params.get("error");
    if (error !== null) {
      throw new AppError(
        "forbidden",
        `the school's identity provider refused the sign-in: ` +
          `${error.slice(0, 100)}` +
          `${params.has("error_description") ? ` (${(params.get("error_description") ?? "").slice(0, 200)})` : ""}`,
        { reason: "provider-error" },
      );
    }
    const p = this.o.providers.get(pending.school);
    if (p === undefined) throw new AppError("not-found", `school ${pending.school} no longer has an identity provider registered`);
    const client = await loadClient();
    const config = await this.configuration(p).catch(() => {
      throw new AppError("unavailable", `the school's identity provider (${p.issuer}) did not answer; try again later`);
    });
    // The URL the provider redirected to, as registered (a proxy in front may change the request's own).
    const current = new URL(pending.redirectUri);
    current.search = new URL(req.url).search;
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      accessToken = tokens.access_token;
    } catch (e) {
      const message = causes(e).join(": ");
      this.o.logger.warn({ school: pending.school, err: e }, "OIDC callback refused");
      // openid-client wraps oauth4webapi's error, which says which claim did not match.
      if (/"nonce" claim/.test(message)) {
        throw new AppError(
          "bad-request",
          "the identity provider's ID token does not carry the nonce of this browser's sign-in (nonce mismatch): nothing " +
            "was changed; start the sign-in again",
          { reason: "nonce-mismatch" },
        );
      }
      throw new AppError("bad-request", `the identity provider's answer was refused: ${message.slice(0, 200)}; nothing was changed`, {
        reason: "token-refused",
      });
    }
    const sub = String(claims.sub);
    // Profile and role claims may only be at the UserInfo endpoint.
    if ((p.roleClaim !== null && !(p.roleClaim in claims)) || typeof claims.name !== "string") {
      try {
        claims = { ...(await client.fetchUserInfo(config, accessToken, sub)), ...claims };
      } catch (e) {
        this.o.logger.info({ school: pending.school, err: e }, "OIDC userinfo not available; using the ID token's claims");
      }
    }
    const nameClaim = [claims.name, claims.preferred_username, claims.email].find(
      (x): x is string => typeof x === "string" && x.trim() !== "",
    );
    const principal: Principal = {
      id: userIdFor(pending.school, sub),
      role: roleFrom(claims, p),
      name: (nameClaim ?? sub).slice(0, 100),
      school: pending.school,
    };
    this.o.onSignedIn?.(principal);
    const { cookies } = await this.o.sessions.issue(principal, "oidc");
    const headers = new Headers({ location: pending.next, "cache-control": "no-store" });
    for (const c of cookies) headers.append("set-cookie", c);
    headers.append("set-cookie", this.pendingCookieValue("", 0));
    this.o.logger.info(
      { school: pending.school, user: principal.id, role: principal.role },
      "signed in with the school's identity provider",
    );
    return new Response(null, { status: 303, headers });
  }

  private async readPending(req: Request): Promise<Pending> {
    const raw = readCookie(req, this.pendingCookie);
    if (raw === null || raw === "") {
      throw new AppError(
        "bad-request",
        "no sign-in was started in this browser (or it took longer than 10 minutes): start the sign-in again",
        { reason: "no-pending-sign-in" },
      );
    }
    const { jwtVerify } = await loadJose();
    try {
      const { payload } = await jwtVerify(raw, this.o.key, { algorithms: ["HS256"], currentDate: new Date(this.now()) });
      if (payload.typ !== "oidc-pending") throw new Error("not a pending sign-in");
      return payload as unknown as Pending;
    } catch {
      throw new AppError("bad-request", "the sign-in this browser started is not valid any more: start the sign-in again", {
        reason: "no-pending-sign-in",
      });
    }
  }

  private pendingCookieValue(value: string, maxAge: number): string {
    return [
      `${this.pendingCookie}=${value}`,
      "Path=/api/auth/oidc",
      `Max-Age=${maxAge}`,
      "SameSite=Lax",
      "HttpOnly",
      ...(this.o.secure ? ["Secure"] : []),
    ].join("; ");
  }
}
