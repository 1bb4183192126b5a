// Calls from an instance to a class's owner over Redis pub/sub: a request on the class's
// commands channel, the reply on the caller's own replies channel. Pub/sub keeps nothing, so
// every call has a deadline; the caller decides whether to ask again (cluster-class.ts).
import { AppError } from "../domain/errors.ts";
import type { Logger } from "../obs/logger.ts";
import { decodeReply, encodeReply, encodeRequest, type Call, type Reply, type Request } from "./codec.ts";
import { classKeys, repliesChannel } from "./keys.ts";
import type { RedisLink, RedisMetrics } from "./redis.ts";

/** How long a forwarded join or command waits for the owner (a join burst queues at the owner). */
const RPC_TIMEOUT_MS = { admit: 5000, cmd: 3000, end: 5000 } as const;

export const unavailable = () => new AppError("unavailable", "the class's shared engine (Redis) is unreachable; try again shortly");

/** What the RPC needs of the Redis link (a fake in unit tests). */
export type RpcLink = Pick<RedisLink, "publish" | "subscribe" | "timed" | "settings">;

export class ClusterRpc {
  /** This instance's replies channel. */
  readonly channel: string;
  private readonly pending = new Map<string, { resolve(r: Reply): void; timer: ReturnType<typeof setTimeout> }>();
  private seq = 0;

  constructor(
    private readonly link: RpcLink,
    private readonly instanceId: string,
    /** In request ids, so a restarted process with the same INSTANCE_ID never takes a reply meant for its earlier life. */
    private readonly processTag: string,
    private readonly metrics: Pick<RedisMetrics, "messages">,
    private readonly logger: Logger,
  ) {
    this.channel = repliesChannel(link, instanceId);
  }

  /** Listens for replies (at start and after every reconnection). */
  listen(): Promise<void> {
    return this.link.subscribe(this.channel);
  }

  /** Asks the class's owner; its result, or its AppError. `unavailable` when Redis or the owner does not answer. */
  async call(classId: string, call: Call): Promise<unknown> {
    const id = `${this.instanceId}:${this.processTag}:${++this.seq}`;
    const reply = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false, code: "unavailable", message: "the class's owner did not answer in time; try again" });
      }, RPC_TIMEOUT_MS[call.t]);
      this.pending.set(id, { resolve, timer });
    });
    try {
      await this.link.timed(() =>
        this.link.publish(classKeys(this.link, classId).commands, encodeRequest({ ...call, id, from: this.instanceId })),
      );
    } catch {
      clearTimeout(this.pending.get(id)?.timer);
      this.pending.delete(id);
      throw unavailable();
    }
    this.metrics.messages.labels("out", call.t).inc();
    const r = await reply;
    if (!r.ok) throw new AppError(r.code, r.message);
    return r.result;
  }

  /** Tells the owner a user's socket here went (no reply; the owner starts the grace period). */
  left(classId: string, userId: string): void {
    this.link.publish(classKeys(this.link, classId).commands, encodeRequest({ t: "left", from: this.instanceId, userId })).catch(() => {});
  }

  /** At the owner: replies to a call with the outcome of its work (a AppError keeps its code). */
  answer(r: Request & { id: string }, work: Promise<unknown>): void {
    work.then(
      (result) => this.send(r.from, { id: r.id, ok: true, result }),
      (e: unknown) =>
        this.send(
          r.from,
          e instanceof AppError
            ? { id: r.id, ok: false, code: e.code, message: e.message }
            : { id: r.id, ok: false, code: "internal", message: "something went wrong" },
        ),
    );
  }

  /** A message on this instance's replies channel. */
  onReply(text: string): void {
    const r = decodeReply(text);
    const p = r && this.pending.get(r.id);
    if (!r || !p) return;
    clearTimeout(p.timer);
    this.pending.delete(r.id);
    p.resolve(r);
  }

  private send(to: string, r: Reply): void {
    this.link
      .publish(repliesChannel(this.link, to), encodeReply(r))
      .catch((e: Error) => this.logger.warn({ err: e.message }, "cluster reply failed"));
  }
}
