// LTI 1.3 launches (IMS Security Framework 1.0, LTI Core 1.3): the OIDC third-party login
// initiation, then the platform's id_token checked claim by claim. Each check that fails is a
// problem document with its own `reason`, before anything is written.
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import type { OneTimeKeys } from "../auth/keys.ts";
import { AppError } from "../domain/errors.ts";
import type { LtiRegistry, Platform } from "./registry.ts";

export const LTI = "https://purl.imsglobal.org/spec/lti/claim/";
const CLAIM = {
  messageType: `${LTI}message_type`,
  version: `${LTI}version`,
  deploymentId: `${LTI}deployment_id`,
  targetLinkUri: `${LTI}target_link_uri`,
  resourceLink: `${LTI}resource_link`,
  roles: `${LTI}roles`,
  context: `${LTI}context`,
  custom: `${LTI}custom`,
  deepLinking: "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings",
  ags: "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
  nrps: "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
} as const;

const STATE_TTL_S = 10 * 60;
const MESSAGE_TYPES = ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"] as const;

export interface Launch {
  platform: Platform;
  deploymentId: string;
  messageType: (typeof MESSAGE_TYPES)[number];
  sub: string;
  name: string;
  role: "teacher" | "student";
  context: { id: string; title: string } | null;
  resourceLinkId: string | null;
  custom: Record<string, string>;
  deepLinking: { returnUrl: string; data: string | null; acceptTypes: string[] } | null;
  /** AGS: the line item of this resource link (scores go to `<lineitem>/scores`). */
  lineitem: string | null;
  /** AGS: the course's line items, where the tool may add one (with the lineitem scope). */
  lineitems: string | null;
  agsScopes: string[];
  /** NRPS: the course's membership URL. */
  membershipsUrl: string | null;
}

export const refused = (reason: string, detail: string) =>
  new AppError("bad-request", `LTI launch refused: ${detail}; nothing was changed`, { reason });

