// Issue 13 item 4 in Debian chromium: a student who may not reach the SFU directly watches the
// class through TURN. The server lists only our coturn (started here); the student's page is
// forced to `iceTransportPolicy: "relay"`, so every packet goes browser -> coturn -> SFU. The page
// gets the TURN server and its credential from the server (/api/media/ice-servers), as any page does.
// TURN over TCP (the UDP-blocked case): test/media/turn-tcp.browser.test.ts.
import { afterAll, beforeAll, test } from "bun:test";
import { startCoturn, type Coturn } from "../support/coturn.ts";
import { startHarness, type Harness } from "./harness.ts";
import { studentPlaysThroughTurn } from "./turn-scenario.ts";

let h: Harness;
let turn: Coturn;

beforeAll(async () => {
  turn = await startCoturn({ udp: true });
  // The SFU announces 127.0.0.1 too: coturn relays from its loopback relay address, and a packet
  // from 127.0.0.1 to the machine's other address is dropped by the kernel (in production,
  // MEDIA_PUBLIC_IP is the node address, which coturn reaches).
  h = await startHarness({ TURN_URLS: turn.udpUrl, TURN_SECRET: turn.secret, TURN_TTL_SECONDS: "300", MEDIA_PUBLIC_IP: "127.0.0.1" });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await turn?.stop();
}, 30_000);

test("a student with relay-only ICE and only our TURN server plays the teacher's video through coturn", async () => {
  await studentPlaysThroughTurn(h, turn, "udp");
}, 120_000);
