// The video board across instances: the instance whose media service sees a publish start or
// end tells the others on one Redis channel, and keeps the state in one hash, so an instance
// that starts (or reconnects) later still puts it in its welcomes. While a source is live, its
// instance repeats "live" every second; an instance that stops hearing it (the media home was
// killed, or cut off) turns it to "paused" for its students after STALE_MS, and a republish on
// another instance turns it live again.
import type { VideoSource, VideoState } from "@edgeclass/client/protocol";
import type { VideoBoard } from "../live/video-board.ts";
import type { Logger } from "../obs/logger.ts";
import { videoKeys } from "./keys.ts";
import type { RedisLink } from "./redis.ts";

const SOURCES: readonly string[] = ["camera", "screen"];
const STATES: readonly string[] = ["live", "paused"];
const BEAT_MS = 1000;
const STALE_MS = 4000;

export function shareVideoBoard(board: VideoBoard, link: RedisLink, logger: Logger): () => void {
  const { channel, states: hash } = videoKeys(link);
  const tag = Math.random().toString(36).slice(2, 10);
  const warn = (what: string) => (e: Error) => logger.warn({ err: e.message }, `video state not ${what}`);
  /** Sources live here (this instance's media service holds the publish). */
  const mine = new Set<string>();
  /** Sources live elsewhere, and when that was last heard. */
  const heard = new Map<string, number>();
  const send = (classId: string, source: VideoSource, state: VideoState) =>
    link.publish(channel, JSON.stringify({ from: tag, classId, source, state })).catch(warn("sent to the other instances"));

  board.share = (classId, source, state) => {
    const key = `${classId}\t${source}`;
    if (state === "live") mine.add(key);
    else mine.delete(key);
    heard.delete(key);
    send(classId, source, state);
    link.cmd.hset(hash, key, state).catch(warn("stored in redis"));
  };
  board.unshare = (classId) => {
    for (const s of SOURCES) {
      mine.delete(`${classId}\t${s}`);
      heard.delete(`${classId}\t${s}`);
    }
    link.cmd.hdel(hash, `${classId}\tcamera`, `${classId}\tscreen`).catch(warn("removed from redis"));
  };
  link.onMessage((ch, text) => {
    if (ch !== channel) return;
    let m: { from?: unknown; classId?: unknown; source?: unknown; state?: unknown };
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.from === tag || typeof m.classId !== "string" || !SOURCES.includes(String(m.source)) || !STATES.includes(String(m.state))) return;
    const key = `${m.classId}\t${m.source}`;
    if (m.state === "live") {
      heard.set(key, Date.now());
      mine.delete(key); // a republish elsewhere took it over
    } else heard.delete(key);
    board.apply(m.classId, m.source as VideoSource, m.state as VideoState);
  });
  const load = async () => {
    await link.subscribe(channel);
    const all = (await link.cmd.hgetall(hash)) as Record<string, string>;
    for (const [field, state] of Object.entries(all)) {
      const [classId, source] = field.split("\t");
      if (!classId || !SOURCES.includes(source) || !STATES.includes(state)) continue;
      board.load(classId, { ...board.get(classId), [source]: state });
      if (state === "live" && !mine.has(field)) heard.set(field, Date.now()); // paused unless its instance still beats
    }
  };
  const start = () => void load().catch(warn("loaded from redis"));
  link.onReady(start);
  if (link.healthy()) start();

  const timer = setInterval(() => {
    for (const key of mine) {
      const [classId, source] = key.split("\t") as [string, VideoSource];
      send(classId, source, "live");
    }
    const now = Date.now();
    for (const [key, at] of heard) {
      if (now - at < STALE_MS) continue;
      heard.delete(key);
      const [classId, source] = key.split("\t") as [string, VideoSource];
      logger.info({ classId, source }, "video source silent (its media instance is gone): paused");
      board.apply(classId, source, "paused");
      link.cmd.hset(hash, key, "paused").catch(warn("stored in redis"));
    }
  }, BEAT_MS);
  timer.unref?.();
  return () => clearInterval(timer);
}
