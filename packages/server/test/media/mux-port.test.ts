// A media worker's one UDP port (ICE UDP mux) stays its own while it runs, also while it has no
// session. libjuice lets go of a mux port when its last connection closes; any other process on the
// node could then be handed that port as an ephemeral one, and every later viewer of the worker
// would fail to connect (seen in CI as "subscriber did not connect").

import { afterAll, beforeAll, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { CountingSubscriber, fetchSignal, type Signal } from "../../../../bench/sfu/ndc-peer.ts";
import { serveMedia } from "../support/media-http.ts";
import { createMediaService, type MediaService } from "../../src/media/index.ts";

let media: MediaService;
let server: ReturnType<typeof Bun.serve>;
let base = "";

beforeAll(() => {
  media = createMediaService({ videoQuality: "720p", workers: 1 });
  ({ server, base } = serveMedia(media));
});

afterAll(async () => {
  await media.close();
  server.stop(true);
});

/** fetchSignal, keeping the answers' SDP. */
function recordingSignal(answers: string[]): Signal {
  return {
    ...fetchSignal,
    async post(url, sdp) {
      const ans = await fetchSignal.post(url, sdp);
      answers.push(ans.sdp);
      return ans;
    },
  };
}

/** Whether this process can bind the UDP port (IPv4 also collides with libjuice's dual-stack socket, and needs no IPv6). */
async function canBind(port: number): Promise<boolean> {
  const socket = createSocket({ type: "udp4" });
  return new Promise((resolve) => {
    socket.once("error", () => resolve(false));
    socket.bind(port, "0.0.0.0", () => {
      socket.close();
      resolve(true);
    });
  });
}

test("the worker keeps its media port after its last session closes, and the next viewer connects", async () => {
  const answers: string[] = [];
  const first = new CountingSubscriber("s1");
  await first.connect(`${base}/api/classes/c1/whep`, recordingSignal(answers));
  const port = Number(/a=candidate:\S+ 1 UDP \d+ \S+ (\d+) typ host/i.exec(answers[0])?.[1]);
  expect(port).toBeGreaterThan(0);
  expect(await canBind(port)).toBe(false); // held while a session uses it

  await fetchSignal.remove(new URL(first.location, base).href);
  first.close();
  for (let i = 0; i < 100 && media.stats().subscribers > 0; i++) await Bun.sleep(20);
  expect(media.stats().subscribers).toBe(0);
  // libjuice closes a released mux socket on its own thread: look for a while, not once.
  for (let i = 0; i < 15; i++) {
    expect(await canBind(port)).toBe(false);
    await Bun.sleep(100);
  }

  const next = new CountingSubscriber("s2");
  answers.length = 0;
  await next.connect(`${base}/api/classes/c1/whep`, recordingSignal(answers));
  expect(answers[0]).toContain(` ${port} typ host`);
  next.close();
}, 30_000);
