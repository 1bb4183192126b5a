// Why TURN over TCP needs the workers' TURN shim, shown against the real libjuice inside
// node-datachannel (no browser): a correctly signed connectivity check with a tiebreaker of 0 (what
// Chromium sends from a TURN/TCP candidate) gets STUN 400 in either role; the same check after
// fixZeroTiebreaker gets a success. When the first test fails, node-datachannel ships a libjuice
// with the fix (libjuice PR #356) and media/worker/turn-shim.ts can go.
import { afterAll, beforeAll, expect, test } from "bun:test";
import ndc from "node-datachannel";
import { createSocket, type Socket } from "node:dgram";
import { ATTR, attributes, fixZeroTiebreaker, MAGIC, resign, setMappedAddress, verify } from "../../src/media/stun.ts";

const { PeerConnection, Video } = ndc;
let offerer: InstanceType<typeof PeerConnection>;
let sfu: InstanceType<typeof PeerConnection>;
let sock: Socket;
let port = 0;
let ufrag = "";
let pwd = "";
let theirs = "";

beforeAll(async () => {
  offerer = new PeerConnection("student", { iceServers: [] });
  const v = new Video("0", "RecvOnly");
  v.addVP8Codec(96);
  offerer.addTrack(v);
  offerer.setLocalDescription();
  await Bun.sleep(200);
  const offer = offerer.localDescription()?.sdp ?? "";
  sfu = new PeerConnection("sfu", { iceServers: [], disableAutoNegotiation: true, bindAddress: "127.0.0.1" });
  sfu.setRemoteDescription(offer, "offer");
  sfu.setLocalDescription("answer");
  await Bun.sleep(300);
  const answer = sfu.localDescription()?.sdp ?? "";
  ufrag = /a=ice-ufrag:(\S+)/.exec(answer)?.[1] ?? "";
  pwd = /a=ice-pwd:(\S+)/.exec(answer)?.[1] ?? "";
  theirs = /a=ice-ufrag:(\S+)/.exec(offer)?.[1] ?? "";
  port = Number(/a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 (\d+) typ host/i.exec(answer)?.[1]);
  sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
});

afterAll(() => {
  sock?.close();
  sfu?.close();
  offerer?.close();
});

/** A connectivity check as a browser sends it, signed with `password`. */
function check(role: number, tiebreaker: bigint, password = pwd): Buffer {
  const parts: Buffer[] = [];
  const attr = (type: number, value: Buffer) => {
    const a = Buffer.alloc(4 + ((value.length + 3) & ~3));
    a.writeUInt16BE(type, 0);
    a.writeUInt16BE(value.length, 2);
    value.copy(a, 4);
    parts.push(a);
  };
  attr(ATTR.USERNAME, Buffer.from(`${ufrag}:${theirs}`));
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(1845501695);
  attr(ATTR.PRIORITY, priority);
  const tb = Buffer.alloc(8);
  tb.writeBigUInt64BE(tiebreaker);
  attr(role, tb);
  attr(ATTR.MESSAGE_INTEGRITY, Buffer.alloc(20));
  attr(ATTR.FINGERPRINT, Buffer.alloc(4));
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(0x0001, 0);
  head.writeUInt16BE(body.length, 2);
  head.writeUInt32BE(MAGIC, 4);
  crypto.getRandomValues(head.subarray(8));
  const msg = Buffer.concat([head, body]);
  resign(msg, password);
  return msg;
}

/** libjuice's answer to `msg`: "success", "error <code>", or "none". */
async function ask(msg: Buffer): Promise<string> {
  const id = msg.subarray(8, 20);
  return await new Promise<string>((resolve) => {
    const timer = setTimeout(() => done("none"), 700);
    const onMessage = (m: Buffer) => {
      if (m.length < 20 || !m.subarray(8, 20).equals(id)) return; // its own checks to us
      const type = m.readUInt16BE(0);
      const ec = attributes(m).find((a) => a.type === ATTR.ERROR_CODE);
      done(type === 0x0101 ? "success" : type === 0x0111 && ec ? `error ${m[ec.at + 2] * 100 + m[ec.at + 3]}` : `type ${type}`);
    };
    const done = (r: string) => {
      clearTimeout(timer);
      sock.off("message", onMessage);
      resolve(r);
    };
    sock.on("message", onMessage);
    sock.send(msg, port, "127.0.0.1");
  });
}

test("libjuice refuses a correctly signed check with a zero tiebreaker with 400, in either role", async () => {
  expect(await ask(check(ATTR.ICE_CONTROLLING, 0n))).toBe("error 400");
  expect(await ask(check(ATTR.ICE_CONTROLLED, 0n))).toBe("error 400"); // so the SFU taking the other role does not help
  expect(await ask(check(ATTR.ICE_CONTROLLING, 0x1234567890abcdefn))).toBe("success");
});

test("the same check with its tiebreaker fixed and re-signed succeeds; a forged one is not vouched for", async () => {
  const msg = check(ATTR.ICE_CONTROLLING, 0n);
  expect(fixZeroTiebreaker(msg, pwd)).toBe(true);
  expect(verify(msg, pwd)).toBe(true);
  expect(await ask(msg)).toBe("success");

  const forged = check(ATTR.ICE_CONTROLLING, 0n, "not-the-sessions-password");
  const before = Buffer.from(forged);
  expect(fixZeroTiebreaker(forged, pwd)).toBe(false);
  expect(forged.equals(before)).toBe(true);
  expect(await ask(forged)).not.toBe("success");
  // A nonzero tiebreaker is left as it is.
  const fine = check(ATTR.ICE_CONTROLLING, 7n);
  expect(fixZeroTiebreaker(fine, pwd)).toBe(false);
});

test("a success response names the address the peer used, re-signed", async () => {
  const msg = check(ATTR.ICE_CONTROLLING, 5n);
  let response: Buffer | null = null;
  const got = new Promise<void>((resolve) => {
    sock.on("message", (m: Buffer) => {
      if (m.readUInt16BE(0) === 0x0101 && m.subarray(8, 20).equals(msg.subarray(8, 20))) {
        response = m;
        resolve();
      }
    });
  });
  sock.send(msg, port, "127.0.0.1");
  await got;
  const r = response as unknown as Buffer;
  expect(setMappedAddress(r, "10.1.2.3", 40123, pwd)).toBe(true);
  expect(verify(r, pwd)).toBe(true);
  const xma = attributes(r).find((a) => a.type === ATTR.XOR_MAPPED_ADDRESS);
  expect(xma).toBeDefined();
  const at = xma?.at ?? 0;
  expect(r.readUInt16BE(at + 2) ^ (MAGIC >>> 16)).toBe(40123);
  expect((r.readUInt32BE(at + 4) ^ MAGIC) >>> 0).toBe((10 << 24) | (1 << 16) | (2 << 8) | 3);
});
