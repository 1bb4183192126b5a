// MediaService: WHIP/WHEP signalling, placement of sessions on workers, routing of a
// class's stream between workers, lifecycle. Runs in the server process; no media here.
// Over 400 lines because signalling, placement and routing act on the same per-class state
// (resources, workers, the class's source); they are one class, MediaServiceImpl.

import { availableParallelism } from "node:os";
import type { MediaService, MediaServiceOptions, MediaStats } from "./index.ts";
import { createMediaMetrics, type MediaMetrics } from "./metrics.ts";
import { MediaError, MediaWorker } from "./pool.ts";
import type { CascadeTarget, WorkerConfig } from "./protocol.ts";
import { makeDtlsCertificate, type DtlsCertificate } from "./certificate.ts";
import { ADMISSION_DEFAULTS, JoinAdmission } from "./admission.ts";
import { PublisherStates, sourceOf, type VideoSource } from "./video-state.ts";
import { AppError } from "../domain/errors.ts";
import { problemResponse } from "../http/problem.ts";

const RESOURCE_PREFIX = "/api/media/resources/";
const MAX_SDP_BYTES = 64 * 1024;

interface Resource {
  id: string;
  kind: "publisher" | "subscriber";
  classId: string;
  principalId: string;
  worker: MediaWorker;
  source: VideoSource;
}

interface ClassState {
  key: number;
  home: MediaWorker | null;
  /** Publishing resources (one with audio+video, or one per kind for a simulcast teacher). */
  publishers: Set<string>;
  /** worker index -> subscriber resource ids on it */
  subs: Map<number, Set<string>>;
  /** workers told to relay/upstream for this class, and by which home */
  routed: Set<number>;
  routedHome: MediaWorker | null;
  /** Cascade, home side: workers of other instances relaying this class, until `expires`. */
  remote: Map<string, { target: CascadeTarget; expires: number }>;
  /** Cascade, viewer side: the home worker of another instance this class's stream comes from. */
  upstream: CascadeTarget | null;
}

const sameTarget = (a: CascadeTarget | null, b: CascadeTarget | null) =>
  a === b || (a !== null && b !== null && a.host === b.host && a.port === b.port && a.key === b.key);

/** An RFC 9457 problem document; `code` keeps the media error's own name (MEDIA_BAD_SDP, ...). */
function problem(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return problemResponse(new MediaError(code, message, status), undefined, headers);
}

/** 429 with when to try again. */
function tooMany(detail: string, retryAfterSeconds: number): Response {
  return problem(429, "MEDIA_PENDING_CAP", detail, { "retry-after": String(retryAfterSeconds) });
}

export class MediaServiceImpl implements MediaService {
  private readonly workers: MediaWorker[] = [];
  private readonly resources = new Map<string, Resource>();
  private readonly classes = new Map<string, ClassState>();
  private nextClassKey = 1;
  private restarts: number[] = [];
  private closing: Promise<void> | null = null;
  private readonly metrics: MediaMetrics;
  private readonly perWorker: number;
  private readonly certificate: DtlsCertificate | null;
  private readonly cascadeKey: string;
  private readonly cascadeTimer: ReturnType<typeof setInterval>;
  private readonly admission: JoinAdmission;
  private readonly videoStates: PublisherStates;

  private readonly workerCount: number;

  constructor(private readonly opts: MediaServiceOptions) {
    const n = Math.max(1, opts.workers ?? availableParallelism());
    this.workerCount = n;
    this.perWorker = opts.subscribersPerWorker ?? 250;
    const mux = opts.iceUdpMux ?? true;
    if (mux && opts.portRange && opts.portRange[1] - opts.portRange[0] + 1 < n) {
      throw new MediaError("MEDIA_CONFIG", `portRange ${opts.portRange.join("-")} has fewer ports than the ${n} media workers`, 500);
    }
    if (opts.turnShim && mux && opts.portRange && opts.portRange[1] - opts.portRange[0] + 1 < 2 * n) {
      // Not fatal: the shim takes a free port, which a firewall or host-port mapping will not let through.
      opts.logger?.warn(
        { portRange: opts.portRange, workers: n },
        "media port range has fewer than two ports per worker: the TURN-over-TCP shim ports are ephemeral",
      );
    }
    this.metrics = createMediaMetrics(opts.registry);
    this.certificate = makeDtlsCertificate();
    // Without a cluster key (one instance) the cascade socket takes nothing but its own datagrams.
    this.cascadeKey = opts.cascadeKey ?? Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    this.cascadeTimer = setInterval(() => this.expireCascades(), 1000);
    this.videoStates = new PublisherStates((classId, source, state) => opts.onVideoState?.(classId, source, state));
    this.admission = new JoinAdmission({ ...ADMISSION_DEFAULTS, ...opts.admission }, opts.registry, (id) =>
      this.closeResource(id, "never connected"),
    );
    for (let i = 0; i < n; i++) this.workers.push(this.spawn(i, mux));
    this.updateCounts();
  }

