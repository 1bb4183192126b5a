// The token buckets and the authentication limits on a clock moved by hand.
import { describe, expect, test } from "bun:test";
import { AuthLimits } from "../src/auth/limits.ts";
import { AppError } from "../src/domain/errors.ts";
import { RateLimiter } from "../src/http/rate-limit.ts";

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const tokenFor = (sub: string) => `e30.${Buffer.from(JSON.stringify({ sub })).toString("base64url")}.sig`;
const invalid = new AppError("invalid-token", "token rejected");

describe("RateLimiter", () => {
  test("a burst of `capacity`, then one per refill interval, with the wait in seconds", () => {
    const clock = fakeClock();
    const rl = new RateLimiter({ capacity: 3, refillPerSecond: 0.5, clock });
    expect([rl.take("a"), rl.take("a"), rl.take("a")]).toEqual([0, 0, 0]);
    expect(rl.take("a")).toBeCloseTo(2, 5); // one token every 2 s
    expect(rl.take("b")).toBe(0); // keys are independent
    clock.advance(1000);
    expect(rl.wait("a")).toBeCloseTo(1, 5);
    clock.advance(1000);
    expect(rl.take("a")).toBe(0);
    expect(rl.take("a")).toBeCloseTo(2, 5);
    clock.advance(60_000); // refills up to capacity, never beyond
    expect([rl.take("a"), rl.take("a"), rl.take("a"), rl.take("a") > 0]).toEqual([0, 0, 0, true]);
  });

  test("memory is bounded: the least recently used keys go first", () => {
    const clock = fakeClock();
    const rl = new RateLimiter({ capacity: 1, refillPerSecond: 1 / 60, maxKeys: 100, clock });
    expect(rl.take("keep")).toBe(0);
    for (let i = 0; i < 99; i++) rl.take(`k${i}`);
    expect(rl.take("keep")).toBeGreaterThan(0); // refused: still remembered
    for (let i = 99; i < 1000; i++) rl.take(`k${i}`);
    expect(rl.size).toBe(100);
  });

  test("wait() spends nothing", () => {
    const rl = new RateLimiter({ capacity: 1, refillPerSecond: 1, clock: fakeClock() });
    for (let i = 0; i < 5; i++) expect(rl.wait("a")).toBe(0);
    expect(rl.take("a")).toBe(0);
  });
});

describe("AuthLimits", () => {
  test("minting: per address and per user, 429 with a whole-second Retry-After", () => {
    const clock = fakeClock();
    const limits = new AuthLimits({ tokenMintPerMinute: 2, authFailuresPerMinute: 5, clock });
    limits.mint("10.0.0.1", "s1");
    limits.mint("10.0.0.1", "s2");
    let err: unknown;
    try {
      limits.mint("10.0.0.1", "s3");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("rate-limited");
    expect((err as AppError).extra.retryAfter).toBe(30); // 2 per minute: one every 30 s
    // Another address, but the same user twice more: the user's bucket stops it.
    limits.mint("10.0.0.2", "s1");
    expect(() => limits.mint("10.0.0.3", "s1")).toThrow(/too many tokens/);
    clock.advance(30_000);
    expect(() => limits.mint("10.0.0.1", "s4")).not.toThrow();
  });

  test("failures: the address is shut out before verification once over; 401 until then", () => {
    const clock = fakeClock();
    const limits = new AuthLimits({ tokenMintPerMinute: 2, authFailuresPerMinute: 3, clock });
    for (let i = 0; i < 3; i++) {
      limits.beforeVerify("10.0.0.9");
      expect(limits.failed("10.0.0.9", null, invalid)).toBe(invalid);
    }
    expect(() => limits.beforeVerify("10.0.0.9")).toThrow(/too many failed/);
    expect(limits.failed("10.0.0.9", null, invalid).code).toBe("rate-limited");
    expect(() => limits.beforeVerify("10.0.0.8")).not.toThrow();
    clock.advance(20_000);
    expect(() => limits.beforeVerify("10.0.0.9")).not.toThrow();
  });

  test("failures in a user's name from many addresses: 429 for the failures, the user's own address unaffected", () => {
    const limits = new AuthLimits({ tokenMintPerMinute: 2, authFailuresPerMinute: 3, clock: fakeClock() });
    const bad = tokenFor("victim");
    for (let i = 0; i < 3; i++) expect(limits.failed(`10.1.0.${i}`, bad, invalid)).toBe(invalid);
    expect(limits.failed("10.1.0.99", bad, invalid).code).toBe("rate-limited");
    expect(() => limits.beforeVerify("10.2.0.1")).not.toThrow(); // the victim's address may still present a valid token
  });
});
