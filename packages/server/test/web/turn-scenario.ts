// The student who watches the class through TURN, in Debian chromium, shared by the UDP and the TCP
// test: the teacher publishes, the student's page is forced to `iceTransportPolicy: "relay"`, plays the
// video, and the connection in use is a relay over `protocol` to our coturn with the student's own
// server-minted credential (from /api/media/ice-servers, as any page gets it).
import { expect } from "bun:test";
import type { Page } from "playwright-core";
import type { Coturn } from "../support/coturn.ts";
import type { Harness } from "./harness.ts";

const CLASS = "demo-class-1";

async function signIn(p: Page, user: string) {
  await p.goto(`/login?next=${encodeURIComponent(`/class/${CLASS}`)}`);
  await p.click(`button[data-user="${user}"]`);
}

/** The teacher publishes and student s1, relay-only, plays the video through `turn` over `protocol`. */
export async function studentPlaysThroughTurn(h: Harness, turn: Coturn, protocol: "udp" | "tcp"): Promise<void> {
  const teacher = await h.page();
  await signIn(teacher, "t1");
  await teacher.click("text=Start class");
  await teacher.waitForSelector(".console");
  await teacher.click("text=Publish camera");
  await teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 });

  const student = await h.page();
  // The browser may only use relayed candidates (a network that blocks UDP, or a policy).
  await student.addInitScript(() => {
    const Native = RTCPeerConnection;
    const pcs: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
    window.RTCPeerConnection = class extends Native {
      constructor(cfg?: RTCConfiguration) {
        super({ ...cfg, iceTransportPolicy: "relay" });
        pcs.push(this);
      }
    } as typeof RTCPeerConnection;
  });
  await signIn(student, "s1");
  await student
    .waitForFunction(
      () => {
        const v = document.querySelector(".video video") as HTMLVideoElement | null;
        return v !== null && v.videoWidth > 0 && v.currentTime > 1 && v.getVideoPlaybackQuality().totalVideoFrames > 30;
      },
      undefined,
      { timeout: 45_000, polling: 200 },
    )
    .catch(async (e) => {
      const st = await student.evaluate(async () => {
        const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
        const r: unknown[] = [];
        for (const pc of pcs) {
          const c: unknown[] = [];
          (await pc.getStats()).forEach((s) => {
            if (s.type.includes("candidate")) c.push(s);
          });
          r.push({
            state: pc.connectionState,
            ice: pc.iceConnectionState,
            remote: pc.remoteDescription?.sdp.split("\n").filter((l) => l.includes("candidate")),
            c,
          });
        }
        return r;
      });
      console.error(JSON.stringify(st, null, 1).slice(0, 6000));
      console.error(
        turn
          .log()
          .split("\n")
          .filter((l) => !/IO method|initialization/.test(l))
          .slice(-40)
          .join("\n"),
      );
      throw e;
    });

  // The connection in use is the relayed one, over TCP to our coturn, with the server-minted credential.
  const path = await student.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const out: { type: string; protocol: string; url: string; config: RTCConfiguration }[] = [];
    for (const pc of pcs) {
      if (pc.connectionState !== "connected") continue;
      const stats = await pc.getStats();
      let pairId = "";
      stats.forEach((s) => {
        if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      const pair = stats.get(pairId);
      const local = pair ? stats.get(pair.localCandidateId) : undefined;
      out.push({ type: local?.candidateType, protocol: local?.relayProtocol, url: local?.url ?? "", config: pc.getConfiguration() });
    }
    return out;
  });
  expect(path.length).toBeGreaterThan(0);
  for (const p of path) {
    expect(p.type).toBe("relay");
    expect(p.protocol).toBe(protocol);
    expect(p.url).toContain(`127.0.0.1:${turn.port}`);
    expect(p.config.iceTransportPolicy).toBe("relay");
    const servers = p.config.iceServers ?? [];
    expect(servers).toHaveLength(1);
    expect(servers[0].username).toMatch(/^\d+:s1$/);
  }
  // coturn saw the student's allocation under their own short-lived user name.
  expect(turn.log()).toMatch(/username=<\d+:s1>/);
}
