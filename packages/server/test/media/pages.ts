// Minimal teacher (WHIP) and student (WHEP) pages for the browser test.

const common = String.raw`
async function gathered(pc) {
  if (pc.iceGatheringState === "complete") return;
  await new Promise((resolve) => {
    const t = setTimeout(resolve, 2000);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
    });
  });
}
async function signal(url, pc) {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await gathered(pc);
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
  if (res.status !== 201) throw new Error("signalling failed: " + res.status + " " + (await res.text()));
  const location = res.headers.get("Location");
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  return location;
}
`;

export const teacherHtml = String.raw`<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>
${common}
let pc = null, location_ = null, stream = null, extra = null;
window.publish = async (classId, codec, simulcast) => {
  stream ??= await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { exact: 1280 }, height: { exact: 720 }, frameRate: 30 },
  });
  document.getElementById("v").srcObject = stream;
  pc = new RTCPeerConnection();
  const url = "/api/classes/" + classId + "/whip";
  if (simulcast) {
    // Simulcast video goes on its own WHIP connection (see docs/media.md), audio on another.
    pc.addTransceiver(stream.getVideoTracks()[0], {
      direction: "sendonly",
      streams: [stream],
      sendEncodings: [
        { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 250000 },
        { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 700000 },
        { rid: "f", maxBitrate: 2000000 },
      ],
    });
    const apc = new RTCPeerConnection();
    apc.addTransceiver(stream.getAudioTracks()[0], { direction: "sendonly", streams: [stream] });
    extra = { pc: apc, location: await signal(url, apc) };
    location_ = await signal(url, pc);
    return location_;
  }
  for (const track of stream.getTracks()) {
    const t = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    if (codec && track.kind === "video") {
      const all = RTCRtpSender.getCapabilities("video").codecs;
      const wanted = all.filter((c) => c.mimeType.toLowerCase() === "video/" + codec.toLowerCase());
      if (wanted.length === 0) throw new Error("this browser cannot send " + codec);
      t.setCodecPreferences(wanted);
    }
  }
  location_ = await signal(url, pc);
  // Keep 1280x720 when the machine is busy (Chrome would otherwise scale down for CPU); the
  // bandwidth side is checked separately through the sender's target bitrate.
  for (const sender of pc.getSenders()) {
    if (sender.track?.kind !== "video") continue;
    const params = sender.getParameters();
    params.degradationPreference = "maintain-resolution";
    await sender.setParameters(params).catch(() => {});
  }
  return location_;
};
window.unpublish = async () => {
  if (location_) await fetch(location_, { method: "DELETE" });
  if (extra) await fetch(extra.location, { method: "DELETE" });
  pc?.close();
  extra?.pc.close();
  pc = null; location_ = null; extra = null;
};
window.sendStats = async () => {
  if (!pc) return null;
  const out = { state: pc.connectionState };
  (await pc.getStats()).forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "video") {
      Object.assign(out, {
        width: s.frameWidth, height: s.frameHeight, bytesSent: s.bytesSent, limitation: s.qualityLimitationReason, target: s.targetBitrate,
      });
      (out.layers ??= []).push({ ssrc: s.ssrc, width: s.frameWidth, height: s.frameHeight, bytesSent: s.bytesSent, active: s.active });
    }
  });
  return out;
};
</script></body></html>`;

export const studentHtml = String.raw`<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>
${common}
let pc = null, location_ = null;
window.watch = async (classId) => {
  pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    const v = document.getElementById("v");
    if (v.srcObject !== stream) v.srcObject = stream;
    v.play().catch(() => {});
  };
  location_ = await signal("/api/classes/" + classId + "/whep", pc);
  return location_;
};
window.leave = async () => {
  if (location_) await fetch(location_, { method: "DELETE" });
  pc?.close();
  pc = null; location_ = null;
};
window.info = async () => {
  const v = document.getElementById("v");
  const out = {
    width: v.videoWidth, height: v.videoHeight, framesDecoded: 0, audioPackets: 0, keyFramesDecoded: 0,
    state: pc ? pc.connectionState : "none",
  };
  if (pc) (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      out.codecId = s.codecId; out.framesDecoded = s.framesDecoded ?? 0; out.keyFramesDecoded = s.keyFramesDecoded ?? 0;
      out.frameWidth = s.frameWidth; out.nackCount = s.nackCount; out.pliCount = s.pliCount; out.packetsLost = s.packetsLost;
    }
    if (s.type === "inbound-rtp" && s.kind === "audio") out.audioPackets = s.packetsReceived ?? 0;
  });
  if (pc && out.codecId) (await pc.getStats()).forEach((s) => { if (s.id === out.codecId) out.videoCodec = s.mimeType; });
  return out;
};
</script></body></html>`;
