// The owner's fan-out: to its own sockets at once, and through the class's events channel to
// every other instance (one publisher per class: one order everywhere).
import type { Fanout, Outgoing } from "../live/fanout.ts";
import { encodeEvent, type ClassEvent } from "./codec.ts";

const serialise = (m: Outgoing) => ("raw" in m ? m.raw : JSON.stringify(m));

export class RedisFanout implements Fanout {
  constructor(
    private readonly local: Fanout,
    /** This process's tag: the others deliver the event, this process skips it (delivered already). */
    private readonly tag: string,
    /** Publishes on the class's events channel (a failure is counted there, not retried). */
    private readonly publish: (message: string) => void,
  ) {}

  private send(e: ClassEvent): void {
    this.publish(encodeEvent(this.tag, e));
  }
  all(classId: string, msg: Outgoing): void {
    const raw = serialise(msg);
    this.local.all(classId, { raw });
    this.send({ op: "all", raw });
  }
  staff(classId: string, msg: Outgoing): void {
    const raw = serialise(msg);
    this.local.staff(classId, { raw });
    this.send({ op: "staff", raw });
  }
  user(classId: string, userId: string, msg: Outgoing): void {
    const raw = serialise(msg);
    this.local.user(classId, userId, { raw });
    this.send({ op: "user", userId, raw });
  }
  closeUser(classId: string, userId: string, code: number, reason: string): void {
    this.local.closeUser(classId, userId, code, reason);
    this.send({ op: "closeUser", userId, code, reason });
  }
  closeAll(classId: string, code: number, reason: string): void {
    this.local.closeAll(classId, code, reason);
    this.send({ op: "closeAll", code, reason });
  }
}
