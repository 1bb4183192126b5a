// Outbound requests that must not meet a stale kept connection. Bun's fetch keeps a connection for
// minutes; servers close idle ones sooner (Bun.serve after 10 s, nginx after 75 s). A POST or PATCH
// sent on a kept connection just as the server closes it fails with ECONNRESET (Bun sends GET and
// DELETE again, not these). Between instances that read as "the media home is unreachable"; a
// connection per request costs a TCP handshake on the city's network and rules it out.
export function fetchUnpooled(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, keepalive: false });
}
