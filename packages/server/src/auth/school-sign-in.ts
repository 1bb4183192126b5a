// Builds school sign-in for the server: session cookies, the shared one-time keys (SQLite on
// one instance, Redis with REDIS_URL), the registry of schools' identity providers and the
// OpenID Connect flow, plus their routes.
import type { Database } from "bun:sqlite";
import { authKeyPrefix } from "../cluster/keys.ts";
import type { RedisLink } from "../cluster/redis.ts";
import type { Config } from "../config/config.ts";
import type { Principal } from "../domain/model.ts";
import type { RouteDef } from "../http/endpoint.ts";
import { authRoutes } from "../http/routes/auth.ts";
import { AppError } from "../domain/errors.ts";
import type { Logger } from "../obs/logger.ts";
import type { Registry } from "../obs/prom.ts";
import type { RecordChange } from "../store/sqlite/catalogue-journal.ts";
import { SqliteKeys, type OneTimeKeys } from "./keys.ts";
import { Records } from "./records.ts";
import { IdentityProviders } from "./oidc/registry.ts";
import { OidcSignIn } from "./oidc/sign-in.ts";
import { RedisKeys } from "./redis-keys.ts";
import { deriveKey } from "./seal.ts";
import { Sessions } from "./session.ts";

export interface SchoolSignIn {
  sessions: Sessions;
  keys: OneTimeKeys;
  /** Key sealing stored secrets (identity providers' and LTI platforms'). */
  sealKey: Uint8Array<ArrayBuffer>;
  /** Key of the LTI login states (signed, not stored). */
  stateKey: Uint8Array<ArrayBuffer>;
  /** Schools' sign-in and LMS settings, replicated to every instance. */
  records: Records;
  /** Counts a sign-in (OIDC callback, LTI launch) by its outcome: "ok" or the refusal's reason. */
  counted<T>(via: "oidc" | "lti", run: () => Promise<T>): Promise<T>;
  routes: RouteDef[];
}

export function schoolSignIn(o: {
  config: Config;
  db: Database;
  record: RecordChange | null;
  secret: string;
  redis: RedisLink | null;
  logger: Logger;
  now: () => number;
  registry: Registry;
  schoolExists(id: string): boolean;
  onSignedIn(p: Principal): void;
}): SchoolSignIn {
  const outcomes = o.registry.counter({
    name: "edgeclass_sign_ins_total",
    help:
      "School sign-ins (OIDC callbacks) and LTI launches, by way and outcome: ok, or the refusal's reason (state-mismatch, " +
      "bad-signature, replayed-nonce, ...).",
    labelNames: ["via", "outcome"],
  });
  const counted = async <T>(via: "oidc" | "lti", run: () => Promise<T>): Promise<T> => {
    try {
      const r = await run();
      outcomes.labels(via, "ok").inc();
      return r;
    } catch (e) {
      const reason = e instanceof AppError ? (typeof e.extra.reason === "string" ? e.extra.reason : e.code) : "error";
      outcomes.labels(via, reason).inc();
      throw e;
    }
  };
  const base = o.config.session.secret ?? o.secret;
  const key = deriveKey(base, "session-cookie");
  const sealKey = deriveKey(base, "sealed-secrets");
  const keys: OneTimeKeys = o.redis ? new RedisKeys(o.redis.cmd, authKeyPrefix(o.redis)) : new SqliteKeys(o.db, o.now);
  const sessions = new Sessions({
    key,
    ttlSeconds: o.config.session.ttlSeconds,
    secure: o.config.session.secureCookies,
    keys,
    publicUrl: o.config.publicUrl,
    now: o.now,
  });
  const records = new Records(o.db, o.record);
  const providers = new IdentityProviders(records, sealKey);
  const oidc = new OidcSignIn({
    providers,
    sessions,
    key,
    secure: o.config.session.secureCookies,
    publicUrl: o.config.publicUrl,
    logger: o.logger,
    now: o.now,
    onSignedIn: o.onSignedIn,
  });
  const routes = authRoutes(
    { sessions, providers, oidc, counted, maxBodyBytes: o.config.maxBodyBytes, now: o.now, schoolExists: o.schoolExists },
    o.config.publicUrl,
  );
  return { sessions, keys, sealKey, stateKey: deriveKey(base, "lti-state"), records, routes, counted };
}
