// Keys derived from the server's secret for one purpose each, and secrets sealed at rest
// (identity providers' client secrets) with AES-256-GCM under such a key.
import type * as NodeCrypto from "node:crypto";
import { AppError } from "../domain/errors.ts";

// node:crypto takes 6-50 ms to load under Bun (it brings Node's stream layer): the cipher is
// loaded at the first seal or unseal, not on the server's start path (issue 19).
let nodeCrypto: typeof NodeCrypto | undefined;
const cipher = (): typeof NodeCrypto => (nodeCrypto ??= import.meta.require("node:crypto") as typeof NodeCrypto);

/** A 32-byte key for `purpose`, derived from the secret (HMAC-SHA256): one secret, unrelated keys. */
export function deriveKey(secret: string, purpose: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new Bun.CryptoHasher("sha256", secret).update(`edgeclass/${purpose}/v1`).digest());
}

export function seal(key: Uint8Array, plain: string): string {
  const { createCipheriv, randomBytes } = cipher();
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}.${c.getAuthTag().toString("base64url")}`;
}

export function unseal(key: Uint8Array, sealed: string): string {
  const [v, iv, body, tag] = sealed.split(".");
  try {
    if (v !== "v1" || iv === undefined || body === undefined || tag === undefined) throw new Error("not a sealed value");
    const d = cipher().createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    d.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([d.update(Buffer.from(body, "base64url")), d.final()]).toString("utf8");
  } catch {
    // The secret changed since it was stored (or the row was edited): say so, not "decrypt failed".
    throw new AppError(
      "invalid-state",
      "a stored secret cannot be opened with this server's key (SESSION_SECRET / JWT_SECRET changed?): register it again",
    );
  }
}
