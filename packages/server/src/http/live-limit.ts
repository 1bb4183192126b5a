// Failed-authentication limits for the live WebSocket's upgrade (GET /api/classes/:id/live?token=),
// in front of the gateway: an address or user over the limit gets a 429 problem instead of the
// upgrade; otherwise the gateway authenticates as before (a bad token is closed with 4001).
import type { AuthLimits } from "../auth/limits.ts";
import type { TokenVerifier } from "../auth/tokens.ts";
import { AppError } from "../domain/errors.ts";
import type { Logger } from "../obs/logger.ts";
import { upgradeToken } from "../realtime/gateway.ts";
import { clientAddress, type PeerSource } from "./client-address.ts";
import { errorResponse } from "./endpoint.ts";

export interface LiveLimitDeps {
  verifier: TokenVerifier;
  limits: AuthLimits;
  trustProxy: boolean;
  logger: Logger;
}

/** A 429 response when the caller is over a limit, null to go on with the upgrade. */
export function liveAuthLimit(d: LiveLimitDeps): (req: Request, peer: PeerSource) => Promise<Response | null> {
  return async (req, peer) => {
    const token = upgradeToken(req);
    if (!token) return null;
    const ip = clientAddress(req, peer, d.trustProxy);
    try {
      d.limits.beforeVerify(ip);
      await d.verifier.verify(token); // cached: the gateway's own check costs nothing more
      return null;
    } catch (e) {
      const answer = e instanceof AppError && e.code !== "rate-limited" ? d.limits.failed(ip, token, e) : e;
      return answer instanceof AppError && answer.code === "rate-limited" ? errorResponse(answer, req, "-", d.logger) : null;
    }
  };
}
