// The city's side: sends the outbox to the city's stream on its own NATS leaf node. A record
// leaves the outbox only after JetStream's PubAck; each goes with a Nats-Msg-Id (record id and
// version), so a resend after a lost ack is dropped by the stream's duplicate window.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Registry } from "../obs/prom.ts";
import type { CentralOutbox } from "./outbox.ts";
import { cityStream, citySubjects, recordSubject } from "./subjects.ts";

const BATCH = 256;
const MINUTE_NS = 60 * 1_000_000_000;

export interface CityNatsSettings {
  url: string;
  user?: string;
  pass?: string;
  city: string;
}

/** The city stream: records stay a week at most, so a link down for days loses nothing. */
const cityStreamConfig = (city: string) => ({
  name: cityStream(city),
  subjects: [citySubjects(city)],
  duplicate_window: 10 * MINUTE_NS,
  max_age: 7 * 24 * 60 * MINUTE_NS,
});

export class CityPublisher {
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastWarning = 0;
  private readonly sent: Counter;
  private readonly errors: Counter;

  constructor(
    private readonly settings: CityNatsSettings,
    private readonly outbox: CentralOutbox,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    registry.gauge({
      name: "edgeclass_central_outbox_records",
      help: "Class records written here and not yet acknowledged by the city's NATS stream.",
      collect: (g) => g.set(outbox.size()),
    });
    this.sent = registry.counter({
      name: "edgeclass_central_records_sent_total",
      help: "Class records acknowledged by the city's NATS stream (duplicates dropped by the stream included).",
    });
    this.errors = registry.counter({
      name: "edgeclass_central_publish_errors_total",
      help: "Attempts to send the outbox to NATS that failed (the records stay queued).",
    });
    outbox.onRecorded = () => this.wake?.();
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const js = await this.ready();
        const batch = this.outbox.pending(BATCH);
        if (batch.length === 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, 1000);
          });
          this.wake = null;
          continue;
        }
        // No Nats-Expected-Stream header: it travels with the message and the central stream, sourcing it, would refuse it.
        await Promise.all(
          batch.map((e) =>
            js.publish(recordSubject(e.record.city, e.record.kind), JSON.stringify(e.record), {
              msgID: `${e.record.id}@${e.record.rev}`,
              timeout: 5000,
            }),
          ),
        );
        this.outbox.sent(batch[batch.length - 1].seq);
        this.sent.inc(batch.length);
      } catch (e) {
        if (this.closed) return;
        this.errors.inc();
        if (Date.now() - this.lastWarning > 10_000) {
          this.lastWarning = Date.now();
          this.logger.warn({ err: (e as Error).message, queued: this.outbox.size() }, "class records waiting for nats");
        }
        await Bun.sleep(500);
      }
    }
  }

  /** Connects (once; the client reconnects by itself) and makes sure the city stream exists. */
  private async ready(): Promise<JetStreamClient> {
    if (this.js) return this.js;
    const { url, user, pass, city } = this.settings;
    this.nc ??= await connect({ servers: url, user, pass, name: `edgeclass-${city}`, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams.info(cityStream(city)).catch(() => jsm.streams.add(cityStreamConfig(city)));
    this.js = jetstream(this.nc);
    return this.js;
  }

  /** Sends what is queued (best effort, bounded) and disconnects; the rest stays in the outbox. */
  async close(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.js && this.outbox.size() > 0 && Date.now() < deadline) await Bun.sleep(20);
    this.closed = true;
    this.wake?.();
    await this.nc?.close().catch(() => {});
    await this.loop;
  }
}
