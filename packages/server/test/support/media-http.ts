// A bare HTTP front for a media service in tests: its WHIP, WHEP and resource routes at the server's
// paths, the user from the x-user header (else `user`), and nothing else.
import type { MediaService } from "../../src/media/index.ts";

export function serveMedia(media: MediaService, user = "anon"): { server: ReturnType<typeof Bun.serve>; base: string } {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      const who = req.headers.get("x-user") ?? user;
      const m = /^\/api\/classes\/([^/]+)\/(whip|whep)$/.exec(url.pathname);
      if (m) return m[2] === "whip" ? media.handleWhip(req, m[1], who) : media.handleWhep(req, m[1], who);
      const r = /^\/api\/media\/resources\/([^/]+)$/.exec(url.pathname);
      if (r) return media.handleResource(req, r[1], who);
      return new Response("not found", { status: 404 });
    },
  });
  return { server, base: `http://127.0.0.1:${server.port}` };
}
