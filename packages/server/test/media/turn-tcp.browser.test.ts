// Issue 13 item 4 in Debian chromium, the UDP-blocked student: relay-only ICE and only a
// TURN-over-TCP server (our coturn, started here, with no UDP listener at all), so every packet
// goes browser -TCP-> coturn -UDP-> SFU. Chromium's checks from a TURN/TCP candidate carry a zero
// tiebreaker, which libjuice refuses with 400; the workers' TURN shim (media/worker/turn-shim.ts)
// takes them on a second port and fixes them. Fails without the shim (docs/media.md, "TURN").
import { afterAll, beforeAll, test } from "bun:test";
import { startCoturn, type Coturn } from "../support/coturn.ts";
import { startHarness, type Harness } from "../web/harness.ts";
import { studentPlaysThroughTurn } from "../web/turn-scenario.ts";

let h: Harness;
let turn: Coturn;

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

test("a student with relay-only ICE and only a TURN-over-TCP server plays the teacher's video through coturn", async () => {
  await studentPlaysThroughTurn(h, turn, "tcp");
}, 120_000);
