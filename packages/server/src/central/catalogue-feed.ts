// A city's side of the catalogue: the hub's CATALOGUE stream is mirrored into the city's own
// JetStream domain by NATS (the mirror resumes where it stopped when the link returns), and the
// city's instances share one durable consumer of that mirror. The instance that takes a change
// applies it to its SQLite copy newest-wins (an older version never overwrites a newer one) and,
// in the same transaction, queues it for Redis, whose catalogue sync spreads it to the city's
// other instances. A change that fails validation is counted and left out, never retried.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstreamManager, jetstream, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Registry } from "../obs/prom.ts";
import type { CatalogueChange } from "../store/catalogue.ts";
import type { CatalogueJournal } from "../store/sqlite/catalogue-journal.ts";
import { parseCentreChange } from "./catalogue-rows.ts";
import type { CityNatsSettings } from "./publisher.ts";
import { CATALOGUE_CONSUMER, CATALOGUE_STREAM, HUB_DOMAIN } from "./subjects.ts";

const BATCH = 500;
const MAX_TRIES = 10;
const RETRY_MS = 300;
const FLUSH_MS = 20;

/** The city's mirror of the hub's catalogue (it keeps the newest message of each row too). */
const cityCatalogueConfig = { name: CATALOGUE_STREAM, mirror: { name: CATALOGUE_STREAM, domain: HUB_DOMAIN }, max_msgs_per_subject: 1 };

export class CityCatalogueFeed {
  /** Runs after changes were applied here (the live rooms take out students unenrolled centrally). */
  onApplied: (changes: CatalogueChange[]) => void = () => {};
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private closed = false;
  private loop: Promise<void> | null = null;
  private stopConsuming: () => void = () => {};
  private lastWarning = 0;
  private readonly changes: Counter;
  private pending = 0;
  /** When the mirror last heard from the hub, as far as this instance knows (its leaf away: no news, so it ages). */
  private heardAt = Date.now();
  private gauges: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly settings: CityNatsSettings,
    private readonly journal: CatalogueJournal,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    registry.gauge({
      name: "edgeclass_catalogue_central_pending",
      help: "Catalogue changes in the city's mirror not yet applied by the city's instances.",
      collect: (g) => g.set(this.pending),
    });
    registry.gauge({
      name: "edgeclass_catalogue_mirror_idle_seconds",
      help:
        "Seconds since the city's catalogue mirror last heard from the hub (grows while the city's link to the centre, or its " +
        "leaf, is down).",
      collect: (g) => g.set((Date.now() - this.heardAt) / 1000),
    });
    this.changes = registry.counter({
      name: "edgeclass_catalogue_central_changes_total",
      help:
        "Catalogue changes taken from the centre by this instance: applied, stale (not newer than this copy's), rejected " +
        "(this copy cannot take it) or invalid.",
      labelNames: ["outcome"],
    });
  }

  start(): void {
    this.loop ??= this.run();
    this.gauges ??= setInterval(() => void this.refreshGauges().catch(() => {}), 1000);
  }

  private async refreshGauges(): Promise<void> {
    if (!this.nc || this.js === null) return;
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(CATALOGUE_STREAM);
    // active: nanoseconds since the mirror last heard from the hub; -1 before it ever did.
    const active = info.mirror?.active ?? -1;
    if (active >= 0) this.heardAt = Date.now() - active / 1e6;
    const c = await jsm.consumers.info(CATALOGUE_STREAM, CATALOGUE_CONSUMER);
    this.pending = c.num_pending + c.num_ack_pending;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.consume(await this.ready());
      } catch (e) {
        if (this.closed) return;
        if (Date.now() - this.lastWarning > 10_000) {
          this.lastWarning = Date.now();
          this.logger.warn({ err: (e as Error).message }, "catalogue from the centre waiting for nats");
        }
        await Bun.sleep(500);
      }
    }
  }

  /** Connects (once; the client reconnects) and makes sure the mirror and its consumer exist. */
  private async ready(): Promise<JetStreamClient> {
    if (this.js) return this.js;
    const { url, user, pass, city } = this.settings;
    this.nc ??= await connect({
      servers: url,
      user,
      pass,
      name: `edgeclass-${city}-catalogue`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams.info(CATALOGUE_STREAM).catch(() => jsm.streams.add(cityCatalogueConfig));
    const consumer = await jsm.consumers.info(CATALOGUE_STREAM, CATALOGUE_CONSUMER).catch(() => null);
    if (consumer === null) {
      await jsm.consumers.add(CATALOGUE_STREAM, {
        durable_name: CATALOGUE_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: 30_000_000_000,
        max_ack_pending: 5000,
      });
    }
    this.js = jetstream(this.nc);
    return this.js;
  }

  private async consume(js: JetStreamClient): Promise<void> {
    const consumer = await js.consumers.get(CATALOGUE_STREAM, CATALOGUE_CONSUMER);
    const messages = await consumer.consume({ max_messages: BATCH * 2 });
    this.stopConsuming = () => void messages.stop();
    let batch: JsMsg[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const taken = batch;
      batch = [];
      if (taken.length > 0 && !this.closed) this.take(taken);
    };
    // A batch goes when nothing more is waiting, or it is full, or shortly after its first message:
    // with the city's instances sharing the consumer, "more waiting" may go to another instance.
    for await (const m of messages) {
      batch.push(m);
      if (m.info.pending === 0 || batch.length >= BATCH) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
      if (this.closed) break;
    }
    if (timer) clearTimeout(timer);
  }

  /**
   * Applies a batch in one SQLite transaction, then acknowledges it (a crash before the ack: redelivered,
   * found stale). A change this copy cannot take yet (an enrolment whose course another instance of the
   * city took, still on its way through Redis) comes back later; after MAX_TRIES it is left out.
   */
  private take(msgs: JsMsg[]): void {
    const valid: CatalogueChange[] = [];
    const messageOf = new Map<CatalogueChange, JsMsg>();
    for (const m of msgs) {
      const parsed = parseCentreChange(m.data);
      if (parsed.ok) {
        valid.push(parsed.change);
        messageOf.set(parsed.change, m);
        continue;
      }
      this.changes.labels("invalid").inc();
      this.logger.warn({ subject: m.subject, reason: parsed.reason }, "catalogue change from the centre left out");
      m.term();
    }
    const r = this.journal.applyFromCentre(valid);
    this.changes.labels("applied").inc(r.applied.length);
    this.changes.labels("stale").inc(r.stale.length);
    for (const c of [...r.applied, ...r.stale]) messageOf.get(c)!.ack();
    for (const c of r.rejected) {
      const m = messageOf.get(c)!;
      if (m.info.deliveryCount < MAX_TRIES) {
        m.nak(RETRY_MS);
        continue;
      }
      this.changes.labels("rejected").inc();
      this.logger.warn(
        { change: `${c.kind}:${c.key}`, tries: m.info.deliveryCount },
        "catalogue change from the centre left out: this copy cannot take it",
      );
      m.term();
    }
    if (r.applied.length > 0) this.onApplied(r.applied);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.gauges) clearInterval(this.gauges);
    this.stopConsuming();
    await this.loop?.catch(() => {});
    await this.nc?.close().catch(() => {});
  }
}
