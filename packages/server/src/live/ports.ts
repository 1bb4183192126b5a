// What the WebSocket gateway and the REST services need from live classes. One instance
// implements it with local rooms (ClassHub); a cluster implements it over Redis.
import type { ClientMessage } from "@edgeclass/client/protocol";
import type { Principal } from "../domain/model.ts";
import type { AdmitResult } from "./room.ts";

export interface RoomPort {
  admit(p: Principal, enrolled: boolean): Promise<AdmitResult>;
  handle(userId: string, msg: ClientMessage): Promise<unknown>;
  disconnected(userId: string): void;
}

export interface LiveHub {
  /**
   * The class's room (local, or a proxy to its owner); throws an AppError (class-not-started, class-ended, not-found) when the class is not
   * live.
   */
  room(classId: string): RoomPort;
  isAdmitted(classId: string, userId: string): boolean;
  /** Ends the class; false when this instance cannot (not live here). */
  end(classId: string): Promise<boolean>;
  /** A student lost access to a course (unenrolled; userId null: maybe archived): its live classes owned
   *  here take them out at once (close 4013). The store, already changed, decides who leaves. */
  revoke(courseId: string, userId: string | null): void;
  counts(): { participants: number; classes: number };
  onClassEnded: (classId: string) => void;
  /** Stops the rooms; in a cluster, hands owned classes over (settles once the others are told). */
  close(): void | Promise<void>;
}
