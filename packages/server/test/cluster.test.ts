// Three server processes sharing live classes through Redis, run over both topologies the
// server supports for scale-out: one Redis (a private redis-server) and a Redis Cluster (three
// masters, started here). The same stories on each: a class end to end with one event order
// everywhere, the catalogue reaching an instance with a data folder of its own, the
// 1,500-for-1,000 seat race, the Redis (node) holding the class killed and restarted empty, the
// owner killed mid-quiz with hands, mutes and slow mode, and the owner drained. Everything started here
// is killed and removed afterwards. One server set per topology, shared by its tests.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join as joinPath } from "node:path";
import Redis, { Cluster } from "ioredis";
import { CLOSE } from "@edgeclass/client/protocol";
import { mintToken } from "../src/auth/tokens.ts";
import { everyName } from "../src/cluster/keys.ts";
import { keySlot } from "../src/cluster/sharded-pubsub.ts";
import {
  api,
  eventually,
  privateRedis,
  spawned,
  startInstance as startServerProcess,
  waitReady,
  type Instance,
} from "./support/instances.ts";
import { startRedisCluster } from "./support/redis-cluster.ts";
import { tempDir } from "./support/server.ts";
import { answerUntilAccepted, join, setReplyTimeout, type Peer } from "./support/ws.ts";

// Several server processes and Redis nodes on two shared cores: give replies time.
setReplyTimeout(15_000);

const SINGLE = {
  kind: "single",
  prompt: "2 + 2 = ?",
  options: [
    { id: "a", text: "3" },
    { id: "b", text: "4" },
  ],
  correct: "b",
} as const;

interface Shared {
  /** Environment of the i-th instance (a Cluster's instances get the seeds in different forms). */
  env(i: number): Record<string, string>;
  /** A client reading what the instances wrote. */
  probe(): Redis | Cluster;
  /** Kills the Redis (node) holding a class's keys; restarts it empty. */
  killHolder(classId: string): Promise<{ restart(): Promise<void> }>;
  /** True when killing the holder takes the whole shared Redis away (one Redis). */
  whole: boolean;
  /** redis-cli on a node, for what only the node itself can tell (Cluster only). */
  cli?(port: number, ...args: string[]): string;
  ports?: number[];
  stop(): Promise<void>;
}

const cli = (port: number, ...args: string[]) =>
  Bun.spawnSync(["redis-cli", "-p", String(port), ...args], { stdout: "pipe" })
    .stdout.toString()
    .trim();

const TOPOLOGIES: { name: string; cluster: boolean; start(): Promise<Shared> }[] = [
  {
    name: "one Redis",
    cluster: false,
    async start() {
      const redis = await privateRedis();
      return {
        env: () => ({ REDIS_URL: redis.url }),
        probe: () => new Redis(redis.url),
        async killHolder() {
          await redis.kill();
          return { restart: () => redis.start() };
        },
        whole: true,
        stop: () => redis.kill(),
      };
    },
  },
  {
    name: "Redis Cluster",
    cluster: true,
    async start() {
      const redis = await startRedisCluster(3);
      const seeds = { REDIS_CLUSTER_NODES: redis.nodes };
      // Three forms of the settings: seeds alone, seeds with REDIS_URL (credentials and TLS would come from it), one seed.
      const envs = [
        seeds,
        { ...seeds, REDIS_URL: `redis://127.0.0.1:${redis.ports[1]}` },
        { REDIS_CLUSTER_NODES: `127.0.0.1:${redis.ports[2]}` },
      ];
      return {
        env: (i) => envs[i] ?? seeds,
        probe: () => new Cluster(redis.ports.map((port) => ({ host: "127.0.0.1", port }))),
        async killHolder(classId) {
          const slot = String(keySlot(`{${classId}}`));
          const node = redis.ports.findIndex((p) => cli(p, "cluster", "countkeysinslot", slot) !== "0");
          expect(node).toBeGreaterThanOrEqual(0);
          await redis.kill(node);
          return { restart: () => redis.restart(node) };
        },
        whole: false,
        cli,
        ports: redis.ports,
        stop: () => redis.stop(),
      };
    },
  },
];

