// Every Redis key and channel name the instances share, in one place. Names start with the
// deployment's REDIS_PREFIX, so several deployments (or test runs) can share one Redis. Keys a
// Lua script touches together carry one hash tag ({classId}, {catalogue}), so they sit on one
// Redis Cluster slot and the script stays atomic; the key-slot test walks `everyName`.
import type { CatalogueKind } from "../store/catalogue.ts";

/** Where names start: a RedisLink (its settings' prefix) or the prefix itself. */
type Prefix = string | { readonly settings: { readonly prefix: string } };

const prefixOf = (at: Prefix) => (typeof at === "string" ? at : at.settings.prefix);

/** One live class's keys and channels (all on the class's slot). */
export function classKeys(at: Prefix, classId: string) {
  const base = `${prefixOf(at)}{${classId}}`;
  return {
    /** Owner lease ("<instance>:<fence>") and its fence counter (cluster/class-owner.ts). */
    owner: `${base}:owner`,
    fence: `${base}:fence`,
    seats: `${base}:seats`,
    questions: `${base}:questions`,
    answers: (questionId: string) => `${base}:answers:${questionId}`,
    chat: `${base}:chat`,
    chatDeleted: `${base}:chat-deleted`,
    attendance: `${base}:attendance`,
    /** Moderation: chat settings (JSON), muted students (set), raised hands (hash user -> JSON Hand). */
    chatSettings: `${base}:chat-settings`,
    muted: `${base}:muted`,
    hands: `${base}:hands`,
    /** Students removed from the live class (participant.remove), restored by a new owner. */
    removed: `${base}:removed`,
    /** Media home lease ("<instance tag>:<fence>") and its fence (cluster/media-home.ts). */
    mediaHome: `${base}:media-home`,
    mediaFence: `${base}:media-fence`,
    /** Channels: forwarded joins and commands to the owner; the owner's events to everyone. */
    commands: `${base}:commands`,
    events: `${base}:events`,
  };
}

export type ClassKeys = ReturnType<typeof classKeys>;

/** The class id in a class channel's name, and which of the two it is; null for other channels. */
export function classChannel(channel: string): { classId: string; kind: "events" | "commands" } | null {
  const m = /\{([^}]+)\}:(events|commands)$/.exec(channel);
  return m ? { classId: m[1], kind: m[2] as "events" | "commands" } : null;
}

/** The channel on which an instance hears the replies to the commands it forwarded. */
export const repliesChannel = (at: Prefix, instanceId: string) => `${prefixOf(at)}replies:${instanceId}`;

/** An instance's internal base URL for forwarded media signalling (one per instance). */
export const mediaInstanceKey = (at: Prefix, tag: string) => `${prefixOf(at)}media-instance:${tag}`;

/** Every instance's media load (hash: instance tag -> JSON, media/placement.ts). */
export const mediaLoadKey = (at: Prefix) => `${prefixOf(at)}media-load`;

/** Where the sign-in's one-time keys (sessions revoked, OIDC states) start (auth/redis-keys.ts adds the rest). */
export const authKeyPrefix = (at: Prefix) => `${prefixOf(at)}auth:`;

/** The video board across instances (cluster/video-share.ts): its channel and the hash of states. */
export const videoKeys = (at: Prefix) => ({ channel: `${prefixOf(at)}video`, states: `${prefixOf(at)}video-state` });

/** The catalogue (cluster/catalogue-sync.ts): newest row per kind, the change stream, the data set's epoch. */
export function catalogueKeys(at: Prefix) {
  const base = `${prefixOf(at)}{catalogue}`;
  return { rows: (kind: CatalogueKind) => `${base}:rows:${kind}`, log: `${base}:log`, epoch: `${base}:epoch` };
}

/**
 * Every name above for one class, one instance and one of each parameter, grouped by the slot
 * they must share (`alone`: used one at a time, any slot). The class's and the catalogue's names
 * are walked whole, so a key added to them is checked by the key-slot test without more ado.
 */
export function everyName(at: Prefix, sample = { classId: "c-1", questionId: "q-1", instanceId: "i-1", kind: "course" as CatalogueKind }) {
  const values = (o: Record<string, string | ((x: never) => string)>, arg: string) =>
    Object.values(o).map((v) => (typeof v === "function" ? (v as (x: string) => string)(arg) : v));
  const cat = catalogueKeys(at);
  return {
    class: values(classKeys(at, sample.classId), sample.questionId),
    catalogue: values(cat, sample.kind),
    alone: [
      repliesChannel(at, sample.instanceId),
      mediaInstanceKey(at, sample.instanceId),
      mediaLoadKey(at),
      `${authKeyPrefix(at)}x`,
      ...Object.values(videoKeys(at)),
    ],
  };
}
