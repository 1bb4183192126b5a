// The cluster's parts in-process, in milliseconds: the wire codec, the key names, the owner's
// fan-out, the fencing rules of the shared class state and the lease wait (with in-memory fakes),
// the RPC, the Lua scripts on a private redis-server (fenced writes, NOSCRIPT after a flush), and
// two ClusterHubs in this process on that Redis and one SQLite file (forwarding, and issue 14's
// owner rules: Redis emptied under the owner, another instance's lease).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { spawn, type Subprocess } from "bun";
import { acquireWaiting, type Clock } from "../src/cluster/class-owner.ts";
import {
  decodeEvent,
  decodeReply,
  decodeRequest,
  encodeEvent,
  encodeReply,
  encodeRequest,
  EVENT_OPS,
  type ClassEvent,
  type Request,
} from "../src/cluster/codec.ts";
import { classChannel, classKeys, everyName, repliesChannel } from "../src/cluster/keys.ts";
import { RedisClassState, type FencedWrite } from "../src/cluster/redis-class-state.ts";
import { RedisFanout } from "../src/cluster/redis-fanout.ts";
import { ClusterRpc, type RpcLink } from "../src/cluster/rpc.ts";
import { Scripts, SETTLE_MS, type AcquireReply, type FencedOp } from "../src/cluster/scripts.ts";
import { keySlot } from "../src/cluster/sharded-pubsub.ts";
import { AppError } from "../src/domain/errors.ts";
import type { Fanout, Outgoing } from "../src/live/fanout.ts";
import { createLogging } from "../src/obs/logger.ts";
import { Registry } from "../src/obs/prom.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterHub, type LocalSockets } from "../src/cluster/cluster-hub.ts";
import { clusterOptions, createRedisMetrics, parseHostList, RedisLink, type RedisMetrics } from "../src/cluster/redis.ts";
import { seedDemo } from "../src/demo/seed.ts";
import { DEFAULT_SCHOOL_ID } from "../src/domain/model.ts";
import { createLiveMetrics } from "../src/live/metrics.ts";
import { DecisionLog } from "../src/policy/decision-log.ts";
import { JoinPolicy } from "../src/policy/join-policy.ts";
import { policySources } from "../src/policy/sources.ts";
import { openDatabase } from "../src/store/sqlite/database.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { freePort } from "./support/instances.ts";

const logger = createLogging("silent").logger;

