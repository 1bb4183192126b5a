// bench:class --kernel-stamps reads deliveries from a pcap file: each socket's first copy of a
// marked frame, coalesced frames each counted, a frame's mark never taken from the next frame.
import { describe, expect, test } from "bun:test";
import { deliveriesIn } from "../../../../bench/class/kernel-stamps.ts";

/** A little-endian pcap (microseconds, Ethernet link) of IPv4/TCP segments from port 3000. */
function pcap(segments: { atMs: number; dstPort: number; payload: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 65535, true);
  head.setUint32(20, 1, true);
  parts.push(new Uint8Array(head.buffer));
  for (const s of segments) {
    const packet = new Uint8Array(14 + 20 + 20 + s.payload.length);
    packet[14] = 0x45; // IPv4, 20-byte header
    const tcp = 34;
    packet[tcp] = 3000 >> 8;
    packet[tcp + 1] = 3000 & 0xff;
    packet[tcp + 2] = s.dstPort >> 8;
    packet[tcp + 3] = s.dstPort & 0xff;
    packet[tcp + 12] = 5 << 4; // 20-byte header
    packet.set(s.payload, tcp + 20);
    const rec = new DataView(new ArrayBuffer(16));
    rec.setUint32(0, Math.floor(s.atMs / 1000), true);
    rec.setUint32(4, Math.round((s.atMs % 1000) * 1000), true);
    rec.setUint32(8, packet.length, true);
    rec.setUint32(12, packet.length, true);
    parts.push(new Uint8Array(rec.buffer), packet);
  }
  return Buffer.concat(parts);
}

/** A server's WebSocket text frame (unmasked) of a JSON text. */
function frame(json: unknown): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(json));
  const header = body.length < 126 ? [0x81, body.length] : [0x81, 126, body.length >> 8, body.length & 0xff];
  return Buffer.concat([Uint8Array.from(header), body]);
}

const question = (at: number) => ({ type: "quiz.question", seq: 3, quiz: { question: { id: "q1", prompt: `b:${at} Which?` } } });
const chat = (at: number) => ({ type: "chat.message", seq: 4, message: { id: "m", text: `b:${at} hello` } });

describe("kernel-stamped deliveries", () => {
  test("a socket's first copy of each marked frame, coalesced frames each counted", () => {
    const sent = 1_733_400_000_000.25;
    const file = pcap([
      { atMs: sent + 2, dstPort: 40001, payload: frame(question(sent)) },
      { atMs: sent + 3, dstPort: 40002, payload: frame(question(sent)) },
      { atMs: sent + 9, dstPort: 40001, payload: frame(question(sent)) }, // a retransmission
      { atMs: sent + 20, dstPort: 40001, payload: Buffer.concat([frame(chat(sent + 10)), frame(chat(sent + 15))]) },
    ]);
    const got = deliveriesIn(file);
    expect(got.question.map((x) => Math.round(x * 1000) / 1000)).toEqual([2, 3]);
    expect(got.chat.map((x) => Math.round(x * 1000) / 1000)).toEqual([10, 5]);
  });

  test("a frame without a mark does not take the next frame's", () => {
    const file = pcap([
      { atMs: 1_000_000, dstPort: 40003, payload: Buffer.concat([frame({ type: "chat.message", text: "x" }), frame(question(999_990))]) },
    ]);
    expect(deliveriesIn(file)).toEqual({ question: [10], chat: [] });
  });

  test("a file that is not a pcap is refused", () => {
    expect(() => deliveriesIn(new Uint8Array(24))).toThrow("not a little-endian pcap file");
  });
});
