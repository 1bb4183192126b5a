// Media worker state shared by its sessions and its IPC loop: configuration, counters,
// rooms, sessions, and the loopback relay to sibling workers.

import ndc from "node-datachannel";
import { createLogging } from "../../obs/logger.ts";
import { Room, type ForwarderCounters, type Kind } from "../forwarder.ts";
import { QUALITY, RELAY_HEADER, RELAY_KEYFRAME, RELAY_MEDIA, type CascadeTarget, type FromWorker, type WorkerConfig } from "../protocol.ts";
import type { VideoCodec } from "../rtp.ts";
import type { PublisherSession } from "./sessions.ts";

export const config: WorkerConfig = JSON.parse(process.env.EDGECLASS_MEDIA_WORKER ?? "null") as WorkerConfig;
if (!config || typeof config.index !== "number") {
  console.error("media worker: EDGECLASS_MEDIA_WORKER is missing; this file is started by the MediaService");
  process.exit(2);
}
/** JSON lines on the server's stdout (the worker inherits it), written at once: a worker may die next. */
export const log = createLogging("info", (line) => void process.stdout.write(line)).logger;
/** Kept referenced: a collected listener would let go of the port. */
export const muxListener = config.iceUdpMux ? await holdMuxPort() : null;

/**
 * Binds the worker's one UDP port (ICE UDP mux) for its whole life. Without a listener libjuice
 * closes a mux port when its last connection ends and binds it again for the next one: in between,
 * another process can be handed the port as an ephemeral one, and the worker's next viewers fail.
 */
async function holdMuxPort(): Promise<InstanceType<typeof ndc.IceUdpMuxListener>> {
  if (config.muxPort === 0) {
    // A free port, let go and bound again at once by the listener.
    const probe = await Bun.udpSocket({ port: 0 });
    config.muxPort = probe.port;
    probe.close();
  }
  try {
    return new ndc.IceUdpMuxListener(config.muxPort);
  } catch (e) {
    // Taken (a configured port in use, or another process slipped in after the probe): the pool starts
    // the worker again, with a new free port when none is configured.
    log.error({ err: e, port: config.muxPort }, "media worker: cannot bind its UDP port");
    process.exit(1);
  }
}

/** The DTLS certificate the MediaService made for all workers (see certificate.ts), if any. */
export const certificate: { certificatePemFile: string; keyPemFile: string } | null = config.certificate ?? null;

export const counters: ForwarderCounters & {
  upstreamNacks: number;
  cascadeSent: number;
  cascadeReceived: number;
  cascadeRejected: number;
  relayRejected: number;
} = {
  packetsIn: 0,
  packetsOut: 0,
  bytesOut: 0,
  keyframeRequests: 0,
  nackRetransmits: 0,
  upstreamNacks: 0,
  cascadeSent: 0,
  cascadeReceived: 0,
  cascadeRejected: 0,
  relayRejected: 0,
};
/** Set by cascade.ts: sends a keyframe request to the instance the class's stream comes from. */
export const hooks = { cascadeKeyframe: (_entry: RoomEntry): void => {} };
export const rooms = new Map<number, RoomEntry>();
export const sessions = new Map<string, Session>();
const delaySamples = new Float64Array(4096);
let delayCount = 0;

/** p99 of the fan-out times sampled since the last call, in microseconds. */
export function takeForwardP99(): number {
  const n = Math.min(delayCount, delaySamples.length);
  if (n === 0) return 0;
  const a = Array.from(delaySamples.subarray(0, n)).sort((x, y) => x - y);
  delayCount = 0;
  return a[Math.min(n - 1, Math.floor(n * 0.99))];
}

export interface RoomEntry {
  room: Room;
  /** Publishing sessions: usually one with audio and video; a simulcast teacher sends video on its own. */
  publishers: PublisherSession[];
  relayTo: number[];
  upstream: number | null;
  /** Workers of other instances this (home) worker relays the class to. */
  cascadeTo: CascadeTarget[];
  /** The home worker (another instance) this worker gets the class's stream from. */
  cascadeUp: CascadeTarget | null;
}

