// The slow-client rule of the WebSocket gateway: bounded buffers, then disconnect.
import { expect, test } from "bun:test";
import { CLOSE } from "../../client/src/protocol.ts";
import { sendOrDisconnect } from "../src/realtime/gateway.ts";

function socket(buffered: number, sendResult = 1) {
  const closed: [number | undefined, string | undefined][] = [];
  return { closed, ws: { send: () => sendResult, getBufferedAmount: () => buffered, close: (code?: number, reason?: string) => void closed.push([code, reason]) } };
}

test("a socket within its buffer keeps receiving", () => {
  const s = socket(1000);
  expect(sendOrDisconnect(s.ws as never, "x", 4096)).toBe(true);
  expect(s.closed).toEqual([]);
});

test("a socket whose queue passes the limit, or whose send was dropped, is disconnected with 4012", () => {
  const full = socket(5000);
  expect(sendOrDisconnect(full.ws as never, "x", 4096)).toBe(false);
  expect(full.closed).toEqual([[CLOSE.slowConsumer, "too slow to keep up; reconnect"]]);
  const dropped = socket(0, 0);
  expect(sendOrDisconnect(dropped.ws as never, "x", 4096)).toBe(false);
  expect(dropped.closed[0][0]).toBe(4012);
});
