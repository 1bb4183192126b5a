// Public face of the media subsystem: WHIP/WHEP signalling over fetch Request/Response,
// backed by media worker processes that do the RTP forwarding.
//
//   const media = createMediaService({ videoQuality: "720p", registry });
//   POST /api/classes/:id/whip  -> media.handleWhip(req, classId, teacherId)
//   POST /api/classes/:id/whep  -> media.handleWhep(req, classId, studentId)
//   DELETE|PATCH /api/media/resources/:id -> media.handleResource(req, id, principalId)

import type { Registry } from "../obs/prom.ts";
import { MediaServiceImpl } from "./service.ts";
import type { CascadeTarget, VideoQuality } from "./protocol.ts";
import type { AdmissionOptions } from "./admission.ts";
import type { VideoStateListener } from "./video-state.ts";

export type { CascadeTarget } from "./protocol.ts";

interface MediaLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface MediaServiceOptions {
  videoQuality: VideoQuality;
  /** Media worker processes; default one per core. */
  workers?: number;
  registry?: Registry;
  /** Address announced in ICE candidates (the node's address when pods run behind NAT or on K3s). */
  publicIp?: string;
  /**
   * UDP ports for media. With ICE UDP mux (the default) worker i listens on portRange[0] + i,
   * so the range needs at least `workers` ports. Without it, every connection takes its own port.
   */
  portRange?: [number, number];
  logger?: MediaLogger;
  /** Subscribers one worker takes for a class before the class spills to other workers (default 250). */
  subscribersPerWorker?: number;
  /** One UDP port per worker shared by all its connections (default true). */
  iceUdpMux?: boolean;
  /** Sessions that never connect are dropped after this long (default 15000 ms). */
  connectTimeoutMs?: number;
  /** Connected sessions that send nothing (no RTP, no RTCP) for this long are closed (default 15000 ms). */
  idleTimeoutMs?: number;
  /** Per-user cap on connecting sessions, fair join slots, reaping of sessions that never connect (`admission.ts`). */
  admission?: Partial<AdmissionOptions>;
  /**
   * Cascade between instances: the address this instance's workers take relayed streams on (default 127.0.0.1), and the HMAC key of those
   * datagrams (shared by the instances).
   */
  cascadeHost?: string;
  cascadeKey?: string;
  /**
   * TURN over TCP for Chromium (worker/turn-shim.ts): each worker also takes ICE on a second port,
   * announced with the lowest priority, where a zero tiebreaker is fixed before libjuice sees it.
   * On when TURN servers are configured. Its port: portRange[0] + workers + i when the range has
   * twice as many ports as workers, else a free one.
   */
  turnShim?: boolean;
  /** Appended to resource ids as `<uuid>@<suffix>` (scale-out: names the media home instance). */
  resourceSuffix?: string;
  /** A class's camera or screen share went on air (a publish connected) or paused (its last publish closed). */
  onVideoState?: VideoStateListener;
}

export interface MediaStats {
  publishers: number;
  subscribers: number;
  workers: number;
}

/** The signalling half of the media service: what the HTTP routes call (local or forwarded). */
export interface MediaSignalling {
  handleWhip(req: Request, classId: string, publisherId: string): Promise<Response>;
  handleWhep(req: Request, classId: string, viewerId: string): Promise<Response>;
  handleResource(req: Request, resourceId: string, principalId: string): Promise<Response>;
}

export interface MediaService extends MediaSignalling {
  /** POST an SDP offer -> 201 with the SDP answer and a Location (`/api/media/resources/<id>`). */
  handleWhip(req: Request, classId: string, publisherId: string): Promise<Response>;
  handleWhep(req: Request, classId: string, viewerId: string): Promise<Response>;
  /** DELETE ends the session; PATCH with application/trickle-ice-sdpfrag adds remote candidates. */
  handleResource(req: Request, resourceId: string, principalId: string): Promise<Response>;
  /** Closes every media session of the class. */
  endClass(classId: string): void;
  /** Closes one user's media sessions of the class (they were removed from it); how many were open here. */
  closeUser(classId: string, userId: string): number;
  /** True while the class has a publisher, subscriber or cascade here. */
  hasClass(classId: string): boolean;
  /** True while the class has a publisher or subscriber here. */
  hasSessions(classId: string): boolean;
  /**
   * Cascade, home side: relay the class's stream to `target` (a worker of another instance) until `ttlMs` passes without a renewal; returns
   * where that instance sends keyframe requests.
   */
  cascadeTo(classId: string, target: CascadeTarget, ttlMs: number): Promise<CascadeTarget>;
  /** Cascade, viewer side: the class's stream comes from `upstream` (null: no more); returns the local worker address to give the home. */
  cascadeFrom(classId: string, upstream: CascadeTarget | null): Promise<CascadeTarget | null>;
  stats(): MediaStats;
  /** Subscribers on each live worker, and how many one worker takes (placement between instances). */
  load(): { subscribers: number[]; perWorker: number };
  /** Idempotent: closes every session and stops every worker. */
  close(): Promise<void>;
}

export function createMediaService(opts: MediaServiceOptions): MediaService {
  return new MediaServiceImpl(opts);
}
