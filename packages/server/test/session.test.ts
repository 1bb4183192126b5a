// Browser sessions without a browser: bounded life, and logout that holds on every instance
// (shared SQLite file, or the suite's Redis) and across a restart.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import Redis from "ioredis";
import { SqliteKeys, type OneTimeKeys } from "../src/auth/keys.ts";
import { RedisKeys } from "../src/auth/redis-keys.ts";
import { deriveKey, seal, unseal } from "../src/auth/seal.ts";
import { Sessions } from "../src/auth/session.ts";
import type { Principal } from "../src/domain/model.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { tempDir } from "./support/server.ts";

const key = deriveKey("a-test-secret-that-is-long-enough-0123456789", "session-cookie");
const teacher: Principal = { id: "s1:t", role: "teacher", name: "T", school: "s1" };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const request = (cookie: string, method = "GET", headers: Record<string, string> = {}) =>
  new Request("http://edge.test/api/me", { method, headers: { cookie, host: "edge.test", ...headers } });
const cookieOf = (setCookies: string[]) => setCookies[0].split(";")[0];

describe("bounded life", () => {
  test("a session ends ttl seconds after sign-in, whatever the cookie's own exp says", async () => {
    let now = 1_800_000_000_000;
    const keys = new SqliteKeys(openDatabase(":memory:"), () => now);
    const short = new Sessions({ key, ttlSeconds: 600, secure: false, keys, now: () => now });
    const long = new Sessions({ key, ttlSeconds: 7200, secure: false, keys, now: () => now });
    const { cookies, info } = await short.issue(teacher, "oidc");
    expect(info.expiresAt).toBe(now + 600_000);
    now += 599_000;
    expect((await short.authenticate(request(cookieOf(cookies))))?.principal).toEqual(teacher);
    now += 2_000;
    await expect(short.authenticate(request(cookieOf(cookies)))).rejects.toThrow("expired");
    // Issued under a longer setting, then the setting was lowered: the lower bound holds.
    now = 1_800_000_000_000;
    const old = await long.issue(teacher, "oidc");
    now += 700_000;
    expect((await long.authenticate(request(cookieOf(old.cookies))))?.principal.id).toBe("s1:t");
    await expect(short.authenticate(request(cookieOf(old.cookies)))).rejects.toThrow("expired");
  });

  test("a cookie signed with another key, or a bearer-style token, is not a session", async () => {
    const keys = new SqliteKeys(openDatabase(":memory:"));
    const other = new Sessions({
      key: deriveKey("another-secret-that-is-long-enough-0123456789", "session-cookie"),
      ttlSeconds: 600,
      secure: false,
      keys,
    });
    const mine = new Sessions({ key, ttlSeconds: 600, secure: false, keys });
    const { cookies } = await other.issue(teacher, "oidc");
    await expect(mine.authenticate(request(cookieOf(cookies)))).rejects.toThrow("not valid");
  });

  test("secure cookies carry Secure and the __Host- prefix", async () => {
    const s = new Sessions({ key, ttlSeconds: 600, secure: true, keys: new SqliteKeys(openDatabase(":memory:")) });
    const { cookies } = await s.issue(teacher, "oidc");
    expect(cookies[0]).toMatch(/^__Host-edgeclass-session=.*; Path=\/; Max-Age=600; SameSite=Lax; HttpOnly; Secure$/);
    expect(cookies[1]).toMatch(/^__Host-edgeclass-csrf=.*; Secure$/);
    expect(cookies[1]).not.toContain("HttpOnly"); // the page reads it to send X-CSRF-Token
  });
});

async function logoutHoldsAcross(a: OneTimeKeys, b: OneTimeKeys) {
  const one = new Sessions({ key, ttlSeconds: 600, secure: false, keys: a });
  const two = new Sessions({ key, ttlSeconds: 600, secure: false, keys: b });
  const { cookies, info, csrfToken } = await one.issue(teacher, "oidc");
  const cookie = cookieOf(cookies);
  expect((await two.authenticate(request(cookie)))?.sid).toBe(info.sid);
  expect((await two.authenticate(request(cookie, "POST", { "x-csrf-token": csrfToken })))?.sid).toBe(info.sid);
  await one.revoke(info);
  await expect(two.authenticate(request(cookie))).rejects.toThrow("logged out");
  await expect(one.authenticate(request(cookie))).rejects.toThrow("logged out");
}

describe("across instances", () => {
  test("two instances on one SQLite file; a restart keeps the logout", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir, "edgeclass.db");
    const first = openDatabase(path);
    const second = openDatabase(path);
    const one = new Sessions({ key, ttlSeconds: 600, secure: false, keys: new SqliteKeys(first) });
    const { cookies, info } = await one.issue(teacher, "oidc");
    await logoutHoldsAcross(new SqliteKeys(first), new SqliteKeys(second));
    await one.revoke(info);
    first.close();
    second.close();
    const restarted = new Sessions({ key, ttlSeconds: 600, secure: false, keys: new SqliteKeys(openDatabase(path)) });
    await expect(restarted.authenticate(request(cookieOf(cookies)))).rejects.toThrow("logged out");
  });

  test("instances sharing Redis: a logout on one is refused on the other; one-time keys are one-time", async () => {
    const prefix = `test-session-${process.pid}-${Date.now()}:`;
    const r1 = new Redis("redis://127.0.0.1:6379");
    const r2 = new Redis("redis://127.0.0.1:6379");
    try {
      const a = new RedisKeys(r1, prefix);
      const b = new RedisKeys(r2, prefix);
      await logoutHoldsAcross(a, b);
      expect(await a.claim("nonce:n1", "x", 5000)).toBe(true);
      expect(await b.claim("nonce:n1", "y", 5000)).toBe(false);
      expect(await b.get("nonce:n1")).toBe("x");
      expect(await a.take("nonce:n1")).toBe("x");
      expect(await b.take("nonce:n1")).toBeNull();
      const left = await r1.keys(`${prefix}*`);
      if (left.length > 0) await r1.del(...left);
    } finally {
      r1.disconnect();
      r2.disconnect();
    }
  });

  test("SQLite one-time keys: claimed once until they expire, taken once", async () => {
    let now = 1_000;
    const k = new SqliteKeys(openDatabase(":memory:"), () => now);
    expect(await k.claim("n", "a", 100)).toBe(true);
    expect(await k.claim("n", "b", 100)).toBe(false);
    now += 101;
    expect(await k.get("n")).toBeNull();
    expect(await k.claim("n", "c", 100)).toBe(true);
    expect(await k.take("n")).toBe("c");
    expect(await k.take("n")).toBeNull();
  });
});

test("sealed secrets open only with their key", () => {
  const sealed = seal(key, "client-secret");
  expect(sealed).not.toContain("client-secret");
  expect(unseal(key, sealed)).toBe("client-secret");
  expect(() => unseal(deriveKey("x".repeat(40), "sealed-secrets"), sealed)).toThrow("register it again");
});
