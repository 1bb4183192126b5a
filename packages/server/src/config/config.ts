// Configuration: environment variables over an optional config.json over defaults.
// Pure: takes the environment and the parsed file, returns a validated Config or throws ConfigError.
// Over 400 lines because it is the one table of every setting (its variable, default and check):
// an operator's knob is defined, parsed and checked in one place.

const VIDEO_QUALITIES = ["360p", "480p", "720p", "1080p"] as const;
type VideoQuality = (typeof VIDEO_QUALITIES)[number];
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const DB_SYNC_MODES = ["normal", "full"] as const;
export type DbSyncMode = (typeof DB_SYNC_MODES)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  maxStudents: number;
  videoQuality: VideoQuality;
  redisUrl: string | undefined;
  redis: {
    /** Prefix of every key and channel (several deployments or test runs can share a Redis). */
    prefix: string;
    /** Sentinel addresses "host:port,..." and master name; REDIS_URL then carries password and db. */
    sentinels: string | undefined;
    sentinelName: string | undefined;
    /** Redis Cluster seed nodes "host:port,..."; REDIS_URL then carries user, password and TLS. */
    clusterNodes: string | undefined;
  };
  /** Name of this instance in the cluster (default: host name, pid and a random suffix). */
  instanceId: string | undefined;
  logLevel: LogLevel;
  dbSync: DbSyncMode;
  /** Demo data and demo sign-in: DEMO=true, or DEMO unset and HOST a loopback address. */
  demo: boolean;
  limits: {
    /** Demo tokens minted per minute, per client address and per user (the burst is the same). */
    tokenMintPerMinute: number;
    /** Failed authentications per minute, per client address and per claimed user. */
    authFailuresPerMinute: number;
    /** Take the client address from the last X-Forwarded-For entry (behind a proxy you run). */
    trustProxy: boolean;
  };
  /** Milliseconds to keep serving (not ready) after SIGTERM before closing, so load balancers notice. */
  drainDelayMs: number;
  maxBodyBytes: number;
  /** Folder of .rego files replacing the bundled policies/education.rego. */
  policyDir: string | undefined;
  /** How long a dropped participant keeps their seat. */
  reconnectGraceMs: number;
  media: {
    /** Media worker processes (default: one per core). */
    workers: number | undefined;
    /** Address announced in ICE candidates (the node's address on K3s). */
    publicIp: string | undefined;
    portMin: number | undefined;
    portMax: number | undefined;
    /** Scale-out: this instance's address for other instances (forwarded WHIP/WHEP); default from HOST and PORT. */
    internalUrl: string | undefined;
    /** Scale-out: key of the HMAC on forwarded signalling; default derived from the HS256 secret. */
    clusterSecret: string | undefined;
    /** Scale-out: viewers served by the instance they reach, fed by a relay from the class's media home. */
    cascade: boolean;
    /** Scale-out: address this instance's media workers take relayed streams on (reachable by the other instances). */
    cascadeHost: string;
    /** Subscribers one media worker takes before placement looks elsewhere (MEDIA_SUBSCRIBERS_PER_WORKER). */
    subscribersPerWorker: number;
  };
  /** TURN relays for clients whose UDP is blocked (coturn, shared-secret credentials; media/turn.ts). */
  turn: { urls: string[]; secret: string | undefined; ttlSeconds: number };
  jwt: {
    /** HS256 secret; when absent one is generated and kept in dataDir. */
    secret: string | undefined;
    jwksUrl: string | undefined;
    jwksFile: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    /** Lifetime of tokens minted by the CLI. */
    ttlSeconds: number;
    /** Longest lifetime accepted (exp - iat, and exp - now): longer tokens are refused. */
    maxTtlSeconds: number;
  };
  /** Browser sessions from school sign-in (OpenID Connect) and LTI launches (docs/schools.md). */
  session: {
    /** How long a session lives from sign-in (bounded; no sliding renewal). */
    ttlSeconds: number;
    /** Cookies only over HTTPS (`Secure`, `__Host-` names); on by default except on a loopback HOST. */
    secureCookies: boolean;
    /** Key of session cookies and sealed secrets; default derived from the HS256 secret (share it across instances). */
    secret: string | undefined;
  };
  /** The address browsers and LMSs reach this server at (OIDC redirect URI, LTI tool URLs); default from each request. */
  publicUrl: string | undefined;
  /** Class records to the centre through this city's NATS leaf (docs/central.md); off when no NATS_URL. */
  central: { natsUrl: string; user: string | undefined; password: string | undefined; city: string } | undefined;
  /** The central service (docs/central.md); GET /api/central/* is passed to it for the web page. */
  centralUrl: string | undefined;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid configuration: ${setting}: ${message}`);
    this.name = "ConfigError";
  }
}

type Source = Record<string, unknown>;

interface Setting<T> {
  env: string;
  file: string;
  default: T;
  parse(raw: unknown, name: string): T;
}

function integer(min: number, max: number) {
  return (raw: unknown, name: string): number => {
    const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (raw: unknown, name: string): T => {
    const s = typeof raw === "string" ? raw.trim().toLowerCase() : raw;
    if (typeof s !== "string" || !(allowed as readonly string[]).includes(s)) {
      throw new ConfigError(name, `expected one of ${allowed.join(", ")}, got ${JSON.stringify(raw)}`);
    }
    return s as T;
  };
}

function text(raw: unknown, name: string): string {
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(name, `expected a non-empty string, got ${JSON.stringify(raw)}`);
  return raw.trim();
}

function optionalText(raw: unknown, name: string): string | undefined {
  return raw === undefined || raw === "" ? undefined : text(raw, name);
}

function bool(raw: unknown, name: string): boolean {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string" && ["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
  if (typeof raw === "string" && ["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(raw)}`);
}

