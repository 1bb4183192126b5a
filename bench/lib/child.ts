// A benchmark's client process speaking JSON over Bun IPC: `next(t)` waits for its next
// message of type t; messages nobody waits for are queued, or handed to `onUnsolicited`.
import type { Subprocess } from "bun";
import { hasTaskset } from "./process.ts";

export class Child<In, Out extends { t: string }> {
  readonly proc: Subprocess;
  private readonly queue: Out[] = [];
  private waiters: { t: string; resolve(m: Out): void }[] = [];
  /** When set, receives messages nobody waits for (requests from the child) instead of queueing them. */
  onUnsolicited: ((m: Out) => void) | null = null;

  /** `file`: the script's URL (e.g. new URL("./proc.ts", import.meta.url)); pinned to `core` when taskset exists. */
  constructor(file: URL, core: number | null = null, env: Record<string, string> = {}) {
    const cmd = [process.execPath, file.pathname];
    this.proc = Bun.spawn({
      cmd: core !== null && hasTaskset ? ["taskset", "-c", String(core), ...cmd] : cmd,
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      env: { ...process.env, ...env },
      ipc: (raw: unknown) => {
        const m = raw as Out;
        const i = this.waiters.findIndex((w) => w.t === m.t);
        if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
        else if (this.onUnsolicited) this.onUnsolicited(m);
        else this.queue.push(m);
      },
    });
  }

  send(m: In): void {
    this.proc.send(m);
  }

  next<T extends Out["t"]>(t: T, timeoutMs = 120_000): Promise<Extract<Out, { t: T }>> {
    const i = this.queue.findIndex((m) => m.t === t);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as Extract<Out, { t: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child gave no ${t} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        t,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<Out, { t: T }>);
        },
      });
    });
  }

  /** Sends and waits for the reply of type t. */
  ask<T extends Out["t"]>(m: In, t: T, timeoutMs?: number): Promise<Extract<Out, { t: T }>> {
    const p = this.next(t, timeoutMs);
    this.send(m);
    return p;
  }

  /** Waits for the child to exit (after being told to close), killing it after 3 s. */
  async stop(): Promise<void> {
    const killer = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await this.proc.exited;
    clearTimeout(killer);
  }
}
