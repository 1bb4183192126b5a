// The local HS256 signing secret: from configuration, or generated once and kept in the data folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function loadOrCreateSecret(dataDir: string, configured: string | undefined): string {
  if (configured) return configured;
  const path = join(dataDir, "jwt-secret");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  // wx: never overwrite a secret another process wrote in the meantime.
  try {
    writeFileSync(path, secret + "\n", { mode: 0o600, flag: "wx" });
  } catch {
    return readFileSync(path, "utf8").trim();
  }
  return secret;
}