export interface Session {
  readonly id: string;
  readonly classKey: number;
  close(reason: string): void;
  addCandidate(candidate: string, mid: string): void;
}

export function send(msg: FromWorker): void {
  process.send?.(msg);
}

// ------------------------------------------------------------------ relay between workers

export const relay = await Bun.udpSocket({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    error() {}, // ICMP port unreachable: a sibling worker that just exited (it is restarted)
    data(_sock, data: Buffer, port: number, address: string) {
      const entry = data.length >= RELAY_HEADER ? rooms.get(data.readUInt32BE(4)) : undefined;
      const type = data[0];
      // Only the sibling workers this class is routed between may send here: media from the class's
      // home worker on this instance, keyframe requests from the workers it relays to. Anything else
      // (another local process, a stale route) is dropped and counted.
      const from =
        address === "127.0.0.1" &&
        entry !== undefined &&
        (type === RELAY_MEDIA ? port === entry.upstream : type === RELAY_KEYFRAME && entry.relayTo.includes(port));
      if (!from || !entry) return void counters.relayRejected++;
      try {
        if (type === RELAY_MEDIA) {
          const kind: Kind = data[1] === 0 ? "audio" : "video";
          const codec: VideoCodec = data[2] === 0 ? "VP8" : "H264";
          forwardTimed(entry.room, kind, data.subarray(RELAY_HEADER), codec, data[3]);
        } else if (type === RELAY_KEYFRAME) {
          askKeyframe(entry); // the publisher here, or further up the cascade
        }
      } catch (e) {
        log.error({ err: e, worker: config.index }, "media worker: relay");
      }
    },
  },
});

export function relayHeader(type: number, kind: Kind, codec: VideoCodec, classKey: number, payload: Buffer | null, layer = 0): Buffer {
  const b = Buffer.allocUnsafe(RELAY_HEADER + (payload ? payload.length : 0));
  b[0] = type;
  b[1] = kind === "audio" ? 0 : 1;
  b[2] = codec === "VP8" ? 0 : 1;
  b[3] = layer;
  b.writeUInt32BE(classKey, 4);
  if (payload) payload.copy(b, RELAY_HEADER);
  return b;
}

export function forwardTimed(room: Room, kind: Kind, pkt: Buffer, codec: VideoCodec, layer = 0): void {
  const t0 = performance.now();
  room.onPublisherPacket(kind, pkt, codec, layer);
  if (room.subscribers.size > 0) delaySamples[delayCount++ & 4095] = (performance.now() - t0) * 1000;
}

export function roomFor(classKey: number): RoomEntry {
  let e = rooms.get(classKey);
  if (!e) {
    const entry: RoomEntry = {
      room: new Room(classKey, () => askKeyframe(entry), counters),
      publishers: [],
      relayTo: [],
      upstream: null,
      cascadeTo: [],
      cascadeUp: null,
    };
    entry.room.capHeight = QUALITY[config.videoQuality].height;
    e = entry;
    rooms.set(classKey, entry);
  }
  return e;
}

export function askKeyframe(entry: RoomEntry): void {
  const video = entry.publishers.filter((p) => p.kinds.has("video"));
  if (video.length > 0) for (const p of video) p.requestKeyframe();
  else if (entry.upstream !== null)
    relay.send(relayHeader(RELAY_KEYFRAME, "video", "VP8", entry.room.key, null), entry.upstream, "127.0.0.1");
  else if (entry.cascadeUp !== null) hooks.cascadeKeyframe(entry);
}

export function maybeDropRoom(classKey: number): void {
  const e = rooms.get(classKey);
  if (
    e &&
    e.publishers.length === 0 &&
    e.room.subscribers.size === 0 &&
    e.relayTo.length === 0 &&
    e.upstream === null &&
    e.cascadeTo.length === 0 &&
    e.cascadeUp === null
  )
    rooms.delete(classKey);
}
