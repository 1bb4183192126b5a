// The media home of a live class: the one instance whose media workers hold the class's
// publisher and viewers. It is chosen through Redis with a fenced lease like a class's owner
// (`{classId}:media-home`, "<tag>:<fence>", renewed while the instance has sessions of the
// class), taken by the first instance that gets a WHIP or WHEP for the class. Any other instance
// forwards the signalling to the home over HTTP (internal routes, HMAC-signed), so the answer
// carries the home's ICE candidates and the client never knows. Resource ids end in
// "@<home tag>", so DELETE and PATCH reach the home from any instance.
//
// When the home dies, forwarding fails; the instance waits for the lease to lapse (< LEASE_MS)
// and takes the class itself, so a republish or a viewer's reconnect lands on a new home.
//
// Over 400 lines because the home's lease, the forwarding of WHIP, WHEP, PATCH and DELETE to the
// home and the cascade between homes are one protocol around one state (which instance is the
// home of which class); they are one class, MediaHomes.
import { AppError } from "../domain/errors.ts";
import { fetchUnpooled } from "../http/fetch-unpooled.ts";
import { problemResponse } from "../http/problem.ts";
import type { CascadeTarget, MediaService, MediaSignalling } from "../media/index.ts";
import { Placement } from "../media/placement.ts";
import type { Logger } from "../obs/logger.ts";
import type { Registry } from "../obs/prom.ts";
import { classKeys, mediaInstanceKey, mediaLoadKey } from "./keys.ts";
import { INTERNAL_HEADER, signInternal, verifyInternal } from "./internal-auth.ts";
import type { RedisLink } from "./redis.ts";
import { LEASE_MS } from "./scripts.ts";

const MAX_SDP_BYTES = 64 * 1024;
/** A home with no session of the class keeps the lease this long (a teacher's reload). */
const IDLE_RELEASE_MS = 5000;
const REGISTRY_TTL_MS = 15_000;
const FORWARD_TIMEOUT_MS = 20_000;
/** Headers of a forwarded answer that describe the hop, not the answer. */
const HOP_HEADERS = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "content-encoding",
  "date",
  "keep-alive",
  "x-request-id",
  "server",
]);

export const INTERNAL_PREFIX = "/internal/media";

export interface MediaHomeDeps {
  link: RedisLink;
  instanceId: string;
  /** HMAC key shared by the instances (internal-auth.ts). */
  key: string;
  /** The local media service (its workers start on first use). */
  local(): Promise<MediaService>;
  /** Media of a class that is no longer live is ended by its home. */
  isLive(classId: string): boolean;
  registry: Registry;
  logger: Logger;
  /** Viewers are served by the instance they reach, fed by a relay from the home (docs/media.md, "Cascade"). */
  cascade?: boolean;
}

/** How long a home keeps relaying to an instance that stopped renewing (its viewers left, or it died). */
const CASCADE_TTL_MS = 5000;

/** An instance's tag in leases and resource ids: its id when that is id-safe, else a digest of it. */
function instanceTag(instanceId: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/.test(instanceId)
    ? instanceId
    : new Bun.CryptoHasher("sha256").update(instanceId).digest("hex").slice(0, 24); // not node:crypto: see internal-auth.ts
}

function createHomeMetrics(registry: Registry) {
  return {
    forwarded: registry.counter({
      name: "edgeclass_media_signalling_forwarded_total",
      help: "WHIP/WHEP/resource requests forwarded to the class's media home on another instance, by outcome.",
      labelNames: ["kind", "outcome"],
    }),
    refused: registry.counter({
      name: "edgeclass_media_internal_refused_total",
      help: "Requests to the internal media routes refused (missing, stale or bad HMAC).",
      labelNames: [],
    }),
    changes: registry.counter({
      name: "edgeclass_media_home_changes_total",
      help: "Media home leases taken, released and lost by this instance.",
      labelNames: ["change"],
    }),
  };
}

