// Failed-authentication limits for the live WebSocket's upgrade (GET /api/classes/:id/live?token=),
// in front of the gateway: an address or user over the limit gets a 429 problem instead of the
// upgrade; otherwise the gateway authenticates as before (a bad token is closed with 4001).
import type { AuthLimits } from "../auth/limits.ts";
import type { TokenVerifier } from "../auth/tokens.ts";
import { AppError } from "../domain/errors.ts";
import { upgradeToken } from "../realtime/gateway.ts";

export interface LiveLimitDeps {
  verifier: TokenVerifier;
  limits: AuthLimits;
}

/** Throws the rate-limited AppError (a 429 problem from the route wrapper) when the caller at `ip` is over a limit. */
export function liveAuthLimit(d: LiveLimitDeps): (req: Request, ip: string) => Promise<void> {
  return async (req, ip) => {
    const token = upgradeToken(req);
    if (!token) return;
    try {
      d.limits.beforeVerify(ip);
      await d.verifier.verify(token); // cached: the gateway's own check costs nothing more
    } catch (e) {
      const answer = e instanceof AppError && e.code !== "rate-limited" ? d.limits.failed(ip, token, e) : e;
      if (answer instanceof AppError && answer.code === "rate-limited") throw answer;
    }
  };
}