/** Instructors, teaching assistants, content developers and course administrators teach; everyone else learns. */
export function roleOf(roles: unknown): "teacher" | "student" {
  const list = Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [];
  const teaching = /(?:^|[#/])(Instructor|ContentDeveloper|Administrator|Mentor|TeachingAssistant)$/;
  return list.some((r) => (r.includes("/membership") || !r.includes("/")) && teaching.test(r)) ? "teacher" : "student";
}

export interface LoginParams {
  iss: string;
  login_hint: string;
  target_link_uri: string;
  lti_message_hint?: string;
  client_id?: string;
  lti_deployment_id?: string;
}

export class LtiLaunches {
  private readonly jwks = new Map<string, { version: number; get: JWTVerifyGetKey }>();

  constructor(
    private readonly registry: LtiRegistry,
    private readonly keys: OneTimeKeys,
    /** Signs the login's state: nothing is stored for a login (anyone may start one), and any instance reads it. */
    private readonly stateKey: Uint8Array<ArrayBuffer>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Third-party login initiation: the platform's authorization URL to send the browser to. */
  async login(p: LoginParams, launchUrl: string): Promise<string> {
    const candidates = this.registry.byIssuer(p.iss).filter((x) => p.client_id === undefined || x.clientId === p.client_id);
    if (candidates.length === 0)
      throw new AppError(
        "bad-request",
        `no LTI platform is registered with issuer ` +
          `${p.iss.slice(0, 200)}${p.client_id ? ` and client id ${p.client_id.slice(0, 100)}` : ""}`,
        { reason: "unknown-platform" },
      );
    if (candidates.length > 1)
      throw new AppError("bad-request", `several registrations have issuer ${p.iss.slice(0, 200)}: the platform must send client_id`, {
        reason: "ambiguous-platform",
      });
    const platform = candidates[0];
    if (p.lti_deployment_id !== undefined && !platform.deploymentIds.includes(p.lti_deployment_id)) {
      throw new AppError("bad-request", `deployment ${p.lti_deployment_id.slice(0, 100)} is not registered for this platform`, {
        reason: "unknown-deployment",
      });
    }
    const nonce = random();
    const jose = await import("jose");
    const nowS = Math.floor(this.now() / 1000);
    const state = await new jose.SignJWT({ p: platform.id, n: nonce })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + STATE_TTL_S)
      .sign(this.stateKey);
    const url = new URL(platform.authLoginUrl);
    const q = url.searchParams;
    q.set("scope", "openid");
    q.set("response_type", "id_token");
    q.set("response_mode", "form_post");
    q.set("prompt", "none");
    q.set("client_id", platform.clientId);
    q.set("redirect_uri", launchUrl);
    q.set("login_hint", p.login_hint);
    if (p.lti_message_hint !== undefined) q.set("lti_message_hint", p.lti_message_hint);
    q.set("state", state);
    q.set("nonce", nonce);
    return url.href;
  }

  /** The launch: the id_token posted back with the state, checked against everything the spec asks. */
  async validate(idToken: string, state: string): Promise<Launch> {
    // The state is this tool's signature over the platform and the nonce; the nonce makes it one-time (below).
    const jose = await import("jose");
    let platformId: string;
    let nonce: string;
    try {
      const { payload } = await jose.jwtVerify(state, this.stateKey, { algorithms: ["HS256"], currentDate: new Date(this.now()) });
      if (typeof payload.p !== "string" || typeof payload.n !== "string") throw new Error("not a login state");
      platformId = payload.p;
      nonce = payload.n;
    } catch {
      throw refused("unknown-state", "the state is not one this tool made, or older than 10 minutes: launch again from the LMS");
    }
    const platform = this.registry.get(platformId);
    if (platform === undefined) throw refused("unknown-platform", "the platform was removed during the launch");
    let claims: JWTPayload;
    try {
      claims = jose.decodeJwt(idToken);
    } catch {
      throw refused("malformed-token", "id_token is not a JWT");
    }
    if (claims.iss !== platform.issuer)
      throw refused("wrong-issuer", `id_token issuer ${String(claims.iss).slice(0, 200)} is not the platform this launch began with`);
    const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (!audiences.includes(platform.clientId))
      throw refused("wrong-audience", `id_token audience does not include this tool's client id ${platform.clientId}`);
    if (audiences.length > 1 && claims.azp !== platform.clientId)
      throw refused("wrong-audience", "id_token has several audiences and its azp is not this tool's client id");
    try {
      await jose.jwtVerify(idToken, this.keySet(platform), {
        algorithms: ["RS256", "RS384", "RS512", "ES256"],
        issuer: platform.issuer,
        audience: platform.clientId,
        requiredClaims: ["exp", "iat", "nonce"],
        clockTolerance: 60,
        currentDate: new Date(this.now()),
      });
    } catch (e) {
      if (e instanceof jose.errors.JWTExpired) throw refused("expired", "id_token has expired");
      if (e instanceof jose.errors.JWKSNoMatchingKey || e instanceof jose.errors.JWSSignatureVerificationFailed) {
        throw refused("bad-signature", "id_token is not signed by a key in the platform's JWKS");
      }
      throw refused("invalid-token", `id_token rejected: ${e instanceof Error ? e.message.slice(0, 200) : "unreadable"}`);
    }
    // Replay: a nonce is good for one launch, on any instance (verified tokens only, so junk cannot fill the store).
    const tokenNonce = String(claims.nonce);
    const ttl = Math.max(60_000, (Number(claims.exp) + 120) * 1000 - this.now());
    if (!(await this.keys.claim(`lti-nonce:${platform.id}:${tokenNonce}`, "1", ttl)))
      throw refused("replayed-nonce", "this id_token's nonce was used by an earlier launch");
    if (tokenNonce !== nonce) throw refused("wrong-nonce", "id_token nonce is not the one this launch's login sent");
    const deploymentId = claims[CLAIM.deploymentId];
    if (typeof deploymentId !== "string" || !platform.deploymentIds.includes(deploymentId)) {
      throw refused("unknown-deployment", `deployment ${String(deploymentId).slice(0, 100)} is not registered for this platform`);
    }
    if (claims[CLAIM.version] !== "1.3.0")
      throw refused("wrong-version", `LTI version ${String(claims[CLAIM.version]).slice(0, 20)} is not 1.3.0`);
    const messageType = claims[CLAIM.messageType];
    if (!(MESSAGE_TYPES as readonly unknown[]).includes(messageType))
      throw refused("unsupported-message", `message type ${String(messageType).slice(0, 60)} is not supported`);
    if (typeof claims.sub !== "string" || claims.sub === "") throw refused("no-subject", "anonymous launches (no sub) are not supported");
    return this.launchOf(platform, deploymentId, messageType as Launch["messageType"], claims);
  }

  private launchOf(platform: Platform, deploymentId: string, messageType: Launch["messageType"], c: JWTPayload): Launch {
    const obj = (v: unknown): Record<string, unknown> | null =>
      v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
    const context = obj(c[CLAIM.context]);
    const contextId = str(context?.id);
    const resourceLink = obj(c[CLAIM.resourceLink]);
    const dl = obj(c[CLAIM.deepLinking]);
    const ags = obj(c[CLAIM.ags]);
    const nrps = obj(c[CLAIM.nrps]);
    const custom: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(c[CLAIM.custom]) ?? {}))
      if (typeof v === "string" || typeof v === "number") custom[k] = String(v);
    if (messageType === "LtiResourceLinkRequest" && str(resourceLink?.id) === null)
      throw refused("no-resource-link", "a resource link launch has no resource_link id");
    if (messageType === "LtiDeepLinkingRequest" && str(dl?.deep_link_return_url) === null)
      throw refused("no-return-url", "a deep linking request has no deep_link_return_url");
    const sub = String(c.sub);
    const name = str(c.name) ?? ([str(c.given_name), str(c.family_name)].filter(Boolean).join(" ") || (str(c.email) ?? sub));
    return {
      platform,
      deploymentId,
      messageType,
      sub,
      name: name.slice(0, 100),
      role: roleOf(c[CLAIM.roles]),
      context:
        contextId === null ? null : { id: contextId, title: (str(context?.title) ?? str(context?.label) ?? contextId).slice(0, 200) },
      resourceLinkId: str(resourceLink?.id),
      custom,
      deepLinking:
        dl === null
          ? null
          : {
              returnUrl: String(dl.deep_link_return_url),
              data: str(dl.data),
              acceptTypes: Array.isArray(dl.accept_types) ? dl.accept_types.map(String) : [],
            },
      lineitem: str(ags?.lineitem),
      lineitems: str(ags?.lineitems),
      agsScopes: Array.isArray(ags?.scope) ? ags.scope.filter((x): x is string => typeof x === "string") : [],
      membershipsUrl: str(nrps?.context_memberships_url),
    };
  }

  private keySet(p: Platform): JWTVerifyGetKey {
    const hit = this.jwks.get(p.id);
    if (hit !== undefined && hit.version === p.updatedAt) return hit.get;
    // jose fetches the JWKS on first use and again for an unknown kid (key rotation), at most every 30 s.
    const get = createRemote(p.jwksUrl);
    this.jwks.set(p.id, { version: p.updatedAt, get });
    return get;
  }
}

let createRemoteJWKSet: typeof import("jose").createRemoteJWKSet | undefined;
function createRemote(url: string): JWTVerifyGetKey {
  // jose is loaded by the caller before this runs (validate imports it first).
  let inner: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    createRemoteJWKSet ??= (await import("jose")).createRemoteJWKSet;
    inner ??= createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    return inner(header, token);
  };
}

const random = () => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
