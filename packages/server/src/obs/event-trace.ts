// Where a class event's time goes: a trace follows one client frame from its arrival through
// parsing, the room, the group commit, serialisation and the publish to the class's sockets.
// The gateway starts it (AsyncLocalStorage carries it across the room's awaits, so the feature
// modules need no extra argument); the group commit stamps its queue and commit times on it;
// the fan-out reads it when the event is published and observes the stages.
import { AsyncLocalStorage } from "node:async_hooks";

export interface EventTrace {
  /** performance.now() when the frame arrived. */
  readonly receivedAt: number;
  /** After JSON parse and schema validation. */
  validatedAt: number;
  /** The first durable write this frame queued (0: none). */
  commitQueuedAt: number;
  /** Its group commit began (BEGIN) and ended (COMMIT done). */
  commitStartAt: number;
  committedAt: number;
  /** Stages are observed once, at the first event the frame publishes. */
  observed: boolean;
}

const context = new AsyncLocalStorage<EventTrace>();

export function newTrace(receivedAt: number): EventTrace {
  return { receivedAt, validatedAt: receivedAt, commitQueuedAt: 0, commitStartAt: 0, committedAt: 0, observed: false };
}

/** Runs `fn` (and everything it awaits) with `trace` as the current trace. */
export function withTrace<T>(trace: EventTrace, fn: () => T): T {
  return context.run(trace, fn);
}

/** The trace of the frame whose handling is running now, if any (tick-driven events have none). */
export function currentTrace(): EventTrace | undefined {
  return context.getStore();
}

/** A durable write was queued for the current frame. */
export function traceCommitQueued(trace: EventTrace | undefined, at: number): void {
  if (trace && trace.commitQueuedAt === 0) trace.commitQueuedAt = at;
}

export type Stage = "parse" | "room" | "commit_wait" | "commit" | "resume" | "serialise" | "publish";
export const STAGES: readonly Stage[] = ["parse", "room", "commit_wait", "commit", "resume", "serialise", "publish"];

/**
 * The stages of a frame's first published event, in seconds, summing to publishedAt - receivedAt:
 * parse (frame to validated), room (validated to the commit queued, and its own work after the
 * commit up to the fan-out is in resume), commit_wait (queued until the group commit began:
 * other work of the same event-loop turn), commit (BEGIN..COMMIT of the batch), resume (commit
 * to the fan-out call: promise continuations, the feature's own work), serialise, publish.
 */
export function stagesOf(t: EventTrace, fanoutAt: number, serialisedAt: number, publishedAt: number): Record<Stage, number> {
  const committed = t.commitQueuedAt > 0 && t.committedAt > 0;
  const roomEnd = committed ? t.commitQueuedAt : fanoutAt;
  return {
    parse: (t.validatedAt - t.receivedAt) / 1000,
    room: (roomEnd - t.validatedAt) / 1000,
    commit_wait: committed ? (t.commitStartAt - t.commitQueuedAt) / 1000 : 0,
    commit: committed ? (t.committedAt - t.commitStartAt) / 1000 : 0,
    resume: committed ? (fanoutAt - t.committedAt) / 1000 : 0,
    serialise: (serialisedAt - fanoutAt) / 1000,
    publish: (publishedAt - serialisedAt) / 1000,
  };
}