type Kind = "whip" | "whep";
/** A viewer placed on this instance by another (cascade): served here, fed by the home. */
type InternalKind = Kind | "relay" | "view";
type Home = { local: true } | { local: false; tag: string; url: string; lease: string };

interface Homed {
  lease: string;
  idleSince: number | null;
}

export class MediaHomes implements MediaSignalling {
  readonly tag: string;
  private url = "";
  private readonly homed = new Map<string, Homed>();
  /** Classes whose viewers here are fed by the cascade from another instance's home. */
  private readonly feeds = new Map<string, { tag: string; upstream: CascadeTarget }>();
  private readonly urls = new Map<string, { url: string; at: number }>();
  private media: MediaService | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private readonly metrics: ReturnType<typeof createHomeMetrics>;
  /** Cascade: which instance a new viewer is served by (the most headroom, media/placement.ts). */
  private readonly placement: Placement | null;
  /** Sessions of viewers admitted here that placement put on other instances ("<classId>\t<userId>" -> resource ids), for closeUser. */
  private readonly placedAway = new Map<string, Set<string>>();
  private closed = false;

  constructor(private readonly d: MediaHomeDeps) {
    this.tag = instanceTag(d.instanceId);
    this.metrics = createHomeMetrics(d.registry);
    this.placement = d.cascade ? new Placement(d.link.cmd, mediaLoadKey(d.link), this.tag) : null;
    d.registry.gauge({
      name: "edgeclass_media_home_classes",
      help: "Live classes whose media home is this instance.",
      labelNames: [],
      collect: (g) => g.set(this.homed.size),
    });
  }

  /** Registers this instance's internal base URL and starts renewing leases. */
  start(internalUrl: string): void {
    this.url = internalUrl.replace(/\/$/, "");
    const register = () => this.d.link.cmd.set(mediaInstanceKey(this.d.link, this.tag), this.url, "PX", REGISTRY_TTL_MS).catch(() => {});
    void register();
    this.d.link.onReady(() => void register());
    this.timers.push(
      setInterval(register, REGISTRY_TTL_MS / 3),
      setInterval(() => void this.tick(), LEASE_MS / 3),
    );
    if (this.placement) {
      // A cascade instance takes viewers from the others: its workers start now, and it reports their load.
      const report = () =>
        void this.localMedia()
          .then((m) => this.placement?.report(m.load()))
          .catch(() => {});
      report();
      this.timers.push(setInterval(report, 1000));
    }
  }

  /** Shutdown: hand every class over at once (clients reconnect to the next home). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const link = this.d.link;
    await this.placement?.withdraw().catch(() => {});
    await Promise.all(
      [...this.homed].map(([classId, h]) => link.scripts.release(classKeys(link, classId).mediaHome, h.lease).catch(() => {})),
    );
    this.homed.clear();
    await link.cmd.del(mediaInstanceKey(link, this.tag)).catch(() => {});
  }

  /**
   * A user removed from the class (close 4013 on this instance, which holds their socket): their
   * sessions here, and those placement put on other instances (which may hold no socket of the class).
   */
  closeUser(classId: string, userId: string): void {
    this.media?.closeUser(classId, userId);
    const k = `${classId}\t${userId}`;
    const away = this.placedAway.get(k);
    this.placedAway.delete(k);
    for (const id of away ?? []) {
      const tag = id.slice(id.lastIndexOf("@") + 1);
      void this.urlOf(tag).then((url) =>
        url
          ? this.forward("resource", url, "DELETE", `${INTERNAL_PREFIX}/resources/${encodeURIComponent(id)}`, userId, new Headers(), "")
          : null,
      );
    }
  }

  /** Holds a seat in the class (admitted through any instance): viewers may watch from anywhere. */
  async seated(classId: string, userId: string): Promise<boolean> {
    return (await this.d.link.cmd.sismember(classKeys(this.d.link, classId).seats, userId).catch(() => 0)) === 1;
  }

