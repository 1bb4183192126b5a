// The video board across instances: the instance whose media service sees a publish start or
// end tells the others on one Redis channel, and keeps the state in one hash, so an instance
// that starts (or reconnects) later still puts it in its welcomes.
import type { VideoSource, VideoState } from "../../../client/src/protocol.ts";
import type { VideoBoard } from "../live/video-board.ts";
import type { Logger } from "../obs/logger.ts";
import type { RedisLink } from "./redis.ts";

const SOURCES: readonly string[] = ["camera", "screen"];
const STATES: readonly string[] = ["live", "paused"];

export function shareVideoBoard(board: VideoBoard, link: RedisLink, logger: Logger): void {
  const channel = link.key("video");
  const hash = link.key("video-state");
  const tag = Math.random().toString(36).slice(2, 10);
  const warn = (what: string) => (e: Error) => logger.warn({ err: e.message }, `video state not ${what}`);
  board.share = (classId, source, state) => {
    link.publish(channel, JSON.stringify({ from: tag, classId, source, state })).catch(warn("sent to the other instances"));
    link.cmd.hset(hash, `${classId}\t${source}`, state).catch(warn("stored in redis"));
  };
  board.unshare = (classId) => {
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
    board.apply(m.classId, m.source as VideoSource, m.state as VideoState);
  });
  const load = async () => {
    await link.subscribe(channel);
    const all = (await link.cmd.hgetall(hash)) as Record<string, string>;
    for (const [field, state] of Object.entries(all)) {
      const [classId, source] = field.split("\t");
      if (classId && SOURCES.includes(source) && STATES.includes(state)) board.load(classId, { ...board.get(classId), [source]: state });
    }
  };
  const start = () => void load().catch(warn("loaded from redis"));
  link.onReady(start);
  if (link.healthy()) start();
}
