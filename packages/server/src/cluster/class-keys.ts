// Redis keys and Lua scripts of one live class. Every key carries the class id as a hash
// tag, so a class's keys live on one Redis Cluster slot and its scripts stay atomic.
import type { RedisLink } from "./redis.ts";

export const LEASE_MS = 3000;
const KEEP_MS = 24 * 3600 * 1000;

export function classKeys(link: RedisLink, classId: string) {
  const base = link.key(`{${classId}}`);
  return {
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
    /** Media home lease ("<instance tag>:<fence>") and its fence (cluster/media-home.ts). */
    mediaHome: `${base}:media-home`,
    mediaFence: `${base}:media-fence`,
    commands: `${base}:commands`,
    events: `${base}:events`,
  };
}

/** An instance's internal base URL for forwarded media signalling (not a class key: one per instance). */
export const mediaInstanceKey = (link: RedisLink, tag: string) => link.key("media-instance", tag);

export type ClassKeys = ReturnType<typeof classKeys>;

/** Takes the lease when free: returns "<instance>:<fence>" when taken, else the holder's value. */
export const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
local fence = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. ':' .. fence
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}`;

/** Extends the lease if still ours: 1 renewed, 0 lost. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// Writes below are fenced: they apply only while the caller still holds the lease.
const FENCE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end\n`;

/** KEYS: owner, seats. ARGV: lease value, user, capacity. 1 seat held, 0 full, -1 fenced. */
export const TAKE_SEAT = `${FENCE}
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 1 end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: owner, seats. ARGV: lease value, user. */
export const RELEASE_SEAT = `${FENCE}return redis.call('SREM', KEYS[2], ARGV[2])`;

/** KEYS: owner, hash. ARGV: lease value, field, json. Overwrites. */
export const HSET_FENCED = `${FENCE}
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: owner, hash. ARGV: lease value, field, json. 1 saved, 0 existed, -1 fenced. */
export const HSETNX_FENCED = `${FENCE}
local r = redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return r`;

/** KEYS: owner, list. ARGV: lease value, json, keep. */
export const PUSH_FENCED = `${FENCE}
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: owner, set. ARGV: lease value, member. */
export const SADD_FENCED = `${FENCE}
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: owner, set. ARGV: lease value, member. */
export const SREM_FENCED = `${FENCE}return redis.call('SREM', KEYS[2], ARGV[2])`;

/** KEYS: owner, hash. ARGV: lease value, field. */
export const HDEL_FENCED = `${FENCE}return redis.call('HDEL', KEYS[2], ARGV[2])`;

/** KEYS: owner, key. ARGV: lease value. */
export const DEL_FENCED = `${FENCE}return redis.call('DEL', KEYS[2])`;

/** KEYS: owner, key. ARGV: lease value, value. */
export const SET_FENCED = `${FENCE}
redis.call('SET', KEYS[2], ARGV[2], 'PX', ${KEEP_MS})
return 1`;

/** Replaces a set with the given members. KEYS: owner, set. ARGV: lease value, member... */
export const REPLACE_SET_FENCED = `${FENCE}
redis.call('DEL', KEYS[2])
for i = 2, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** Replaces a hash with the given fields. KEYS: owner, hash. ARGV: lease value, field, value, field, value... */
export const REPLACE_HASH_FENCED = `${FENCE}
redis.call('DEL', KEYS[2])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;
