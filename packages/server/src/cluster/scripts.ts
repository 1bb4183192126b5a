// Every Lua script the instances run on Redis, registered once per connection with ioredis
// `defineCommand`: each call sends EVALSHA (the script's text only the first time on a
// connection), and ioredis sends the text again on NOSCRIPT, so a Redis restarted empty (or a
// failed-over or resharded node) just gets it again. `Scripts` is the typed face of them.
import type { ChainableCommander, Cluster, Redis } from "ioredis";

export const LEASE_MS = 3000;
const KEEP_MS = 24 * 3600 * 1000;

/**
 * How long a class that was live before the Redis we reach started (restarted, or a replica
 * promoted by a failover) can be taken only by its owner from before. Redis restarted without
 * persistence has lost every lease, and a promoted replica may lack the last writes and the lease
 * (3 s) may lapse during a failover, but the owners are still running their classes on their own
 * SQLite: each retakes its lease and shares its state again as soon as it is reconnected (its
 * retries are at most 1 s apart, plus a 2 s connect timeout). If another instance took the free
 * lease first, it would start the class from what Redis holds (nothing, after an empty restart)
 * and the old owner would have to give the class up.
 * How a Redis is told apart (as the catalogue's epoch key marks a data set): its own `run_id`,
 * new at every start, and its uptime, read in the script on the node that holds the class's keys
 * (so per shard on Redis Cluster). An instance that saw the class owned remembers the run_id it
 * saw then: a different one means the class was live before this Redis took over; that instance
 * then waits at most SETTLE_MS of its own. An instance new to the class compares the class's start
 * with Redis's start instead (whole seconds only, so "before" means more than a second before),
 * for SETTLE_MS of Redis's uptime. A class started after Redis started is taken at once.
 */
export const SETTLE_MS = 10_000;

/**
 * Takes the lease when free. KEYS: owner, fence. ARGV: instance, lease ms, then either "owner"
 * (this instance owned the class until now: it may retake it any time) or the class's start (ms
 * since the epoch), settle ms, and the Redis run_id this instance saw the class owned under ("" if
 * none). Returns {1, "<instance>:<fence>", run_id} when taken, {0, holder, run_id} when held, or
 * {2, ms to wait, run_id} while the class waits for its owner from before this Redis.
 * Without the last three arguments (the media home's lease) there is no waiting.
 */
const ACQUIRE = `
local info = redis.call('INFO', 'server')
local run = string.match(info, 'run_id:(%w+)')
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur, run} end
if ARGV[3] and ARGV[3] ~= 'owner' then
  local settle = tonumber(ARGV[4])
  if ARGV[5] ~= '' then
    -- Seen owned under another Redis: the caller bounds its own wait.
    if ARGV[5] ~= run then return {2, tostring(settle), run} end
  else
    local up = tonumber(string.match(info, 'uptime_in_seconds:(%d+)')) * 1000
    -- Uptime counts whole seconds (off by up to 1 s either way): only a class started surely
    -- before Redis started waits; one started within a second of it is taken at once.
    local t = redis.call('TIME')
    local born = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - up
    if up < settle and tonumber(ARGV[3]) < born - 1000 then return {2, tostring(settle - up), run} end
  end
end
local fence = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. ':' .. fence
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value, run}`;

/** Extends the lease if still ours: 1 renewed, 0 lost. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// Writes below are fenced: they apply only while the caller still holds the lease. -1: another
// instance holds it; -2: nobody does (it expired, or Redis restarted empty): the owner retakes
// its lease and shares its state again, then retries, instead of giving the class up.
const FENCE = `local owner = redis.call('GET', KEYS[1])
if owner ~= ARGV[1] then if owner then return -1 end return -2 end
`;

/** KEYS: owner, seats. ARGV: lease value, user, capacity. 1 seat held, 0 full, -1/-2 fenced. */
const TAKE_SEAT = `${FENCE}
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 1 end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: owner, seats. ARGV: lease value, user. Seats held by others (read only; fenced so a
 *  deposed owner does not judge on a count it no longer keeps). */
const SEATS_TAKEN = `${FENCE}return redis.call('SCARD', KEYS[2]) - redis.call('SISMEMBER', KEYS[2], ARGV[2])`;

/** KEYS: owner, seats. ARGV: lease value, user. */
const RELEASE_SEAT = `${FENCE}return redis.call('SREM', KEYS[2], ARGV[2])`;

/** KEYS: owner, hash. ARGV: lease value, field, json. Overwrites. */
const HSET_FENCED = `${FENCE}
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** Not fenced, for a cut-off owner handing over what it acknowledged alone: KEYS: hash. ARGV:
 *  field, json. 1 saved, 0 existed (what is there wins). Kept as long as the fenced writes. */
const HSETNX_KEPT = `
local r = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ${KEEP_MS})
return r`;

/** KEYS: owner, hash. ARGV: lease value, field, json. 1 saved, 0 existed, -1/-2 fenced. */
const HSETNX_FENCED = `${FENCE}
local r = redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return r`;

/** KEYS: owner, list. ARGV: lease value, json, keep. */
const PUSH_FENCED = `${FENCE}
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: owner, set. ARGV: lease value, member. */
const SADD_FENCED = `${FENCE}
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: owner, set. ARGV: lease value, member. */
const SREM_FENCED = `${FENCE}return redis.call('SREM', KEYS[2], ARGV[2])`;

/** KEYS: owner, hash. ARGV: lease value, field. */
const HDEL_FENCED = `${FENCE}return redis.call('HDEL', KEYS[2], ARGV[2])`;

