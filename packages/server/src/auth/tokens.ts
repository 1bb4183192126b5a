// JWT bearer tokens: HS256 with the local secret, or RS256/ES256 against a JWKS
// (file or URL) so a central identity provider can issue tokens the edge verifies offline.
// jose is loaded on first use: it is a third of the server's start-up time otherwise.
import type * as Fs from "node:fs";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import type { Config } from "../config/config.ts";
import { AppError } from "../domain/errors.ts";
import { DEFAULT_SCHOOL_ID, ROLES, type Principal, type Role } from "../domain/model.ts";
import { SCHOOL_ID_PATTERN } from "../domain/schools.ts";

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

interface MintOptions {
  sub: string;
  role: Role;
  name?: string;
  /** The `school` claim; none: the default school. */
  school?: string;
  ttlSeconds: number;
  issuer?: string;
  audience?: string;
}

let joseModule: Promise<typeof import("jose")> | undefined;
const loadJose = () => (joseModule ??= import("jose"));

export async function mintToken(secret: string, o: MintOptions): Promise<string> {
  const { SignJWT } = await loadJose();
  const jwt = new SignJWT({ role: o.role, name: o.name ?? o.sub, ...(o.school === undefined ? {} : { school: o.school }) })
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
  // Tokens from before schools (and identity providers that do not know them) belong to the default school.
  const school = payload.school ?? DEFAULT_SCHOOL_ID;
  if (typeof school !== "string" || !SCHOOL_ID_PATTERN.test(school))
    throw new AppError("invalid-token", "token school claim must be a school id (1-128 letters, digits or _ . : @ -)");
  return { id: payload.sub, role: role as Role, name, school };
}

const CACHE_LIMIT = 10_000;

export function createTokenVerifier(jwt: Config["jwt"], secret: string): TokenVerifier {
  // node:fs only when there is a file to read: the server's start path loads no Node module (issue 19).
  const jwksFile = jwt.jwksFile ? JSON.parse((import.meta.require("node:fs") as typeof Fs).readFileSync(jwt.jwksFile, "utf8")) : undefined;
  const algorithms = jwt.jwksFile || jwt.jwksUrl ? ["RS256", "ES256"] : ["HS256"];
  const options = { algorithms, issuer: jwt.issuer, audience: jwt.audience, requiredClaims: ["exp", "sub"] };
  let key: Promise<JWTVerifyGetKey | Uint8Array> | undefined;
  const getKey = () =>
    (key ??= loadJose().then((jose) => {
      if (jwksFile) return jose.createLocalJWKSet(jwksFile);
      if (jwt.jwksUrl) return jose.createRemoteJWKSet(new URL(jwt.jwksUrl));
      return new TextEncoder().encode(secret);
    }));
  // Verified tokens are cached until they expire: a signature check costs far more than a map lookup.
  const cache = new Map<string, { principal: Principal; expMs: number }>();

  return {
    async verify(token: string): Promise<Principal> {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.expMs > Date.now()) return hit.principal;
        cache.delete(token);
      }
      const { jwtVerify, errors } = await loadJose();
      const k = await getKey();
      let payload: JWTPayload;
      try {
        payload = (typeof k === "function" ? await jwtVerify(token, k, options) : await jwtVerify(token, k, options)).payload;
      } catch (e) {
        if (e instanceof errors.JWTExpired) throw new AppError("invalid-token", "token has expired");
        if (e instanceof errors.JOSEError) throw new AppError("invalid-token", `token rejected: ${e.message}`);
        throw new AppError("invalid-token", "token is malformed");
      }
      // jose checks exp is in the future, not how far: a token valid for years is refused here.
      const nowS = Math.floor(Date.now() / 1000);
      const exp = payload.exp ?? 0;
      const lifetime = Math.max(exp - (payload.iat ?? nowS), exp - nowS);
      if (lifetime > jwt.maxTtlSeconds)
        throw new AppError("invalid-token", `token lifetime exceeds the maximum of ${jwt.maxTtlSeconds} s (JWT_MAX_TTL_SECONDS)`);
      const principal = principalOf(payload);
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      cache.set(token, { principal, expMs: (payload.exp ?? 0) * 1000 });
      return principal;
    },
  };
}