function redisUrl(raw: unknown, name: string): string | undefined {
  const s = optionalText(raw, name);
  if (s !== undefined && !/^(rediss?|redis\+sentinel|redis-sentinel):\/\//.test(s)) {
    throw new ConfigError(name, `expected a redis://, rediss:// or redis+sentinel:// URL, got ${JSON.stringify(raw)}`);
  }
  return s;
}

/** "host:port,host:port" (port optional, "[v6]:port" for IPv6). */
function hostList(raw: unknown, name: string): string | undefined {
  const s = optionalText(raw, name);
  if (s === undefined) return undefined;
  const items = s.split(",").map((x) => x.trim());
  for (const hp of items) {
    const m = /^\[[0-9a-fA-F:.]+\](?::(\d+))?$/.exec(hp) ?? /^[A-Za-z0-9._-]+(?::(\d+))?$/.exec(hp);
    const port = m?.[1] === undefined ? 6379 : Number(m[1]);
    if (!m || port < 1 || port > 65535) throw new ConfigError(name, `expected host:port,host:port, got ${JSON.stringify(raw)}`);
  }
  return items.join(",");
}

function url(raw: unknown, name: string): string | undefined {
  const s = optionalText(raw, name);
  if (s !== undefined && !/^https?:\/\//.test(s)) throw new ConfigError(name, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
  return s;
}

function secret(raw: unknown, name: string): string | undefined {
  const s = optionalText(raw, name);
  if (s !== undefined && s.length < 32) throw new ConfigError(name, "expected at least 32 characters");
  return s;
}

/** Comma-separated turn:/turns: URIs (RFC 7065), e.g. "turn:turn.example.com:3478?transport=tcp". */
function turnUrls(raw: unknown, name: string): string[] {
  const s = optionalText(raw, name);
  if (s === undefined) return [];
  const items = s.split(",").map((x) => x.trim());
  for (const u of items) {
    if (!/^turns?:[A-Za-z0-9.\-[\]:]+(\?transport=(udp|tcp))?$/.test(u))
      throw new ConfigError(name, `expected turn:host:port[?transport=udp|tcp] or turns:..., got ${JSON.stringify(u)}`);
  }
  return items;
}

const settings = {
  port: { env: "PORT", file: "port", default: 8080, parse: integer(0, 65535) },
  // Loopback by default: a public address is a choice (containers set HOST=0.0.0.0).
  host: { env: "HOST", file: "host", default: "127.0.0.1", parse: text },
  dataDir: { env: "DATA_DIR", file: "dataDir", default: "./data", parse: text },
  maxStudents: { env: "MAX_STUDENTS", file: "maxStudents", default: 1000, parse: integer(1, 100_000) },
  videoQuality: { env: "VIDEO_QUALITY", file: "videoQuality", default: "720p" as VideoQuality, parse: oneOf(VIDEO_QUALITIES) },
  redisUrl: { env: "REDIS_URL", file: "redisUrl", default: undefined, parse: redisUrl },
  redisPrefix: { env: "REDIS_PREFIX", file: "redisPrefix", default: "edgeclass:", parse: text },
  redisSentinels: { env: "REDIS_SENTINELS", file: "redisSentinels", default: undefined, parse: optionalText },
  redisSentinelName: { env: "REDIS_SENTINEL_NAME", file: "redisSentinelName", default: undefined, parse: optionalText },
  redisClusterNodes: { env: "REDIS_CLUSTER_NODES", file: "redisClusterNodes", default: undefined, parse: hostList },
  instanceId: { env: "INSTANCE_ID", file: "instanceId", default: undefined, parse: optionalText },
  logLevel: { env: "LOG_LEVEL", file: "logLevel", default: "info" as LogLevel, parse: oneOf(LOG_LEVELS) },
  dbSync: { env: "DB_SYNCHRONOUS", file: "dbSynchronous", default: "normal" as DbSyncMode, parse: oneOf(DB_SYNC_MODES) },
  demo: { env: "DEMO", file: "demo", default: undefined, parse: (raw: unknown, name: string): boolean | undefined => bool(raw, name) },
  tokenMintPerMinute: { env: "RATE_TOKEN_MINT_PER_MINUTE", file: "rateTokenMintPerMinute", default: 10, parse: integer(1, 100_000) },
  authFailuresPerMinute: {
    env: "RATE_AUTH_FAILURES_PER_MINUTE",
    file: "rateAuthFailuresPerMinute",
    default: 30,
    parse: integer(1, 100_000),
  },
  trustProxy: { env: "TRUST_PROXY", file: "trustProxy", default: false, parse: bool },
  drainDelayMs: { env: "DRAIN_DELAY_MS", file: "drainDelayMs", default: 0, parse: integer(0, 60_000) },
  maxBodyBytes: { env: "MAX_BODY_BYTES", file: "maxBodyBytes", default: 256 * 1024, parse: integer(1024, 16 * 1024 * 1024) },
  policyDir: { env: "POLICY_DIR", file: "policyDir", default: undefined, parse: optionalText },
  reconnectGraceMs: { env: "RECONNECT_GRACE_MS", file: "reconnectGraceMs", default: 30_000, parse: integer(0, 600_000) },
  mediaWorkers: { env: "MEDIA_WORKERS", file: "mediaWorkers", default: undefined, parse: integer(1, 64) },
  mediaPublicIp: { env: "MEDIA_PUBLIC_IP", file: "mediaPublicIp", default: undefined, parse: optionalText },
  mediaPortMin: { env: "MEDIA_PORT_MIN", file: "mediaPortMin", default: undefined, parse: integer(1024, 65535) },
  mediaPortMax: { env: "MEDIA_PORT_MAX", file: "mediaPortMax", default: undefined, parse: integer(1024, 65535) },
  mediaInternalUrl: { env: "MEDIA_INTERNAL_URL", file: "mediaInternalUrl", default: undefined, parse: url },
  mediaClusterSecret: { env: "MEDIA_CLUSTER_SECRET", file: "mediaClusterSecret", default: undefined, parse: secret },
  mediaCascade: { env: "MEDIA_CASCADE", file: "mediaCascade", default: false, parse: bool },
  mediaCascadeHost: { env: "MEDIA_CASCADE_HOST", file: "mediaCascadeHost", default: "127.0.0.1", parse: text },
  mediaSubscribersPerWorker: {
    env: "MEDIA_SUBSCRIBERS_PER_WORKER",
    file: "mediaSubscribersPerWorker",
    default: 250,
    parse: integer(1, 10_000),
  },
  turnUrls: { env: "TURN_URLS", file: "turnUrls", default: [] as string[], parse: turnUrls },
  turnSecret: { env: "TURN_SECRET", file: "turnSecret", default: undefined, parse: secret },
  turnTtlSeconds: { env: "TURN_TTL_SECONDS", file: "turnTtlSeconds", default: 600, parse: integer(60, 86_400) },
  jwtSecret: { env: "JWT_SECRET", file: "jwtSecret", default: undefined, parse: secret },
  jwtJwksUrl: { env: "JWT_JWKS_URL", file: "jwtJwksUrl", default: undefined, parse: url },
  jwtJwksFile: { env: "JWT_JWKS_FILE", file: "jwtJwksFile", default: undefined, parse: optionalText },
  jwtIssuer: { env: "JWT_ISSUER", file: "jwtIssuer", default: undefined, parse: optionalText },
  jwtAudience: { env: "JWT_AUDIENCE", file: "jwtAudience", default: undefined, parse: optionalText },
  jwtTtlSeconds: { env: "JWT_TTL_SECONDS", file: "jwtTtlSeconds", default: 8 * 3600, parse: integer(60, 30 * 24 * 3600) },
  jwtMaxTtlSeconds: { env: "JWT_MAX_TTL_SECONDS", file: "jwtMaxTtlSeconds", default: 24 * 3600, parse: integer(60, 365 * 24 * 3600) },
  sessionTtlSeconds: { env: "SESSION_TTL_SECONDS", file: "sessionTtlSeconds", default: 8 * 3600, parse: integer(300, 7 * 24 * 3600) },
  sessionCookieSecure: {
    env: "SESSION_COOKIE_SECURE",
    file: "sessionCookieSecure",
    default: undefined,
    parse: (raw: unknown, name: string): boolean | undefined => bool(raw, name),
  },
  sessionSecret: { env: "SESSION_SECRET", file: "sessionSecret", default: undefined, parse: secret },
  publicUrl: { env: "PUBLIC_URL", file: "publicUrl", default: undefined, parse: url },
  natsUrl: { env: "NATS_URL", file: "natsUrl", default: undefined, parse: optionalText },
  centralUrl: { env: "CENTRAL_URL", file: "centralUrl", default: undefined, parse: url },
  natsUser: { env: "NATS_USER", file: "natsUser", default: undefined, parse: optionalText },
  natsPassword: { env: "NATS_PASSWORD", file: "natsPassword", default: undefined, parse: optionalText },
  city: { env: "CITY", file: "city", default: undefined, parse: optionalText },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
type Resolved = { [K in keyof Settings]: ReturnType<Settings[K]["parse"]> };

export function parseConfig(env: Source, file: Source = {}): Config {
  const known = new Set(Object.values(settings).map((s) => s.file));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) throw new ConfigError(`config.json ${key}`, `unknown setting; known: ${[...known].join(", ")}`);
  }
  const r = {} as Record<string, unknown>;
  for (const [key, s] of Object.entries(settings) as [keyof Settings, Setting<unknown>][]) {
    const raw = env[s.env] !== undefined && env[s.env] !== "" ? env[s.env] : file[s.file];
    const name = env[s.env] !== undefined && env[s.env] !== "" ? s.env : `config.json ${s.file} (${s.env})`;
    r[key] = raw === undefined ? s.default : s.parse(raw, name);
  }
  const v = r as Resolved;
  if ((v.mediaPortMin === undefined) !== (v.mediaPortMax === undefined) || (v.mediaPortMin ?? 0) > (v.mediaPortMax ?? 0)) {
    throw new ConfigError("MEDIA_PORT_MIN", "set MEDIA_PORT_MIN and MEDIA_PORT_MAX together, MIN <= MAX");
  }
  if (v.jwtTtlSeconds > v.jwtMaxTtlSeconds) {
    throw new ConfigError("JWT_TTL_SECONDS", `must not exceed JWT_MAX_TTL_SECONDS (${v.jwtMaxTtlSeconds}), got ${v.jwtTtlSeconds}`);
  }
  if (v.turnUrls.length > 0 && v.turnSecret === undefined)
    throw new ConfigError("TURN_SECRET", "TURN_URLS needs TURN_SECRET (coturn's static-auth-secret)");
  if (v.jwtJwksUrl && v.jwtJwksFile) throw new ConfigError("JWT_JWKS_URL", "set either JWT_JWKS_URL or JWT_JWKS_FILE, not both");
  let redisUrlValue = v.redisUrl;
  if (v.redisClusterNodes) {
    if (v.redisSentinels)
      throw new ConfigError(
        "REDIS_CLUSTER_NODES",
        "set either REDIS_CLUSTER_NODES (Redis Cluster) or REDIS_SENTINELS (Sentinel), not both",
      );
    if (redisUrlValue !== undefined) {
      const db = /^rediss?:\/\/[^/]*\/(\d*)/.exec(redisUrlValue)?.[1];
      if (!/^rediss?:\/\//.test(redisUrlValue))
        throw new ConfigError(
          "REDIS_URL",
          "with REDIS_CLUSTER_NODES, expected a redis:// or rediss:// URL (it gives user, password and TLS)",
        );
      if (db !== undefined && db !== "" && db !== "0") throw new ConfigError("REDIS_URL", `Redis Cluster has only database 0, got /${db}`);
    } else {
      // Cluster mode needs no URL: the seeds say where, no credentials, no TLS.
      redisUrlValue = `redis://${v.redisClusterNodes.split(",")[0]}`;
    }
  }
  return {
    port: v.port,
    host: v.host,
    dataDir: v.dataDir,
    maxStudents: v.maxStudents,
    videoQuality: v.videoQuality,
    redisUrl: redisUrlValue,
    redis: { prefix: v.redisPrefix, sentinels: v.redisSentinels, sentinelName: v.redisSentinelName, clusterNodes: v.redisClusterNodes },
    instanceId: v.instanceId,
    logLevel: v.logLevel,
    dbSync: v.dbSync,
    demo: v.demo ?? isLoopback(v.host),
    limits: { tokenMintPerMinute: v.tokenMintPerMinute, authFailuresPerMinute: v.authFailuresPerMinute, trustProxy: v.trustProxy },
    drainDelayMs: v.drainDelayMs,
    maxBodyBytes: v.maxBodyBytes,
    policyDir: v.policyDir,
    reconnectGraceMs: v.reconnectGraceMs,
    media: {
      workers: v.mediaWorkers,
      publicIp: v.mediaPublicIp,
      portMin: v.mediaPortMin,
      portMax: v.mediaPortMax,
      internalUrl: v.mediaInternalUrl,
      clusterSecret: v.mediaClusterSecret,
      cascade: v.mediaCascade,
      cascadeHost: v.mediaCascadeHost,
      subscribersPerWorker: v.mediaSubscribersPerWorker,
    },
    turn: { urls: v.turnUrls, secret: v.turnSecret, ttlSeconds: v.turnTtlSeconds },
    jwt: {
      secret: v.jwtSecret,
      jwksUrl: v.jwtJwksUrl,
      jwksFile: v.jwtJwksFile,
      issuer: v.jwtIssuer,
      audience: v.jwtAudience,
      ttlSeconds: v.jwtTtlSeconds,
      maxTtlSeconds: v.jwtMaxTtlSeconds,
    },
    session: { ttlSeconds: v.sessionTtlSeconds, secureCookies: v.sessionCookieSecure ?? !isLoopback(v.host), secret: v.sessionSecret },
    publicUrl: v.publicUrl?.replace(/\/+$/, ""),
    central: centralSettings(v.natsUrl, v.natsUser, v.natsPassword, v.city),
    centralUrl: v.centralUrl?.replace(/\/+$/, ""),
  };
}

function centralSettings(
  natsUrl: string | undefined,
  user: string | undefined,
  password: string | undefined,
  city: string | undefined,
): Config["central"] {
  if (natsUrl === undefined) return undefined;
  if (!/^(nats|tls):\/\/[^\s]+$/.test(natsUrl))
    throw new ConfigError("NATS_URL", `expected nats://host:port, got ${JSON.stringify(natsUrl)}`);
  if (city === undefined || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(city))
    throw new ConfigError(
      "CITY",
      "NATS_URL needs CITY, this city's name (lower-case letters, digits, dashes; it names its subjects and JetStream domain)",
    );
  return { natsUrl, user, password, city };
}

/** 127.0.0.0/8, ::1 or localhost: only this machine can reach the server. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The effective configuration as shown to admins: secrets and credentials removed. */
export function publicConfig(c: Config): Record<string, unknown> {
  return {
    port: c.port,
    host: c.host,
    dataDir: c.dataDir,
    maxStudents: c.maxStudents,
    videoQuality: c.videoQuality,
    redisUrl: c.redisUrl ? c.redisUrl.replace(/\/\/[^@/]*@/, "//***@") : null,
    redisPrefix: c.redis.prefix,
    redisSentinels: c.redis.sentinels ?? null,
    redisClusterNodes: c.redis.clusterNodes ?? null,
    logLevel: c.logLevel,
    dbSynchronous: c.dbSync,
    demo: c.demo,
    limits: c.limits,
    drainDelayMs: c.drainDelayMs,
    maxBodyBytes: c.maxBodyBytes,
    policyDir: c.policyDir ?? "(bundled policies/education.rego)",
    reconnectGraceMs: c.reconnectGraceMs,
    media: {
      workers: c.media.workers ?? "one per core",
      publicIp: c.media.publicIp ?? null,
      ports: c.media.portMin === undefined ? "ephemeral" : `${c.media.portMin}-${c.media.portMax}`,
      internalUrl: c.media.internalUrl ?? null,
      clusterSecret: c.media.clusterSecret ? "(set)" : "(derived)",
      cascade: c.media.cascade,
      cascadeHost: c.media.cascadeHost,
      subscribersPerWorker: c.media.subscribersPerWorker,
    },
    turn: { urls: c.turn.urls, secret: c.turn.secret ? "(set)" : null, ttlSeconds: c.turn.ttlSeconds },
    jwt: {
      mode: c.jwt.jwksUrl || c.jwt.jwksFile ? "jwks" : "hs256",
      secret: c.jwt.secret ? "(set)" : "(generated in dataDir)",
      jwksUrl: c.jwt.jwksUrl ?? null,
      jwksFile: c.jwt.jwksFile ?? null,
      issuer: c.jwt.issuer ?? null,
      audience: c.jwt.audience ?? null,
      ttlSeconds: c.jwt.ttlSeconds,
      maxTtlSeconds: c.jwt.maxTtlSeconds,
    },
    session: { ttlSeconds: c.session.ttlSeconds, secureCookies: c.session.secureCookies, secret: c.session.secret ? "(set)" : "(derived)" },
    publicUrl: c.publicUrl ?? null,
  };
}
