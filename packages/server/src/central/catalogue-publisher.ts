// The centre's side of the catalogue: sends the outbox of catalogue changes (written with the
// rows in PostgreSQL) to the hub's CATALOGUE stream, oldest first. Each row has its own subject
// and the stream keeps only the newest message per subject, so it is the whole catalogue, and
// a city's mirror (new, or back after its link was down) gets the newest of every row once.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type StreamConfig } from "@nats-io/jetstream";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Registry } from "../obs/prom.ts";
import type { CentralCatalogue } from "./catalogue-store.ts";
import { CATALOGUE_STREAM, CATALOGUE_SUBJECTS, catalogueSubject } from "./subjects.ts";

const BATCH = 256;
const MINUTE_NS = 60 * 1_000_000_000;

const hubCatalogueConfig: Partial<StreamConfig> & { name: string } = {
  name: CATALOGUE_STREAM,
  subjects: [CATALOGUE_SUBJECTS],
  max_msgs_per_subject: 1,
  duplicate_window: 10 * MINUTE_NS,
};

export class CataloguePublisher {
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastWarning = 0;
  private readonly sent: Counter;
  private waiting = 0;

  constructor(
    private readonly settings: { url: string; user?: string; pass?: string },
    private readonly catalogue: CentralCatalogue,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.sent = registry.counter({
      name: "edgeclass_central_catalogue_sent_total",
      help: "Catalogue changes acknowledged by the hub's catalogue stream (sent by this central service).",
    });
    registry.gauge({
      name: "edgeclass_central_catalogue_outbox_changes",
      help: "Catalogue changes authored here and not yet in the hub's catalogue stream.",
      collect: (g) => g.set(this.waiting),
    });
    catalogue.onWritten = () => this.wake?.();
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const js = await this.ready();
        // Sent in order on one connection, so the stream keeps that order: a course before its enrolments.
        const drained = await this.catalogue.drain(BATCH, async (batch) => {
          await Promise.all(
            batch.map((c) =>
              js.publish(catalogueSubject(c.kind, c.key), JSON.stringify(c), { msgID: `${c.kind}:${c.key}@${c.rev}`, timeout: 5000 }),
            ),
          );
        });
        // null: another replica holds the outbox. Counted at once: a city may already have applied them.
        if (drained) this.sent.inc(drained);
        this.waiting = await this.catalogue.waiting();
        if (drained) continue;
        // Nothing waiting, or another replica is sending: until a write here, or a second.
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 1000);
        });
        this.wake = null;
      } catch (e) {
        if (this.closed) return;
        this.waiting = await this.catalogue.waiting().catch(() => this.waiting);
        if (Date.now() - this.lastWarning > 10_000) {
          this.lastWarning = Date.now();
          this.logger.warn({ err: (e as Error).message }, "catalogue changes waiting for the hub");
        }
        await Bun.sleep(500);
      }
    }
  }

  private async ready(): Promise<JetStreamClient> {
    if (this.js) return this.js;
    const { url, user, pass } = this.settings;
    this.nc ??= await connect({
      servers: url,
      user,
      pass,
      name: "edgeclass-central-catalogue",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams.info(CATALOGUE_STREAM).catch(() => jsm.streams.add(hubCatalogueConfig));
    this.js = jetstream(this.nc);
    return this.js;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loop;
    await this.nc?.drain().catch(() => {});
  }
}
