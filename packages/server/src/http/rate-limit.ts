// Token buckets (live/rate-limit.ts) in memory, one per key (a client address or a user):
// `capacity` requests at once, refilled at `refillPerSecond`, least recently used keys dropped.
// The clock is injectable so tests can move time by hand.
import { AppError } from "../domain/errors.ts";
import { TokenBucket } from "../live/rate-limit.ts";

export interface Clock {
  /** Milliseconds. */
  now(): number;
}

const systemClock: Clock = { now: () => performance.now() };

export interface RateLimitOptions {
  capacity: number;
  refillPerSecond: number;
  /** Keys kept at most; the least recently used go first (an attacker's many addresses cannot grow memory). */
  maxKeys?: number;
  clock?: Clock;
}

export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly maxKeys: number;
  private readonly clock: Clock;

  constructor(private readonly o: RateLimitOptions) {
    if (!(o.capacity >= 1) || !(o.refillPerSecond > 0)) throw new RangeError("capacity must be >= 1 and refillPerSecond > 0");
    this.maxKeys = o.maxKeys ?? 100_000;
    this.clock = o.clock ?? systemClock;
  }

  /** The key's bucket; a key not seen (or evicted) starts full and is kept only once it spends. */
  private bucket(key: string): TokenBucket {
    return this.buckets.get(key) ?? new TokenBucket(this.o.capacity, this.o.refillPerSecond, this.clock.now());
  }

  /** Seconds until `key` may go again (0: now), without spending anything. */
  wait(key: string): number {
    return this.bucket(key).wait(this.clock.now());
  }

  /** Spends one token for `key`: 0 when allowed, otherwise the seconds until one is available. */
  take(key: string): number {
    const now = this.clock.now();
    const b = this.bucket(key);
    if (!b.take(now)) return b.wait(now);
    this.buckets.delete(key); // re-inserted last: Map order is the recency order
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return 0;
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** The 429 problem; `Retry-After` is whole seconds, rounded up (never 0). */
export function rateLimited(waitSeconds: number, detail: string): AppError {
  const retryAfter = Math.max(1, Math.ceil(waitSeconds));
  return new AppError("rate-limited", `${detail}; retry after ${retryAfter} s`, { retryAfter });
}
