// Three server processes sharing classes through a real Redis Cluster (three masters of the
// installed redis-server, started here): a class end to end with events on sharded pub/sub,
// the owner killed mid-quiz, the master holding a class killed and restarted empty, and the
// owner killed with hands raised, a student muted and slow mode on. Everything started here
// is killed and removed afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join as joinPath } from "node:path";
import { mintToken } from "../src/auth/tokens.ts";
import { everyName } from "../src/cluster/keys.ts";
import { keySlot } from "../src/cluster/sharded-pubsub.ts";
import { api, eventually, spawned, startInstance as startServerProcess, type Instance } from "./support/instances.ts";
import { tempDir } from "./support/server.ts";
import { startRedisCluster, type RedisCluster } from "./support/redis-cluster.ts";
import { answerUntilAccepted, join, setReplyTimeout, type Peer } from "./support/ws.ts";

// Three servers and three Redis nodes on two shared cores: give replies time.
setReplyTimeout(15_000);

const SINGLE = { kind: "single", prompt: "2 + 2 = ?", options: [{ id: "a", text: "3" }, { id: "b", text: "4" }], correct: "b" } as const;

const peers: Peer[] = [];
let redis: RedisCluster;
let dataDir: string;
const prefix = `rc-${Date.now().toString(36)}:`;
let instances: Instance[] = [];
let secret = "";

function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  return startServerProcess({ DATA_DIR: dataDir, REDIS_PREFIX: prefix, INSTANCE_ID: name, RECONNECT_GRACE_MS: "10000", ...env });
}

const token = (role: "student" | "teacher" | "admin", sub: string) => mintToken(secret, { sub, role, ttlSeconds: 600 });

async function enter(base: string, classId: string, tok: string) {
  const r = await join(base, classId, tok);
  peers.push(r.peer);
  return r;
}

function cli(port: number, ...args: string[]): string {
  return Bun.spawnSync(["redis-cli", "-p", String(port), ...args], { stdout: "pipe" }).stdout.toString().trim();
}

beforeAll(async () => {
  redis = await startRedisCluster(3);
  dataDir = tempDir("edgeclass-rcluster-");
  // Two forms of the settings: seeds alone, and seeds with REDIS_URL (credentials and TLS would come from it).
  const seeds = { REDIS_CLUSTER_NODES: redis.nodes };
  instances.push(await startInstance("c0", seeds));
  secret = readFileSync(joinPath(dataDir, "jwt-secret"), "utf8").trim();
  instances.push(...(await Promise.all([startInstance("c1", { ...seeds, REDIS_URL: `redis://127.0.0.1:${redis.ports[1]}` }), startInstance("c2", { REDIS_CLUSTER_NODES: `127.0.0.1:${redis.ports[2]}` })])));
}, 30_000);

