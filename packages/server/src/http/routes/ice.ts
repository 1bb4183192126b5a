// The ICE servers a signed-in page gives its RTCPeerConnection before it makes a WHIP/WHEP offer:
// TURN (UDP, and TCP for networks that block UDP) with a credential of its own that expires soon.
// The WHIP/WHEP answers carry the same as `Link: <turn:...>; rel="ice-server"` headers.
import type { IceConfig } from "../../media/turn.ts";
import type { RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";

export function iceRoutes(iceFor: (userId: string) => IceConfig): RouteDef[] {
  return [
    {
      method: "GET",
      path: "/api/media/ice-servers",
      auth: ["student", "teacher", "school-admin", "admin"],
      handle: ({ principal }) => json(iceFor(principal.id), 200, { "cache-control": "no-store" }),
    },
  ];
}
