// Who is calling, for per-address limits: the socket's peer, or behind a proxy you run
// (TRUST_PROXY=true) the address that proxy appended last to X-Forwarded-For.

export interface PeerSource {
  requestIP(req: Request): { address: string } | null;
}

export function clientAddress(req: Request, peer: PeerSource | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers.get("x-forwarded-for");
    const last = forwarded?.slice(forwarded.lastIndexOf(",") + 1).trim();
    if (last) return last.slice(0, 64);
  }
  return peer?.requestIP(req)?.address ?? "unknown";
}