  private workerConfig(i: number, mux: boolean): WorkerConfig {
    const range = this.opts.portRange;
    return {
      index: i,
      videoQuality: this.opts.videoQuality,
      // Mux: a fixed port per worker when a range is given, else an ephemeral one chosen by the OS (still one per worker).
      iceUdpMux: mux,
      muxPort: mux && range ? range[0] + i : 0,
      portRange: mux ? undefined : range,
      publicIp: this.opts.publicIp,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 15000,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 15000,
      cascadeHost: this.opts.cascadeHost ?? "127.0.0.1",
      cascadeKey: this.cascadeKey,
      turnShim: this.opts.turnShim ?? false,
      shimPort: mux && range && range[1] - range[0] + 1 >= 2 * this.workerCount ? range[0] + this.workerCount + i : 0,
      certificate: this.certificate
        ? { certificatePemFile: this.certificate.certificatePemFile, keyPemFile: this.certificate.keyPemFile }
        : undefined,
    };
  }

  private spawn(i: number, mux: boolean): MediaWorker {
    const w = new MediaWorker(i, this.workerConfig(i, mux), {
      onClosed: (_w, id, reason) => this.forget(id, reason),
      onConnected: (_w, id) => {
        this.admission.connected(id);
        const r = this.resources.get(id);
        if (r?.kind === "publisher") this.videoStates.connected(id, r.classId, r.source);
      },
      onStats: (worker, s) => {
        worker.subscribers = s.subscribers;
        this.metrics.cascadePort(worker.index, worker.cascadePort);
        this.metrics.observe(worker.index, s);
      },
      onExit: (worker, code) => {
        for (const r of [...this.resources.values()]) if (r.worker === worker) this.forget(r.id, "worker exited");
        for (const c of this.classes.values()) if (c.home === worker) c.home = null;
        // Restart, unless it keeps dying (then it stays down and stats() shows one worker fewer).
        const now = Date.now();
        this.restarts = this.restarts.filter((t) => now - t < 60_000);
        if (!this.closing && this.restarts.length < 5) {
          this.restarts.push(now);
          this.opts.logger?.warn({ worker: worker.index, code }, "media worker exited; restarting it");
          this.workers[worker.index] = this.spawn(worker.index, mux);
        } else if (!this.closing) {
          this.opts.logger?.warn({ worker: worker.index, code }, "media worker exited too often; leaving it down");
        }
        this.updateCounts();
      },
    });
    return w;
  }

  // ---------------------------------------------------------------- HTTP

  handleWhip(req: Request, classId: string, publisherId: string): Promise<Response> {
    return this.create(req, classId, publisherId, "publisher");
  }

  handleWhep(req: Request, classId: string, viewerId: string): Promise<Response> {
    return this.create(req, classId, viewerId, "subscriber");
  }

