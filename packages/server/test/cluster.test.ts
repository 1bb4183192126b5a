// Three server processes sharing classes through a real Redis: end to end, owner killed
// mid-quiz, Redis restarted mid-class, and the capacity race across instances.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join as joinPath } from "node:path";
import { CLOSE } from "../../client/src/protocol.ts";
import { apiClient, privateRedis, spawned, startInstance as startServerProcess, uniquePrefix, waitReady, type Instance } from "./support/instances.ts";
import { tempDir } from "./support/server.ts";
import { answerUntilAccepted, join, setReplyTimeout, type Peer } from "./support/ws.ts";

// Several server processes on two shared cores: give replies time.
setReplyTimeout(15_000);

const dirs: string[] = [];
const peers: Peer[] = [];
afterAll(() => {
  for (const p of peers) p.close();
  for (const p of spawned) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startInstance(dataDir: string, redisUrl: string, prefix: string, name: string): Promise<Instance> {
  return startServerProcess({ DATA_DIR: dataDir, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, INSTANCE_ID: name, RECONNECT_GRACE_MS: "10000" });
}

async function cluster(n: number, redisUrl = "redis://127.0.0.1:6379") {
  const dataDir = tempDir("edgeclass-cluster-");
  dirs.push(dataDir);
  const prefix = uniquePrefix();
  const instances: Instance[] = [];
  for (let i = 0; i < n; i++) instances.push(await startInstance(dataDir, redisUrl, prefix, `i${i}`));
  const { token, api } = apiClient(readFileSync(joinPath(dataDir, "jwt-secret"), "utf8").trim());
  return { dataDir, prefix, instances, token, api, restart: (i: number) => startInstance(dataDir, redisUrl, prefix, `i${i}-again`) };
}

async function enter(base: string, classId: string, tok: string) {
  const r = await join(base, classId, tok);
  peers.push(r.peer);
  return r;
}

const SINGLE = { kind: "single", prompt: "2 + 2 = ?", options: [{ id: "a", text: "3" }, { id: "b", text: "4" }], correct: "b" } as const;

describe("three instances, one class", () => {
  test("teacher on one instance, students on all three: same chat order, quiz, reveal, leaderboard", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.instances;
    const teacher = await c.token("teacher", "t1");
    expect((await c.api(a.base, "POST", "/api/classes/demo-class-1/start", teacher)).status).toBe(200);
    const tp = await enter(a.base, "demo-class-1", teacher);
    const students = [
      await enter(a.base, "demo-class-1", await c.token("student", "s1")),
      await enter(b.base, "demo-class-1", await c.token("student", "s2")),
      await enter(d.base, "demo-class-1", await c.token("student", "s3")),
    ];
    await tp.peer.next("presence", (m) => m.count === 4);
    // Chat from two instances arrives everywhere in one order.
    await Promise.all([students[1].peer.request({ type: "chat.send", text: "from b" }), students[2].peer.request({ type: "chat.send", text: "from d" }), tp.peer.request({ type: "chat.send", text: "from teacher" })]);
    const order = async (p: Peer) => [(await p.next("chat.message")).message.text, (await p.next("chat.message")).message.text, (await p.next("chat.message")).message.text];
    const orders = await Promise.all([tp, ...students].map((s) => order(s.peer)));
    for (const o of orders) expect(o).toEqual(orders[0]);
    // Quiz across instances.
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
    await tp.peer.request({ type: "leaderboard.show" });
    const board = await students[2].peer.next("leaderboard");
    expect(board.top.map((e) => e.userId).slice(0, 2).sort()).toEqual(["s1", "s2"]);
    expect(board.me).toMatchObject({ userId: "s3", score: 0 });
    const metrics = await (await fetch(`${b.base}/metrics`)).text();
    expect(metrics).toMatch(/edgeclass_cluster_messages_total\{direction="in",kind="events"\} [1-9]/);
    expect(metrics).toMatch(/edgeclass_redis_up 1/);
  }, 60_000);

  test("killing the owner mid-quiz hands the class over; no acknowledged answer is lost", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.instances;
    const teacher = await c.token("teacher", "t1");
    await c.api(b.base, "POST", "/api/classes/demo-class-1/start", teacher);
    const tp = await enter(a.base, "demo-class-1", teacher); // first join: instance a owns the class
    const s2 = await enter(b.base, "demo-class-1", await c.token("student", "s2"));
    const s3 = await enter(d.base, "demo-class-1", await c.token("student", "s3"));
    const s1 = await enter(a.base, "demo-class-1", await c.token("student", "s1"));
    const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as { questionId: string };
    await s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-1", response: { choice: "b" } });
    await s1.peer.request({ type: "quiz.answer", questionId, answerId: "s1-1", response: { choice: "a" } });
    a.proc.kill("SIGKILL");
    // s3 stays connected to instance d; its next answer reaches the new owner once the lease has expired.
    const { ack, ms } = await answerUntilAccepted(s3.peer, questionId, "s3-1", { choice: "b" });
    expect(ack).toMatchObject({ questionId, answerId: "s3-1" });
    expect(ms).toBeLessThan(12_000);
    // The teacher and s1 come back through another instance and find the class as it was.
    const back = await enter(b.base, "demo-class-1", teacher);
    expect(back.welcome.state.quiz?.question.id).toBe(questionId);
    const s1back = await enter(d.base, "demo-class-1", await c.token("student", "s1"));
    expect(s1back.welcome.state.myAnswer?.answerId).toBe("s1-1");
    await expect(s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-2", response: { choice: "a" } })).rejects.toMatchObject({ code: "already-answered" });
    await back.peer.request({ type: "quiz.reveal" });
    const results = await c.api(d.base, "GET", "/api/classes/demo-class-1/results", teacher);
    expect(results.body.questions[0].answers.map((x: { answerId: string }) => x.answerId).sort()).toEqual(["s1-1", "s2-1", "s3-1"]);
    const board = results.body.students.find((x: { userId: string }) => x.userId === "s2");
    expect(board.score).toBeGreaterThan(0);
  }, 60_000);

  test("draining the owner (SIGTERM) hands the class over at once, without waiting for its lease", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.instances;
    const teacher = await c.token("teacher", "t1");
    await c.api(a.base, "POST", "/api/classes/demo-class-1/start", teacher);
    const tp = await enter(a.base, "demo-class-1", teacher); // instance a owns the class
    const s2 = await enter(b.base, "demo-class-1", await c.token("student", "s2"));
    const s3 = await enter(d.base, "demo-class-1", await c.token("student", "s3"));
    const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as { questionId: string };
    await s2.peer.request({ type: "quiz.answer", questionId, answerId: "s2-1", response: { choice: "b" } });
    a.proc.kill("SIGTERM");
    // The owner released its lease and said so: d's sockets are admitted again by the next owner
    // (a fresh welcome) without anyone sending a command first; without the announcement no
    // welcome comes until a command has timed out.
    await s3.peer.next("welcome");
    expect(await s3.peer.request({ type: "quiz.answer", questionId, answerId: "s3-1", response: { choice: "a" } })).toMatchObject({ answerId: "s3-1" });
    expect(await a.proc.exited).toBe(0);
    const results = await c.api(b.base, "GET", "/api/classes/demo-class-1/results", teacher);
    expect(results.body.questions[0].answers.map((x: { answerId: string }) => x.answerId).sort()).toEqual(["s2-1", "s3-1"]);
  }, 60_000);

  test("1,500 students racing for 1,000 seats over three instances leaves exactly 1,000", async () => {
    const c = await cluster(3);
    const teacher = await c.token("teacher", "t-race");
    const admin = await c.token("admin", "root");
    await c.api(c.instances[0].base, "GET", "/api/me", teacher);
    const course = await c.api(c.instances[0].base, "POST", "/api/courses", admin, { title: "Race", status: "active", capacity: 1000, teacherId: "t-race" });
    const ids = Array.from({ length: 1500 }, (_, i) => `r${i}`);
    await c.api(c.instances[1].base, "POST", `/api/courses/${course.body.id}/enrollments`, teacher, { studentIds: ids.slice(0, 1000) });
    await c.api(c.instances[2].base, "POST", `/api/courses/${course.body.id}/enrollments`, teacher, { studentIds: ids.slice(1000) });
    const cls = await c.api(c.instances[0].base, "POST", `/api/courses/${course.body.id}/classes`, teacher, { startsAt: new Date().toISOString(), durationMinutes: 60 });
    await c.api(c.instances[0].base, "POST", `/api/classes/${cls.body.id}/start`, teacher);
    const tokens = await Promise.all(ids.map((id) => c.token("student", id)));
    const outcomes = await Promise.allSettled(tokens.map((tok, i) => join(c.instances[i % 3].base, cls.body.id, tok)));
    const admitted = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    for (const o of admitted) (o as PromiseFulfilledResult<{ peer: Peer }>).value.peer.close();
    expect([...new Set(refused.map((r) => `${r.reason.code} ${r.reason.reason ?? r.reason.message}`))]).toEqual([`${CLOSE.policyDenied} class is full`]);
    expect(admitted).toHaveLength(1000);
  }, 90_000);
});

