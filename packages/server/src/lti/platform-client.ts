// Calls from the tool to the LMS: an access token by the client credentials grant with a
// signed JWT assertion (IMS Security Framework 4.1), the course roster (Names and Role
// Provisioning Services 2.0) and scores into the gradebook (Assignment and Grade Services 2.0).
import { fetchUnpooled } from "../http/fetch-unpooled.ts";
import type { Platform } from "./registry.ts";
import type { ToolKeys } from "./tool-key.ts";

export const SCOPES = {
  score: "https://purl.imsglobal.org/spec/lti-ags/scope/score",
  lineitem: "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
  roster: "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
} as const;

/** An LMS answer that was not a success: status 0 when it never answered. */
export class PlatformError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "PlatformError";
  }
}

export interface Member {
  user_id: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  status?: string;
  roles: string[];
}

export interface Score {
  userId: string;
  scoreGiven: number;
  scoreMaximum: number;
  timestamp: string;
}

const TIMEOUT_MS = 10_000;

export class PlatformClient {
  private readonly tokens = new Map<string, { token: string; until: number }>();

  constructor(
    private readonly toolKeys: ToolKeys,
    private readonly now: () => number = Date.now,
  ) {}

  async accessToken(p: Platform, scope: string): Promise<string> {
    const cacheKey = `${p.id} ${scope}`;
    const hit = this.tokens.get(cacheKey);
    if (hit !== undefined && hit.until > this.now()) return hit.token;
    const jose = await import("jose");
    const key = await this.toolKeys.get();
    const nowS = Math.floor(this.now() / 1000);
    const assertion = await new jose.SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
      .setIssuer(p.clientId)
      .setSubject(p.clientId)
      .setAudience(p.authTokenUrl)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + 300)
      .sign(key.privateKey);
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope,
    });
    const res = await call(p.authTokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
    });
    const json = (await res.json().catch(() => null)) as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof json?.access_token !== "string") throw new PlatformError(res.status, `the LMS token endpoint sent no access_token`);
    const ttl = typeof json.expires_in === "number" ? json.expires_in : 3600;
    this.tokens.set(cacheKey, { token: json.access_token, until: this.now() + Math.max(0, ttl - 60) * 1000 });
    return json.access_token;
  }

  /** Every member of the LMS course, following `Link: <...>; rel="next"` pages. */
  async members(p: Platform, membershipsUrl: string): Promise<Member[]> {
    const token = await this.accessToken(p, SCOPES.roster);
    const out: Member[] = [];
    let next: string | null = membershipsUrl;
    for (let page = 0; next !== null && page < 1000; page++) {
      const res = await call(next, {
        headers: { authorization: `Bearer ${token}`, accept: "application/vnd.ims.lti-nrps.v2.membershipcontainer+json" },
      });
      const body = (await res.json().catch(() => null)) as { members?: unknown } | null;
      if (!Array.isArray(body?.members)) throw new PlatformError(res.status, "the LMS roster answer has no members list");
      for (const m of body.members as Member[]) if (typeof m?.user_id === "string" && Array.isArray(m.roles)) out.push(m);
      next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.get("link") ?? "")?.[1] ?? null;
    }
    return out;
  }

  /** POST <lineitem>/scores (the line item's query string kept). */
  async postScore(p: Platform, lineitem: string, s: Score): Promise<void> {
    const token = await this.accessToken(p, SCOPES.score);
    const url = new URL(lineitem);
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/scores`;
    await call(url.href, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.ims.lis.v1.score+json" },
      body: JSON.stringify({ ...s, activityProgress: "Completed", gradingProgress: "FullyGraded" }),
    });
  }

  /** Adds a gradebook column to the LMS course; its URL. */
  async createLineItem(
    p: Platform,
    lineitems: string,
    item: { label: string; scoreMaximum: number; resourceId: string; resourceLinkId: string },
  ): Promise<string> {
    const token = await this.accessToken(p, SCOPES.lineitem);
    const res = await call(lineitems, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/vnd.ims.lis.v2.lineitem+json",
        accept: "application/vnd.ims.lis.v2.lineitem+json",
      },
      body: JSON.stringify({ ...item, tag: "edgeclass-quiz" }),
    });
    const body = (await res.json().catch(() => null)) as { id?: unknown } | null;
    if (typeof body?.id !== "string") throw new PlatformError(res.status, "the LMS made a line item but sent no id");
    return body.id;
  }

  /** Forget cached tokens of a platform (a 401 may mean the LMS revoked one). */
  forget(p: Platform): void {
    for (const k of this.tokens.keys()) if (k.startsWith(`${p.id} `)) this.tokens.delete(k);
  }
}

async function call(url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetchUnpooled(url, { ...init, redirect: "error", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new PlatformError(0, `the LMS did not answer ${new URL(url).origin}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => "")).slice(0, 300);
    throw new PlatformError(res.status, `the LMS answered ${res.status} at ${new URL(url).pathname}${text ? `: ${text}` : ""}`);
  }
  return res;
}
