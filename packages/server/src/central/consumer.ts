// The centre's side: a stream in the hub's domain that sources every city's stream across
// JetStream domains (keeping only that city's subjects), read by a durable consumer that
// upserts into PostgreSQL and acknowledges only after the commit. A record that fails
// validation is counted and parked on the dead-letter stream, not retried.
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamSource,
} from "@nats-io/jetstream";
import type { Logger } from "../obs/logger.ts";
import type { Counter, Registry } from "../obs/prom.ts";
import type { CentralStore } from "./pg-store.ts";
import { parseRecord, type ClassRecord } from "./records.ts";
import {
  CENTRAL_CONSUMER,
  CENTRAL_STREAM,
  cityDomain,
  cityOfSubject,
  cityStream,
  citySubjects,
  DEAD_STREAM,
  deadSubject,
} from "./subjects.ts";

const BATCH = 500;
const DAY_NS = 24 * 60 * 60 * 1_000_000_000;

export interface CentralNatsSettings {
  url: string;
  user?: string;
  pass?: string;
  cities: string[];
}

const citySource = (city: string): StreamSource => ({
  name: cityStream(city),
  domain: cityDomain(city),
  filter_subject: citySubjects(city),
});

export class CentralConsumer {
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private closed = false;
  private loop: Promise<void> | null = null;
  private lastWarning = 0;
  private stopConsuming: () => void = () => {};
  private readonly startedAt = Date.now();
  private readonly records: Counter;
  private lag = new Map<string, number>();
  private idle = new Map<string, number>();
  /** Outcomes by city since start: stored, stale, dead. */
  readonly totals = new Map<string, { stored: number; stale: number; dead: number }>();
  private pending = 0;
  /** Resolves after each processed batch (tests and the demo wait on it). */
  onBatch: (stored: ClassRecord[]) => void = () => {};

  constructor(
    private readonly settings: CentralNatsSettings,
    private readonly store: CentralStore,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.records = registry.counter({
      name: "edgeclass_central_records_total",
      help:
        "Class records taken from the cities, by city and outcome (stored, stale: not newer than the centre's, dead: parked " +
        "as invalid).",
      labelNames: ["city", "outcome"],
    });
    registry.gauge({
      name: "edgeclass_central_source_lag",
      help: "Records a city's stream holds that the central stream has not sourced yet (grows while the city's link is down).",
      labelNames: ["city"],
      collect: (g) => {
        for (const [city, n] of this.lag) g.labels(city).set(n);
      },
    });
    registry.gauge({
      name: "edgeclass_central_source_idle_seconds",
      help: "Seconds since the central stream last heard from a city's stream (grows while the city's link is down).",
      labelNames: ["city"],
      collect: (g) => {
        for (const [city, s] of this.idle) g.labels(city).set(s);
      },
    });
    registry.gauge({
      name: "edgeclass_central_consumer_pending",
      help: "Records in the central stream not yet in PostgreSQL.",
      collect: (g) => g.set(this.pending),
    });
  }

