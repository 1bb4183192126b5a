// Media worker process: owns peer connections (node-datachannel / libdatachannel) and
// forwards RTP between them. Signalling arrives from the MediaService over IPC; media
// never leaves this process except over the loopback relay to sibling workers.
//   runtime.ts  configuration (and the held UDP port), counters, rooms, relay
//   sessions.ts publisher and subscriber peer connections
//   main.ts     IPC, timers, shutdown

import ndc from "node-datachannel";
import { QUALITY, type ToWorker } from "../protocol.ts";
import { SdpError } from "../sdp.ts";
import {
  askKeyframe,
  config,
  counters,
  log,
  maybeDropRoom,
  muxListener,
  relay,
  roomFor,
  rooms,
  send,
  sessions,
  takeForwardP99,
} from "./runtime.ts";
import { BaseSession, PublisherSession, SubscriberSession } from "./sessions.ts";
import { cascade } from "./cascade.ts";

// ------------------------------------------------------------------ IPC

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.t) {
    case "publish":
    case "subscribe": {
      let session: BaseSession | null = null;
      try {
        const entry = roomFor(msg.classKey);
        if (msg.t === "publish") {
          const p = new PublisherSession(msg.id, msg.classKey, msg.sdp, entry);
          session = p;
          // A new publish replaces the sessions that carried the same kinds (teacher reload or reconnect).
          for (const old of [...entry.publishers]) if ([...p.kinds].some((k) => old.kinds.has(k))) old.close("replaced by a new publish");
          entry.publishers.push(p);
          send({ t: "reply", rid: msg.rid, ok: true, sdp: await p.answer(QUALITY[config.videoQuality].kbps) });
        } else {
          const s = new SubscriberSession(msg.id, msg.classKey, msg.sdp, entry);
          session = s;
          send({ t: "reply", rid: msg.rid, ok: true, sdp: await s.answer() });
        }
      } catch (err) {
        (session ?? sessions.get(msg.id))?.close("signalling failed");
        const code = err instanceof SdpError ? err.code : "MEDIA_INTERNAL";
        send({ t: "reply", rid: msg.rid, ok: false, code, message: err instanceof Error ? err.message : String(err) });
        maybeDropRoom(msg.classKey);
      }
      return;
    }
    case "candidates": {
      const s = sessions.get(msg.id);
      for (const c of msg.candidates) s?.addCandidate(c.candidate, c.mid);
      return;
    }
    case "close":
      sessions.get(msg.id)?.close("closed by signalling");
      return;
    case "endClass":
      for (const s of [...sessions.values()]) if (s.classKey === msg.classKey) s.close("class ended");
      rooms.delete(msg.classKey);
      return;
    case "route":
      roomFor(msg.classKey).relayTo = msg.relayTo;
      maybeDropRoom(msg.classKey);
      return;
    case "upstream":
      roomFor(msg.classKey).upstream = msg.port;
      maybeDropRoom(msg.classKey);
      return;
    case "cascadeTo":
      roomFor(msg.classKey).cascadeTo = msg.targets;
      maybeDropRoom(msg.classKey);
      return;
    case "cascadeUp": {
      const entry = roomFor(msg.classKey);
      entry.cascadeUp = msg.target;
      if (msg.target && entry.room.subscribers.size > 0) askKeyframe(entry); // a new source: viewers need a keyframe
      maybeDropRoom(msg.classKey);
      return;
    }
    case "shutdown":
      shutdown();
      return;
  }
}

let shuttingDown = false;
function shutdown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  clearInterval(statsTimer);
  clearInterval(idleTimer);
  clearInterval(heartbeatTimer);
  clearInterval(layerTimer);
  for (const s of [...sessions.values()]) s.close("worker shutdown");
  relay.close();
  cascade.close();
  muxListener?.stop();
  try {
    ndc.cleanup();
  } catch {
    // nothing left to clean
  }
  process.exit(0);
}

// Simulcast layer choice per subscriber, and peers that went away without a DELETE
// (nothing heard: browsers send RTCP every 1-5 s).
const layerTimer = setInterval(() => {
  const now = performance.now();
  for (const e of rooms.values()) e.room.selectLayers(now);
}, 500);
const idleTimer = setInterval(
  () => {
    const now = performance.now();
    for (const s of [...sessions.values()]) {
      if (s instanceof BaseSession && s.connected && now - s.lastHeard > config.idleTimeoutMs) s.close("peer silent");
    }
  },
  Math.min(2000, Math.max(250, config.idleTimeoutMs / 4)),
);
// One small RTCP packet a second to each viewer, media or not (SubscriberSession.heartbeat).
const heartbeatTimer = setInterval(() => {
  for (const s of sessions.values()) if (s instanceof SubscriberSession) s.heartbeat();
}, 1000);

const statsTimer = setInterval(() => {
  const cpu = process.cpuUsage();
  let publishers = 0;
  let subscribers = 0;
  for (const e of rooms.values()) {
    publishers += e.publishers.length;
    subscribers += e.room.subscribers.size;
  }
  send({
    t: "stats",
    stats: { cpuUserUs: cpu.user, cpuSystemUs: cpu.system, ...counters, publishers, subscribers, forwardP99Us: takeForwardP99() },
  });
}, 1000);

process.on("message", (m: ToWorker) => {
  handle(m).catch((e) => log.error({ err: e, worker: config.index }, "media worker: signalling"));
});
// One bad message must not take every class on this worker down.
process.on("uncaughtException", (e) => log.error({ err: e, worker: config.index }, "media worker: uncaught"));
process.on("unhandledRejection", (e) => log.error({ err: e, worker: config.index }, "media worker: unhandled rejection"));
process.on("disconnect", shutdown);
send({ t: "ready", relayPort: relay.port, cascadePort: cascade.port, pid: process.pid });