  isHome(classId: string): boolean {
    return this.homed.has(classId);
  }

  // ---------------------------------------------------------------- public signalling

  handleWhip(req: Request, classId: string, principal: string): Promise<Response> {
    return this.create("whip", req, classId, principal);
  }

  handleWhep(req: Request, classId: string, principal: string): Promise<Response> {
    return this.create("whep", req, classId, principal);
  }

  async handleResource(req: Request, resourceId: string, principal: string): Promise<Response> {
    const at = resourceId.lastIndexOf("@");
    const tag = at < 0 ? this.tag : resourceId.slice(at + 1);
    const body = await boundedText(req);
    if (tag === this.tag) return (await this.localMedia()).handleResource(rebuild(req, body), resourceId, principal);
    const url = await this.urlOf(tag);
    const gone = () =>
      problemResponse(
        new AppError("not-found", "this media session's home instance is gone; start a new session"),
        new URL(req.url).pathname,
      );
    if (!url) return gone();
    const r = await this.forward(
      "resource",
      url,
      req.method,
      `${INTERNAL_PREFIX}/resources/${encodeURIComponent(resourceId)}`,
      principal,
      req.headers,
      body,
    );
    return r ?? gone();
  }

  private async create(kind: Kind, req: Request, classId: string, principal: string): Promise<Response> {
    const body = await boundedText(req);
    const path = new URL(req.url).pathname;
    for (let attempt = 0; attempt < 3; attempt++) {
      let home: Home;
      try {
        home = await this.resolve(classId);
      } catch (e) {
        this.d.logger.warn({ classId, err: (e as Error).message }, "media home not resolved");
        return problemResponse(
          new AppError("unavailable", "the class's media home cannot be found (Redis unreachable); try again shortly"),
          path,
          { "retry-after": "2" },
        );
      }
      if (kind === "whep" && this.placement) {
        const placed = await this.placeViewer(req, body, classId, principal);
        if (placed) return placed;
        return this.serveViewer(home, req, body, classId, principal);
      }
      if (home.local) return this.serveLocal(kind, req, body, classId, principal);
      // The query string goes along (e.g. which source a WHIP publishes).
      const r = await this.forward(
        kind,
        home.url,
        "POST",
        `${INTERNAL_PREFIX}/classes/${encodeURIComponent(classId)}/${kind}${new URL(req.url).search}`,
        principal,
        req.headers,
        body,
      );
      if (r === null) {
        // The home does not answer (killed, or its node is gone): its lease lapses within LEASE_MS.
        await this.waitForChange(classId, home.lease);
        continue;
      }
      if (r.headers.get("x-edgeclass-not-home")) continue; // the lease moved since we read it
      return r;
    }
    return problemResponse(new AppError("unavailable", "the class's media home does not answer; try again shortly"), path, {
      "retry-after": "1",
    });
  }

  // ---------------------------------------------------------------- internal routes (on the home)

