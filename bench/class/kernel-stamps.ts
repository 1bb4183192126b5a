// Delivery stamped by the kernel, not by the clients: a packet capture of the server's port on
// loopback (tcpdump), whose timestamps are taken when the server's send hands each segment to the
// loopback device, in the sender's context. With 1000 sockets a class the client processes, not
// the server, decide when a frame is read (one shared core), so their stamps measure the clients;
// these measure the server and the kernel only. Frames carry their sender's epoch time ("b:<ms>"
// in a question's prompt and a chat's text), so a segment's capture time minus that mark is the
// delivery; the capture and the marks read the same realtime clock (performance.timeOrigin +
// performance.now() is within a millisecond of Date.now() under Bun).
import { spawn, type Subprocess } from "bun";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KernelDelivery {
  question: number[];
  chat: number[];
  /** Packets the kernel dropped from the capture (a figure with drops is incomplete). */
  dropped: number;
}

/** Whether captures can run here: tcpdump installed and root (raw sockets). */
export function canCapture(): boolean {
  return Bun.which("tcpdump") !== null && process.getuid?.() === 0;
}

export interface Capture {
  stop(): Promise<KernelDelivery>;
}

/**
 * Starts capturing segments the server sends from `port`. `sampleMask` keeps only sockets whose
 * port has those low bits clear (0: every socket; 15: one in sixteen), to bound what a fan-out of
 * 500,000 frames a second costs the capture.
 */
export async function startCapture(port: number, sampleMask: number): Promise<Capture> {
  const file = join(tmpdir(), `bench-class-${port}-${Date.now()}.pcap`);
  const filter = `tcp src port ${port} and (tcp[2:2] & ${sampleMask}) = 0`;
  const proc: Subprocess<"ignore", "ignore", "pipe"> = spawn(
    ["tcpdump", "-i", "lo", "-n", "-s", "2048", "-B", "65536", "-U", "-w", file, filter],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  const reader = proc.stderr.getReader();
  let stderr = "";
  // tcpdump says "listening on lo" once its filter is attached.
  while (!stderr.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump exited: ${stderr.trim()}`);
    stderr += new TextDecoder().decode(value);
  }
  return {
    async stop() {
      proc.kill("SIGINT");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += new TextDecoder().decode(value);
      }
      await proc.exited;
      const dropped = Number(/(\d+) packets? dropped by kernel/.exec(stderr)?.[1] ?? 0);
      try {
        return { ...deliveriesIn(readFileSync(file)), dropped };
      } finally {
        rmSync(file, { force: true });
      }
    },
  };
}

// One frame: its type, then (without crossing into the next frame, whose header starts 0x81) its mark.
const FRAME = /"type":"(quiz\.question|chat\.message)"[^\x81]*?"(?:prompt|text)":"b:(\d+(?:\.\d+)?)/g;

/** Each socket's first copy of a frame (a retransmission is not a delivery), from a pcap file. */
export function deliveriesIn(pcap: Uint8Array): Omit<KernelDelivery, "dropped"> {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const magic = view.getUint32(0, true);
  const nanos = magic === 0xa1b23c4d;
  if (magic !== 0xa1b2c3d4 && !nanos) throw new Error("not a little-endian pcap file");
  const linkType = view.getUint32(20, true);
  const linkHeader = linkType === 1 ? 14 : linkType === 0 ? 4 : linkType === 113 ? 16 : -1;
  if (linkHeader < 0) throw new Error(`unexpected link type ${linkType}`);
  const out = { question: [] as number[], chat: [] as number[] };
  const seen = new Set<string>();
  const decoder = new TextDecoder("latin1");
  for (let at = 24; at + 16 <= pcap.byteLength; ) {
    const capturedMs = view.getUint32(at, true) * 1000 + view.getUint32(at + 4, true) / (nanos ? 1e6 : 1e3);
    const length = view.getUint32(at + 8, true);
    const packet = pcap.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    const ip = linkHeader;
    const version = packet[ip] >> 4;
    const ipHeader = version === 4 ? (packet[ip] & 0x0f) * 4 : 40;
    const tcp = ip + ipHeader;
    const dstPort = (packet[tcp + 2] << 8) | packet[tcp + 3];
    const payload = decoder.decode(packet.subarray(tcp + (packet[tcp + 12] >> 4) * 4));
    for (const m of payload.matchAll(FRAME)) {
      const key = `${dstPort}/${m[1]}/${m[2]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      (m[1] === "quiz.question" ? out.question : out.chat).push(capturedMs - Number(m[2]));
    }
  }
  return out;
}