describe("wire codec", () => {
  const events: ClassEvent[] = [
    { op: "all", raw: '{"type":"chat.message","text":"a\\tb"}' },
    { op: "staff", raw: "{}" },
    { op: "user", userId: "s-1", raw: '{"type":"quiz.result"}' },
    { op: "closeUser", userId: "s-2", code: 4013, reason: "removed\tby staff: é" },
    { op: "closeAll", code: 4000, reason: "class ended" },
    { op: "closeAll", code: 4000, reason: "" },
    { op: "owner", instanceId: "i-2" },
    { op: "released", instanceId: "i-3" },
  ];

  test("every event opcode round trips, with its sender, and is one named letter on the wire", () => {
    expect(new Set(events.map((e) => e.op)).size).toBe(Object.keys(EVENT_OPS).length);
    expect(new Set(Object.values(EVENT_OPS)).size).toBe(Object.keys(EVENT_OPS).length);
    for (const e of events) {
      const wire = encodeEvent("tag1", e);
      expect(wire.split("\t")[1]).toBe(EVENT_OPS[e.op]);
      expect(decodeEvent(wire)).toEqual({ from: "tag1", event: e });
    }
    // What older instances send decodes the same (a rolling update keeps working).
    expect(decodeEvent("t\tc\tu1\t4012\tslow")?.event).toEqual({ op: "closeUser", userId: "u1", code: 4012, reason: "slow" });
  });

  test("what is not an event decodes to null", () => {
    for (const bad of [
      "",
      "tag",
      "tag\t",
      "tag\tz\t{}",
      "tag\taa\t{}",
      "tag\tc\tu1",
      "tag\tc\tu1\tabc\treason",
      "tag\tx\t99999\tr",
      "tag\tu\tno-tab",
    ])
      expect(decodeEvent(bad)).toBeNull();
  });

  test("requests and replies round trip; malformed ones are refused", () => {
    const requests: Request[] = [
      { t: "admit", id: "i:p:1", from: "i", principal: { id: "s1", role: "student", name: "S", school: "default" }, enrolled: true },
      { t: "cmd", id: "i:p:2", from: "i", userId: "s1", msg: { type: "chat.send", text: "hi" } as never },
      { t: "end", id: "i:p:3", from: "i" },
      { t: "left", from: "i", userId: "s1" },
    ];
    for (const r of requests) expect(decodeRequest(encodeRequest(r))).toEqual(r);
    const bad = [
      "not json",
      "[]",
      "null",
      '{"t":"admit","from":"i"}',
      '{"t":"cmd","id":"1","from":"i","userId":"u","msg":"x"}',
      '{"t":"nope","id":"1","from":"i"}',
      '{"t":"left","from":"i"}',
      '{"t":"end","id":1,"from":"i"}',
    ];
    for (const b of bad) expect(decodeRequest(b)).toBeNull();
    expect(decodeReply(encodeReply({ id: "1", ok: true, result: { a: 1 } }))).toEqual({ id: "1", ok: true, result: { a: 1 } });
    // A command whose ack has no result still answers (JSON drops an undefined result).
    expect(decodeReply(encodeReply({ id: "2", ok: true, result: undefined }))).toEqual({ id: "2", ok: true, result: undefined });
    expect(decodeReply(encodeReply({ id: "3", ok: false, code: "muted", message: "m" }))).toEqual({
      id: "3",
      ok: false,
      code: "muted",
      message: "m",
    });
    for (const b of ["x", "{}", '{"id":"1","ok":false}', '{"id":"1"}']) expect(decodeReply(b)).toBeNull();
  });
});

describe("key names", () => {
  test("a class's names share its slot, the catalogue's share one, every name has the prefix", () => {
    const names = everyName("p:");
    expect(names.class).toContain(classKeys("p:", "c-1").answers("q-1"));
    expect(new Set(names.class.map(keySlot)).size).toBe(1);
    expect(new Set(names.catalogue.map(keySlot)).size).toBe(1);
    for (const n of [...names.class, ...names.catalogue, ...names.alone]) expect(n.startsWith("p:")).toBe(true);
    expect(new Set([...names.class, ...names.catalogue, ...names.alone]).size).toBe(
      names.class.length + names.catalogue.length + names.alone.length,
    );
  });

  test("class channels are told apart from the others", () => {
    const k = classKeys("p:", "c{x");
    expect(classChannel(classKeys("p:", "c-1").events)).toEqual({ classId: "c-1", kind: "events" });
    expect(classChannel(classKeys("p:", "c-1").commands)).toEqual({ classId: "c-1", kind: "commands" });
    expect(classChannel(k.seats)).toBeNull();
    expect(classChannel(repliesChannel("p:", "i-1"))).toBeNull();
  });

  test("cluster client settings: seeds parsed, user, password and TLS taken from REDIS_URL", () => {
    expect(parseHostList("a:7000, b ,[::1]:7002", 6379)).toEqual([
      { host: "a", port: 7000 },
      { host: "b", port: 6379 },
      { host: "::1", port: 7002 },
    ]);
    const plain = clusterOptions(undefined);
    expect(plain).toMatchObject({ enableOfflineQueue: false, slotsRefreshInterval: 5000 });
    expect(plain.shardedSubscribers).toBeUndefined(); // sharded subscriptions are ours (ShardedSubscriptions)
    expect(plain.redisOptions?.tls).toBeUndefined();
    expect(plain.dnsLookup).toBeUndefined();
    const tls = clusterOptions("rediss://app:p%40ss@cache:6380");
    expect(tls.redisOptions).toMatchObject({ username: "app", password: "p@ss", tls: {} });
    expect(typeof tls.dnsLookup).toBe("function");
  });
});