afterAll(async () => {
  for (const p of peers) p.close();
  for (const p of spawned) p.kill("SIGKILL");
  await Promise.all(spawned.map((p) => p.exited));
  await redis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("three instances on a Redis Cluster", () => {
  test("every key of a class (the ones its Lua scripts touch too) hashes to one slot, and the catalogue's to one", () => {
    const names = everyName(prefix, { classId: "demo-class-1", questionId: "q-1", instanceId: "c0", kind: "enrollment" });
    expect(names.class.length).toBeGreaterThanOrEqual(16);
    for (const group of [names.class, names.catalogue]) expect(new Set(group.map((key) => cli(redis.ports[0], "cluster", "keyslot", key))).size).toBe(1);
    // The slot the shard subscriptions are placed by is Redis's own.
    for (const key of [...names.class, ...names.catalogue, ...names.alone, "plain", "{}x", "a{}{b}", "é{ü}"]) expect(String(keySlot(key))).toBe(cli(redis.ports[0], "cluster", "keyslot", key));
  });

  test("teacher on one instance, students on all three: join, quiz, chat in one order; events on sharded pub/sub", async () => {
    const [a, b, d] = instances;
    const teacher = await token("teacher", "t1");
    expect((await api(a.base, "POST", "/api/classes/demo-class-1/start", teacher)).status).toBe(200);
    const tp = await enter(a.base, "demo-class-1", teacher); // first join: instance a owns the class
    const students = [
      await enter(a.base, "demo-class-1", await token("student", "s1")),
      await enter(b.base, "demo-class-1", await token("student", "s2")),
      await enter(d.base, "demo-class-1", await token("student", "s3")),
    ];
    await tp.peer.next("presence", (m) => m.count === 4);
    // Chat from three instances arrives everywhere in one order.
    await Promise.all([students[1].peer.request({ type: "chat.send", text: "from b" }), students[2].peer.request({ type: "chat.send", text: "from d" }), tp.peer.request({ type: "chat.send", text: "from teacher" })]);
    const order = async (p: Peer) => [(await p.next("chat.message")).message.text, (await p.next("chat.message")).message.text, (await p.next("chat.message")).message.text];
    const orders = await Promise.all([tp, ...students].map((s) => order(s.peer)));
    for (const o of orders) expect(o).toEqual(orders[0]);
    expect([...orders[0]].sort()).toEqual(["from b", "from d", "from teacher"]);
    // A question answered by a student on every instance.
    const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 60 })) as { questionId: string };
    for (const s of students) expect((await s.peer.next("quiz.question")).quiz.question.id).toBe(questionId);
    await students[0].peer.request({ type: "quiz.answer", questionId, answerId: "a1", response: { choice: "b" } });
    await students[1].peer.request({ type: "quiz.answer", questionId, answerId: "b1", response: { choice: "b" } });
    await expect(students[1].peer.request({ type: "quiz.answer", questionId, answerId: "b2", response: { choice: "a" } })).rejects.toMatchObject({ code: "already-answered" });
    await students[2].peer.request({ type: "quiz.answer", questionId, answerId: "d1", response: { choice: "a" } });
    const dist = await tp.peer.next("quiz.distribution", (m) => m.distribution.answered === 3);
    expect(dist.distribution.counts).toEqual({ a: 1, b: 2 });
    await tp.peer.request({ type: "quiz.reveal" });
    expect((await students[2].peer.next("quiz.result")).result).toMatchObject({ correct: false, rank: 3 });
    expect((await students[1].peer.next("quiz.result")).result.correct).toBe(true);

    // The class's channels are shard channels on the master of its slot, and nothing uses plain pub/sub.
    const events = `${prefix}{demo-class-1}:events`;
    const slot = cli(redis.ports[0], "cluster", "keyslot", events);
    const owners = redis.ports.filter((p) => cli(p, "pubsub", "shardchannels", `${prefix}{demo-class-1}:*`).includes(events));
    expect(owners).toHaveLength(1);
    expect(cli(owners[0], "cluster", "countkeysinslot", slot)).not.toBe("0"); // the class's keys sit on that node too
    expect(cli(owners[0], "pubsub", "shardnumsub", events)).toBe(`${events}\n3`); // one subscription per instance
    for (const p of redis.ports) expect(cli(p, "pubsub", "channels", `${prefix}*`)).toBe("");
    const metrics = await (await fetch(`${b.base}/metrics`)).text();
    expect(metrics).toMatch(/edgeclass_cluster_messages_total\{direction="in",kind="events"\} [1-9]/);
    expect(metrics).toMatch(/edgeclass_redis_up 1/);
  }, 30_000);

  test("killing the owner mid-quiz hands the class over; no acknowledged answer is lost", async () => {
    const [a, b, d] = instances;
    const teacher = await token("teacher", "t1");
    const cls = await api(a.base, "POST", "/api/courses/demo-physics-101/classes", teacher, { startsAt: new Date().toISOString(), durationMinutes: 60 });
    expect(cls.status).toBe(201);
    const classId = cls.body.id as string;
    await api(a.base, "POST", `/api/classes/${classId}/start`, teacher);
    const tp = await enter(b.base, classId, teacher); // first join: instance b owns this class
    const s1 = await enter(b.base, classId, await token("student", "s1"));
    const s2 = await enter(a.base, classId, await token("student", "s2"));
    const s3 = await enter(d.base, classId, await token("student", "s3"));
    const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as { questionId: string };
    await s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-1", response: { choice: "b" } });
    await s1.peer.request({ type: "quiz.answer", questionId, answerId: "s1-1", response: { choice: "a" } });
    b.proc.kill("SIGKILL");
    // s3 stays on instance d; its answer reaches the new owner once the lease has expired.
    const { ack, ms } = await answerUntilAccepted(s3.peer, questionId, "s3-1", { choice: "b" });
    expect(ack).toMatchObject({ questionId, answerId: "s3-1" });
    expect(ms).toBeLessThan(12_000);
    // The teacher and s1 come back through the survivors and find the class as it was.
    const back = await enter(a.base, classId, teacher);
    expect(back.welcome.state.quiz?.question.id).toBe(questionId);
    const s1back = await enter(d.base, classId, await token("student", "s1"));
    expect(s1back.welcome.state.myAnswer?.answerId).toBe("s1-1");
    await expect(s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-2", response: { choice: "a" } })).rejects.toMatchObject({ code: "already-answered" });
    await back.peer.request({ type: "quiz.reveal" });
    const results = await api(d.base, "GET", `/api/classes/${classId}/results`, teacher);
    expect(results.body.questions[0].answers.map((x: { answerId: string }) => x.answerId).sort()).toEqual(["s1-1", "s2-1", "s3-1"]);
    // Chat still reaches every remaining instance through the class's shard channel.
    await s2.peer.request({ type: "chat.send", text: "still here" });
    for (const p of [back, s1back, s3]) expect((await p.peer.next("chat.message", (m) => m.message.text === "still here")).message.userId).toBe("s2");
  }, 30_000);

  test("the master holding a class killed and restarted empty: no instance falls over, the class goes on", async () => {
    const [a, , d] = instances;
    const teacher = await token("teacher", "t1");
    const cls = await api(a.base, "POST", "/api/courses/demo-physics-101/classes", teacher, { startsAt: new Date().toISOString(), durationMinutes: 60 });
    const classId = cls.body.id as string;
    await api(a.base, "POST", `/api/classes/${classId}/start`, teacher);
    const tp = await enter(a.base, classId, teacher); // instance a owns this class
    const s4 = await enter(d.base, classId, await token("student", "s4"));
    await s4.peer.request({ type: "chat.send", text: "before" });
    await tp.peer.next("chat.message", (m) => m.message.text === "before");
    const events = `${prefix}{${classId}}:events`;
    const node = redis.ports.findIndex((p) => cli(p, "pubsub", "shardchannels", events) === events);
    expect(node).toBeGreaterThanOrEqual(0);
    await redis.kill(node);
    await Bun.sleep(1500);
    // Both instances are alive (a failing shard must not crash a process) and say what fails.
    for (const i of [a, d]) expect(i.proc.exitCode).toBeNull();
    await expect(s4.peer.request({ type: "chat.send", text: "while down" })).rejects.toMatchObject({ code: "unavailable" });
    await redis.restart(node); // empty: no persistence
    // The owner retakes its lease on the empty node and shares its state again; the shard
    // subscriptions come back; chat from the other instance flows again.
    const restartedAt = Date.now();
    let sent = false;
    while (!sent && Date.now() - restartedAt < 15_000) {
      sent = await s4.peer.request({ type: "chat.send", text: "after" }).then(
        () => true,
        () => Bun.sleep(300).then(() => false),
      );
    }
    expect(sent).toBe(true);
    expect((await tp.peer.next("chat.message", (m) => m.message.text === "after")).message.userId).toBe("s4");
    expect((await s4.peer.next("chat.message", (m) => m.message.text === "after")).message.userId).toBe("s4");
    expect(cli(redis.ports[node], "smembers", `${prefix}{${classId}}:seats`)).toBe("s4");
    for (const i of [a, d]) expect(i.proc.exitCode).toBeNull();
  }, 30_000);

  test("killing the owner keeps the hands queue, mutes and chat settings", async () => {
    const [a, , d] = instances;
    const e = await startInstance("c3", { REDIS_CLUSTER_NODES: redis.nodes });
    const teacher = await token("teacher", "t1");
    const cls = await api(a.base, "POST", "/api/courses/demo-physics-101/classes", teacher, { startsAt: new Date().toISOString(), durationMinutes: 60 });
    const classId = cls.body.id as string;
    await api(a.base, "POST", `/api/classes/${classId}/start`, teacher);
    const tp = await enter(a.base, classId, teacher); // instance a owns this class
    const s1 = await enter(d.base, classId, await token("student", "s1"));
    const s2 = await enter(e.base, classId, await token("student", "s2"));
    const s3 = await enter(a.base, classId, await token("student", "s3"));
    await tp.peer.request({ type: "chat.settings", slowModeSeconds: 30 });
    await tp.peer.request({ type: "chat.mute", userId: "s2", muted: true });
    expect(await s3.peer.request({ type: "hand.raise" })).toMatchObject({ position: 1 });
    expect(await s1.peer.request({ type: "hand.raise" })).toMatchObject({ position: 2 });
    a.proc.kill("SIGKILL");
    const killedAt = Date.now();
    // s2 (on instance e) is still muted under the new owner: refused as muted, not admitted to chat.
    let refusal: { code?: string } = { code: "unavailable" };
    while (refusal.code === "unavailable" && Date.now() - killedAt < 15_000) {
      refusal = await s2.peer.request({ type: "chat.send", text: "am I heard?" }).then(
        () => ({ code: "sent" }),
        (err: { code?: string }) => err,
      );
    }
    expect(refusal.code).toBe("muted");
    expect(Date.now() - killedAt).toBeLessThan(12_000);
    expect((await s2.peer.next("welcome", (m) => m.state.muted)).state.chatSettings).toEqual({ enabled: true, slowModeSeconds: 30 });
    // Slow mode holds: s1's first message goes through, the next one within 30 s does not.
    await s1.peer.request({ type: "chat.send", text: "one" });
    await expect(s1.peer.request({ type: "chat.send", text: "two" })).rejects.toMatchObject({ code: "slow-mode" });
    // The teacher comes back through another instance and finds the queue in its order
    // (s3 lost its instance with the owner and keeps its seat and hand for the grace period).
    const back = await enter(d.base, classId, teacher);
    expect(back.welcome.state.hands?.map((h) => h.userId)).toEqual(["s3", "s1"]);
    expect(back.welcome.state.chatSettings).toEqual({ enabled: true, slowModeSeconds: 30 });
    await back.peer.request({ type: "hand.answer", userId: "s3" });
    await back.peer.request({ type: "chat.mute", userId: "s2", muted: false });
    const handsKey = `${prefix}{${classId}}:hands`;
    expect(cli(redis.ports[0], "-c", "hkeys", handsKey)).toBe("s1");
    expect(cli(redis.ports[0], "-c", "smembers", `${prefix}{${classId}}:muted`)).toBe("");
    await s2.peer.request({ type: "chat.send", text: "heard now" });
  }, 30_000);
});

test("the catalogue on Redis Cluster: an instance with a data folder of its own gets courses made elsewhere, and sends its own", async () => {
  const teacher = await token("teacher", "t-rc");
  const src = await startInstance("c-src", { REDIS_CLUSTER_NODES: redis.nodes }); // earlier tests killed some owners
  const made = await api(src.base, "POST", "/api/courses", teacher, { title: "Made elsewhere" });
  expect(made.status).toBe(201);
  const ownDir = tempDir("edgeclass-rcluster-own-");
  try {
    const own = await startInstance("c-own", { REDIS_CLUSTER_NODES: redis.nodes, DATA_DIR: ownDir, JWT_SECRET: secret });
    // Ready only once the catalogue is loaded, so the course is there at once.
    expect((await api(own.base, "GET", `/api/courses/${made.body.id}`, teacher)).body.title).toBe("Made elsewhere");
    const back = await api(own.base, "POST", "/api/courses", teacher, { title: "Made on its own" });
    await eventually(async () => expect((await api(src.base, "GET", `/api/courses/${back.body.id}`, teacher)).status).toBe(200));
  } finally {
    rmSync(ownDir, { recursive: true, force: true });
  }
}, 30_000);
