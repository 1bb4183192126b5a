// Messages between the MediaService (signalling, in the server process) and its media
// worker processes (RTP forwarding). JSON over Bun's IPC channel: signalling only, never media.

export type VideoQuality = "360p" | "480p" | "720p" | "1080p";

export interface WorkerConfig {
  index: number;
  videoQuality: VideoQuality;
  /** One UDP port shared by every peer connection of this worker (ICE UDP mux). */
  iceUdpMux: boolean;
  /** The mux port; 0 lets the worker pick a free one. */
  muxPort: number;
  portRange?: [number, number];
  publicIp?: string;
  /** Shared DTLS certificate (PEM files); absent: libdatachannel makes one per connection. */
  certificate?: { certificatePemFile: string; keyPemFile: string };
  /** Unconnected sessions are dropped after this long. */
  connectTimeoutMs: number;
  /** Connected sessions from which nothing arrives for this long are closed. */
  idleTimeoutMs: number;
  /** The cascade between instances (worker/cascade.ts): address its UDP socket binds, HMAC key of its datagrams. */
  cascadeHost: string;
  cascadeKey: string;
  /** TURN over TCP around libjuice's zero-tiebreaker bug (worker/turn-shim.ts): a second UDP port per worker; 0 = any free one. */
  turnShim?: boolean;
  shimPort?: number;
}

/** Where a worker of another instance takes a class's relayed stream (or its keyframe requests). */
export interface CascadeTarget {
  host: string;
  port: number;
  /** The class's key in that instance's MediaService. */
  key: number;
}

export type ToWorker =
  | { t: "publish"; rid: number; id: string; classKey: number; sdp: string }
  | { t: "subscribe"; rid: number; id: string; classKey: number; sdp: string }
  | { t: "candidates"; id: string; candidates: { candidate: string; mid: string }[] }
  | { t: "close"; id: string }
  | { t: "endClass"; classKey: number }
  /** To the worker holding a class's publisher: also relay its packets to these workers' relay ports. */
  | { t: "route"; classKey: number; relayTo: number[] }
  /** To a worker holding subscribers of a class whose publisher is elsewhere: where keyframe requests go. */
  | { t: "upstream"; classKey: number; port: number | null }
  /** To a class's home worker on this instance: also relay its stream to these workers of other instances. */
  | { t: "cascadeTo"; classKey: number; targets: CascadeTarget[] }
  /** To the worker that receives a class's stream from another instance: where its keyframe requests go. */
  | { t: "cascadeUp"; classKey: number; target: CascadeTarget | null }
  | { t: "shutdown" };

export interface WorkerStats {
  cpuUserUs: number;
  cpuSystemUs: number;
  packetsIn: number;
  packetsOut: number;
  bytesOut: number;
  keyframeRequests: number;
  nackRetransmits: number;
  /** Packets NACKed towards publishers (loss on the teacher's uplink). */
  upstreamNacks: number;
  publishers: number;
  subscribers: number;
  /** Subscriber-side forwarding delay inside the worker, microseconds, p99 since the last report. */
  forwardP99Us: number;
  /** Cascade datagrams relayed to other instances, received from them, and refused (bad HMAC, unknown class). */
  cascadeSent: number;
  cascadeReceived: number;
  cascadeRejected: number;
  /** Datagrams refused on the loopback relay between workers (not from a sibling worker routed for the class). */
  relayRejected: number;
}

export type FromWorker =
  | { t: "ready"; relayPort: number; cascadePort: number; pid: number }
  | { t: "reply"; rid: number; ok: true; sdp: string }
  | { t: "reply"; rid: number; ok: false; code: string; message: string }
  | { t: "closed"; id: string; reason: string }
  /** ICE and DTLS are up for the session (the end of the expensive part of a join). */
  | { t: "connected"; id: string }
  | { t: "stats"; stats: WorkerStats };

/** Datagram header on the loopback relay between workers. */
export const RELAY_MEDIA = 0;
export const RELAY_KEYFRAME = 1;
export const RELAY_HEADER = 8;
/** Truncated HMAC-SHA256 after each cascade datagram. */
export const CASCADE_MAC = 12;

export const QUALITY: Record<VideoQuality, { width: number; height: number; kbps: number }> = {
  "360p": { width: 640, height: 360, kbps: 800 },
  "480p": { width: 854, height: 480, kbps: 1200 },
  "720p": { width: 1280, height: 720, kbps: 2500 },
  "1080p": { width: 1920, height: 1080, kbps: 4500 },
};
