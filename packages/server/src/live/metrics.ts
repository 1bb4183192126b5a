// Metrics of live classes.
import type { Counter, Histogram, Registry } from "../obs/prom.ts";

export interface LiveMetrics {
  policyDecisions: Counter;
  messages: Counter;
  answerAck: Histogram;
  slowClients: Counter;
  removals: Counter;
  slowHeld: Counter;
  /** A class event: the client frame's arrival to the publish to every socket of the class (obs/event-trace.ts). */
  eventFanout: Histogram;
  /** The same time by stage (parse, room, commit_wait, commit, resume, serialise, publish) and the tick's wait. */
  eventStage: Histogram;
}

/** 50 µs to 1 s: the stages are mostly tens of microseconds, a loaded fan-out tens of milliseconds. */
const EVENT_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function createLiveMetrics(registry: Registry, counts: () => { participants: number; classes: number }): LiveMetrics {
  registry.gauge({
    name: "edgeclass_participants",
    help: "Participants in live classes on this instance (connected or within their reconnect grace).",
    collect: (g) => g.set(counts().participants),
  });
  registry.gauge({ name: "edgeclass_live_classes", help: "Live classes owned by this instance.", collect: (g) => g.set(counts().classes) });
  const slowClients = registry.counter({
    name: "edgeclass_slow_clients_total",
    help:
      "Sockets closed with 4012 because they could not keep up, by reason (bytes: send queue over its byte cap; stalled: " +
      "queue not emptied within its time cap).",
    labelNames: ["reason"],
  });
  return {
    policyDecisions: registry.counter({
      name: "edgeclass_policy_decisions_total",
      help: "Join decisions, by outcome.",
      labelNames: ["decision"],
    }),
    messages: registry.counter({
      name: "edgeclass_ws_messages_total",
      help: "WebSocket messages, by direction (in, out) and type.",
      labelNames: ["direction", "type"],
    }),
    answerAck: registry.histogram({
      name: "edgeclass_answer_ack_seconds",
      help: "Time from receiving a quiz answer to acknowledging it (durable).",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
    slowClients,
    removals: registry.counter({
      name: "edgeclass_participants_removed_total",
      help: "Participants taken out of a live class (close 4013), by cause: staff, unenrolled, archived.",
      labelNames: ["cause"],
    }),
    slowHeld: registry.counter({
      name: "edgeclass_slow_clients_held_total",
      help: "Times a socket's send queue backed up and its class messages were held back (off the topics) until it caught up.",
    }),
    eventFanout: registry.histogram({
      name: "edgeclass_event_fanout_seconds",
      help:
        "Class events, by type: from the client frame that caused one arriving to its publish to every socket of the class " +
        "(the kernel send, or the socket's queue when it is behind).",
      labelNames: ["type"],
      buckets: EVENT_BUCKETS,
    }),
    eventStage: registry.histogram({
      name: "edgeclass_event_stage_seconds",
      help:
        "Class events' time by stage: parse, room, commit_wait (behind other work of the turn), commit, resume, serialise, " +
        "publish; tick: a batched event's wait for the 250 ms tick.",
      labelNames: ["type", "stage"],
      buckets: EVENT_BUCKETS,
    }),
  };
}