test("the owner's fan-out delivers locally at once and publishes what other instances decode to the same", () => {
  const local: string[] = [];
  const sent: string[] = [];
  const rec =
    (what: string) =>
    (...a: unknown[]) =>
      void local.push(`${what} ${a.map((x) => (typeof x === "object" ? (x as { raw: string }).raw : x)).join(" ")}`);
  const fake = {
    all: rec("all"),
    staff: rec("staff"),
    user: rec("user"),
    closeUser: rec("closeUser"),
    closeAll: rec("closeAll"),
  } as Fanout;
  const f = new RedisFanout(fake, "me", (m) => sent.push(m));
  f.all("c", { type: "presence", count: 2 } as Outgoing);
  f.user("c", "s1", { raw: '{"x":1}' });
  f.closeUser("c", "s1", 4013, "removed");
  expect(local).toEqual(['all c {"type":"presence","count":2}', 'user c s1 {"x":1}', "closeUser c s1 4013 removed"]);
  expect(sent.map((m) => decodeEvent(m))).toEqual([
    { from: "me", event: { op: "all", raw: '{"type":"presence","count":2}' } },
    { from: "me", event: { op: "user", userId: "s1", raw: '{"x":1}' } },
    { from: "me", event: { op: "closeUser", userId: "s1", code: 4013, reason: "removed" } },
  ]);
});

/** The fenced scripts' rules in memory: a lease key, seats and hashes. */
class FakeFencedRedis {
  owner: string | null = "i1:1";
  down = false;
  seats = new Set<string>();
  hashes = new Map<string, Map<string, string>>();
  readonly write: FencedWrite = async (op: FencedOp, _owner, key, lease, ...args) => {
    if (this.down) throw new Error("connection is closed");
    if (this.owner !== lease) return this.owner ? -1 : -2;
    const [a, b] = args.map(String);
    const hash = () => this.hashes.get(key) ?? this.hashes.set(key, new Map()).get(key)!;
    switch (op) {
      case "takeSeat":
        if (this.seats.has(a)) return 1;
        if (this.seats.size >= Number(b)) return 0;
        this.seats.add(a);
        return 1;
      case "hsetnx":
        if (hash().has(a)) return 0;
        hash().set(a, b);
        return 1;
      case "hset":
        hash().set(a, b);
        return 1;
      default:
        return 1;
    }
  };
}

