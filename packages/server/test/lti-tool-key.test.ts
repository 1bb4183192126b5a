// The tool's signing key: one for every instance, and one again after the shared store lost it
// (a Redis restarted empty): instances that had the old one take the new one on their next read.
import { expect, test } from "bun:test";
import type { OneTimeKeys } from "../src/auth/keys.ts";
import { deriveKey } from "../src/auth/seal.ts";
import { ToolKeys } from "../src/lti/tool-key.ts";

/** The shared store, in memory, as two instances see it. */
class Shared implements OneTimeKeys {
  readonly m = new Map<string, string>();
  async claim(k: string, v: string) {
    if (this.m.has(k)) return false;
    this.m.set(k, v);
    return true;
  }
  async get(k: string) {
    return this.m.get(k) ?? null;
  }
  async take(k: string) {
    const v = this.m.get(k) ?? null;
    this.m.delete(k);
    return v;
  }
}

test("two instances sign with one key; after the store loses it both move to the same new key", async () => {
  const shared = new Shared();
  const seal = deriveKey("a-test-secret-that-is-long-enough-0123456789", "sealed-secrets");
  let now = 0;
  const a = new ToolKeys(shared, seal, () => now);
  const b = new ToolKeys(shared, seal, () => now);
  const [ka, kb] = await Promise.all([a.get(), b.get()]);
  expect(ka.kid).toBe(kb.kid);
  expect(await a.jwks()).toEqual(await b.jwks());
  shared.m.clear(); // Redis restarted empty
  now += 60_000;
  expect((await a.get()).kid).toBe(ka.kid); // read again only after a while
  now += 5 * 60_000;
  const fresh = await b.get();
  expect(fresh.kid).not.toBe(ka.kid);
  expect((await a.get()).kid).toBe(fresh.kid);
  expect((await a.jwks()).keys[0].kid).toBe(fresh.kid);
});
