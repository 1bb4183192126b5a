// Where a new viewer of a class is served when the cascade is on (docs/media.md, "Placement"):
// the instance with the most headroom, from the subscribers per worker that every instance
// reports to one Redis hash each second. The instance a WHEP reached keeps the viewer unless
// another has more headroom by more than a tenth of a worker (so an even load balancer is not
// second-guessed, and a skewed one, a sticky session or a newly added instance is corrected).

/** What one instance reports: subscribers on each live worker, and how many a worker takes. */
export interface InstanceLoad {
  subscribers: number[];
  perWorker: number;
  /** When the figures were taken (ms since the epoch). */
  at: number;
}

/** The Redis hash the reports live in (field: instance tag, value: JSON InstanceLoad). */
export interface LoadStore {
  hset(key: string, field: string, value: string): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, ...fields: string[]): Promise<unknown>;
}

/** A report older than this is of an instance that stopped (or cannot reach Redis): not a target. */
const STALE_MS = 4000;
/** Reports older than this are removed by whoever reads them (instances that died). */
const FORGET_MS = 60_000;
/** The hash is read at most this often per instance (a join storm reads it once, not 1000 times). */
const CACHE_MS = 500;

export function headroom(l: Pick<InstanceLoad, "subscribers" | "perWorker">): number {
  let free = 0;
  for (const n of l.subscribers) free += l.perWorker - n;
  return free;
}

export function parseLoad(raw: string): InstanceLoad | null {
  try {
    const v = JSON.parse(raw) as Partial<InstanceLoad>;
    if (!Array.isArray(v.subscribers) || !v.subscribers.every((n) => Number.isInteger(n) && n >= 0)) return null;
    if (!Number.isInteger(v.perWorker) || (v.perWorker as number) < 1 || typeof v.at !== "number") return null;
    return { subscribers: v.subscribers, perWorker: v.perWorker as number, at: v.at };
  } catch {
    return null;
  }
}

/**
 * The instance with the most headroom among `others` (fresh reports) and `self` (its own figures,
 * taken now). Ties and differences within the slack keep the viewer on `self`; ties between
 * others go to the smaller tag, so every instance decides the same way.
 */
export function choose(self: { tag: string; headroom: number; perWorker: number }, others: Map<string, number>): string {
  const slack = Math.floor(self.perWorker / 10);
  let best = self.tag;
  let bestRoom = self.headroom + slack;
  for (const [tag, room] of [...others].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (tag !== self.tag && room > bestRoom) {
      best = tag;
      bestRoom = room;
    }
  }
  return best;
}

export class Placement {
  private cache: { at: number; loads: Map<string, InstanceLoad> } | null = null;
  /** Viewers this instance sent to another one that the other's report may not count yet. */
  private readonly sent = new Map<string, { n: number; since: number }>();

  constructor(
    private readonly store: LoadStore,
    private readonly key: string,
    private readonly tag: string,
  ) {}

  /** Reports this instance's figures (every second, and at start). */
  async report(load: Omit<InstanceLoad, "at">): Promise<void> {
    await this.store.hset(this.key, this.tag, JSON.stringify({ ...load, at: Date.now() }));
  }

  /** Removes this instance's report (shutdown: it takes no more viewers). */
  async withdraw(): Promise<void> {
    await this.store.hdel(this.key, this.tag);
  }

  /** The tag of the instance a new viewer should be served by; `self` are this instance's figures now. */
  async target(self: Omit<InstanceLoad, "at">): Promise<string> {
    const loads = await this.loads();
    const now = Date.now();
    const others = new Map<string, number>();
    for (const [tag, l] of loads) {
      if (tag === this.tag || now - l.at > STALE_MS) continue;
      const s = this.sent.get(tag);
      // Viewers we placed there after its report was taken are not in it yet.
      if (s && l.at > s.since) this.sent.delete(tag);
      others.set(tag, headroom(l) - (this.sent.get(tag)?.n ?? 0));
    }
    return choose({ tag: this.tag, headroom: headroom(self), perWorker: self.perWorker }, others);
  }

  /** A viewer was placed on `tag` (its session exists there now). */
  placed(tag: string): void {
    const s = this.sent.get(tag);
    this.sent.set(tag, { n: (s?.n ?? 0) + 1, since: Date.now() });
  }

  /** The instance could not take the viewer: leave it out until its next report. */
  failed(tag: string): void {
    this.cache?.loads.delete(tag);
  }

  private async loads(): Promise<Map<string, InstanceLoad>> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.loads;
    const raw = await this.store.hgetall(this.key);
    const loads = new Map<string, InstanceLoad>();
    const dead: string[] = [];
    for (const [tag, value] of Object.entries(raw)) {
      const l = parseLoad(value);
      if (l === null || now - l.at > FORGET_MS) dead.push(tag);
      else loads.set(tag, l);
    }
    if (dead.length > 0) await this.store.hdel(this.key, ...dead).catch(() => {});
    this.cache = { at: now, loads };
    return loads;
  }
}