const peers: Peer[] = [];
afterAll(async () => {
  for (const p of peers) p.close();
  for (const p of spawned) p.kill("SIGKILL");
  await Promise.all(spawned.map((p) => p.exited));
});

async function enter(base: string, classId: string, tok: string) {
  const r = await join(base, classId, tok);
  peers.push(r.peer);
  return r;
}

/** Sends until an owner takes it (the class may be between owners or Redis just back); the refusal if none did. */
async function sendUntil(
  peer: Peer,
  msg: Parameters<Peer["request"]>[0],
  timeoutMs: number,
  retryOn = "unavailable",
): Promise<{ ok: boolean; code?: string }> {
  const started = Date.now();
  for (;;) {
    const r: { ok: boolean; code?: string } = await peer.request(msg).then(
      () => ({ ok: true }),
      (e: { code?: string }) => ({ ok: false, code: e.code }),
    );
    if (r.ok || r.code !== retryOn || Date.now() - started > timeoutMs) return r;
    await Bun.sleep(200);
  }
}

for (const topology of TOPOLOGIES) {
  describe(`three instances on ${topology.name}`, () => {
    let shared: Shared;
    let dataDir: string;
    let secret = "";
    const instances: Instance[] = [];
    const prefix = `cl-${Date.now().toString(36)}:`;
    const startInstance = (name: string, env: Record<string, string>) =>
      startServerProcess({ DATA_DIR: dataDir, REDIS_PREFIX: prefix, INSTANCE_ID: name, RECONNECT_GRACE_MS: "10000", ...env });
    const token = (role: "student" | "teacher" | "admin", sub: string) => mintToken(secret, { sub, role, ttlSeconds: 600 });
    /** A new live class of the demo course (each test has its own). */
    async function liveClass(teacher: string, via = instances[0]) {
      const cls = await api(via.base, "POST", "/api/courses/demo-physics-101/classes", teacher, {
        startsAt: new Date().toISOString(),
        durationMinutes: 60,
      });
      expect(cls.status).toBe(201);
      expect((await api(via.base, "POST", `/api/classes/${cls.body.id}/start`, teacher)).status).toBe(200);
      return cls.body.id as string;
    }

    beforeAll(async () => {
      shared = await topology.start();
      dataDir = tempDir("edgeclass-cluster-");
      instances.push(await startInstance("i0", shared.env(0)));
      secret = readFileSync(joinPath(dataDir, "jwt-secret"), "utf8").trim();
      instances.push(...(await Promise.all([startInstance("i1", shared.env(1)), startInstance("i2", shared.env(2))])));
    }, 30_000);

    afterAll(async () => {
      for (const i of instances) i.proc.kill("SIGKILL"); // spare the next topology their work
      await shared?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test("teacher on one instance, students on all three: same chat order, quiz, reveal, leaderboard", async () => {
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
      await Promise.all([
        students[1].peer.request({ type: "chat.send", text: "from b" }),
        students[2].peer.request({ type: "chat.send", text: "from d" }),
        tp.peer.request({ type: "chat.send", text: "from teacher" }),
      ]);
      const order = async (p: Peer) => [
        (await p.next("chat.message")).message.text,
        (await p.next("chat.message")).message.text,
        (await p.next("chat.message")).message.text,
      ];
      const orders = await Promise.all([tp, ...students].map((s) => order(s.peer)));
      for (const o of orders) expect(o).toEqual(orders[0]);
      expect([...orders[0]].sort()).toEqual(["from b", "from d", "from teacher"]);
      // A question answered by a student on every instance.
      const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 60 })) as {
        questionId: string;
      };
      for (const s of students) expect((await s.peer.next("quiz.question")).quiz.question.id).toBe(questionId);
      await students[0].peer.request({ type: "quiz.answer", questionId, answerId: "a1", response: { choice: "b" } });
      await students[1].peer.request({ type: "quiz.answer", questionId, answerId: "b1", response: { choice: "b" } });
      await expect(
        students[1].peer.request({ type: "quiz.answer", questionId, answerId: "b2", response: { choice: "a" } }),
      ).rejects.toMatchObject({ code: "already-answered" });
      await students[2].peer.request({ type: "quiz.answer", questionId, answerId: "d1", response: { choice: "a" } });
      const dist = await tp.peer.next("quiz.distribution", (m) => m.distribution.answered === 3);
      expect(dist.distribution.counts).toEqual({ a: 1, b: 2 });
      await tp.peer.request({ type: "quiz.reveal" });
      expect((await students[2].peer.next("quiz.result")).result).toMatchObject({ correct: false, rank: 3 });
      expect((await students[1].peer.next("quiz.result")).result.correct).toBe(true);
      await tp.peer.request({ type: "leaderboard.show" });
      const board = await students[2].peer.next("leaderboard");
      expect(
        board.top
          .map((e) => e.userId)
          .slice(0, 2)
          .sort(),
      ).toEqual(["s1", "s2"]);
      expect(board.me).toMatchObject({ userId: "s3", score: 0 });
      const metrics = await (await fetch(`${b.base}/metrics`)).text();
      expect(metrics).toMatch(/edgeclass_cluster_messages_total\{direction="in",kind="events"\} [1-9]/);
      expect(metrics).toMatch(/edgeclass_redis_up 1/);
      if (shared.cli && shared.ports) {
        // The class's channels are shard channels on the master of its slot, and nothing uses plain pub/sub.
        const events = `${prefix}{demo-class-1}:events`;
        const slot = shared.cli(shared.ports[0], "cluster", "keyslot", events);
        const owners = shared.ports.filter((p) => shared.cli!(p, "pubsub", "shardchannels", `${prefix}{demo-class-1}:*`).includes(events));
        expect(owners).toHaveLength(1);
        expect(shared.cli(owners[0], "cluster", "countkeysinslot", slot)).not.toBe("0"); // the class's keys sit on that node too
        expect(shared.cli(owners[0], "pubsub", "shardnumsub", events)).toBe(`${events}\n3`); // one subscription per instance
        for (const p of shared.ports) expect(shared.cli(p, "pubsub", "channels", `${prefix}*`)).toBe("");
      }
    }, 60_000);

    if (topology.cluster) {
      test(
        "every key of a class (the ones its Lua scripts touch too) hashes to one slot, and the catalogue's to one, as Redis " +
          "Cluster computes it",
        () => {
          const names = everyName(prefix, { classId: "demo-class-1", questionId: "q-1", instanceId: "i0", kind: "enrollment" });
          const port = shared.ports![0];
          expect(names.class.length).toBeGreaterThanOrEqual(16);
          for (const group of [names.class, names.catalogue])
            expect(new Set(group.map((key) => shared.cli!(port, "cluster", "keyslot", key))).size).toBe(1);
          // The slot the shard subscriptions are placed by is Redis's own.
          for (const key of [...names.class, ...names.catalogue, ...names.alone, "plain", "{}x", "a{}{b}", "é{ü}"])
            expect(String(keySlot(key))).toBe(shared.cli!(port, "cluster", "keyslot", key));
        },
      );
    }

    // On one Redis, catalogue.test.ts runs this with three separate data folders.
    if (topology.cluster)
      test("the catalogue: an instance with a data folder of its own gets courses made elsewhere, and sends its own", async () => {
        const src = instances[2];
        const teacher = await token("teacher", "t-own");
        const made = await api(src.base, "POST", "/api/courses", teacher, { title: "Made elsewhere" });
        expect(made.status).toBe(201);
        const ownDir = tempDir("edgeclass-cluster-own-");
        const owned: Instance[] = [];
        try {
          const own = await startInstance("own", { ...shared.env(0), DATA_DIR: ownDir, JWT_SECRET: secret });
          owned.push(own);
          // Ready only once the catalogue is loaded, so the course is there at once.
          expect((await api(own.base, "GET", `/api/courses/${made.body.id}`, teacher)).body.title).toBe("Made elsewhere");
          const back = await api(own.base, "POST", "/api/courses", teacher, { title: "Made on its own" });
          await eventually(async () => expect((await api(src.base, "GET", `/api/courses/${back.body.id}`, teacher)).status).toBe(200));
        } finally {
          for (const o of owned) o.proc.kill("SIGKILL"); // not one of the three: out of the tests below
          rmSync(ownDir, { recursive: true, force: true });
        }
      }, 30_000);

    test("1,500 students racing for 1,000 seats over three instances leaves exactly 1,000", async () => {
      const teacher = await token("teacher", "t-race");
      const admin = await token("admin", "root");
      await api(instances[0].base, "GET", "/api/me", teacher);
      const course = await api(instances[0].base, "POST", "/api/courses", admin, {
        title: "Race",
        status: "active",
        capacity: 1000,
        teacherId: "t-race",
      });
      const ids = Array.from({ length: 1500 }, (_, i) => `r${i}`);
      await api(instances[1].base, "POST", `/api/courses/${course.body.id}/enrollments`, teacher, { studentIds: ids.slice(0, 1000) });
      await api(instances[2].base, "POST", `/api/courses/${course.body.id}/enrollments`, teacher, { studentIds: ids.slice(1000) });
      // Enrolments reach the other instances through the catalogue sync, a few ms later (more on a busy
      // machine): this test is about the seats, so every instance has all 1,500 before the race.
      const enrolledAt = async (base: string) => {
        let n = 0;
        let cursor: string | undefined;
        do {
          const q = `limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
          const page = await api(base, "GET", `/api/courses/${course.body.id}/enrollments?${q}`, teacher);
          n += page.body.items.length;
          cursor = page.body.nextCursor ?? undefined;
        } while (cursor);
        return n;
      };
      for (const i of instances) await eventually(async () => expect(await enrolledAt(i.base)).toBe(1500), 15_000);
      const cls = await api(instances[0].base, "POST", `/api/courses/${course.body.id}/classes`, teacher, {
        startsAt: new Date().toISOString(),
        durationMinutes: 60,
      });
      await api(instances[0].base, "POST", `/api/classes/${cls.body.id}/start`, teacher);
      const tokens = await Promise.all(ids.map((id) => token("student", id)));
      // Every refusal is a logged policy decision, whichever instance owns the class.
      const denials = async () => {
        let n = 0;
        for (const i of instances)
          n += Number(
            /edgeclass_policy_decisions_total\{decision="deny"\} (\d+)/.exec(await (await fetch(`${i.base}/metrics`)).text())?.[1] ?? 0,
          );
        return n;
      };
      const deniedBefore = await denials();
      const outcomes = await Promise.allSettled(tokens.map((tok, i) => join(instances[i % 3].base, cls.body.id, tok)));
      const admitted = outcomes.filter((o) => o.status === "fulfilled");
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
      for (const o of admitted) (o as PromiseFulfilledResult<{ peer: Peer }>).value.peer.close();
      expect([...new Set(refused.map((r) => `${r.reason.code} ${r.reason.reason ?? r.reason.message}`))]).toEqual([
        `${CLOSE.policyDenied} class is full`,
      ]);
      expect(admitted).toHaveLength(1000);
      expect((await denials()) - deniedBefore).toBe(500);
      // Ending the class spares the tests below a thousand students' grace periods.
      expect((await api(instances[0].base, "POST", `/api/classes/${cls.body.id}/end`, teacher)).status).toBe(200);
    }, 90_000);

    test("the Redis holding a class killed and restarted empty: instances stay up, the owner keeps its students and admits " +
      "joins, nothing acknowledged is lost", async () => {
      const [a, , d] = instances;
      const teacher = await token("teacher", "t1");
      const classId = await liveClass(teacher);
      const tp = await enter(a.base, classId, teacher); // instance a owns this class
      const s1 = await enter(a.base, classId, await token("student", "s1"));
      const s2 = await enter(d.base, classId, await token("student", "s2"));
      const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as {
        questionId: string;
      };
      await s2.peer.request({ type: "quiz.answer", questionId, answerId: "before", response: { choice: "b" } });

      const holder = await shared.killHolder(classId);
      await Bun.sleep(1000);
      for (const i of instances) expect(i.proc.exitCode).toBeNull(); // a failing Redis must not crash a process
      if (shared.whole) {
        // Nobody leaves the city's pool: each serves what it can and says what it lacks.
        for (const inst of instances) {
          const r = await fetch(`${inst.base}/readyz`);
          expect({ status: r.status, body: await r.json() }).toMatchObject({
            status: 200,
            body: { status: "degraded", redis: "unreachable" },
          });
        }
      }
      // At once (each may wait for Redis's timeouts): the owner's own student still answers
      // (decided locally, shared again later), and a student joining the owner is admitted with the
      // open question (the seat is decided locally), while another instance refuses clearly what it
      // cannot forward: commands and joins.
      const [answered, s3] = await Promise.all([
        s1.peer.request({ type: "quiz.answer", questionId, answerId: "during", response: { choice: "b" } }),
        token("student", "s3").then((tok) => enter(a.base, classId, tok)),
        expect(s2.peer.request({ type: "chat.send", text: "anyone?" })).rejects.toMatchObject({ code: "unavailable" }),
        token("student", "s4").then((tok) =>
          expect(join(d.base, classId, tok)).rejects.toMatchObject({
            code: CLOSE.tryAgainLater,
            reason: expect.stringContaining("unreachable"),
          }),
        ),
      ]);
      expect(answered).toMatchObject({ answerId: "during" });
      expect(s3.welcome.state.quiz?.question.id).toBe(questionId);

      await holder.restart(); // empty: it keeps nothing on disk
      if (shared.whole) await Promise.all(instances.map((i) => waitReady(i.base)));
      // The owner retakes its lease on the empty Redis and shares its state again; chat from the other instance flows again.
      expect(await sendUntil(s2.peer, { type: "chat.send", text: "back again" }, 15_000)).toEqual({ ok: true });
      expect((await tp.peer.next("chat.message", (m) => m.message.text === "back again")).message.userId).toBe("s2");
      // A takeover now would find both answers and every seat, the one given while Redis was away too.
      const probe = shared.probe();
      try {
        await eventually(
          async () => expect(Object.keys(await probe.hgetall(`${prefix}{${classId}}:answers:${questionId}`)).sort()).toEqual(["s1", "s2"]),
          5000,
        );
        expect((await probe.smembers(`${prefix}{${classId}}:seats`)).sort()).toEqual(["s1", "s2", "s3"]);
      } finally {
        probe.disconnect();
      }
      if (shared.whole) expect(await (await fetch(`${d.base}/readyz`)).json()).toEqual({ status: "ready" });
      for (const i of instances) expect(i.proc.exitCode).toBeNull();
    }, 60_000);

    test("killing the owner mid-quiz hands the class over: no acknowledged answer lost, hands queue, mutes and slow mode " +
      "kept", async () => {
      const [a, b, d] = instances;
      const teacher = await token("teacher", "t1");
      const classId = await liveClass(teacher);
      const tp = await enter(b.base, classId, teacher); // first join: instance b owns this class
      const s1 = await enter(b.base, classId, await token("student", "s1"));
      const s2 = await enter(a.base, classId, await token("student", "s2"));
      const s3 = await enter(d.base, classId, await token("student", "s3"));
      await tp.peer.request({ type: "chat.settings", slowModeSeconds: 30 });
      await tp.peer.request({ type: "chat.mute", userId: "s2", muted: true });
      expect(await s1.peer.request({ type: "hand.raise" })).toMatchObject({ position: 1 });
      expect(await s3.peer.request({ type: "hand.raise" })).toMatchObject({ position: 2 });
      const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as {
        questionId: string;
      };
      await s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-1", response: { choice: "b" } });
      await s1.peer.request({ type: "quiz.answer", questionId, answerId: "s1-1", response: { choice: "a" } });
      b.proc.kill("SIGKILL");
      // s3 stays on instance d; its answer reaches the new owner once the lease has expired.
      const { ack, ms } = await answerUntilAccepted(s3.peer, questionId, "s3-1", { choice: "b" });
      expect(ack).toMatchObject({ questionId, answerId: "s3-1" });
      expect(ms).toBeLessThan(12_000);
      // s2 (on instance a) is still muted under the new owner, and told so again in its welcome.
      expect(await sendUntil(s2.peer, { type: "chat.send", text: "am I heard?" }, 10_000)).toEqual({ ok: false, code: "muted" });
      expect((await s2.peer.next("welcome", (m) => m.state.muted)).state.chatSettings).toEqual({ enabled: true, slowModeSeconds: 30 });
      // Slow mode holds: s3's first message goes through, the next one within 30 s does not.
      await s3.peer.request({ type: "chat.send", text: "one" });
      await expect(s3.peer.request({ type: "chat.send", text: "two" })).rejects.toMatchObject({ code: "slow-mode" });
      // The teacher and s1 come back through the survivors and find the class as it was (s1 lost
      // its instance with the owner and keeps its seat and hand for the grace period).
      const back = await enter(a.base, classId, teacher);
      expect(back.welcome.state.quiz?.question.id).toBe(questionId);
      expect(back.welcome.state.hands?.map((h) => h.userId)).toEqual(["s1", "s3"]);
      expect(back.welcome.state.chatSettings).toEqual({ enabled: true, slowModeSeconds: 30 });
      const s1back = await enter(d.base, classId, await token("student", "s1"));
      expect(s1back.welcome.state.myAnswer?.answerId).toBe("s1-1");
      await expect(s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-2", response: { choice: "a" } })).rejects.toMatchObject(
        { code: "already-answered" },
      );
      await back.peer.request({ type: "quiz.reveal" });
      const results = await api(d.base, "GET", `/api/classes/${classId}/results`, teacher);
      expect(results.body.questions[0].answers.map((x: { answerId: string }) => x.answerId).sort()).toEqual(["s1-1", "s2-1", "s3-1"]);
      expect(results.body.students.find((x: { userId: string }) => x.userId === "s2").score).toBeGreaterThan(0);
      // The new owner writes the queue and the mutes under its own lease.
      await back.peer.request({ type: "hand.answer", userId: "s1" });
      await back.peer.request({ type: "chat.mute", userId: "s2", muted: false });
      const probe = shared.probe();
      try {
        expect(Object.keys(await probe.hgetall(`${prefix}{${classId}}:hands`))).toEqual(["s3"]);
        expect(await probe.smembers(`${prefix}{${classId}}:muted`)).toEqual([]);
      } finally {
        probe.disconnect();
      }
      // Chat still reaches every remaining instance.
      await s2.peer.request({ type: "chat.send", text: "heard now" });
      for (const p of [back, s1back, s3])
        expect((await p.peer.next("chat.message", (m) => m.message.text === "heard now")).message.userId).toBe("s2");
    }, 60_000);

    test("draining the owner (SIGTERM) hands the class over at once, without waiting for its lease", async () => {
      const [a, , d] = instances;
      const teacher = await token("teacher", "t1");
      const classId = await liveClass(teacher, d);
      const tp = await enter(a.base, classId, teacher); // instance a owns the class
      const s2 = await enter(d.base, classId, await token("student", "s2"));
      const s3 = await enter(d.base, classId, await token("student", "s3"));
      const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as {
        questionId: string;
      };
      await s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-1", response: { choice: "b" } });
      a.proc.kill("SIGTERM");
      // The owner released its lease and said so: d's sockets are admitted again by the next owner
      // (a fresh welcome) without anyone sending a command first; without the announcement no
      // welcome comes until a command has timed out.
      await s3.peer.next("welcome");
      expect(await s3.peer.request({ type: "quiz.answer", questionId, answerId: "s3-1", response: { choice: "a" } })).toMatchObject({
        answerId: "s3-1",
      });
      expect(await a.proc.exited).toBe(0);
      const results = await api(d.base, "GET", `/api/classes/${classId}/results`, teacher);
      expect(results.body.questions[0].answers.map((x: { answerId: string }) => x.answerId).sort()).toEqual(["s2-1", "s3-1"]);
    }, 60_000);
  });
}
