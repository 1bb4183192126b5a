// Whether each of a class's video sources (camera, screen share) is on air: live while at
// least one of its publishing sessions is connected, paused when the last one closes (the
// teacher stopped, reloaded, or the connection was lost and timed out). The MediaService calls
// connected()/closed(); transitions go to `emit` (the live hub's video board).
import type { VideoSource, VideoState } from "@edgeclass/client/protocol";

export type { VideoSource };

export type VideoStateListener = (classId: string, source: VideoSource, state: VideoState) => void;

/** The publish's source from the WHIP URL (`?source=camera|screen`, camera when absent); null when invalid. */
export function sourceOf(req: Request): VideoSource | null {
  const s = new URL(req.url).searchParams.get("source");
  if (s === null || s === "camera") return "camera";
  return s === "screen" ? "screen" : null;
}

export class PublisherStates {
  /** `${classId}\t${source}` -> connected publishing sessions */
  private readonly live = new Map<string, Set<string>>();
  private readonly sessions = new Map<string, string>();

  constructor(private readonly emit: VideoStateListener) {}

  connected(id: string, classId: string, source: VideoSource): void {
    if (this.sessions.has(id)) return;
    const key = `${classId}\t${source}`;
    this.sessions.set(id, key);
    let set = this.live.get(key);
    if (!set) this.live.set(key, (set = new Set()));
    set.add(id);
    if (set.size === 1) this.emit(classId, source, "live");
  }

  closed(id: string): void {
    const key = this.sessions.get(id);
    if (key === undefined) return;
    this.sessions.delete(id);
    const set = this.live.get(key);
    set?.delete(id);
    if (set && set.size > 0) return;
    this.live.delete(key);
    const [classId, source] = key.split("\t") as [string, VideoSource];
    this.emit(classId, source, "paused");
  }
}