test("Redis stopped and restarted mid-class: instances stay in service (degraded), the owner keeps its students and admits joins, nothing acknowledged is lost", async () => {
  const redis = await privateRedis();
  const c = await cluster(2, redis.url);
  const [a, b] = c.instances;
  const teacher = await c.token("teacher", "t1");
  await c.api(a.base, "POST", "/api/classes/demo-class-1/start", teacher);
  const tp = await enter(a.base, "demo-class-1", teacher);
  const s1 = await enter(a.base, "demo-class-1", await c.token("student", "s1"));
  const s2 = await enter(b.base, "demo-class-1", await c.token("student", "s2"));
  const { questionId } = (await tp.peer.request({ type: "quiz.launch", question: SINGLE, timeLimitSeconds: 120 })) as { questionId: string };
  await s2.peer.request({ type: "quiz.answer", questionId, answerId: "before", response: { choice: "b" } });

  await redis.kill();
  await Bun.sleep(500);
  // Neither instance leaves the city's pool: each serves what it can and says what it lacks.
  for (const inst of [a, b]) {
    const r = await fetch(`${inst.base}/readyz`);
    expect({ status: r.status, body: await r.json() }).toMatchObject({ status: 200, body: { status: "degraded", redis: "unreachable" } });
  }
  // The owner's own student still answers (decided locally, shared again later)...
  await s1.peer.request({ type: "quiz.answer", questionId, answerId: "during", response: { choice: "b" } });
  // ...and a student joining the owner is admitted, with the open question (the seat is decided locally)...
  const s3 = await enter(a.base, "demo-class-1", await c.token("student", "s3"));
  expect(s3.welcome.state.quiz?.question.id).toBe(questionId);
  // ...while another instance refuses clearly what it cannot forward: commands and joins.
  await expect(s2.peer.request({ type: "chat.send", text: "anyone?" })).rejects.toMatchObject({ code: "unavailable" });
  await expect(join(b.base, "demo-class-1", await c.token("student", "s4"))).rejects.toMatchObject({ code: CLOSE.tryAgainLater, reason: expect.stringContaining("unreachable") });

  await redis.start(); // empty: it keeps nothing on disk
  await waitReady(a.base);
  await waitReady(b.base);
  // After the restart the owner shares its state again; a takeover would find both answers.
  let shared: Record<string, string> = {};
  const { default: Redis } = await import("ioredis");
  const probe = new Redis(redis.url);
  for (let i = 0; i < 50 && Object.keys(shared).length < 2; i++) {
    shared = await probe.hgetall(`${c.prefix}{demo-class-1}:answers:${questionId}`);
    await Bun.sleep(100);
  }
  const seats = await probe.smembers(`${c.prefix}{demo-class-1}:seats`);
  probe.disconnect();
  expect(Object.keys(shared).sort()).toEqual(["s1", "s2"]);
  expect(seats.sort()).toEqual(["s1", "s2", "s3"]); // the seat given while Redis was away is shared too
  expect(await (await fetch(`${b.base}/readyz`)).json()).toEqual({ status: "ready" });
  await s2.peer.request({ type: "chat.send", text: "back again" });
  expect((await tp.peer.next("chat.message", (m) => m.message.text === "back again")).message.userId).toBe("s2");
}, 60_000);
