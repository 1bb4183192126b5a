// Who may start a media session now. Two limits protect a worker's joins from one user:
// - a per-user cap on pending sessions (offered, not yet connected): beyond it, 429;
// - join slots per worker (DTLS handshakes in flight) handed out round-robin between users,
//   so one user's queue never sits in front of everyone else's.
// Pending sessions that never connect are reaped after pendingTimeoutMs (onExpired closes them).
import type { Registry } from "../obs/prom.ts";

export interface AdmissionOptions {
  /** Sessions one user may have between offer and connected (default 3). */
  maxPendingPerUser: number;
  /** Join slots per worker (default 16). */
  slotsPerWorker: number;
  /** A slot is given back after this long even if the peer never connects (default 3000 ms). */
  slotMs: number;
  /** A session still unconnected after this long is closed (default 8000 ms). */
  pendingTimeoutMs: number;
}

export const ADMISSION_DEFAULTS: AdmissionOptions = { maxPendingPerUser: 3, slotsPerWorker: 16, slotMs: 3000, pendingTimeoutMs: 8000 };

interface Pending {
  user: string;
  worker: number;
  slot: ReturnType<typeof setTimeout> | null;
  expiry: ReturnType<typeof setTimeout>;
}

interface WorkerSlots {
  inFlight: number;
  /** user -> waiters, in arrival order; Map order is the round-robin order. */
  waiting: Map<string, (() => void)[]>;
}

export interface AdmissionMetrics {
  refused(reason: "pending_cap"): void;
  reaped(): void;
}

function admissionMetrics(registry: Registry | undefined, pendingNow: () => number): AdmissionMetrics {
  if (!registry) return { refused() {}, reaped() {} };
  const refused = registry.counter({
    name: "edgeclass_media_joins_refused_total",
    help: "WHIP/WHEP offers refused with 429, by reason.",
    labelNames: ["reason"],
  });
  const reaped = registry.counter({
    name: "edgeclass_media_pending_reaped_total",
    help: "Media sessions closed because they never connected.",
  });
  registry.gauge({
    name: "edgeclass_media_pending_sessions",
    help: "Media sessions offered and not connected yet.",
    collect: (g) => g.set(pendingNow()),
  });
  return { refused: (r) => refused.labels(r).inc(), reaped: () => reaped.inc() };
}

export class JoinAdmission {
  private readonly pending = new Map<string, Pending>();
  private readonly perUser = new Map<string, number>();
  private readonly workers = new Map<number, WorkerSlots>();
  readonly metrics: AdmissionMetrics;

  constructor(
    private readonly opts: AdmissionOptions,
    registry: Registry | undefined,
    private readonly onExpired: (id: string) => void,
  ) {
    this.metrics = admissionMetrics(registry, () => this.pending.size);
  }

  /** Counts a new session against its user; false when the user is at the cap (answer 429). */
  reserve(id: string, user: string, worker: number): boolean {
    const n = this.perUser.get(user) ?? 0;
    if (n >= this.opts.maxPendingPerUser) {
      this.metrics.refused("pending_cap");
      return false;
    }
    this.perUser.set(user, n + 1);
    const expiry = setTimeout(() => {
      if (!this.pending.has(id)) return;
      this.metrics.reaped();
      this.done(id);
      this.onExpired(id);
    }, this.opts.pendingTimeoutMs);
    this.pending.set(id, { user, worker, slot: null, expiry });
    return true;
  }

  /** Seconds a refused user should wait: about when their oldest pending session is settled. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.opts.slotMs / 1000));
  }

  /** Waits for a join slot on the session's worker; `priority` (a publisher) does not wait. */
  acquire(id: string, priority: boolean): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return Promise.resolve();
    const w = this.slots(p.worker);
    const take = () => {
      w.inFlight++;
      p.slot = setTimeout(() => this.freeSlot(id), this.opts.slotMs);
    };
    if (priority || w.inFlight < this.opts.slotsPerWorker) {
      take();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let q = w.waiting.get(p.user);
      if (!q) w.waiting.set(p.user, (q = []));
      q.push(() => {
        if (this.pending.has(id)) take();
        resolve();
      });
    });
  }

  /** The peer connected: the slot and the user's pending count are given back. */
  connected(id: string): void {
    this.done(id);
  }

  /** The session is gone (closed, failed, never created). */
  release(id: string): void {
    this.done(id);
  }

  /** Lets every waiter go (the service is closing). */
  releaseAll(): void {
    for (const w of this.workers.values()) {
      for (const q of w.waiting.values()) for (const next of q.splice(0)) next();
      w.waiting.clear();
    }
  }

  pendingOf(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  private slots(worker: number): WorkerSlots {
    let w = this.workers.get(worker);
    if (!w) this.workers.set(worker, (w = { inFlight: 0, waiting: new Map() }));
    return w;
  }

  private done(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.expiry);
    this.freeSlot(id);
    this.pending.delete(id);
    const n = (this.perUser.get(p.user) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(p.user);
    else this.perUser.set(p.user, n);
  }

  private freeSlot(id: string): void {
    const p = this.pending.get(id);
    if (!p || p.slot === null) return;
    clearTimeout(p.slot);
    p.slot = null;
    const w = this.slots(p.worker);
    w.inFlight--;
    this.next(w);
  }

  /** Hands a free slot to the first user in round-robin order, who then goes to the back. */
  private next(w: WorkerSlots): void {
    while (w.inFlight < this.opts.slotsPerWorker && w.waiting.size > 0) {
      const [user, q] = w.waiting.entries().next().value as [string, (() => void)[]];
      const go = q.shift();
      w.waiting.delete(user);
      if (q.length > 0) w.waiting.set(user, q);
      go?.();
    }
  }
}
