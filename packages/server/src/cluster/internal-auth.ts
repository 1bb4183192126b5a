// HMAC on signalling forwarded between instances: only holders of the cluster's key reach a
// media home's internal routes, and a captured request cannot be replayed after MAX_SKEW_MS
// or against another path or body.
// Bun's own hasher and crypto.timingSafeEqual, not node:crypto: that module costs 6-50 ms of
// start-up under Bun, and this one is on the start path (issue 19).

export const INTERNAL_HEADER = "x-edgeclass-internal";
const MAX_SKEW_MS = 30_000;

/** The configured cluster secret, or one derived from the HS256 secret the instances share. */
export function internalKey(configured: string | undefined, localSecret: string): string {
  return configured ?? new Bun.CryptoHasher("sha256", localSecret).update("edgeclass media signalling v1").digest("base64url");
}

export interface SignedRequest {
  method: string;
  path: string;
  principal: string;
  body: string;
}

function mac(key: string, r: SignedRequest, t: number): Buffer {
  const bodyHash = new Bun.CryptoHasher("sha256").update(r.body).digest("hex");
  return new Bun.CryptoHasher("sha256", key).update(`${r.method}\n${r.path}\n${t}\n${r.principal}\n${bodyHash}`).digest();
}

/** The header value: `t=<ms>,p=<principal, URI-encoded>,s=<hex mac>`. */
export function signInternal(key: string, r: SignedRequest, now = Date.now()): string {
  return `t=${now},p=${encodeURIComponent(r.principal)},s=${mac(key, r, now).toString("hex")}`;
}

/** The principal the calling instance vouches for, or why the request is refused. */
export function verifyInternal(
  key: string,
  header: string | null,
  r: Omit<SignedRequest, "principal">,
  now = Date.now(),
): { principal: string } | { refused: string } {
  if (!header) return { refused: "missing signature" };
  const m = /^t=(\d{1,15}),p=([^,]*),s=([0-9a-f]{64})$/.exec(header);
  if (!m) return { refused: "malformed signature" };
  const t = Number(m[1]);
  if (Math.abs(now - t) > MAX_SKEW_MS) return { refused: "stale signature" };
  let principal: string;
  try {
    principal = decodeURIComponent(m[2]);
  } catch {
    return { refused: "malformed signature" };
  }
  const expected = mac(key, { ...r, principal }, t);
  const given = Buffer.from(m[3], "hex");
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? { principal } : { refused: "bad signature" };
}