  private async create(req: Request, classId: string, principalId: string, kind: Resource["kind"]): Promise<Response> {
    if (this.closing) return problem(503, "MEDIA_CLOSED", "media service is shutting down");
    if (req.method !== "POST") return problem(405, "MEDIA_METHOD", "use POST with an SDP offer", { Allow: "POST" });
    const type = req.headers.get("content-type") ?? "";
    if (!type.toLowerCase().startsWith("application/sdp"))
      return problem(415, "MEDIA_CONTENT_TYPE", "Content-Type must be application/sdp");
    if (Number(req.headers.get("content-length") ?? 0) > MAX_SDP_BYTES) return problem(413, "MEDIA_SDP_TOO_LARGE", "SDP offer too large");
    const sdp = await req.text();
    if (sdp.length > MAX_SDP_BYTES) return problem(413, "MEDIA_SDP_TOO_LARGE", "SDP offer too large");
    if (!sdp.startsWith("v=0")) return problem(400, "MEDIA_BAD_SDP", "body is not an SDP offer");
    const source = sourceOf(req);
    if (source === null) return problem(400, "MEDIA_BAD_SOURCE", "source must be camera or screen");

    const cls = this.classFor(classId);
    const worker = kind === "publisher" ? this.homeOf(cls) : this.placeSubscriber(cls);
    try {
      await worker.ready();
    } catch (e) {
      this.dropIfEmpty(classId);
      return this.fail(e);
    }
    // With a suffix (the home instance's tag) any instance can tell where the resource lives.
    const id = this.opts.resourceSuffix ? `${crypto.randomUUID()}@${this.opts.resourceSuffix}` : crypto.randomUUID();
    // One user's offers that never connect must not hold the worker's joins (issue 14, defect 5).
    if (!this.admission.reserve(id, principalId, worker.index)) {
      this.dropIfEmpty(classId);
      const retry = this.admission.retryAfterSeconds();
      return tooMany(
        `at most ${this.admission.pendingOf(principalId)} media sessions may be connecting at once for one user; retry when they connect`,
        retry,
      );
    }
    // Join storms (a whole class at the bell): a few sessions per worker between offer and
    // connected, handed out fairly between users; publishers go first. The rest wait here.
    await this.admission.acquire(id, kind === "publisher");
    if (this.closing) {
      this.admission.release(id);
      return problem(503, "MEDIA_CLOSED", "media service is shutting down");
    }
    const res: Resource = { id, kind, classId, principalId, worker, source };
    this.resources.set(id, res);
    // A publish replaces the class's previous publisher of the same kinds; the worker does it and reports it closed.
    if (kind === "publisher") cls.publishers.add(id);
    else {
      let set = cls.subs.get(worker.index);
      if (!set) cls.subs.set(worker.index, (set = new Set()));
      set.add(id);
      this.reroute(cls);
    }
    this.updateCounts();
    try {
      const answer = await worker.request({
        t: kind === "publisher" ? "publish" : "subscribe",
        rid: worker.rid(),
        id,
        classKey: cls.key,
        sdp,
      });
      if (!this.resources.has(id)) return problem(409, "MEDIA_GONE", "the session was closed while it was being set up");
      this.opts.logger?.info({ classId, kind, resource: id, worker: worker.index }, "media session created");
      return new Response(answer, {
        status: 201,
        headers: { "Content-Type": "application/sdp", Location: RESOURCE_PREFIX + id, ETag: `"${id}"` },
      });
    } catch (e) {
      this.forget(id, "signalling failed");
      worker.post({ t: "close", id });
      return this.fail(e);
    }
  }

  private fail(e: unknown): Response {
    if (e instanceof AppError) return problemResponse(e, undefined);
    return problem(500, "MEDIA_INTERNAL", e instanceof Error ? e.message : String(e));
  }

  async handleResource(req: Request, resourceId: string, principalId: string): Promise<Response> {
    const r = this.resources.get(resourceId);
    if (!r) return problem(404, "MEDIA_NOT_FOUND", "no such media session");
    if (r.principalId !== principalId) return problem(403, "MEDIA_FORBIDDEN", "this media session belongs to someone else");
    if (req.method === "DELETE") {
      this.closeResource(resourceId, "closed by signalling");
      return new Response(null, { status: 200 });
    }
    if (req.method === "PATCH") {
      const type = (req.headers.get("content-type") ?? "").toLowerCase();
      if (!type.startsWith("application/trickle-ice-sdpfrag"))
        return problem(415, "MEDIA_CONTENT_TYPE", "Content-Type must be application/trickle-ice-sdpfrag");
      const frag = await req.text();
      if (frag.length > MAX_SDP_BYTES) return problem(413, "MEDIA_SDP_TOO_LARGE", "fragment too large");
      const candidates: { candidate: string; mid: string }[] = [];
      let mid = "0";
      for (const line of frag.split(/\r?\n/)) {
        if (line.startsWith("a=mid:")) mid = line.slice(6).trim();
        else if (line.startsWith("a=candidate:")) candidates.push({ candidate: line.slice(2).trim(), mid });
      }
      if (candidates.length > 0) r.worker.post({ t: "candidates", id: r.id, candidates });
      return new Response(null, { status: 204 });
    }
    return problem(405, "MEDIA_METHOD", "use DELETE or PATCH", { Allow: "DELETE, PATCH" });
  }

  // ---------------------------------------------------------------- lifecycle

  endClass(classId: string): void {
    const cls = this.classes.get(classId);
    if (!cls) return;
    for (const r of [...this.resources.values()]) if (r.classId === classId) this.forget(r.id, "class ended");
    for (const w of this.workers) w.post({ t: "endClass", classKey: cls.key });
    this.classes.delete(classId);
    this.updateCounts();
  }

