// Issue 13 item 4 in Debian chromium, the UDP-blocked student: relay-only ICE and only a
// TURN-over-TCP server (our coturn, started here, with no UDP listener at all), so every packet
// goes browser -TCP-> coturn -UDP-> SFU. Chromium's checks from a TURN/TCP candidate carry a zero
// tiebreaker, which libjuice refuses with 400; the workers' TURN shim (media/worker/turn-shim.ts)
// takes them on a second port and fixes them. Fails without the shim (docs/media.md, "TURN").
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { startCoturn, type Coturn } from "../support/coturn.ts";
import { startHarness, type Harness } from "../web/harness.ts";

let h: Harness;
let turn: Coturn;
const CLASS = "demo-class-1";

beforeAll(async () => {
  turn = await startCoturn();
  // The SFU announces 127.0.0.1 too: coturn relays from its loopback relay address, and a packet
  // from 127.0.0.1 to the machine's other address is dropped by the kernel (in production,
  // MEDIA_PUBLIC_IP is the node address, which coturn reaches).
  h = await startHarness({ TURN_URLS: turn.url, TURN_SECRET: turn.secret, TURN_TTL_SECONDS: "300", MEDIA_PUBLIC_IP: "127.0.0.1" });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await turn?.stop();
}, 30_000);

async function signIn(p: Page, user: string) {
  await p.goto(`/login?next=${encodeURIComponent(`/class/${CLASS}`)}`);
  await p.click(`button[data-user="${user}"]`);
}

test("a student with relay-only ICE and only a TURN-over-TCP server plays the teacher's video through coturn", async () => {
  const teacher = await h.page();
  await signIn(teacher, "t1");
  await teacher.click("text=Start class");
  await teacher.waitForSelector(".console");
  await teacher.click("text=Publish camera");
  await teacher.waitForSelector('video[data-publishing="camera"]', { timeout: 15_000 });

  const student = await h.page();
  // A network that blocks UDP: the browser may only use relayed candidates (and the only server is TURN/TCP).
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
    expect(p.protocol).toBe("tcp");
    expect(p.url).toContain(`127.0.0.1:${turn.port}`);
    expect(p.config.iceTransportPolicy).toBe("relay");
    const servers = p.config.iceServers ?? [];
    expect(servers).toHaveLength(1);
    expect(servers[0].username).toMatch(/^\d+:s1$/);
  }
  // coturn saw the student's allocation under their own short-lived user name.
  expect(turn.log()).toMatch(/username=<\d+:s1>/);
}, 120_000);
