// Just enough SDP reading to answer a browser's WHIP/WHEP offer: which m-sections,
// which codecs under which payload types, and what we pick.

type MediaKind = "audio" | "video";

export interface OfferedCodec {
  pt: number;
  name: string; // upper-case: OPUS, VP8, H264, RTX...
  clockRate: number;
  channels: number;
  fmtp: string;
}

export interface OfferedMedia {
  kind: MediaKind;
  mid: string;
  direction: "sendrecv" | "sendonly" | "recvonly" | "inactive";
  codecs: OfferedCodec[];
  ssrcs: number[];
  /** Send rids of a simulcast offer, in the order of a=simulcast:send (alternatives ignored). */
  rids: string[];
  /** Header extension URI -> id. */
  extmap: Map<string, number>;
}

export class SdpError extends Error {
  readonly code = "MEDIA_BAD_SDP";
  constructor(message: string) {
    super(message);
    this.name = "SdpError";
  }
}

export function parseOffer(sdp: string): OfferedMedia[] {
  if (typeof sdp !== "string" || !sdp.startsWith("v=0")) throw new SdpError("offer is not an SDP document");
  const out: OfferedMedia[] = [];
  let cur: OfferedMedia | null = null;
  const fmtps = new Map<OfferedMedia, Map<number, string>>();
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("m=")) {
      const kind = line.slice(2).split(" ")[0];
      if (kind === "audio" || kind === "video") {
        cur = { kind, mid: "", direction: "sendrecv", codecs: [], ssrcs: [], rids: [], extmap: new Map() };
        out.push(cur);
        fmtps.set(cur, new Map());
      } else cur = null;
      continue;
    }
    if (!cur) continue;
    if (line.startsWith("a=mid:")) cur.mid = line.slice(6);
    else if (line === "a=sendrecv" || line === "a=sendonly" || line === "a=recvonly" || line === "a=inactive")
      cur.direction = line.slice(2) as OfferedMedia["direction"];
    else if (line.startsWith("a=rtpmap:")) {
      const m = /^a=rtpmap:(\d+) ([^/]+)\/(\d+)(?:\/(\d+))?/.exec(line);
      if (m)
        cur.codecs.push({
          pt: Number(m[1]),
          name: m[2].toUpperCase(),
          clockRate: Number(m[3]),
          channels: m[4] ? Number(m[4]) : 1,
          fmtp: "",
        });
    } else if (line.startsWith("a=fmtp:")) {
      const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (m) fmtps.get(cur)?.set(Number(m[1]), m[2]);
    } else if (line.startsWith("a=ssrc:")) {
      const ssrc = Number(line.slice(7).split(" ")[0]);
      if (Number.isFinite(ssrc) && !cur.ssrcs.includes(ssrc)) cur.ssrcs.push(ssrc >>> 0);
    } else if (line.startsWith("a=simulcast:send ")) {
      const spec = line.slice("a=simulcast:send ".length).split(" ")[0];
      cur.rids = spec
        .split(";")
        .map((alts) => alts.split(",")[0].replace(/^~/, ""))
        .filter((r) => /^[A-Za-z0-9_-]{1,16}$/.test(r));
    } else if (line.startsWith("a=extmap:")) {
      const m = /^a=extmap:(\d+)(?:\/\w+)? (\S+)/.exec(line);
      if (m) cur.extmap.set(m[2], Number(m[1]));
    }
  }
  for (const m of out) {
    const f = fmtps.get(m);
    for (const c of m.codecs) c.fmtp = f?.get(c.pt) ?? "";
    if (!m.mid) throw new SdpError(`${m.kind} m-section without a=mid (BUNDLE is required)`);
  }
  if (out.length === 0) throw new SdpError("offer has no audio or video m-section");
  return out;
}

export const EXT_MID = "urn:ietf:params:rtp-hdrext:sdes:mid";
export const EXT_RID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";

function fmtpParam(fmtp: string, key: string): string | undefined {
  for (const kv of fmtp.split(";")) {
    const [k, v] = kv.trim().split("=");
    if (k === key) return v;
  }
  return undefined;
}

/** Opus for audio. */
export function pickAudio(m: OfferedMedia): OfferedCodec | null {
  return m.codecs.find((c) => c.name === "OPUS" && c.clockRate === 48000) ?? null;
}

/**
 * VP8 first, else H.264 with packetization-mode=1 (constrained baseline preferred).
 * `only` restricts to one codec (a subscriber must take what the publisher sends).
 */
export function pickVideo(m: OfferedMedia, only?: "VP8" | "H264"): OfferedCodec | null {
  const vp8 = m.codecs.find((c) => c.name === "VP8");
  const h264s = m.codecs.filter((c) => c.name === "H264" && fmtpParam(c.fmtp, "packetization-mode") === "1");
  const h264 = h264s.find((c) => (fmtpParam(c.fmtp, "profile-level-id") ?? "").toLowerCase().startsWith("42e0")) ?? h264s[0];
  if (only === "VP8") return vp8 ?? null;
  if (only === "H264") return h264 ?? null;
  return vp8 ?? h264 ?? null;
}

/** Payload type a subscriber offered for each codec we may forward. */
export interface SubscriberCodecs {
  audioPt: number | null;
  vp8Pt: number | null;
  h264Pt: number | null;
  h264Fmtp: string;
}

export function subscriberCodecs(media: OfferedMedia[]): SubscriberCodecs {
  const a = media.find((m) => m.kind === "audio");
  const v = media.find((m) => m.kind === "video");
  const opus = a ? pickAudio(a) : null;
  const vp8 = v ? pickVideo(v, "VP8") : null;
  const h264 = v ? pickVideo(v, "H264") : null;
  return { audioPt: opus?.pt ?? null, vp8Pt: vp8?.pt ?? null, h264Pt: h264?.pt ?? null, h264Fmtp: h264?.fmtp ?? "" };
}

/**
 * Adds the publisher-facing bandwidth lines to the answer's video section and, when
 * the deployment has a public address, a host candidate for it.
 */
export function decorateAnswer(sdp: string, opts: { videoKbps?: number; publicIp?: string }): string {
  const lines = sdp.split("\r\n");
  const out: string[] = [];
  let inVideo = false;
  for (const line of lines) {
    if (line.startsWith("m=")) inVideo = line.startsWith("m=video");
    out.push(line);
    if (inVideo && line.startsWith("c=") && opts.videoKbps) {
      out.push(`b=AS:${opts.videoKbps}`, `b=TIAS:${opts.videoKbps * 1000}`);
    }
  }
  if (!opts.publicIp) return out.join("\r\n");
  // Announce the node's public address once per m-section, on the port the worker listens on,
  // ahead of (and preferred over) the private host candidates.
  const withPublic: string[] = [];
  let done = false;
  for (const line of out) {
    if (line.startsWith("m=")) done = false;
    const m = /^a=candidate:\S+ 1 UDP (\d+) \S+ (\d+) typ host/.exec(line);
    if (m && !done) {
      withPublic.push(`a=candidate:9 1 UDP ${Number(m[1]) + 1} ${opts.publicIp} ${m[2]} typ host`);
      done = true;
    }
    withPublic.push(line);
  }
  const text = withPublic.join("\r\n");
  return text;
}