  /** POST /internal/media/classes/:id/(whip|whep), DELETE|PATCH /internal/media/resources/:id. */
  async handleInternal(req: Request, target: { kind: InternalKind; classId: string } | { resourceId: string }): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    const body = await boundedText(req);
    const v = verifyInternal(this.d.key, req.headers.get(INTERNAL_HEADER), { method: req.method, path: path + url.search, body });
    if ("refused" in v) {
      this.metrics.refused.inc();
      this.d.logger.warn({ path, reason: v.refused }, "internal media request refused");
      return problemResponse(new AppError("unauthorized", `internal media route: ${v.refused}`), path);
    }
    if ("resourceId" in target) {
      if (!target.resourceId.endsWith(`@${this.tag}`))
        return problemResponse(new AppError("not-found", "no such media session here"), path);
      return (await this.localMedia()).handleResource(rebuild(req, body), target.resourceId, v.principal);
    }
    let home: Home;
    try {
      home = await this.resolve(target.classId);
    } catch {
      home = this.homed.has(target.classId) ? { local: true } : { local: false, tag: "", url: "", lease: "" };
    }
    if (target.kind === "view") {
      if (!this.d.cascade) return problemResponse(new AppError("conflict", "this instance does not serve cascaded viewers"), path);
      return this.serveViewer(home, req, body, target.classId, v.principal);
    }
    if (!home.local) {
      return problemResponse(new AppError("conflict", "this instance is not the class's media home"), path, {
        "x-edgeclass-not-home": "1",
      });
    }
    if (target.kind === "relay") return this.relayTo(target.classId, body, path);
    return this.serveLocal(target.kind, req, body, target.classId, v.principal);
  }

  /**
   * Cascade: a new viewer goes to the instance with the most headroom (placement.ts). Returns
   * that instance's answer, or null when this instance serves the viewer (it has the most room,
   * or the chosen one cannot take it).
   */
  private async placeViewer(req: Request, body: string, classId: string, principal: string): Promise<Response | null> {
    const placement = this.placement;
    if (!placement) return null;
    let tag: string;
    try {
      tag = await placement.target((await this.localMedia()).load());
    } catch {
      return null; // Redis away: serve here
    }
    if (tag === this.tag) return null;
    const url = await this.urlOf(tag);
    const r = url
      ? await this.forward(
          "view",
          url,
          "POST",
          `${INTERNAL_PREFIX}/classes/${encodeURIComponent(classId)}/view${new URL(req.url).search}`,
          principal,
          req.headers,
          body,
        )
      : null;
    if (r === null || r.status === 503 || r.status === 409) {
      placement.failed(tag);
      return null;
    }
    if (r.status === 201) {
      placement.placed(tag);
      const id = (r.headers.get("location") ?? "").split("/").pop();
      if (id) {
        const k = `${classId}\t${principal}`;
        this.placedAway.set(k, (this.placedAway.get(k) ?? new Set()).add(decodeURIComponent(id)));
      }
    }
    return r;
  }

  /** Serves a viewer on this instance: from the local home, or fed by the cascade from the home elsewhere. */
  private async serveViewer(home: Home, req: Request, body: string, classId: string, principal: string): Promise<Response> {
    if (home.local) return this.serveLocal("whep", req, body, classId, principal);
    const res = await this.serveLocal("whep", req, body, classId, principal);
    if (res.status === 201)
      await this.feed(classId, home).catch((e: Error) =>
        this.d.logger.warn({ classId, err: e.message }, "cascade not set up yet; retrying"),
      );
    return res;
  }

  /** On the home: relay the class to the worker another instance names; answers where its keyframe requests go. */
  private async relayTo(classId: string, body: string, path: string): Promise<Response> {
    let t: CascadeTarget;
    try {
      t = JSON.parse(body) as CascadeTarget;
    } catch {
      t = { host: "", port: 0, key: 0 };
    }
    const valid =
      typeof t.host === "string" &&
      /^[A-Za-z0-9.:-]{1,255}$/.test(t.host) &&
      Number.isInteger(t.port) &&
      t.port > 0 &&
      t.port < 65536 &&
      Number.isInteger(t.key) &&
      t.key > 0;
    if (!valid) return problemResponse(new AppError("validation", "relay target must be {host, port, key}"), path);
    const up = await (await this.localMedia()).cascadeTo(classId, { host: t.host, port: t.port, key: t.key }, CASCADE_TTL_MS);
    return Response.json(up);
  }

  /** Viewer side: asks the home to relay the class to our worker (renewed every tick), and points our worker's keyframe requests at it. */
  private async feed(classId: string, home: Extract<Home, { local: false }>): Promise<void> {
    const media = await this.localMedia();
    const known = this.feeds.get(classId);
    const mine = await media.cascadeFrom(classId, known?.tag === home.tag ? known.upstream : null);
    if (!mine) return;
    const r = await this.forward(
      "relay",
      home.url,
      "POST",
      `${INTERNAL_PREFIX}/classes/${encodeURIComponent(classId)}/relay`,
      "",
      new Headers({ "content-type": "application/json" }),
      JSON.stringify(mine),
    );
    if (!r || r.status !== 200) throw new Error(`home ${home.tag} refused the relay (${r?.status ?? "unreachable"})`);
    const upstream = (await r.json()) as CascadeTarget;
    await media.cascadeFrom(classId, upstream);
    this.feeds.set(classId, { tag: home.tag, upstream });
  }

  /** Keeps every fed class's relay alive, follows its home when it moves, ends it when its viewers left. */
  private async tickFeeds(): Promise<void> {
    const media = this.media;
    if (!media) return;
    const classes = new Set([...this.feeds.keys()]);
    for (const classId of classes) {
      if (!media.hasSessions(classId) || !this.d.isLive(classId)) {
        this.feeds.delete(classId);
        if (!this.d.isLive(classId)) media.endClass(classId);
        else await media.cascadeFrom(classId, null).catch(() => {});
        continue;
      }
      let home: Home;
      try {
        home = await this.resolve(classId);
      } catch {
        continue; // Redis away: keep the relay we have
      }
      if (home.local) {
        // The old home is gone and this instance took the class: its viewers wait here for the next publish.
        this.feeds.delete(classId);
        await media.cascadeFrom(classId, null).catch(() => {});
        continue;
      }
      await this.feed(classId, home).catch(() => {});
    }
  }

  // ---------------------------------------------------------------- leases

  /** This instance (holding or just taking the lease), or the holder and its address. */
  private async resolve(classId: string): Promise<Home> {
    if (this.homed.has(classId)) return { local: true };
    const link = this.d.link;
    const k = classKeys(link, classId);
    const [taken, value] = await link.timed(() => link.scripts.acquire(k.mediaHome, k.mediaFence, this.tag, LEASE_MS));
    const holder = value.slice(0, value.lastIndexOf(":"));
    if (taken === 1 || holder === this.tag) {
      this.adopt(classId, value);
      return { local: true };
    }
    const url = (await this.urlOf(holder)) ?? "";
    return { local: false, tag: holder, url, lease: value };
  }

  private adopt(classId: string, lease: string): void {
    if (this.homed.has(classId)) return;
    this.homed.set(classId, { lease, idleSince: null });
    this.metrics.changes.labels("acquired").inc();
    this.d.logger.info({ classId, lease }, "media home taken");
  }

  /** Renews held leases; releases those of classes with no session left; ends media of classes no longer live. */
  private ticking = false;

  private async tick(): Promise<void> {
    if (this.closed || this.ticking) return;
    this.ticking = true;
    try {
      await this.tickFeeds();
      await this.tickHomes();
    } finally {
      this.ticking = false;
    }
  }

  private async tickHomes(): Promise<void> {
    const link = this.d.link;
    for (const k of this.placedAway.keys()) if (!this.d.isLive(k.slice(0, k.indexOf("\t")))) this.placedAway.delete(k);
    for (const [classId, h] of [...this.homed]) {
      const key = classKeys(link, classId).mediaHome;
      const active = this.media?.hasClass(classId) ?? false;
      if (active && !this.d.isLive(classId)) this.media?.endClass(classId);
      if (!active || !this.d.isLive(classId)) {
        h.idleSince ??= Date.now();
        if (Date.now() - h.idleSince >= IDLE_RELEASE_MS || !this.d.isLive(classId)) {
          this.homed.delete(classId);
          this.metrics.changes.labels("released").inc();
          await link.scripts.release(key, h.lease).catch(() => {});
          continue;
        }
      } else h.idleSince = null;
      try {
        const ok = await link.timed(() => link.scripts.renew(key, h.lease, LEASE_MS));
        if (ok === 1) continue;
        // Not ours any more: free (Redis lost it) -> take it again; held by another -> give the class up.
        const k = classKeys(link, classId);
        const [taken, value] = await link.scripts.acquire(k.mediaHome, k.mediaFence, this.tag, LEASE_MS);
        if (taken === 1) {
          h.lease = value;
          continue;
        }
        this.homed.delete(classId);
        this.metrics.changes.labels("lost").inc();
        this.d.logger.warn({ classId, holder: value }, "media home lost to another instance; closing the class's media here");
        this.media?.endClass(classId);
      } catch {
        // Redis unreachable: nobody can take the lease meanwhile; keep serving.
      }
    }
  }

  /** Waits until the lease is no longer `lease` (expired, released or taken), at most LEASE_MS + 1 s. */
  private async waitForChange(classId: string, lease: string): Promise<void> {
    const key = classKeys(this.d.link, classId).mediaHome;
    const end = Date.now() + LEASE_MS + 1000;
    while (Date.now() < end && !this.closed) {
      const cur = await this.d.link.cmd.get(key).catch(() => lease);
      if (cur !== lease) return;
      await Bun.sleep(200);
    }
  }

  private async urlOf(tag: string): Promise<string | null> {
    const cached = this.urls.get(tag);
    if (cached && Date.now() - cached.at < 5000) return cached.url;
    const url = await this.d.link.cmd.get(mediaInstanceKey(this.d.link, tag)).catch(() => null);
    if (url) this.urls.set(tag, { url, at: Date.now() });
    else this.urls.delete(tag);
    return url;
  }

  // ---------------------------------------------------------------- local and forwarded

  private async localMedia(): Promise<MediaService> {
    this.media ??= await this.d.local();
    return this.media;
  }

  private async serveLocal(kind: Kind, req: Request, body: string, classId: string, principal: string): Promise<Response> {
    const media = await this.localMedia();
    const h = this.homed.get(classId);
    if (h) h.idleSince = null;
    const local = rebuild(req, body);
    return kind === "whip" ? media.handleWhip(local, classId, principal) : media.handleWhep(local, classId, principal);
  }

  /** The home's answer, or null when the home cannot be reached. */
  private async forward(
    kind: InternalKind | "resource",
    base: string,
    method: string,
    path: string,
    principal: string,
    headers: Headers,
    body: string,
  ): Promise<Response | null> {
    if (!base) return null;
    const h: Record<string, string> = { [INTERNAL_HEADER]: signInternal(this.d.key, { method, path, principal, body }) };
    const type = headers.get("content-type");
    if (type) h["content-type"] = type;
    let res: Response;
    try {
      res = await fetchUnpooled(base + path, {
        method,
        headers: h,
        body: method === "DELETE" ? undefined : body,
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
    } catch (e) {
      this.metrics.forwarded.labels(kind, "unreachable").inc();
      this.d.logger.warn({ kind, home: base, err: (e as Error).message }, "media home unreachable");
      return null;
    }
    this.metrics.forwarded.labels(kind, res.ok ? "ok" : "refused").inc();
    const out = new Headers();
    res.headers.forEach((value, name) => {
      if (!HOP_HEADERS.has(name.toLowerCase())) out.append(name, value);
    });
    return new Response(await res.arrayBuffer(), { status: res.status, headers: out });
  }
}

/** The body as text, refusing more than an SDP offer can be (the media service checks the rest). */
async function boundedText(req: Request): Promise<string> {
  if (req.method === "DELETE" || req.method === "GET") return "";
  if (Number(req.headers.get("content-length") ?? 0) > MAX_SDP_BYTES)
    throw new AppError("payload-too-large", `SDP bodies are limited to ${MAX_SDP_BYTES} bytes`);
  const text = await req.text();
  if (text.length > MAX_SDP_BYTES) throw new AppError("payload-too-large", `SDP bodies are limited to ${MAX_SDP_BYTES} bytes`);
  return text;
}

/** The request again with its body already read. */
function rebuild(req: Request, body: string): Request {
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.method === "DELETE" || req.method === "GET" ? undefined : body,
  });
}