describe("shared class state: the fencing rules", () => {
  const keys = classKeys("p:", "c-1");
  function owner(redis: FakeFencedRedis, retake = true) {
    const calls = { fenced: 0, reconciled: 0 };
    let lease: string | null = "i1:1";
    const state = new RedisClassState(redis.write, keys, {
      lease: () => lease,
      fenced: () => {
        calls.fenced++;
        lease = null;
      },
      reconcile: async () => {
        calls.reconciled++;
        if (retake && redis.owner === null) redis.owner = lease = "i1:2";
      },
    });
    return { state, calls };
  }

  test("seats are exact while the lease holds; an answer is recorded once", async () => {
    const redis = new FakeFencedRedis();
    const { state, calls } = owner(redis);
    expect([
      await state.takeSeat("a", 2),
      await state.takeSeat("a", 2),
      await state.takeSeat("b", 2),
      await state.takeSeat("c", 2),
    ]).toEqual([true, true, true, false]);
    const answer = { userId: "a", answerId: "x" } as never;
    expect([await state.saveAnswer("q1", answer), await state.saveAnswer("q1", answer)]).toEqual(["saved", "exists"]);
    expect(calls).toEqual({ fenced: 0, reconciled: 0 });
  });

  test("no lease in Redis (restarted empty) is not another owner: retake and share first, then write; no step-down", async () => {
    const redis = new FakeFencedRedis();
    redis.owner = null;
    const { state, calls } = owner(redis);
    expect(await state.takeSeat("a", 1)).toBe(true);
    expect(calls).toEqual({ fenced: 0, reconciled: 1 });
    expect(redis.owner as string | null).toBe("i1:2");
    expect([...redis.seats]).toEqual(["a"]); // written under the retaken lease
    expect(await state.saveAnswer("q1", { userId: "a" } as never)).toBe("saved");
    expect(calls.reconciled).toBe(1);
  });

  test("still no lease after reconciling: decided locally (shared again later), still no step-down", async () => {
    const redis = new FakeFencedRedis();
    redis.owner = null;
    const { state, calls } = owner(redis, false);
    expect(await state.takeSeat("a", 1)).toBe(true);
    await state.saveQuestion({ id: "q1" } as never);
    expect(calls).toEqual({ fenced: 0, reconciled: 2 });
  });

  test("another instance holds the lease: the owner steps down and the write is refused", async () => {
    const redis = new FakeFencedRedis();
    redis.owner = "i2:5";
    const { state, calls } = owner(redis);
    const err = await state.saveAnswer("q1", { userId: "a" } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "unavailable" });
    expect(calls).toEqual({ fenced: 1, reconciled: 0 });
    // Having given the class up, it writes nothing more.
    await expect(state.saveChat({ id: "m" } as never)).rejects.toMatchObject({ code: "unavailable" });
    expect(redis.hashes.size).toBe(0);
  });

  test("Redis unreachable: decided locally (a seat is given, an answer saved), no step-down", async () => {
    const redis = new FakeFencedRedis();
    redis.down = true;
    const { state, calls } = owner(redis);
    expect(await state.takeSeat("a", 0)).toBe(true);
    expect(await state.saveAnswer("q1", { userId: "a" } as never)).toBe("saved");
    expect(calls).toEqual({ fenced: 0, reconciled: 0 });
  });
});

/** The lease script's waiting rule in memory (scripts.ts ACQUIRE), on a clock the test moves:
 *  a Redis (run_id `run`) that started empty at time 0, a class live from before it. */
function fakeLeaseRedis(opts: { run: string; ownerFromBefore: () => boolean }) {
  let t = 0;
  const clock: Clock = { now: () => t, sleep: async (ms) => void (t += ms) };
  let holder: string | null = null;
  const tryOnce = async (seenUnder: string): Promise<AcquireReply> => {
    if (opts.ownerFromBefore() && holder === null) holder = "old:7"; // the owner from before retook it
    if (holder) return [0, holder, opts.run];
    // Seen owned under another Redis: wait, however long this one has been up (the caller bounds it).
    if (seenUnder !== "" && seenUnder !== opts.run) return [2, String(SETTLE_MS), opts.run];
    // New to the class: wait while this Redis is younger than the settle time.
    if (seenUnder === "" && t < SETTLE_MS) return [2, String(SETTLE_MS - t), opts.run];
    holder = "me:8";
    return [1, holder, opts.run];
  };
  return { clock, tryOnce, elapsed: () => t };
}