  closeUser(classId: string, userId: string): number {
    const theirs = [...this.resources.values()].filter((r) => r.classId === classId && r.principalId === userId);
    for (const r of theirs) this.closeResource(r.id, "removed from the class");
    return theirs.length;
  }

  hasClass(classId: string): boolean {
    return this.classes.has(classId);
  }

  hasSessions(classId: string): boolean {
    const c = this.classes.get(classId);
    return c !== undefined && (c.publishers.size > 0 || [...c.subs.values()].some((s) => s.size > 0));
  }

  async cascadeTo(classId: string, target: CascadeTarget, ttlMs: number): Promise<CascadeTarget> {
    if (this.closing) throw new MediaError("MEDIA_CLOSED", "media service is shutting down", 503);
    const cls = this.classFor(classId);
    const home = this.homeOf(cls);
    await home.ready();
    // One relay per receiving worker: a worker that dropped the class and took it up again asks under a
    // new key, and the leg to its old key must end now, not when it expires (it would be sent twice).
    const id = `${target.host}:${target.port}`;
    const had = cls.remote.get(id)?.target;
    cls.remote.set(id, { target, expires: Date.now() + ttlMs });
    if (!sameTarget(had ?? null, target)) this.postCascade(cls);
    return { host: this.opts.cascadeHost ?? "127.0.0.1", port: home.cascadePort, key: cls.key };
  }

  async cascadeFrom(classId: string, upstream: CascadeTarget | null): Promise<CascadeTarget | null> {
    if (this.closing) throw new MediaError("MEDIA_CLOSED", "media service is shutting down", 503);
    const cls = upstream ? this.classFor(classId) : this.classes.get(classId);
    if (!cls) return null;
    const home = this.homeOf(cls);
    await home.ready();
    if (!sameTarget(cls.upstream, upstream)) {
      cls.upstream = upstream;
      home.post({ t: "cascadeUp", classKey: cls.key, target: upstream });
    }
    return { host: this.opts.cascadeHost ?? "127.0.0.1", port: home.cascadePort, key: cls.key };
  }

  private postCascade(cls: ClassState): void {
    cls.home?.post({ t: "cascadeTo", classKey: cls.key, targets: [...cls.remote.values()].map((r) => r.target) });
  }

  /** Drops relays to instances that stopped renewing them (their viewers left, or they died). */
  private expireCascades(): void {
    const now = Date.now();
    for (const [classId, cls] of this.classes) {
      let changed = false;
      for (const [id, r] of cls.remote) {
        if (r.expires > now) continue;
        cls.remote.delete(id);
        changed = true;
      }
      if (changed) {
        this.postCascade(cls);
        this.dropIfEmpty(classId);
      }
    }
  }

  stats(): MediaStats {
    let publishers = 0;
    let subscribers = 0;
    for (const r of this.resources.values()) {
      if (r.kind === "publisher") publishers++;
      else subscribers++;
    }
    return { publishers, subscribers, workers: this.workers.filter((w) => w.alive).length };
  }

  /** Subscribers on each live worker and how many a worker takes: the figures placement compares (placement.ts). */
  load(): { subscribers: number[]; perWorker: number } {
    const subs = new Map<MediaWorker, number>();
    for (const w of this.workers) if (w.alive) subs.set(w, 0);
    for (const r of this.resources.values())
      if (r.kind === "subscriber" && subs.has(r.worker)) subs.set(r.worker, (subs.get(r.worker) ?? 0) + 1);
    return { subscribers: [...subs.values()], perWorker: this.perWorker };
  }

