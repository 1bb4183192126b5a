// A small Prometheus registry: counters, gauges and histograms with labels, and the
// text exposition format. prom-client took 50-150 ms to import under Bun (its default
// metrics and summaries load eagerly), more than our whole start-up budget, so the
// server carries this instead. Children are cached per label set, so the hot path is
// a map lookup and an addition.

type LabelValues = readonly (string | number)[];

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const formatValue = (v: number) => (Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v));

function labelText(names: readonly string[], values: LabelValues, extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(String(values[i]))}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

interface Collector {
  readonly name: string;
  expose(): string;
}

abstract class Family<Child> implements Collector {
  protected readonly children = new Map<string, { values: LabelValues; child: Child }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    readonly labelNames: readonly string[],
    private readonly onCollect?: (self: Family<Child>) => void,
  ) {}

  protected abstract create(): Child;
  protected abstract lines(labels: LabelValues, child: Child): string[];

  /** The children again, one map per label: a lookup builds no key string (the joined key cost ~6% of
   *  the server's CPU in a 10 x 1000 quiz, where every frame in and out is counted). */
  private readonly tree = new Map<string, unknown>();

  labels(...values: LabelValues): Child {
    const n = values.length;
    if (n !== this.labelNames.length) throw new Error(`${this.name} takes labels ${this.labelNames.join(", ")}`);
    let node = this.tree;
    for (let i = 0; i < n - 1; i++) {
      const v = String(values[i]);
      let next = node.get(v) as Map<string, unknown> | undefined;
      if (next === undefined) node.set(v, (next = new Map()));
      node = next;
    }
    const last = n === 0 ? "" : String(values[n - 1]);
    const found = node.get(last) as Child | undefined;
    if (found !== undefined) return found;
    const key = values.join("\u0000");
    let entry = this.children.get(key);
    if (entry === undefined) this.children.set(key, (entry = { values, child: this.create() }));
    node.set(last, entry.child);
    return entry.child;
  }

  /** Forget every labelled child (e.g. a class that ended). */
  remove(...values: LabelValues): void {
    this.children.delete(values.join("\u0000"));
    let node: Map<string, unknown> | undefined = this.tree;
    for (let i = 0; i < values.length - 1 && node; i++) node = node.get(String(values[i])) as Map<string, unknown> | undefined;
    node?.delete(values.length === 0 ? "" : String(values[values.length - 1]));
  }

  expose(): string {
    this.onCollect?.(this);
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, child } of this.children.values()) out.push(...this.lines(values, child));
    return out.join("\n");
  }
}

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    if (by < 0) throw new Error("counters only go up");
    this.value += by;
  }
}

export class Counter extends Family<CounterChild> {
  protected create() {
    return new CounterChild();
  }
  protected lines(labels: LabelValues, c: CounterChild) {
    return [`${this.name}${labelText(this.labelNames, labels)} ${formatValue(c.value)}`];
  }
  inc(by = 1): void {
    this.labels().inc(by);
  }
}

export class GaugeChild {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class Gauge extends Family<GaugeChild> {
  protected create() {
    return new GaugeChild();
  }
  protected lines(labels: LabelValues, g: GaugeChild) {
    return [`${this.name}${labelText(this.labelNames, labels)} ${formatValue(g.value)}`];
  }
  set(v: number): void {
    this.labels().set(v);
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
}

export class Histogram extends Family<HistogramChild> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram", labelNames);
  }
  protected create() {
    return new HistogramChild(this.buckets);
  }
  protected lines(labels: LabelValues, h: HistogramChild) {
    const out: string[] = [];
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += h.counts[i];
      out.push(`${this.name}_bucket${labelText(this.labelNames, labels, `le="${le}"`)} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${labelText(this.labelNames, labels, 'le="+Inf"')} ${h.count}`);
    out.push(`${this.name}_sum${labelText(this.labelNames, labels)} ${formatValue(h.sum)}`);
    out.push(`${this.name}_count${labelText(this.labelNames, labels)} ${h.count}`);
    return out;
  }
  observe(v: number): void {
    this.labels().observe(v);
  }
}

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export class Registry {
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  private readonly collectors = new Map<string, Collector>();

  private add<C extends Collector>(c: C): C {
    if (this.collectors.has(c.name)) throw new Error(`metric ${c.name} is already registered`);
    this.collectors.set(c.name, c);
    return c;
  }

  counter(o: MetricOptions): Counter {
    return this.add(new Counter(o.name, o.help, "counter", o.labelNames ?? []));
  }

  /** `collect` runs before each scrape, to read values that live elsewhere (memory, pools). */
  gauge(o: MetricOptions & { collect?(g: Gauge): void }): Gauge {
    return this.add(new Gauge(o.name, o.help, "gauge", o.labelNames ?? [], o.collect as ((f: Family<GaugeChild>) => void) | undefined));
  }

  histogram(o: MetricOptions & { buckets: readonly number[] }): Histogram {
    return this.add(new Histogram(o.name, o.help, o.labelNames ?? [], o.buckets));
  }

  /** Counters whose value is read from elsewhere at scrape time (e.g. CPU seconds). */
  counterFrom(o: MetricOptions & { read(): number }): void {
    const c = new Counter(o.name, o.help, "counter", [], () => {
      c.labels().value = o.read();
    });
    this.add(c);
  }

  expose(): string {
    return [...this.collectors.values()].map((c) => c.expose()).join("\n") + "\n";
  }
}
