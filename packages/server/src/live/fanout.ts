// How a room reaches its participants. The realtime layer implements it over Bun's
// WebSocket topics; a shared engine (Redis) can implement it across instances later.
import type { ServerMessage } from "../../../client/src/protocol.ts";

export interface Fanout {
  /** Every participant of the class. The message is serialised once. */
  all(classId: string, msg: ServerMessage): void;
  /** The class's teacher and admins. */
  staff(classId: string, msg: ServerMessage): void;
  /** One participant (all their sockets). `raw` is an already serialised message. */
  user(classId: string, userId: string, msg: ServerMessage | { raw: string }): void;
  /** Closes one participant's sockets. */
  closeUser(classId: string, userId: string, code: number, reason: string): void;
  /** Closes every socket of the class. */
  closeAll(classId: string, code: number, reason: string): void;
}
