// JWT bearer tokens: HS256 with the local secret, or RS256/ES256 against a JWKS
// (file or URL) so a central identity provider can issue tokens the edge verifies offline.
import { readFileSync } from "node:fs";
import { SignJWT, createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config/config.ts";
import { AppError } from "../domain/errors.ts";
import { ROLES, type Principal, type Role } from "../domain/model.ts";

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

interface MintOptions {
  sub: string;
  role: Role;
  name?: string;
  ttlSeconds: number;
  issuer?: string;
  audience?: string;
}

export async function mintToken(secret: string, o: MintOptions): Promise<string> {
  const jwt = new SignJWT({ role: o.role, name: o.name ?? o.sub })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(o.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + o.ttlSeconds);
  if (o.issuer) jwt.setIssuer(o.issuer);
  if (o.audience) jwt.setAudience(o.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

function principalOf(payload: JWTPayload): Principal {
  const role = payload.role;
  if (typeof payload.sub !== "string" || payload.sub === "" || payload.sub.length > 128) {
    throw new AppError("invalid-token", "token has no valid subject (sub)");
  }
  if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
    throw new AppError("invalid-token", `token role must be one of ${ROLES.join(", ")}`);
  }
  const name = typeof payload.name === "string" && payload.name.trim() !== "" ? payload.name.slice(0, 100) : payload.sub;
  return { id: payload.sub, role: role as Role, name };
}

const CACHE_LIMIT = 10_000;

export function createTokenVerifier(jwt: Config["jwt"], secret: string): TokenVerifier {
  let key: JWTVerifyGetKey | Uint8Array;
  let algorithms: string[];
  if (jwt.jwksFile) {
    key = createLocalJWKSet(JSON.parse(readFileSync(jwt.jwksFile, "utf8")));
    algorithms = ["RS256", "ES256"];
  } else if (jwt.jwksUrl) {
    key = createRemoteJWKSet(new URL(jwt.jwksUrl));
    algorithms = ["RS256", "ES256"];
  } else {
    key = new TextEncoder().encode(secret);
    algorithms = ["HS256"];
  }
  const options = { algorithms, issuer: jwt.issuer, audience: jwt.audience, requiredClaims: ["exp", "sub"] };
  // Verified tokens are cached until they expire: a signature check costs far more than a map lookup.
  const cache = new Map<string, { principal: Principal; expMs: number }>();

  return {
    async verify(token: string): Promise<Principal> {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.expMs > Date.now()) return hit.principal;
        cache.delete(token);
      }
      let payload: JWTPayload;
      try {
        payload = (typeof key === "function" ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)).payload;
      } catch (e) {
        if (e instanceof errors.JWTExpired) throw new AppError("invalid-token", "token has expired");
        if (e instanceof errors.JOSEError) throw new AppError("invalid-token", `token rejected: ${e.message}`);
        throw new AppError("invalid-token", "token is malformed");
      }
      const principal = principalOf(payload);
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      cache.set(token, { principal, expMs: (payload.exp ?? 0) * 1000 });
      return principal;
    },
  };
}
