// A minimal WebSocket client over a raw Bun TCP socket, for bench:class only. It implements
// the SDK's WebSocketLike, so the students are still EdgeClassClient instances, but frames
// whose payload starts with a given prefix (chat.message) are counted from the bytes, without
// decoding, parsing or an event per message: Bun's WebSocket client costs ~10 us per message
// in the client process, which made the one client core, not the server, the limit.
// Client frames use an all-zero masking key (valid framing; masking protects proxies, and
// there are none on loopback).
//
// Arrival stamps: a socket's data callback only stamps the chunk and queues it; one task per
// event-loop turn decodes and delivers everything queued. Otherwise the 250th socket of a
// process read in one turn is stamped after the SDK handled the 249 frames before it, and the
// delivery figures measure this process's queue, not the server (at 1 x 1000: p50 31 ms for
// us and 35 ms for the floor, against 14-17 ms from the leaner client).
import type { Socket } from "bun";
import type { WebSocketLike } from "@edgeclass/client";

export interface FrameCounter {
  /** Payload prefix of the frames to take here instead of delivering. */
  prefix: Uint8Array;
  /** Called for each such frame; `decode()` gives its text when the caller wants it (sampling); `at`: its arrival. */
  onCounted(decode: () => string, at: number): void;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across the bench's processes. */
const epochNow = () => performance.timeOrigin + performance.now();

/** Chunks read in this turn, decoded in the next task; `frameArrivedAt` is the arrival of the frame being delivered. */
const arrived: { ws: RawWebSocket; chunk: Uint8Array; at: number }[] = [];
let drainScheduled = false;
let current = 0;
/** When the frame now being delivered (onmessage, onCounted) reached this process (epoch ms), or 0 outside a delivery. */
export function frameArrivedAt(): number {
  return current;
}

function drainArrived(): void {
  drainScheduled = false;
  const batch = arrived.splice(0, arrived.length);
  for (const a of batch) {
    current = a.at;
    try {
      a.ws.onData(a.chunk);
    } finally {
      current = 0;
    }
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const enc = new TextEncoder();
const dec = new TextDecoder();
const HEADER_END = enc.encode("\r\n\r\n");

function indexOfSeq(buf: Uint8Array, seq: Uint8Array): number {
  outer: for (let i = 0; i + seq.length <= buf.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

export class RawWebSocket implements WebSocketLike {
  readyState = CONNECTING;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  private socket: Socket<undefined> | null = null;
  private buf: Uint8Array = new Uint8Array(0);
  private upgraded = false;
  private out: Uint8Array[] = [];
  private fragments: Uint8Array[] = [];
  private closeSent = false;
  private closedFired = false;

  constructor(
    url: string,
    /** Frames taken from the bytes (chat counted, questions stamped) without an event to the SDK. */
    private readonly counters: readonly FrameCounter[] = [],
  ) {
    const u = new URL(url);
    const port = Number(u.port || (u.protocol === "wss:" ? 443 : 80));
    if (u.protocol !== "ws:") throw new Error("RawWebSocket speaks ws:// only");
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    const request =
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: ` +
      `Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    Bun.connect<undefined>({
      hostname: u.hostname,
      port,
      socket: {
        open: (s) => {
          this.socket = s;
          s.setNoDelay(true); // small frames must not wait for Nagle
          this.write(enc.encode(request));
        },
        data: (_s, chunk) => {
          // A copy: the chunk is read after this callback returns.
          arrived.push({ ws: this, chunk: chunk.slice(), at: epochNow() });
          if (!drainScheduled) {
            drainScheduled = true;
            setImmediate(drainArrived);
          }
        },
        drain: () => this.flush(),
        close: () => this.fireClose(1006, ""),
        error: () => this.fireClose(1006, ""),
        connectError: () => this.fireClose(1006, "connect failed"),
      },
    }).catch(() => this.fireClose(1006, "connect failed"));
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error("not open");
    this.write(this.frame(1, enc.encode(data)));
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSING;
    if (this.upgraded && !this.closeSent) {
      this.closeSent = true;
      const r = enc.encode(reason);
      const p = new Uint8Array(2 + r.length);
      p[0] = code >> 8;
      p[1] = code & 255;
      p.set(r, 2);
      this.write(this.frame(8, p));
    }
    setTimeout(() => {
      this.socket?.end();
      this.fireClose(code, reason);
    }, 50);
  }

  private frame(opcode: number, payload: Uint8Array): Uint8Array {
    const n = payload.length;
    const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const f = new Uint8Array(head + 4 + n); // 4 bytes of zero mask
    f[0] = 0x80 | opcode;
    if (n < 126) f[1] = 0x80 | n;
    else if (n < 65536) {
      f[1] = 0x80 | 126;
      f[2] = n >> 8;
      f[3] = n & 255;
    } else {
      f[1] = 0x80 | 127;
      new DataView(f.buffer).setBigUint64(2, BigInt(n));
    }
    f.set(payload, head + 4);
    return f;
  }

  private write(bytes: Uint8Array): void {
    const s = this.socket;
    if (s === null) return;
    if (this.out.length > 0) {
      this.out.push(bytes);
      return;
    }
    const n = s.write(bytes);
    if (n < bytes.length) this.out.push(bytes.subarray(Math.max(0, n)));
  }

  private flush(): void {
    const s = this.socket;
    while (s !== null && this.out.length > 0) {
      const b = this.out[0];
      const n = s.write(b);
      if (n < b.length) {
        this.out[0] = b.subarray(Math.max(0, n));
        return;
      }
      this.out.shift();
    }
  }

  /** Decodes a chunk (called by drainArrived, with frameArrivedAt() set to its arrival). */
  onData(chunk: Uint8Array): void {
    let buf: Uint8Array;
    if (this.buf.length === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.buf.length + chunk.length);
      buf.set(this.buf);
      buf.set(chunk, this.buf.length);
    }
    let at = 0;
    if (!this.upgraded) {
      const end = indexOfSeq(buf, HEADER_END);
      if (end < 0) {
        this.buf = buf.slice();
        return;
      }
      const head = dec.decode(buf.subarray(0, end));
      if (!head.startsWith("HTTP/1.1 101")) {
        this.socket?.end();
        this.fireClose(1006, head.split("\r\n")[0]);
        return;
      }
      this.upgraded = true;
      this.readyState = OPEN;
      this.onopen?.(new Event("open"));
      at = end + 4;
    }
    const counters = this.counters;
    while (at + 2 <= buf.length) {
      const b0 = buf[at];
      let len = buf[at + 1] & 127;
      let p = at + 2;
      if (len === 126) {
        if (p + 2 > buf.length) break;
        len = (buf[p] << 8) | buf[p + 1];
        p += 2;
      } else if (len === 127) {
        if (p + 8 > buf.length) break;
        len = Number(new DataView(buf.buffer, buf.byteOffset + p, 8).getBigUint64(0));
        p += 8;
      }
      if (p + len > buf.length) break;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 15;
      const start = p;
      const end = p + len;
      at = end;
      if (opcode === 1 || opcode === 0) {
        if (opcode === 1 && fin) {
          const counter = counters.find((c) => len >= c.prefix.length && this.startsWith(buf, start, c.prefix));
          if (counter !== undefined) {
            counter.onCounted(() => dec.decode(buf.subarray(start, end)), current);
            continue;
          }
          this.deliver(dec.decode(buf.subarray(start, end)));
        } else {
          this.fragments.push(buf.slice(start, end));
          if (fin) {
            const total = this.fragments.reduce((a, f) => a + f.length, 0);
            const whole = new Uint8Array(total);
            let o = 0;
            for (const f of this.fragments) {
              whole.set(f, o);
              o += f.length;
            }
            this.fragments = [];
            this.deliver(dec.decode(whole));
          }
        }
      } else if (opcode === 8) {
        const code = len >= 2 ? (buf[start] << 8) | buf[start + 1] : 1005;
        const reason = len > 2 ? dec.decode(buf.subarray(start + 2, end)) : "";
        if (!this.closeSent) {
          this.closeSent = true;
          this.write(this.frame(8, buf.slice(start, Math.min(end, start + 2))));
        }
        this.readyState = CLOSING;
        this.socket?.end();
        this.fireClose(code, reason);
        return;
      } else if (opcode === 9) {
        this.write(this.frame(10, buf.slice(start, end)));
      }
    }
    this.buf = at >= buf.length ? new Uint8Array(0) : buf.slice(at);
  }

  private startsWith(buf: Uint8Array, at: number, prefix: Uint8Array): boolean {
    for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
    return true;
  }

  private deliver(text: string): void {
    this.onmessage?.(new MessageEvent("message", { data: text }));
  }

  private fireClose(code: number, reason: string): void {
    if (this.closedFired) return;
    this.closedFired = true;
    this.readyState = CLOSED;
    this.onclose?.(new CloseEvent("close", { code, reason }));
  }
}
