// The rooms this instance owns, created on demand for live classes, ticked together.
import type { Store } from "../store/types.ts";
import { AppError } from "../domain/errors.ts";
import type { LiveHub } from "./ports.ts";
import { LiveRoom, type RoomDeps } from "./room.ts";

const TICK_MS = 250;

/** The class and its course, when the class is live; otherwise an AppError saying why not. */
export function liveClassOf(store: Store, classId: string) {
  const cls = store.classes.get(classId);
  if (!cls) throw new AppError("not-found", `class ${classId} does not exist`);
  if (cls.status === "scheduled") throw new AppError("class-not-started", "class has not started");
  if (cls.status !== "live") throw new AppError("class-ended", `class is ${cls.status}`);
  const course = store.courses.get(cls.courseId);
  if (!course) throw new AppError("not-found", `course ${cls.courseId} does not exist`);
  return { cls, course };
}

/** Live classes of a single instance: every room is local. */
export class ClassHub implements LiveHub {
  private readonly rooms = new Map<string, LiveRoom>();
  private readonly timer: ReturnType<typeof setInterval>;

  /** Called after a class ended (e.g. to close its media sessions). */
  onClassEnded: (classId: string) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly deps: Omit<RoomDeps, "onEnded">,
  ) {
    this.timer = setInterval(() => {
      const now = deps.now();
      for (const room of this.rooms.values()) room.tick(now);
    }, TICK_MS);
  }

  /** The room of a live class, created (and recovered from storage) on first use. */
  room(classId: string): LiveRoom {
    const existing = this.rooms.get(classId);
    if (existing) return existing;
    const { cls, course } = liveClassOf(this.store, classId);
    const room = new LiveRoom(
      {
        ...this.deps,
        onEnded: (id) => {
          this.rooms.delete(id);
          this.onClassEnded(id);
        },
      },
      cls,
      course,
    );
    this.rooms.set(classId, room);
    return room;
  }

  /** Whether the user holds a seat in the live class (false when the class is not live here). */
  isAdmitted(classId: string, userId: string): boolean {
    return this.rooms.get(classId)?.isAdmitted(userId) ?? false;
  }

  /** Ends a class if this instance holds its room. */
  async end(classId: string): Promise<boolean> {
    const room = this.rooms.get(classId);
    if (!room) return false;
    await room.end();
    return true;
  }

  revoke(courseId: string, userId: string | null): void {
    for (const room of this.rooms.values()) if (room.courseId === courseId) room.revokeAccess(userId);
  }

  counts(): { participants: number; classes: number } {
    let participants = 0;
    for (const r of this.rooms.values()) participants += r.participantCount;
    return { participants, classes: this.rooms.size };
  }

  /** Stops ticking. Rooms are not ended: the class goes on when clients reconnect. */
  close(): void {
    clearInterval(this.timer);
  }
}
