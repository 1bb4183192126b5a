// The tool's own RS256 key: it signs Deep Linking answers and the client assertions that get
// AGS and NRPS access tokens; LMSs fetch its public half from GET /api/lti/jwks. One key for
// every instance: the first to start makes it and claims it in the shared one-time keys, the
// others read that one (sealed with the server's key).
import type { JWK } from "jose";
import type { OneTimeKeys } from "../auth/keys.ts";
import { seal, unseal } from "../auth/seal.ts";

const NAME = "lti-tool-key";
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export interface ToolKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Read again this often: a Redis that restarted empty gets one new key, which every instance then takes. */
const RELOAD_MS = 5 * 60_000;

export class ToolKeys {
  private current: Promise<ToolKey> | undefined;
  private loadedAt = 0;

  constructor(
    private readonly keys: OneTimeKeys,
    private readonly sealKey: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<ToolKey> {
    if (this.current !== undefined && this.now() - this.loadedAt > RELOAD_MS) {
      const previous = this.current;
      this.current = this.load().catch(() => previous); // keep signing with the known key while the store is away
      this.loadedAt = this.now();
    }
    if (this.current === undefined) {
      this.loadedAt = this.now();
      this.current = this.load().catch((e: unknown) => {
        this.current = undefined; // try again on the next call (Redis may be back)
        throw e;
      });
    }
    return this.current;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.get()).publicJwk] };
  }

  private async load(): Promise<ToolKey> {
    const jose = await import("jose");
    let stored = await this.keys.get(NAME);
    if (stored === null) {
      const pair = await jose.generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
      const jwk = await jose.exportJWK(pair.privateKey);
      const kid = await jose.calculateJwkThumbprint(jwk);
      const made = seal(this.sealKey, JSON.stringify({ ...jwk, kid }));
      // Another instance may have made one at the same moment: whichever was claimed first is the key.
      stored = (await this.keys.claim(NAME, made, TEN_YEARS_MS)) ? made : await this.keys.get(NAME);
      if (stored === null) throw new Error("the LTI tool key could not be stored");
    }
    const jwk = JSON.parse(unseal(this.sealKey, stored)) as JWK & { kid: string };
    const privateKey = (await jose.importJWK(jwk, "RS256")) as CryptoKey;
    const { n, e, kty, kid } = jwk;
    return { kid, privateKey, publicJwk: { kty, n, e, kid, alg: "RS256", use: "sig" } };
  }
}
