// Video through the server's SFU: WHIP to publish (teacher), WHEP to watch (students).
// Trickle ICE (RFC 8838/8840, as WHIP and WHEP allow): the offer goes with the first UDP
// candidates, later ones follow in PATCHes to the session's URL. Waiting for gathering to finish
// cost ~120 ms of every first frame (Chromium's TCP host candidates, which the SFU cannot use).
import { authHeaders } from "./api.ts";

const auth = authHeaders;

/** Resolves a little after the first UDP candidate (host, server-reflexive or relay; the rest of
 *  its burst comes along), or when gathering ends, or after 2 s whatever there is. */
function firstCandidates(pc: RTCPeerConnection): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2000);
    const done = (settleMs: number) => {
      clearTimeout(t);
      setTimeout(resolve, settleMs);
    };
    pc.addEventListener("icecandidate", (e) => {
      if (!e.candidate) done(0);
      else if (e.candidate.protocol === "udp") done(10);
    });
  });
}

/** Sends, to the session at `location`, the UDP candidates the offer did not carry and, when
 *  gathering ends, end-of-candidates (application/trickle-ice-sdpfrag, RFC 8840). */
function trickle(pc: RTCPeerConnection, sent: string, location: string): void {
  const ufrag = /a=ice-ufrag:(\S+)/.exec(sent)?.[1] ?? "";
  const pwd = /a=ice-pwd:(\S+)/.exec(sent)?.[1] ?? "";
  const send = (lines: string[]) =>
    void fetch(location, {
      method: "PATCH",
      headers: { "content-type": "application/trickle-ice-sdpfrag", ...auth() },
      body: [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`, ...lines, ""].join("\r\n"),
    }).catch(() => {});
  let batch: string[] = [];
  const flush = () => {
    if (batch.length > 0) send(batch);
    batch = [];
  };
  const add = (c: RTCIceCandidate | null) => {
    if (pc.signalingState === "closed") return;
    if (!c) {
      batch.push("a=end-of-candidates");
      return flush();
    }
    if (c.protocol !== "udp" || sent.includes(c.candidate)) return;
    if (batch.length === 0) setTimeout(flush, 10);
    batch.push(`a=mid:${c.sdpMid ?? "0"}`, `a=${c.candidate}`);
  };
  // Candidates gathered while the offer was on its way, then the ones still to come.
  for (const line of pc.localDescription?.sdp.split(/\r?\n/) ?? [])
    if (line.startsWith("a=candidate:") && !sent.includes(line)) add(new RTCIceCandidate({ candidate: line.slice(2), sdpMid: "0" }));
  if (pc.iceGatheringState === "complete") add(null);
  else pc.addEventListener("icecandidate", (e) => add(e.candidate));
}

export class MediaUnavailable extends Error {}

/** Delay before retry number `attempt` (from 0): 0.5 s doubling up to 5 s, halved at random so a
 *  whole class's players (after their media home went away) do not all retry at the same moment. */
export function retryDelay(attempt: number): number {
  const ceiling = Math.min(5000, 500 * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/** The server's TURN servers with this user's short-lived credential (none when it has no TURN):
 *  students who cannot reach the SFU directly get the video through the TURN relay. Asked for
 *  once ahead (prefetchRtcConfig, when the class page opens) and used within 60 s; credentials
 *  live at least 60 s (TURN_TTL_SECONDS). */
let pending: { at: number; config: Promise<RTCConfiguration> } | null = null;
export function prefetchRtcConfig(): void {
  pending = { at: Date.now(), config: fetchRtcConfig() };
}
function rtcConfig(): Promise<RTCConfiguration> {
  const ahead = pending;
  pending = null;
  return ahead && Date.now() - ahead.at < 60_000 ? ahead.config : fetchRtcConfig();
}
async function fetchRtcConfig(): Promise<RTCConfiguration> {
  try {
    const res = await fetch("/api/media/ice-servers", { headers: auth() });
    if (!res.ok) return {};
    const body = (await res.json()) as { iceServers: RTCIceServer[] };
    return { iceServers: body.iceServers };
  } catch {
    return {};
  }
}

async function signal(url: string, pc: RTCPeerConnection): Promise<string> {
  const first = firstCandidates(pc);
  await pc.setLocalDescription(await pc.createOffer());
  await first;
  const offer = pc.localDescription!.sdp;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/sdp", ...auth() },
    body: offer,
  });
  if (res.status === 404 || res.status === 405 || res.status === 501) throw new MediaUnavailable("video is not available on this server");
  if (res.status !== 201) {
    let detail = `${res.status}`;
    try {
      const p = await res.json();
      detail = p.detail || p.title || detail;
    } catch {}
    throw new Error(`video refused: ${detail}`);
  }
  const location = res.headers.get("location") ?? "";
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  if (location) trickle(pc, offer, location);
  return location;
}

/**
 * Calls `onDead` once when a connected session hears nothing for `quietMs`: the server sends
 * RTCP at least every second (REMB to a publisher, a heartbeat to a viewer), while Chrome itself
 * notices a vanished peer (a media home killed) only after ~8 s. Returns a stop function.
 */
export function watchLiveness(pc: RTCPeerConnection, onDead: () => void, quietMs = 3500): () => void {
  let last = -1;
  let quietSince = Date.now();
  const timer = setInterval(async () => {
    if (pc.connectionState === "closed") return clearInterval(timer);
    let bytes = 0;
    (await pc.getStats()).forEach((s: { type: string; bytesReceived?: number }) => {
      if (s.type === "transport") bytes += s.bytesReceived ?? 0;
    });
    if (bytes !== last || pc.connectionState !== "connected") {
      last = bytes;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      clearInterval(timer);
      onDead();
    }
  }, 1000);
  return () => clearInterval(timer);
}

/** A WHIP or WHEP session: close() ends it on the server (DELETE) and locally. */
export interface MediaSession {
  pc: RTCPeerConnection;
  /**
   * `serverGone`: the server already ended the session (the class ended): close locally, send no DELETE (it would 404; issue 16 defect 16).
   */
  close(serverGone?: boolean): Promise<void>;
}

function session_(pc: RTCPeerConnection, location: string): MediaSession {
  let closed = false;
  // Leaving or reloading the page ends the session on the server too (keepalive outlives the page).
  const onHide = () => void close(true);
  const close = async (leaving = false, serverGone = false) => {
    if (closed) return;
    closed = true;
    removeEventListener("pagehide", onHide);
    // DELETE first, then close: a closed peer connection tells the media worker at once (DTLS close
    // over loopback beats the HTTP request), the server forgets the session, and the DELETE was a 404
    // (issue 16 defect 16, the camera-to-screen switch). A page that is leaving cannot wait.
    const deleted =
      location && !serverGone ? fetch(location, { method: "DELETE", headers: auth(), keepalive: leaving }).catch(() => {}) : null;
    if (!leaving) await deleted;
    pc.close();
  };
  addEventListener("pagehide", onHide);
  return { pc, close: (serverGone = false) => close(false, serverGone) };
}

/** Teacher: publishes a camera (with microphone) or a screen share; `source` tells students which one is paused. */
export async function publish(classId: string, stream: MediaStream, source: "camera" | "screen" = "camera"): Promise<MediaSession> {
  const pc = new RTCPeerConnection(await rtcConfig());
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
  try {
    return session_(pc, await signal(`/api/classes/${encodeURIComponent(classId)}/whip?source=${source}`, pc));
  } catch (e) {
    pc.close();
    throw e;
  }
}

export function camera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
  });
}

export function screen(): Promise<MediaStream> {
  return navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
}

/** Student: watches the class's video; `onTrack` gets the stream as tracks arrive. */
export async function watch(classId: string, onStream: (s: MediaStream) => void): Promise<MediaSession> {
  const pc = new RTCPeerConnection(await rtcConfig());
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    onStream(stream);
  };
  try {
    return session_(pc, await signal(`/api/classes/${encodeURIComponent(classId)}/whep`, pc));
  } catch (e) {
    pc.close();
    throw e;
  }
}
