// One person in the soak's class: a raw WebSocket that sends requests with a rid, settles
// them on the ack or error, and tallies what came back.
import type { ClientMessage, ServerMessage } from "@edgeclass/client/protocol";

export interface Tally {
  acks: number;
  /** Error replies by code. */
  errors: Record<string, number>;
  /** Closes we did not ask for, by code. */
  unexpectedCloses: Record<string, number>;
  /** Requests that got no reply within the timeout. */
  timeouts: number;
  events: number;
}

export const newTally = (): Tally => ({ acks: 0, errors: {}, unexpectedCloses: {}, timeouts: 0, events: 0 });

export type Reply = { ok: true; result: unknown } | { ok: false; code: string; message: string };

let ridSeq = 0;
const REQUEST_TIMEOUT_MS = 20_000;

export class Participant {
  ws: WebSocket | null = null;
  welcome: Extract<ServerMessage, { type: "welcome" }> | null = null;
  /** The open question as this participant last saw it. */
  openQuestion: { id: string; kind: string; options?: { id: string }[] } | null = null;
  private readonly pending = new Map<string, { resolve(r: Reply): void; timer: ReturnType<typeof setTimeout> }>();
  private closing = false;

  constructor(
    readonly id: string,
    private readonly url: (id: string) => Promise<string>,
    private readonly tally: Tally,
  ) {}

  get online(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.welcome !== null;
  }

  /** Connects and waits for the welcome; resolves false when refused or closed first. */
  async join(timeoutMs = 20_000): Promise<boolean> {
    const ws = new WebSocket(await this.url(this.id));
    this.ws = ws;
    this.welcome = null;
    this.closing = false;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data)) as ServerMessage;
        if (m.type === "welcome") {
          this.welcome = m;
          this.openQuestion = m.state.quiz && !m.state.quiz.closed ? m.state.quiz.question : null;
          clearTimeout(timer);
          resolve(true);
        } else this.onMessage(m);
      };
      ws.onclose = (e) => {
        clearTimeout(timer);
        resolve(false);
        if (this.ws === ws) {
          this.welcome = null;
          this.ws = null;
        }
        if (!this.closing) this.tally.unexpectedCloses[e.code] = (this.tally.unexpectedCloses[e.code] ?? 0) + 1;
        for (const [rid, p] of this.pending) {
          clearTimeout(p.timer);
          p.resolve({ ok: false, code: "connection-lost", message: "socket closed" });
          this.pending.delete(rid);
        }
      };
    });
  }

  private onMessage(m: ServerMessage): void {
    if ((m.type === "ack" || m.type === "error" || m.type === "pong") && m.rid !== undefined) {
      const p = this.pending.get(m.rid);
      if (!p) return;
      this.pending.delete(m.rid);
      clearTimeout(p.timer);
      if (m.type === "error") {
        this.tally.errors[m.code] = (this.tally.errors[m.code] ?? 0) + 1;
        p.resolve({ ok: false, code: m.code, message: m.message });
      } else {
        this.tally.acks++;
        p.resolve({ ok: true, result: m.type === "ack" ? m.result : { serverTime: m.serverTime } });
      }
      return;
    }
    this.tally.events++;
    if (m.type === "quiz.question") this.openQuestion = m.quiz.question;
    else if (m.type === "quiz.closed" || m.type === "quiz.reveal") this.openQuestion = null;
  }

  request(msg: ClientMessage): Promise<Reply> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve({ ok: false, code: "offline", message: "not connected" });
    const rid = `k${++ridSeq}`;
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        this.tally.timeouts++;
        resolve({ ok: false, code: "timeout", message: `no reply to ${msg.type}` });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(rid, { resolve, timer });
      ws.send(JSON.stringify({ ...msg, rid }));
    });
  }

  /** Closes on purpose (a leave); resolves once the socket is closed. */
  async leave(): Promise<void> {
    const ws = this.ws;
    if (!ws) return;
    this.closing = true;
    const closed = new Promise<void>((r) => ws.addEventListener("close", () => r(), { once: true }));
    ws.close(1000, "bye");
    await Promise.race([closed, Bun.sleep(5000)]);
    this.ws = null;
    this.welcome = null;
  }
}
