// Requests between instances (and to LMSs and identity providers) go on a connection each. The server here answers the
// first request on a connection and resets the connection at the next one: what a request meets
// when Bun's fetch sends it on a kept connection that the other side is closing as idle.
import { afterAll, expect, test } from "bun:test";
import { MediaHomes } from "../src/cluster/media-home.ts";
import type { RedisLink } from "../src/cluster/redis.ts";
import { fetchUnpooled } from "../src/http/fetch-unpooled.ts";
import { createLogging } from "../src/obs/logger.ts";
import { Registry } from "../src/obs/prom.ts";

const requests: string[] = [];
const server = Bun.listen<{ answered: boolean }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(socket) {
      socket.data = { answered: false };
    },
    data(socket, bytes) {
      const text = bytes.toString();
      if (!/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(text)) return; // more of a request's body
      if (socket.data.answered) return void socket.terminate();
      socket.data.answered = true;
      requests.push(text.split("\r\n")[0]);
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}");
    },
  },
});
const base = `http://127.0.0.1:${server.port}`;
afterAll(() => server.stop(true));

test("fetchUnpooled: a POST after another to the same server gets its answer", async () => {
  for (let i = 0; i < 3; i++) expect((await fetchUnpooled(`${base}/x`, { method: "POST", body: "{}" })).status).toBe(200);
});

test("trickle ICE (PATCH) for media sessions on another instance reaches that instance every time, not 'home gone'", async () => {
  // The one thing MediaHomes asks of Redis here: the URL of the instance tagged "home-b".
  const link = { settings: { prefix: "t:" }, cmd: { get: async () => base } } as unknown as RedisLink;
  const homes = new MediaHomes({
    link,
    instanceId: "home-a",
    key: "k".repeat(32),
    local: () => Promise.reject(new Error("no local media in this test")),
    isLive: () => true,
    registry: new Registry(),
    logger: createLogging("silent").logger,
  });
  requests.length = 0;
  for (const id of ["s1@home-b", "s2@home-b"]) {
    const patch = new Request(`http://a/api/media/resources/${id}`, {
      method: "PATCH", // not retried by Bun's fetch, as GET and DELETE are
      headers: { "content-type": "application/trickle-ice-sdpfrag" },
      body: "a=mid:0\r\na=candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host\r\n",
    });
    const res = await homes.handleResource(patch, id, "u1");
    expect(res.status).toBe(200);
  }
  expect(requests).toEqual([
    "PATCH /internal/media/resources/s1%40home-b HTTP/1.1",
    "PATCH /internal/media/resources/s2%40home-b HTTP/1.1",
  ]);
});