  /** Connects, creates or updates the streams and the consumer, then consumes until closed. */
  async start(): Promise<void> {
    const { url, user, pass } = this.settings;
    this.nc = await connect({ servers: url, user, pass, name: "edgeclass-central", maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    await this.ensureStreams(this.jsm);
    this.loop = this.run();
  }

  private async ensureStreams(jsm: JetStreamManager): Promise<void> {
    const sources = this.settings.cities.map(citySource);
    const central = await jsm.streams.info(CENTRAL_STREAM).catch(() => null);
    if (central === null) await jsm.streams.add({ name: CENTRAL_STREAM, subjects: [], sources, max_age: 30 * DAY_NS });
    else await jsm.streams.update(CENTRAL_STREAM, { ...central.config, sources });
    const dead = await jsm.streams.info(DEAD_STREAM).catch(() => null);
    if (dead === null) await jsm.streams.add({ name: DEAD_STREAM, subjects: ["edgeclass.dead.>"], max_age: 30 * DAY_NS });
    const consumer = await jsm.consumers.info(CENTRAL_STREAM, CENTRAL_CONSUMER).catch(() => null);
    if (consumer === null)
      await jsm.consumers.add(CENTRAL_STREAM, {
        durable_name: CENTRAL_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        ack_wait: 30_000_000_000,
        max_ack_pending: 5000,
      });
  }

  private async run(): Promise<void> {
    const gauges = setInterval(() => void this.refreshGauges().catch(() => {}), 1000);
    try {
      while (!this.closed) {
        try {
          await this.consume();
        } catch (e) {
          if (this.closed) return;
          if (Date.now() - this.lastWarning > 10_000) {
            this.lastWarning = Date.now();
            this.logger.warn({ err: (e as Error).message }, "central consumer retrying");
          }
          await Bun.sleep(500);
        }
      }
    } finally {
      clearInterval(gauges);
    }
  }

  /** Takes messages as they come, a batch at a time: when nothing more is waiting, or the batch is full. */
  private async consume(): Promise<void> {
    const consumer = await this.js!.consumers.get(CENTRAL_STREAM, CENTRAL_CONSUMER);
    const messages = await consumer.consume({ max_messages: BATCH * 2 });
    this.stopConsuming = () => void messages.stop();
    let batch: JsMsg[] = [];
    for await (const m of messages) {
      batch.push(m);
      if (m.info.pending > 0 && batch.length < BATCH) continue;
      const taken = batch;
      batch = [];
      try {
        await this.take(taken);
      } catch (e) {
        // PostgreSQL away: the batch comes back after a pause (nothing was acknowledged).
        for (const t of taken) t.nak(1000);
        throw e;
      }
      if (this.closed) break;
    }
  }

  /** Parks the invalid, upserts the rest in one transaction, then acknowledges all. */
  private async take(msgs: JsMsg[]): Promise<void> {
    const valid: ClassRecord[] = [];
    for (const m of msgs) {
      const city = cityOfSubject(m.subject) ?? "unknown";
      const parsed = parseRecord(m.data, city);
      if (parsed.ok) {
        valid.push(parsed.record);
        continue;
      }
      const h = headers();
      h.set("Edgeclass-Reason", parsed.reason.slice(0, 500));
      h.set("Edgeclass-Subject", m.subject);
      await this.js!.publish(deadSubject(city), m.data, { headers: h });
      this.count(city, "dead");
      this.logger.warn({ city, subject: m.subject, reason: parsed.reason }, "class record parked as invalid");
    }
    // Newest version last: a batch holding two versions of one record stores the newer.
    valid.sort((a, b) => a.rev - b.rev);
    const r = await this.store.upsert(valid);
    for (const rec of r.stored) this.count(rec.city, "stored");
    for (const rec of r.stale) this.count(rec.city, "stale");
    for (const m of msgs) m.ack();
    this.onBatch(r.stored);
  }

  private count(city: string, outcome: "stored" | "stale" | "dead"): void {
    this.records.labels(city, outcome).inc();
    const t = this.totals.get(city) ?? { stored: 0, stale: 0, dead: 0 };
    t[outcome]++;
    this.totals.set(city, t);
  }

  private async refreshGauges(): Promise<void> {
    const info = await this.jsm!.streams.info(CENTRAL_STREAM);
    for (const s of info.sources ?? []) {
      const city = this.settings.cities.find((c) => cityStream(c) === s.name);
      if (!city) continue;
      this.lag.set(city, s.lag);
      // active: nanoseconds since the source last delivered or heartbeat; -1 before it ever did.
      this.idle.set(city, s.active < 0 ? (Date.now() - this.startedAt) / 1000 : s.active / 1e9);
    }
    this.pending = (await this.jsm!.consumers.info(CENTRAL_STREAM, CENTRAL_CONSUMER)).num_pending;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopConsuming();
    await this.loop?.catch(() => {});
    await this.nc?.drain().catch(() => {});
  }
}
