// The cascade between instances: a class's home worker sends each publisher packet once to a
// worker of every other instance with viewers of the class, which fans it out to its own (and
// its sibling workers'); keyframe requests travel back, at most one per KEYFRAME_GAP_MS per
// class and worker, so a thousand viewers joining make a handful of requests, not a thousand.
// Plain UDP: the relay header (protocol.ts), the payload, and a truncated HMAC-SHA256 with the
// cluster's key; a datagram without a valid MAC (from outside the cluster) is dropped and counted.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Kind } from "../forwarder.ts";
import { CASCADE_MAC, RELAY_HEADER, RELAY_KEYFRAME, RELAY_MEDIA } from "../protocol.ts";
import type { VideoCodec } from "../rtp.ts";
import { askKeyframe, config, counters, forwardTimed, hooks, log, relay, relayHeader, rooms, type RoomEntry } from "./runtime.ts";

const KEYFRAME_GAP_MS = 300;
const key = Buffer.from(config.cascadeKey ?? "", "utf8");
const lastKeyframe = new WeakMap<RoomEntry, number>();

function mac(data: Uint8Array): Buffer {
  return createHmac("sha256", key).update(data).digest().subarray(0, CASCADE_MAC);
}

/** The datagram with its MAC appended. */
function seal(b: Buffer): Buffer {
  return Buffer.concat([b, mac(b)]);
}

export const cascade = await Bun.udpSocket({
  hostname: config.cascadeHost ?? "127.0.0.1",
  port: 0,
  socket: {
    // ICMP port unreachable: the instance at the other end was killed; the media home's next
    // owner sets the relay up again. Unhandled, Bun raised it as an uncaught exception.
    error() {},
    data(_sock, data: Buffer) {
      if (data.length < RELAY_HEADER + CASCADE_MAC || key.length === 0) return void counters.cascadeRejected++;
      const body = data.subarray(0, data.length - CASCADE_MAC);
      if (!timingSafeEqual(mac(body), data.subarray(data.length - CASCADE_MAC))) return void counters.cascadeRejected++;
      const entry = rooms.get(body.readUInt32BE(4));
      if (!entry) return void counters.cascadeRejected++;
      counters.cascadeReceived++;
      try {
        if (body[0] === RELAY_MEDIA) {
          // Our sibling workers holding viewers of the class get it over the loopback relay, as from a local publisher.
          for (const port of entry.relayTo) relay.send(body, port, "127.0.0.1");
          const kind: Kind = body[1] === 0 ? "audio" : "video";
          const codec: VideoCodec = body[2] === 0 ? "VP8" : "H264";
          forwardTimed(entry.room, kind, body.subarray(RELAY_HEADER), codec, body[3]);
        } else if (body[0] === RELAY_KEYFRAME) {
          askKeyframe(entry);
        }
      } catch (e) {
        log.error({ err: e, worker: config.index }, "media worker: cascade");
      }
    },
  },
});

/** A publisher's packet to every instance relaying the class (header carries each target's class key). */
export function cascadeMedia(entry: RoomEntry, kind: Kind, codec: VideoCodec, pkt: Buffer, layer: number): void {
  for (const t of entry.cascadeTo) {
    cascade.send(seal(relayHeader(RELAY_MEDIA, kind, codec, t.key, pkt, layer)), t.port, t.host);
    counters.cascadeSent++;
  }
}

hooks.cascadeKeyframe = (entry) => {
  const up = entry.cascadeUp;
  if (!up) return;
  const now = performance.now();
  if (now - (lastKeyframe.get(entry) ?? -Infinity) < KEYFRAME_GAP_MS) return;
  lastKeyframe.set(entry, now);
  cascade.send(seal(relayHeader(RELAY_KEYFRAME, "video", "VP8", up.key, null)), up.port, up.host);
};
