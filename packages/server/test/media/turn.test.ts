// TURN credentials against a real coturn (issue 13 item 4): what the server mints for a
// participant gets a relay allocation over TCP; a forged credential and an expired one are
// refused by coturn (401 in its log, no relay candidate); the server hands the credentials out
// on /api/media/ice-servers and as WHIP/WHEP `Link: rel="ice-server"` headers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { SyntheticPublisher, type Signal } from "../../../../bench/sfu/ndc-peer.ts";
import { parseConfig } from "../../src/config/config.ts";
import { iceConfigFor, iceLinks, turnCredential } from "../../src/media/turn.ts";
import { startCoturn, type Coturn } from "../support/coturn.ts";
import { CHROMIUM_ARGS, ensureChromium } from "./chromium.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

let turn: Coturn;
let t: TestServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  turn = await startCoturn();
  browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage();
  t = await startTestServer({ TURN_URLS: turn.url, TURN_SECRET: turn.secret, TURN_TTL_SECONDS: "300", MEDIA_WORKERS: "1" });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await turn?.stop();
});

/** Chromium gathers with only this TURN server over TCP, relay only: the relay candidate coturn
 *  allocated (null if none) and the ICE candidate errors it reported (401 for a refused credential).
 *  (libdatachannel's ICE, libjuice, has no TURN over TCP, so the allocation is tried by chromium.) */
async function relayCandidate(username: string, credential: string): Promise<{ relay: string | null; errors: number[] }> {
  return page.evaluate(
    async ({ url, username, credential }) => {
      const pc = new RTCPeerConnection({ iceServers: [{ urls: url, username, credential }], iceTransportPolicy: "relay" });
      const errors: number[] = [];
      let relay: string | null = null;
      pc.onicecandidateerror = (e) => errors.push((e as RTCPeerConnectionIceErrorEvent).errorCode);
      pc.onicecandidate = (e) => {
        if (e.candidate?.type === "relay") relay = e.candidate.candidate;
      };
      pc.createDataChannel("probe");
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 8000);
        pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && (clearTimeout(t), resolve());
      });
      pc.close();
      return { relay, errors };
    },
    { url: turn.url, username, credential },
  );
}

const unauthorized = () => (turn.log().match(/401/g) ?? []).length;

test("a minted credential allocates a TCP relay; forged and expired ones are refused by coturn", async () => {
  const now = Math.floor(Date.now() / 1000);
  const good = turnCredential(turn.secret, "s1", now + 300);
  const ok = await relayCandidate(good.username, good.credential);
  expect(ok.relay).toContain("127.0.0.1");
  expect(ok.errors).toEqual([]);

  const before = unauthorized();
  const refused = [
    // Forged: the right shape, another secret.
    turnCredential("not-the-secret-not-the-secret-xx", "s1", now + 300),
    // A valid credential with the user name changed: the HMAC no longer matches.
    { username: good.username.replace(":s1", ":s2"), credential: good.credential },
    // Expired: a correct HMAC over an expiry in the past.
    turnCredential(turn.secret, "s1", now - 5),
  ];
  for (const c of refused) {
    const r = await relayCandidate(c.username, c.credential);
    expect(r.relay).toBeNull();
    expect(r.errors).toContain(401); // the browser was told why: counted on the client side
  }
  // coturn counted each refusal too (401 Unauthorized in its log).
  expect(unauthorized()).toBeGreaterThanOrEqual(before + 3);
  // Nothing else changed: the participant's own credential still allocates.
  expect((await relayCandidate(good.username, good.credential)).relay).toContain("127.0.0.1");
}, 60_000);

test("the server hands each participant a short-lived credential: endpoint and WHIP/WHEP Link headers", async () => {
  const student = await t.token("student", "s1");
  const cfg = await t.call("GET", "/api/media/ice-servers", { token: student });
  expect(cfg.status).toBe(200);
  expect(cfg.headers.get("cache-control")).toBe("no-store");
  const server = cfg.body.iceServers[0];
  expect(server.urls).toEqual([turn.url]);
  const [expiry, user] = server.username.split(":");
  expect(user).toBe("s1");
  expect(Number(expiry) * 1000).toBe(cfg.body.expiresAt);
  expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(250);
  expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(300);
  expect(server.credential).toBe(turnCredential(turn.secret, "s1", Number(expiry)).credential);
  expect((await relayCandidate(server.username, server.credential)).relay).not.toBeNull(); // coturn takes it
  expect((await t.call("GET", "/api/media/ice-servers")).status).toBe(401);

  // WHIP answers carry them as Link headers (RFC 9725).
  const teacher = await t.token("teacher", "t1");
  expect((await t.call("POST", "/api/classes/demo-class-1/start", { token: teacher })).status).toBe(200);
  let link = "";
  const signal: Signal = {
    async post(url, sdp) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/sdp", authorization: `Bearer ${teacher}` },
        body: sdp,
      });
      if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
      link = res.headers.get("link") ?? "";
      return { sdp: await res.text(), location: res.headers.get("location") ?? "" };
    },
    remove: async () => {},
  };
  const pub = new SyntheticPublisher();
  await pub.connect(`${t.base}/api/classes/demo-class-1/whip`, signal);
  const m = /^<([^>]+)>; rel="ice-server"; username="([^"]+)"; credential="([^"]+)"; credential-type="password"$/.exec(link);
  expect(m?.[1]).toBe(turn.url);
  expect(m?.[2]).toMatch(/^\d+:t1$/);
  expect(m?.[3]).toBe(turnCredential(turn.secret, "t1", Number(m![2].split(":")[0])).credential);
  pub.close();
  const issued = async () =>
    Number(/edgeclass_turn_credentials_issued_total (\d+)/.exec(await (await fetch(`${t.base}/metrics`)).text())?.[1]);
  const before = await issued();
  expect(before).toBeGreaterThanOrEqual(2);
  // A refused offer gets no Link header, and no credential is minted (or counted) for it.
  const refused = await fetch(`${t.base}/api/classes/demo-class-1/whip`, {
    method: "POST",
    headers: { "content-type": "application/sdp", authorization: `Bearer ${teacher}` },
    body: "not sdp",
  });
  expect(refused.status).toBe(400);
  expect(refused.headers.get("link")).toBeNull();
  expect(await issued()).toBe(before);
}, 60_000);

test("configuration: TURN_URLS needs TURN_SECRET, URLs are checked, no TURN means no ICE servers", () => {
  expect(() => parseConfig({ TURN_URLS: "turn:turn.example.com:3478" })).toThrow(/TURN_SECRET/);
  expect(() => parseConfig({ TURN_URLS: "http://turn.example.com", TURN_SECRET: "x".repeat(32) })).toThrow(/TURN_URLS/);
  expect(() => parseConfig({ TURN_URLS: "turn:a:3478", TURN_SECRET: "short" })).toThrow(/TURN_SECRET/);
  const c = parseConfig({ TURN_URLS: "turn:a.example:3478?transport=udp, turn:a.example:443?transport=tcp", TURN_SECRET: "x".repeat(32) });
  expect(c.turn).toEqual({
    urls: ["turn:a.example:3478?transport=udp", "turn:a.example:443?transport=tcp"],
    secret: "x".repeat(32),
    ttlSeconds: 600,
  });
  expect(iceConfigFor(parseConfig({}).turn, "s1", Date.now())).toEqual({ iceServers: [], expiresAt: null });
  expect(iceLinks(iceConfigFor(c.turn, "s1", 0))).toHaveLength(2);
});