describe("taking a class's lease after Redis started empty", () => {
  test("the owner from before comes back within the settle time: this instance never takes the class", async () => {
    const f = fakeLeaseRedis({ run: "r2", ownerFromBefore: () => f.elapsed() >= 1500 });
    const seen = { under: "r1" };
    let waited = 0;
    expect(await acquireWaiting(f.tryOnce, seen, () => waited++, f.clock)).toEqual([0, "old:7"]);
    expect(waited).toBe(1);
    expect(f.elapsed()).toBe(1500);
    expect(seen.under).toBe("r2");
  });

  test("the owner from before is gone too: taken once the settle time is over, not before", async () => {
    const f = fakeLeaseRedis({ run: "r2", ownerFromBefore: () => false });
    const seen = { under: "r1" };
    expect(await acquireWaiting(f.tryOnce, seen, () => {}, f.clock)).toEqual([1, "me:8"]);
    expect(f.elapsed()).toBeGreaterThan(SETTLE_MS);
    expect(f.elapsed()).toBeLessThanOrEqual(SETTLE_MS + 250);
  });

  test("new to the class: waits while Redis is younger than the settle time, then takes it", async () => {
    const f = fakeLeaseRedis({ run: "r2", ownerFromBefore: () => false });
    const seen = { under: "" };
    expect(await acquireWaiting(f.tryOnce, seen, () => {}, f.clock)).toEqual([1, "me:8"]);
    expect(f.elapsed()).toBe(SETTLE_MS);
    expect(seen.under).toBe("r2");
  });

  test("Redis still says wait under the run this instance already accepted: refused as unavailable", async () => {
    let t = 0;
    const clock: Clock = { now: () => t, sleep: async (ms) => void (t += ms) };
    const seen = { under: "r2" };
    const err = await acquireWaiting(
      async () => [2, "250", "r2"],
      seen,
      () => {},
      clock,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "unavailable" });
  });
});

describe("RPC to the owner", () => {
  function fakeLink(fail = false) {
    const published: [string, string][] = [];
    const link: RpcLink = {
      settings: { url: "", prefix: "p:" },
      publish: async (channel, message) => {
        if (fail) throw new Error("down");
        published.push([channel, message]);
        return 1;
      },
      subscribe: async () => {},
      timed: (fn) => fn(),
    };
    const metrics = { messages: new Registry().counter({ name: "m", help: "m", labelNames: ["direction", "kind"] }) };
    return { published, rpc: new ClusterRpc(link, "i1", "tag", metrics, logger) };
  }

  test("a call goes on the class's commands channel; the owner's reply (result or error code) comes back", async () => {
    const caller = fakeLink();
    const owner = fakeLink();
    const ok = caller.rpc.call("c-1", { t: "cmd", userId: "s1", msg: { type: "hand.raise" } as never });
    const [channel, wire] = caller.published[0];
    expect(channel).toBe(classKeys("p:", "c-1").commands);
    const req = decodeRequest(wire) as Request & { id: string };
    owner.rpc.answer(req, Promise.resolve({ position: 1 }));
    await Bun.sleep(0);
    expect(owner.published[0][0]).toBe(repliesChannel("p:", "i1"));
    caller.rpc.onReply(owner.published[0][1]);
    expect(await ok).toEqual({ position: 1 });

    const refused = caller.rpc.call("c-1", { t: "end" }).catch((e: unknown) => e);
    owner.rpc.answer(
      decodeRequest(caller.published[1][1]) as Request & { id: string },
      Promise.reject(new AppError("forbidden", "staff only")),
    );
    const boom = caller.rpc.call("c-1", { t: "end" }).catch((e: unknown) => e);
    owner.rpc.answer(decodeRequest(caller.published[2][1]) as Request & { id: string }, Promise.reject(new Error("secret detail")));
    await Bun.sleep(0);
    for (const [, m] of owner.published.slice(1)) caller.rpc.onReply(m);
    expect(await refused).toMatchObject({ code: "forbidden", message: "staff only" });
    expect(await boom).toMatchObject({ code: "internal", message: "something went wrong" });
    caller.rpc.onReply("not a reply"); // ignored
  });

  test("Redis unreachable: refused at once as unavailable", async () => {
    const { rpc } = fakeLink(true);
    const started = performance.now();
    await expect(rpc.call("c-1", { t: "end" })).rejects.toMatchObject({ code: "unavailable" });
    expect(performance.now() - started).toBeLessThan(100);
  });
});

let proc: Subprocess;
let redis: Redis;
let redisPort = 0;
beforeAll(async () => {
  redisPort = await freePort();
  proc = spawn(["redis-server", "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdout: "ignore",
    stderr: "ignore",
  });
  redis = new Redis({ port: redisPort, lazyConnect: true, retryStrategy: () => 20, maxRetriesPerRequest: 50 });
  redis.on("error", () => {}); // refused until the server listens
  for (let i = 0; i < 100 && redis.status !== "ready"; i++) await redis.connect().catch(() => Bun.sleep(20));
});
afterAll(async () => {
  redis?.disconnect();
  proc?.kill("SIGKILL");
  await proc?.exited;
});

