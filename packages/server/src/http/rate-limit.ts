// Token buckets in memory, one per key (a client address or a user): `capacity` requests at
// once, refilled at `refillPerSecond`. The clock is injectable so tests can move time by hand.
import { AppError } from "../domain/errors.ts";

export interface Clock {
  /** Milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

export interface RateLimitOptions {
  capacity: number;
  refillPerSecond: number;
  /** Keys kept at most; the least recently used go first (an attacker's many addresses cannot grow memory). */
  maxKeys?: number;
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly perMs: number;
  private readonly maxKeys: number;
  private readonly clock: Clock;

  constructor(o: RateLimitOptions) {
    if (!(o.capacity >= 1) || !(o.refillPerSecond > 0)) throw new RangeError("capacity must be >= 1 and refillPerSecond > 0");
    this.capacity = o.capacity;
    this.perMs = o.refillPerSecond / 1000;
    this.maxKeys = o.maxKeys ?? 100_000;
    this.clock = o.clock ?? systemClock;
  }

  private bucket(key: string): Bucket {
    const now = this.clock.now();
    const b = this.buckets.get(key);
    if (b === undefined) return { tokens: this.capacity, at: now };
    return { tokens: Math.min(this.capacity, b.tokens + (now - b.at) * this.perMs), at: now };
  }

  /** Seconds until `key` may go again (0: now), without spending anything. */
  wait(key: string): number {
    const b = this.bucket(key);
    return b.tokens >= 1 ? 0 : (1 - b.tokens) / this.perMs / 1000;
  }

  /** Spends one token for `key`: 0 when allowed, otherwise the seconds until one is available. */
  take(key: string): number {
    const b = this.bucket(key);
    if (b.tokens < 1) return (1 - b.tokens) / this.perMs / 1000;
    b.tokens -= 1;
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
