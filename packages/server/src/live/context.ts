// What a room's feature modules share: the room's dependencies (ports), its members, and the
// core they act through (sequence numbers, the course as last read, who is staff).
import type { ClassVideo, Participant } from "@edgeclass/client/protocol";
import type { ClassSession, Course } from "../domain/model.ts";
import type { Logger } from "../obs/logger.ts";
import type { DecisionLog } from "../policy/decision-log.ts";
import type { JoinPolicy } from "../policy/join-policy.ts";
import type { Store } from "../store/types.ts";
import type { Fanout } from "./fanout.ts";
import type { LiveMetrics } from "./metrics.ts";
import { TokenBucket } from "./rate-limit.ts";
import type { SharedClassState } from "./shared-state.ts";

/** The part of the store a room uses (the SQLite store is one; tests use an in-memory one). */
export interface RoomStore {
  readonly users: Pick<Store["users"], "get" | "upsert">;
  readonly courses: Pick<Store["courses"], "get">;
  readonly enrollments: Pick<Store["enrollments"], "isEnrolled">;
  readonly classes: Pick<Store["classes"], "get" | "update">;
  readonly live: Pick<
    Store["live"],
    | "recentChat"
    | "insertChat"
    | "deleteChat"
    | "attendanceJoin"
    | "attendanceLeave"
    | "attendanceCloseAll"
    | "getQuestion"
    | "launchedQuestions"
    | "insertLaunched"
    | "markClosed"
    | "markRevealed"
    | "answers"
    | "insertAnswer"
    | "removals"
    | "insertRemoval"
  >;
  transaction<T>(fn: () => T): T;
  write<T>(fn: () => T): Promise<T>;
  writeNow<T>(fn: () => T): Promise<T>;
}

export interface RoomDeps {
  store: RoomStore;
  fanout: Fanout;
  policy: JoinPolicy;
  decisions: DecisionLog;
  metrics: LiveMetrics;
  logger: Logger;
  now(): number;
  newId(): string;
  graceMs: number;
  /** Set when instances share classes through Redis. */
  shared?: SharedClassState;
  /** Called once the class has ended and the room let go of everything. */
  onEnded(classId: string): void;
  /** The teacher's video state, for the welcome (kept by the media side, video-board.ts). */
  video?(classId: string): ClassVideo | undefined;
}

const CHAT_BURST = 5;
const CHAT_PER_SECOND = 0.5;
export const CHAT_LIMIT = { burst: CHAT_BURST, perSecond: CHAT_PER_SECOND };

/** A participant holding a seat: connected, or within the reconnect grace period. */
export interface Member extends Participant {
  joinedAt: number;
  graceTimer: ReturnType<typeof setTimeout> | null;
  chatBucket: TokenBucket;
  lastChatAt: number;
}

export function newMember(p: Pick<Participant, "id" | "name" | "role">, connected: boolean, now: number): Member {
  return {
    id: p.id,
    name: p.name,
    role: p.role,
    connected,
    joinedAt: now,
    graceTimer: null,
    chatBucket: new TokenBucket(CHAT_BURST, CHAT_PER_SECOND, now),
    lastChatAt: 0,
  };
}

export function participantView(m: Member): Participant {
  return { id: m.id, name: m.name, role: m.role, connected: m.connected };
}

/** What the feature modules see of their room (LiveRoom implements it). */
export interface RoomCore {
  readonly classId: string;
  readonly deps: RoomDeps;
  readonly cls: ClassSession;
  /** Seated members by user id. */
  readonly members: ReadonlyMap<string, Member>;
  /** Ids of seated students in join order: the policy's input.course.students. */
  readonly students: readonly string[];
  readonly ended: boolean;
  /** The course as last read. */
  readonly course: Course;
  /** Reads the course again (archived, capacity: the store caches it). */
  refreshCourse(): Course;
  /** The next class event's sequence number. */
  nextSeq(): number;
  isStaff(p: { id: string; role: string }): boolean;
}

/** Fire-and-forget durable write (attendance, restored removals): failures are logged, never thrown at a socket. */
export function persist(room: Pick<RoomCore, "classId" | "deps">, fn: () => void): void {
  room.deps.store.write(fn).catch((e) => room.deps.logger.error({ err: e, classId: room.classId }, "attendance write failed"));
}