describe("Lua scripts on a private redis-server", () => {
  test("fenced writes: applied under the lease, -1 under another owner, -2 with none; seats stop at capacity", async () => {
    const s = new Scripts(redis);
    const k = classKeys("u:", "c-1");
    const [taken, lease] = await s.acquire(k.owner, k.fence, "me", 3000);
    expect([taken, lease]).toEqual([1, "me:1"]);
    expect(await Promise.all(["a", "b", "c"].map((u) => s.fenced("takeSeat", k.owner, k.seats, lease, u, 2)))).toEqual([1, 1, 0]);
    // The join policy's snapshot: seats held by others (a's own seat is not counted against a).
    expect([
      await s.fenced("seatsTaken", k.owner, k.seats, lease, "a"),
      await s.fenced("seatsTaken", k.owner, k.seats, lease, "c"),
    ]).toEqual([1, 2]);
    expect(await s.fenced("seatsTaken", k.owner, k.seats, "other:9", "c")).toBe(-1);
    expect(await s.fenced("hsetnx", k.owner, k.answers("q"), lease, "a", "{}")).toBe(1);
    expect(await s.fenced("hsetnx", k.owner, k.answers("q"), lease, "a", "{}")).toBe(0);
    expect(await s.fenced("hset", k.owner, k.hands, "other:9", "a", "{}")).toBe(-1);
    expect(await s.renew(k.owner, "other:9", 3000)).toBe(0);
    expect(await s.release(k.owner, lease)).toBe(1);
    expect(await s.fenced("hset", k.owner, k.hands, lease, "a", "{}")).toBe(-2);
    expect(await redis.exists(k.hands)).toBe(0);
    expect((await s.acquire(k.owner, k.fence, "next", 3000)).slice(0, 2)).toEqual([1, "next:2"]); // a larger fence
  });

  test("sent as EVALSHA once loaded; Redis losing its scripts (NOSCRIPT) is handled by sending them again", async () => {
    const s = new Scripts(redis);
    const k = classKeys("u:", "c-2");
    await s.acquire(k.owner, k.fence, "me", 3000);
    const before = Number((await redis.info("commandstats")).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);
    expect(await s.renew(k.owner, "me:1", 3000)).toBe(1);
    expect(Number((await redis.info("commandstats")).match(/cmdstat_evalsha:calls=(\d+)/)?.[1])).toBe(before + 1);
    await redis.script("FLUSH");
    expect(await s.renew(k.owner, "me:1", 3000)).toBe(1);
    expect(await s.release(k.owner, "me:1")).toBe(1);
  });
});

/** This instance's sockets as the hub sees them: what reached them, and readmissions. */
class Sockets implements LocalSockets {
  readonly got: { to: string; raw: string }[] = [];
  readonly readmitted: string[] = [];
  private rec(to: string, msg: Outgoing) {
    this.got.push({ to, raw: "raw" in msg ? msg.raw : JSON.stringify(msg) });
  }
  all(_c: string, msg: Outgoing) {
    this.rec("all", msg);
  }
  staff(_c: string, msg: Outgoing) {
    this.rec("staff", msg);
  }
  user(_c: string, userId: string, msg: Outgoing) {
    this.rec(userId, msg);
  }
  closeUser() {}
  closeAll() {}
  readmit(classId: string) {
    this.readmitted.push(classId);
  }
  hasUser() {
    return false;
  }
  of(type: string) {
    return this.got.filter((g) => (JSON.parse(g.raw) as { type: string }).type === type);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 2000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await Bun.sleep(5);
  }
}

