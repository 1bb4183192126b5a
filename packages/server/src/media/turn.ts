// TURN credentials in coturn's shared-secret REST scheme (`use-auth-secret`): the username is
// `<expiry unix seconds>:<userId>` and the password base64(HMAC-SHA1(secret, username)). coturn
// checks both with the same secret and refuses them once the expiry has passed, so each
// participant gets their own short-lived credential and nothing is stored anywhere.

export interface TurnSettings {
  urls: string[];
  secret: string | undefined;
  ttlSeconds: number;
}

/** An RTCIceServer as browsers take it. */
interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

export interface IceConfig {
  iceServers: IceServer[];
  /** When the credentials stop working (ms since the epoch); null when there are none. */
  expiresAt: number | null;
}

export function turnCredential(secret: string, userId: string, expiresAtSeconds: number): { username: string; credential: string } {
  const username = `${expiresAtSeconds}:${userId}`;
  return { username, credential: new Bun.CryptoHasher("sha1", secret).update(username).digest("base64") };
}

/** The ICE servers for one participant now: TURN with a fresh credential, or none when TURN is not configured. */
export function iceConfigFor(turn: TurnSettings, userId: string, nowMs: number): IceConfig {
  if (turn.urls.length === 0 || !turn.secret) return { iceServers: [], expiresAt: null };
  const expiry = Math.floor(nowMs / 1000) + turn.ttlSeconds;
  return { iceServers: [{ urls: [...turn.urls], ...turnCredential(turn.secret, userId, expiry) }], expiresAt: expiry * 1000 };
}

const quoted = (s: string) => `"${s.replace(/[\\"]/g, (c) => "\\" + c)}"`;

/** `Link` header values for a WHIP/WHEP answer (RFC 9725 section 4.6, the WHIP ICE server Link format). */
export function iceLinks(cfg: IceConfig): string[] {
  const out: string[] = [];
  for (const s of cfg.iceServers) {
    for (const url of s.urls)
      out.push(
        `<${url}>; rel="ice-server"; username=${quoted(s.username)}; credential=${quoted(s.credential)}; credential-type="password"`,
      );
  }
  return out;
}
