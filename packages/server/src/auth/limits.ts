// Rate limits around authentication: demo tokens minted per client address and per user, and
// failed authentications per client address and per claimed user (the unverified `sub`).
// A valid token is never refused for its user's failures, so nobody can lock another person out
// by sending bad tokens in their name; an address that keeps failing waits before it is heard again.
import { AppError } from "../domain/errors.ts";
import { RateLimiter, rateLimited, type Clock } from "../http/rate-limit.ts";

export type LimitName = "token-mint" | "auth-failures";

export interface AuthLimitsOptions {
  tokenMintPerMinute: number;
  authFailuresPerMinute: number;
  clock?: Clock;
  /** Called on every refusal (a metric). */
  onRefused?(limit: LimitName): void;
}

const perMinute = (n: number, clock?: Clock) => new RateLimiter({ capacity: n, refillPerSecond: n / 60, clock });

/** The `sub` a token claims, read without verifying (only to key a limit). */
function claimedSubject(token: string | null): string | null {
  const payload = token?.split(".")[1];
  if (payload === undefined || payload.length > 4096) return null;
  try {
    const sub = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: unknown }).sub;
    return typeof sub === "string" && sub !== "" ? sub.slice(0, 128) : null;
  } catch {
    return null;
  }
}

export class AuthLimits {
  private readonly mintByAddress: RateLimiter;
  private readonly mintByUser: RateLimiter;
  private readonly failByAddress: RateLimiter;
  private readonly failByUser: RateLimiter;

  private readonly onRefused: (limit: LimitName) => void;

  constructor(o: AuthLimitsOptions) {
    this.onRefused = o.onRefused ?? (() => {});
    this.mintByAddress = perMinute(o.tokenMintPerMinute, o.clock);
    this.mintByUser = perMinute(o.tokenMintPerMinute, o.clock);
    this.failByAddress = perMinute(o.authFailuresPerMinute, o.clock);
    this.failByUser = perMinute(o.authFailuresPerMinute, o.clock);
  }

  /** Before a token is minted for `userId` at `address`: throws 429 when either is over its limit. */
  mint(address: string, userId: string): void {
    const wait = this.mintByAddress.take(address) || this.mintByUser.take(userId);
    if (wait > 0) {
      this.onRefused("token-mint");
      throw rateLimited(wait, "too many tokens minted for this address or user");
    }
  }

  /**
   * Before verifying: an address over its failure limit is not heard (no signature check spent on it).
   * `address` may be a function: called only when some address has failed lately (finding it costs).
   */
  beforeVerify(address: string | (() => string)): void {
    if (this.failByAddress.size === 0) return; // every bucket is full: no wait for anyone
    const wait = this.failByAddress.wait(typeof address === "string" ? address : address());
    if (wait > 0) {
      this.onRefused("auth-failures");
      throw rateLimited(wait, "too many failed authentications from this address");
    }
  }

  /** After a failed verification: the error to answer with, 429 once the address or the claimed user is over the limit. */
  failed(address: string, token: string | null, error: AppError): AppError {
    const sub = claimedSubject(token);
    const wait = Math.max(this.failByAddress.take(address), sub === null ? 0 : this.failByUser.take(sub));
    if (wait === 0) return error;
    this.onRefused("auth-failures");
    return rateLimited(wait, "too many failed authentications from this address or for this user");
  }
}
