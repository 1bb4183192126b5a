// The teacher's video state per class (camera, screen: live or paused), as the students see it:
// sent as `video.state` to the class's sockets on this instance, and kept for the welcome of
// late joiners. In a cluster, `share` carries each change to the other instances (video-share.ts).
import type { ClassVideo, ServerMessage, VideoSource, VideoState } from "@edgeclass/client/protocol";
import type { Fanout } from "./fanout.ts";

export class VideoBoard {
  private readonly classes = new Map<string, ClassVideo>();
  /** Set in a cluster: tells the other instances. */
  share: ((classId: string, source: VideoSource, state: VideoState) => void) | null = null;
  unshare: ((classId: string) => void) | null = null;

  constructor(private readonly sockets: Pick<Fanout, "all">) {}

  /** A change seen by this instance's media service. */
  set(classId: string, source: VideoSource, state: VideoState): void {
    this.apply(classId, source, state);
    this.share?.(classId, source, state);
  }

  /** A change, from here or another instance: recorded and sent to this instance's sockets of the class. */
  apply(classId: string, source: VideoSource, state: VideoState): void {
    const cur = this.classes.get(classId) ?? {};
    if (cur[source] === state) return;
    this.classes.set(classId, { ...cur, [source]: state });
    const msg: ServerMessage = { type: "video.state", source, state };
    this.sockets.all(classId, msg);
  }

  /** For the welcome snapshot. */
  get(classId: string): ClassVideo | undefined {
    const v = this.classes.get(classId);
    return v ? { ...v } : undefined;
  }

  /** Replaces what is known (loaded from the cluster), without sending anything. */
  load(classId: string, video: ClassVideo): void {
    this.classes.set(classId, { ...video });
  }

  endClass(classId: string): void {
    this.classes.delete(classId);
    this.unshare?.(classId);
  }
}