  /** Worker PIDs and relay ports, for tests and the benchmark. */
  workerInfo(): { index: number; pid: number; subscribers: number; relayPort: number }[] {
    return this.workers.map((w) => ({ index: w.index, pid: w.pid, subscribers: w.subscribers, relayPort: w.relayPort }));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.admission.releaseAll();
      clearInterval(this.cascadeTimer);
      for (const id of [...this.resources.keys()]) this.forget(id, "service closed");
      this.classes.clear();
      await Promise.all(this.workers.map((w) => w.stop()));
      this.certificate?.remove();
      this.updateCounts();
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- placement

  private classFor(classId: string): ClassState {
    let c = this.classes.get(classId);
    if (!c) {
      c = {
        key: this.nextClassKey++,
        home: null,
        publishers: new Set(),
        subs: new Map(),
        routed: new Set(),
        routedHome: null,
        remote: new Map(),
        upstream: null,
      };
      this.classes.set(classId, c);
    }
    return c;
  }

  private weight(w: MediaWorker): number {
    let n = 0;
    for (const r of this.resources.values()) if (r.worker === w) n += r.kind === "publisher" ? 5 : 1;
    return n;
  }

  private leastLoaded(): MediaWorker {
    let best = this.workers[0];
    let bestLoad = Infinity;
    for (const w of this.workers) {
      if (!w.alive) continue;
      const l = this.weight(w);
      if (l < bestLoad) {
        best = w;
        bestLoad = l;
      }
    }
    return best;
  }

  private homeOf(cls: ClassState): MediaWorker {
    if (!cls.home || !cls.home.alive) {
      cls.home = this.leastLoaded();
      this.reroute(cls);
      if (cls.remote.size > 0 || cls.upstream) {
        const home = cls.home;
        void home.ready().then(
          () => {
            this.postCascade(cls);
            if (cls.upstream) home.post({ t: "cascadeUp", classKey: cls.key, target: cls.upstream });
          },
          () => {},
        );
      }
    }
    return cls.home;
  }

  private placeSubscriber(cls: ClassState): MediaWorker {
    const home = this.homeOf(cls);
    let onHome = 0;
    for (const r of this.resources.values()) if (r.worker === home && r.kind === "subscriber") onHome++;
    if (onHome < this.perWorker) return home;
    return this.leastLoaded();
  }

  /** Tells the class's home worker where to relay, and the other workers where keyframe requests go. */
  private reroute(cls: ClassState): void {
    const home = cls.home;
    if (!home) return;
    const remote: MediaWorker[] = [];
    for (const [idx, set] of cls.subs) {
      const w = this.workers[idx];
      if (set.size > 0 && w !== home && w.alive) remote.push(w);
    }
    const want = new Set(remote.map((w) => w.index));
    const same = cls.routedHome === home && want.size === cls.routed.size && [...want].every((i) => cls.routed.has(i));
    if (same) return;
    cls.routedHome = home;
    void Promise.all([home.ready(), ...remote.map((w) => w.ready())])
      .then(() => {
        home.post({ t: "route", classKey: cls.key, relayTo: remote.map((w) => w.relayPort) });
        for (const w of remote) w.post({ t: "upstream", classKey: cls.key, port: home.relayPort });
      })
      .catch(() => {});
    for (const i of cls.routed) if (!want.has(i)) this.workers[i]?.post({ t: "upstream", classKey: cls.key, port: null });
    cls.routed = want;
  }

  private closeResource(id: string, reason: string): void {
    const r = this.resources.get(id);
    if (!r) return;
    this.forget(id, reason);
    r.worker.post({ t: "close", id });
  }

  /** Drops our record of a session (the worker closed it or is told to). */
  private forget(id: string, reason: string): void {
    this.admission.release(id);
    this.videoStates.closed(id);
    const r = this.resources.get(id);
    if (!r) return;
    this.resources.delete(id);
    this.metrics.sessionClosed(r.kind, reason);
    const cls = this.classes.get(r.classId);
    if (cls) {
      if (r.kind === "publisher") cls.publishers.delete(id);
      if (r.kind === "subscriber") {
        cls.subs.get(r.worker.index)?.delete(id);
        this.reroute(cls);
      }
      const empty = cls.publishers.size === 0 && [...cls.subs.values()].every((s) => s.size === 0) && cls.remote.size === 0;
      if (empty) {
        if (cls.upstream) cls.home?.post({ t: "cascadeUp", classKey: cls.key, target: null });
        for (const i of cls.routed) this.workers[i]?.post({ t: "upstream", classKey: cls.key, port: null });
        cls.home?.post({ t: "route", classKey: cls.key, relayTo: [] });
        this.classes.delete(r.classId);
      }
    }
    this.updateCounts();
  }

  private dropIfEmpty(classId: string): void {
    const cls = this.classes.get(classId);
    if (cls && cls.publishers.size === 0 && [...cls.subs.values()].every((s) => s.size === 0) && cls.remote.size === 0) {
      if (cls.upstream) cls.home?.post({ t: "cascadeUp", classKey: cls.key, target: null });
      this.classes.delete(classId);
    }
  }

  private updateCounts(): void {
    this.metrics.setCounts(this.stats());
  }
}
