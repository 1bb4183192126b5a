// How a room reaches its participants. The realtime layer implements it over Bun's
// WebSocket topics; a shared engine (Redis) can implement it across instances later.
import type { ServerMessage } from "@edgeclass/client/protocol";

/** A message, or one already serialised (relayed between instances, or shared by many sends). */
export type Outgoing = ServerMessage | { raw: string };

export interface Fanout {
  /** Every participant of the class. The message is serialised once. */
  all(classId: string, msg: Outgoing): void;
  /** The class's teacher and admins. */
  staff(classId: string, msg: Outgoing): void;
  /** One participant (all their sockets). `raw` is an already serialised message. */
  user(classId: string, userId: string, msg: Outgoing): void;
  /** Closes one participant's sockets. */
  closeUser(classId: string, userId: string, code: number, reason: string): void;
  /** Closes every socket of the class. */
  closeAll(classId: string, code: number, reason: string): void;
}
