// The live side of the fuzz tests: sockets that send one frame at a time (paced under the
// server's frame limit) and keep replies apart from class events, and the oracle that says
// which error a frame must get.
import * as v from "valibot";
import { ClientMessageSchema, MAX_CLIENT_FRAME_BYTES, type ServerMessage } from "@edgeclass/client/protocol";

export type Frame = { kind: "text"; data: string } | { kind: "binary"; data: Uint8Array<ArrayBuffer> };

/** What the server must answer to a frame: an error with this code and rid, or "valid" (not a refusal by itself). */
export type Expected = { code: "too-large" | "bad-message"; rid: string | undefined } | "valid";

/** The text the server reads: binary frames are decoded as UTF-8, and a text frame's lone surrogates
 *  leave the client as U+FFFD, so both are put through a UTF-8 round trip. */
function wireText(f: Frame): string {
  return f.kind === "binary" ? Buffer.from(f.data).toString("utf8") : Buffer.from(f.data, "utf8").toString("utf8");
}

/** The documented rules (docs/protocol.md, "Frames, requests and replies" and "Limits"), independently of the gateway's code. */
export function expected(f: Frame): Expected {
  const text = wireText(f);
  if (text.length > MAX_CLIENT_FRAME_BYTES || Buffer.byteLength(text) > MAX_CLIENT_FRAME_BYTES)
    return { code: "too-large", rid: undefined };
  if (f.kind === "binary") return { code: "bad-message", rid: undefined }; // JSON text frames only
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { code: "bad-message", rid: undefined };
  }
  const rid =
    raw !== null && typeof raw === "object" && !Array.isArray(raw) && typeof (raw as { rid?: unknown }).rid === "string"
      ? (raw as { rid: string }).rid.slice(0, 64)
      : undefined;
  return v.safeParse(ClientMessageSchema, raw).success ? "valid" : { code: "bad-message", rid };
}

const REPLY_TIMEOUT_MS = 10_000;
/** Under the server's limit (burst 40, 20 frames/s per socket), with room for a loaded machine's jitter. */
const PACE_BURST = 30;
const PACE_PER_SECOND = 17;

export class FuzzSocket {
  readonly events: ServerMessage[] = [];
  welcome: Extract<ServerMessage, { type: "welcome" }> | null = null;
  closed: { code: number; reason: string } | null = null;
  private replies: ServerMessage[] = [];
  private waiter: ((m: ServerMessage) => void) | null = null;
  private tokens = PACE_BURST;
  private last = performance.now();

  private constructor(readonly ws: WebSocket) {}

  static open(url: string): Promise<FuzzSocket> {
    const s = new FuzzSocket(new WebSocket(url));
    return new Promise((resolve, reject) => {
      s.ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data)) as ServerMessage;
        if (m.type === "welcome") {
          s.welcome = m;
          resolve(s);
        } else if (m.type === "ack" || m.type === "error" || m.type === "pong") {
          if (s.waiter) s.waiter(m);
          else s.replies.push(m);
        } else s.events.push(m);
      };
      s.ws.onclose = (e) => {
        s.closed = { code: e.code, reason: e.reason };
        reject(new Error(`closed ${e.code} ${e.reason} before the welcome`));
      };
    });
  }

  private async pace(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(PACE_BURST, this.tokens + ((now - this.last) / 1000) * PACE_PER_SECOND);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await Bun.sleep(Math.ceil(((1 - this.tokens) / PACE_PER_SECOND) * 1000));
    }
  }

  /** Sends one frame and resolves with the one reply it gets (ack, error or pong). */
  async send(f: Frame): Promise<ServerMessage> {
    await this.pace();
    if (this.closed) throw new Error(`socket closed ${this.closed.code} ${this.closed.reason}`);
    const reply = new Promise<ServerMessage>((resolve, reject) => {
      const queued = this.replies.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no reply within ${REPLY_TIMEOUT_MS} ms (closed: ${JSON.stringify(this.closed)})`));
      }, REPLY_TIMEOUT_MS);
      this.waiter = (m) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(m);
      };
    });
    this.ws.send(f.data);
    return reply;
  }

  close(): void {
    this.ws.close();
  }
}