/** KEYS: owner, key. ARGV: lease value. */
const DEL_FENCED = `${FENCE}return redis.call('DEL', KEYS[2])`;

/** KEYS: owner, key. ARGV: lease value, value. */
const SET_FENCED = `${FENCE}
redis.call('SET', KEYS[2], ARGV[2], 'PX', ${KEEP_MS})
return 1`;

/** Replaces a set with the given members. KEYS: owner, set. ARGV: lease value, member... */
const REPLACE_SET_FENCED = `${FENCE}
redis.call('DEL', KEYS[2])
for i = 2, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** Replaces a hash with the given fields. KEYS: owner, hash. ARGV: lease value, field, value, field, value... */
const REPLACE_HASH_FENCED = `${FENCE}
redis.call('DEL', KEYS[2])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[2], ${KEEP_MS})
return 1`;

/** KEYS: kind's hash, stream. ARGV: row key, rev, origin, change json, keep. 1 stored, 0 older than Redis's. */
const CATALOGUE_PUT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local c = cjson.decode(cur)
  local rev = tonumber(ARGV[2])
  if c.rev > rev or (c.rev == rev and c.origin >= ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'c', ARGV[4])
return 1`;

/** The writes an owner makes under its lease (KEYS: owner, target; ARGV: lease value, then the op's). */
const FENCED = {
  takeSeat: TAKE_SEAT,
  seatsTaken: SEATS_TAKEN,
  releaseSeat: RELEASE_SEAT,
  hset: HSET_FENCED,
  hsetnx: HSETNX_FENCED,
  push: PUSH_FENCED,
  sadd: SADD_FENCED,
  srem: SREM_FENCED,
  hdel: HDEL_FENCED,
  del: DEL_FENCED,
  set: SET_FENCED,
  replaceSet: REPLACE_SET_FENCED,
  replaceHash: REPLACE_HASH_FENCED,
} as const;

export type FencedOp = keyof typeof FENCED;

/** Name on the connection -> number of keys and text. Names carry a prefix so none shadows a Redis command. */
const ALL: Record<string, { keys: number; lua: string }> = {
  ecAcquire: { keys: 2, lua: ACQUIRE },
  ecRenew: { keys: 1, lua: RENEW },
  ecRelease: { keys: 1, lua: RELEASE },
  ecKeep: { keys: 1, lua: HSETNX_KEPT },
  ecCataloguePut: { keys: 2, lua: CATALOGUE_PUT },
  ...Object.fromEntries(Object.entries(FENCED).map(([op, lua]) => [fencedName(op as FencedOp), { keys: 2, lua }])),
};

function fencedName(op: FencedOp): string {
  return `ecFenced${op[0].toUpperCase()}${op.slice(1)}`;
}

type Arg = string | number;
type ScriptCall = (...args: Arg[]) => Promise<unknown>;
/** [1 taken | 0 held | 2 wait, lease value | holder | ms to wait, the Redis's run_id]. */
export type AcquireReply = [number, string, string];

const registered = new WeakSet<object>();

/** The scripts on one connection (registered on it the first time). */
export class Scripts {
  constructor(private readonly conn: Redis | Cluster) {
    if (registered.has(conn)) return;
    for (const [name, s] of Object.entries(ALL)) conn.defineCommand(name, { numberOfKeys: s.keys, lua: s.lua });
    registered.add(conn);
  }

  private call<T>(name: string, ...args: Arg[]): Promise<T> {
    const fn = (this.conn as unknown as Record<string, ScriptCall>)[name];
    return fn.apply(this.conn, args) as Promise<T>;
  }

  /** Takes a lease when free, never waiting (the media home's lease). */
  acquire(owner: string, fence: string, holder: string, leaseMs: number): Promise<AcquireReply> {
    return this.call("ecAcquire", owner, fence, holder, leaseMs);
  }

  /** Takes a class's lease when free; `from` is "owner" (this instance owned it until now) or the class's start (ms). */
  acquireClass(
    owner: string,
    fence: string,
    holder: string,
    leaseMs: number,
    from: "owner" | number,
    settleMs: number,
    seenUnder: string,
  ): Promise<AcquireReply> {
    return this.call("ecAcquire", owner, fence, holder, leaseMs, from, settleMs, seenUnder);
  }

  /** 1 renewed, 0 not ours any more. */
  renew(owner: string, lease: string, leaseMs: number): Promise<number> {
    return this.call("ecRenew", owner, lease, leaseMs);
  }

  /** 1 released, 0 not ours. */
  release(owner: string, lease: string): Promise<number> {
    return this.call("ecRelease", owner, lease);
  }

  /** A write under the lease: the op's reply, -1 another instance holds the lease, -2 nobody does. */
  fenced(op: FencedOp, owner: string, key: string, lease: string, ...args: Arg[]): Promise<number> {
    return this.call(fencedName(op), owner, key, lease, ...args);
  }

  /** HSETNX without a fence (a cut-off owner handing over): 1 saved, 0 existed. */
  keep(hash: string, field: string, json: string): Promise<number> {
    return this.call("ecKeep", hash, field, json);
  }

  /** Queues a catalogue change on a pipeline of this connection (1 stored, 0 older than Redis's). */
  cataloguePut(
    pipe: ChainableCommander,
    rows: string,
    log: string,
    key: string,
    rev: number,
    origin: string,
    json: string,
    keep: number,
  ): void {
    (pipe as unknown as Record<string, ScriptCall>).ecCataloguePut.call(pipe, rows, log, key, rev, origin, json, keep);
  }
}