describe("two hubs in one process, one Redis: the owner's rules", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeclass-hubs-"));
  const prefix = "hubs:";
  const classId = "demo-class-1";
  const owner = classKeys(prefix, classId).owner;
  const hubs: { hub: ClusterHub; link: RedisLink; sockets: Sockets; metrics: RedisMetrics }[] = [];
  let store: SqliteStore;
  const who = (id: string, role: "student" | "teacher") => ({ id, role, name: id, school: DEFAULT_SCHOOL_ID }) as const;

  beforeAll(async () => {
    store = new SqliteStore(openDatabase(join(dir, "edgeclass.db")), { cacheRows: false });
    const now = Date.now();
    seedDemo(store, now);
    const cls = store.classes.get(classId)!;
    await store.write(() => store.classes.update({ ...cls, status: "live", startedAt: now }));
    const policy = new JoinPolicy(policySources(undefined));
    await policy.load();
    for (const name of ["A", "B"]) {
      const registry = new Registry();
      const metrics = createRedisMetrics(registry);
      const link = new RedisLink({ url: `redis://127.0.0.1:${redisPort}`, prefix }, metrics, logger);
      const sockets = new Sockets();
      const roomDeps = {
        store,
        policy,
        decisions: new DecisionLog(),
        metrics: createLiveMetrics(registry, () => ({ participants: 0, classes: 0 })),
        logger,
        now: Date.now,
        newId: () => Bun.randomUUIDv7(),
        graceMs: 10_000,
      };
      const hub = new ClusterHub(link, name, store, roomDeps, sockets, metrics, logger);
      await link.connect();
      await hub.start();
      hubs.push({ hub, link, sockets, metrics });
    }
  });
  afterAll(async () => {
    for (const h of hubs) {
      await h.hub.close();
      await h.link.close();
    }
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the first to admit owns the class; the other forwards joins and commands and delivers the owner's events", async () => {
    const [a, b] = hubs;
    await a.hub.room(classId).admit(who("t1", "teacher"), false);
    expect(await redis.get(owner)).toStartWith("A:");
    const welcome = (await b.hub.room(classId).admit(who("s1", "student"), true)) as { welcome?: { type: string } };
    expect(JSON.stringify(welcome)).toContain("welcome");
    expect(b.hub.counts()).toEqual({ participants: 0, classes: 0 }); // a proxy, not a room
    await b.hub.room(classId).handle("s1", { type: "chat.send", text: "from B" } as never);
    await until("the chat reaches B's sockets through the events channel", () => b.sockets.of("chat.message").length === 1);
    expect(a.sockets.of("chat.message")).toHaveLength(1); // the owner's own, at once
    expect(await redis.smembers(classKeys(prefix, classId).seats)).toEqual(["s1"]);
  });

  test("Redis restarted empty: the owner's next write retakes its lease and shares its seats again; it does not step down", async () => {
    const [a] = hubs;
    await redis.flushall();
    await a.hub.room(classId).admit(who("s2", "student"), true); // a fenced seat write finds no lease (-2)
    await until("the lease is back with A", async () => (await redis.get(owner))?.startsWith("A:") === true);
    await until("seats shared again", async () => (await redis.smembers(classKeys(prefix, classId).seats)).sort().join() === "s1,s2");
    expect(a.hub.counts().classes).toBe(1);
    expect(a.metrics.ownershipChanges.labels("lost").value).toBe(0);
    expect(a.sockets.readmitted).toEqual([classId]); // once, when it took the class; not again
  });

  test("another instance holds the lease: the owner's next write steps it down, its sockets are admitted again elsewhere", async () => {
    const [a] = hubs;
    await redis.set(owner, "X:99", "PX", 3000);
    await expect(a.hub.room(classId).handle("t1", { type: "chat.send", text: "still mine?" } as never)).rejects.toMatchObject({
      code: "unavailable",
    });
    expect(a.hub.counts().classes).toBe(0);
    expect(a.sockets.readmitted).toEqual([classId, classId]);
    expect(await redis.get(owner)).toBe("X:99"); // untouched
    await redis.del(owner);
  });
});
