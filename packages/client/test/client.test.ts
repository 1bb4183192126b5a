// The SDK's own logic against a scripted fake server: URL and token, rid matching, errors,
// events and the state mirror, reconnect with resend of unacknowledged answers, close codes.
import { afterEach, describe, expect, test } from "bun:test";
import {
  CLOSE,
  EdgeClassClient,
  EdgeClassError,
  liveUrl,
  MAX_CLIENT_FRAME_BYTES,
  type ClientMessage,
  type ConnectionStatus,
  type ServerMessage,
} from "../src/index.ts";
import { startFake, until, welcome, type FakeServer } from "./fake-server.ts";

let fake: FakeServer | undefined;
const clients: EdgeClassClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  fake?.stop();
  fake = undefined;
});

const fast = { initialDelayMs: 10, maxDelayMs: 40 };
function client(
  server: FakeServer,
  token = "tok-1",
  extra: Partial<ConstructorParameters<typeof EdgeClassClient>[0]> = {},
): EdgeClassClient {
  const c = new EdgeClassClient({ baseUrl: server.url, classId: "c1", token, reconnect: fast, requestTimeoutMs: 2000, ...extra });
  clients.push(c);
  return c;
}

describe("liveUrl", () => {
  test("maps http(s) to ws(s), keeps a path prefix, escapes the token", () => {
    expect(liveUrl("http://h:8080", "c1", "a.b.c")).toBe("ws://h:8080/api/classes/c1/live?token=a.b.c");
    expect(liveUrl("https://h/edge/", "c 1", "x+y")).toBe("wss://h/edge/api/classes/c%201/live?token=x%2By");
    expect(liveUrl("wss://h", "c1", "t")).toBe("wss://h/api/classes/c1/live?token=t");
    expect(() => liveUrl("ftp://h", "c1", "t")).toThrow(TypeError);
  });
});

describe("EdgeClassClient", () => {
  test("connects with the token in the query and mirrors the welcome snapshot", async () => {
    fake = startFake({
      open: (c) =>
        c.send(
          welcome(
            "teacher",
            {
              participants: 3,
              roster: [{ id: "t1", name: "T", role: "teacher", connected: true }],
              chat: [{ id: "m1", userId: "s2", name: "S2", role: "student", text: "hi", at: 1 }],
              seq: 7,
            },
            "t1",
          ),
        ),
    });
    const c = client(fake, "jwt.tok.en");
    const statuses: ConnectionStatus[] = [];
    c.on("status", (s) => statuses.push(s.status));
    let welcomes = 0;
    c.on("welcome", () => welcomes++);
    const w = await c.connect();
    await c.ping();
    expect(welcomes).toBe(1);
    expect(w.you.role).toBe("teacher");
    expect(fake.conns[0].token).toBe("jwt.tok.en");
    expect(fake.conns[0].classId).toBe("c1");
    expect(c.status).toBe("open");
    expect(statuses).toContain("open");
    expect(c.state.participants).toBe(3);
    expect(c.state.roster?.get("t1")?.role).toBe("teacher");
    expect(c.state.chat.map((m) => m.text)).toEqual(["hi"]);
    expect(c.state.seq).toBe(7);
    expect(c.me?.id).toBe("t1");
  });

  test("resolves each request on the ack with its own rid and rejects on its error", async () => {
    fake = startFake({
      message(c, m) {
        // Reply out of order: the raise first, then the chat; the reaction gets an error.
        if (m.type === "chat.send") setTimeout(() => c.send({ type: "ack", rid: m.rid, result: { messageId: "m9" } }), 30);
        else if (m.type === "hand.raise") c.send({ type: "ack", rid: m.rid, result: { raised: true, position: 1 } });
        else if (m.type === "reaction") c.send({ type: "error", rid: m.rid, code: "rate-limited", message: "slow down" });
        else if (m.type === "ping") c.send({ type: "pong", rid: m.rid, serverTime: 1 });
      },
    });
    const c = client(fake);
    await c.connect();
    const chat = c.chat("hello");
    const hand = c.raiseHand();
    const react = c.react("clap").catch((e: unknown) => e);
    expect(await hand).toEqual({ raised: true, position: 1 });
    expect(await chat).toEqual({ messageId: "m9" });
    const err = await react;
    expect(err).toBeInstanceOf(EdgeClassError);
    expect((err as EdgeClassError).code).toBe("rate-limited");
    expect((err as EdgeClassError).message).toBe("slow down");
    const rids = fake.received.map((m) => m.rid);
    expect(new Set(rids).size).toBe(3);
    // an ack for an unknown rid is ignored
    fake.conns[0].send({ type: "ack", rid: "nope" });
    expect(await c.ping()).toBeNumber();
  });

  test("typed events and the state mirror: chat, deletions, stale seq, hands, quiz, leaderboard, end", async () => {
    fake = startFake({ open: (c) => c.send(welcome("student", { seq: 10 })) });
    const c = client(fake);
    await c.connect();
    const texts: string[] = [];
    c.on("chat.message", (m) => texts.push(m.message.text)); // m narrowed to the chat.message variant
    const s = fake.conns[0];
    const msg = (id: string, text: string, seq: number): ServerMessage => ({
      type: "chat.message",
      seq,
      message: { id, userId: "s2", name: "S2", role: "student", text, at: seq },
    });
    s.send(msg("m0", "already in the snapshot", 9));
    s.send(msg("m1", "one", 11));
    s.send(msg("m2", "two", 12));
    s.send({ type: "chat.deleted", seq: 13, messageId: "m1" });
    s.send({ type: "chat.muted", seq: 14, userId: "s1", muted: true });
    s.send({ type: "hand.state", raised: true });
    s.send({ type: "presence", seq: 15, count: 42 });
    const q = {
      question: {
        id: "q1",
        kind: "single" as const,
        prompt: "2+2?",
        options: [
          { id: "a", text: "4" },
          { id: "b", text: "5" },
        ],
        points: 100,
      },
      launchedAt: 1,
      deadline: 2,
      closed: false,
      revealed: false,
    };
    s.send({ type: "quiz.question", seq: 16, quiz: q });
    await until(() => c.state.quiz !== null);
    expect(texts).toEqual(["one", "two"]);
    expect(c.state.chat.map((m) => m.id)).toEqual(["m2"]);
    expect(c.state.muted).toBe(true);
    expect(c.state.handRaised).toBe(true);
    expect(c.state.participants).toBe(42);
    expect(c.state.roster).toBeUndefined();
    const ack = await c.answer("q1", { choice: "a" });
    expect(ack.questionId).toBe("q1");
    expect(c.state.myAnswer?.answerId).toBe(ack.answerId);
    const dist = { questionId: "q1", answered: 1, eligible: 1, counts: { a: 1 } };
    s.send({ type: "quiz.closed", seq: 17, questionId: "q1" });
    s.send({ type: "quiz.reveal", seq: 18, reveal: { questionId: "q1", correct: "a", distribution: dist } });
    s.send({ type: "quiz.result", result: { questionId: "q1", correct: true, points: 90, totalScore: 90, rank: 1 } });
    s.send({
      type: "leaderboard",
      seq: 19,
      top: [{ userId: "s1", name: "S1", score: 90, rank: 1 }],
      me: { userId: "s1", name: "S1", score: 90, rank: 1 },
    });
    s.send({ type: "class.ended", seq: 20 });
    await c.next("class.ended");
    expect(c.state.quiz?.revealed).toBe(true);
    expect(c.state.quiz?.closed).toBe(true);
    expect(c.state.distribution).toEqual(dist);
    expect(c.state.result?.points).toBe(90);
    expect(c.state.leaderboard?.me?.rank).toBe(1);
    expect(c.state.ended).toBe(true);
    expect(c.state.seq).toBe(20);
  });

  test("staff mirror: roster from presence batches, hand queue", async () => {
    fake = startFake({ open: (c) => c.send(welcome("teacher", { roster: [], hands: [] }, "t1")) });
    const c = client(fake);
    await c.connect();
    const s = fake.conns[0];
    // As the server does it: the count on the class topic, then joined/left on the staff topic, same seq.
    s.send({ type: "presence", seq: 1, count: 2 });
    s.send({
      type: "presence",
      seq: 1,
      count: 2,
      joined: [
        { id: "s1", name: "A", role: "student", connected: true },
        { id: "s2", name: "B", role: "student", connected: true },
      ],
    });
    s.send({ type: "presence", seq: 2, count: 2 });
    s.send({ type: "presence", seq: 2, count: 2, left: ["s1"] });
    s.send({
      type: "hands",
      seq: 3,
      queue: [
        { userId: "s2", name: "B", raisedAt: 5 },
        { userId: "s3", name: "C", raisedAt: 6 },
      ],
    });
    s.send({ type: "hand.answered", seq: 4, userId: "s2", name: "B" });
    await until(() => c.state.seq === 4);
    expect([...(c.state.roster?.keys() ?? [])]).toEqual(["s1", "s2"]);
    expect(c.state.roster?.get("s1")?.connected).toBe(false);
    expect(c.state.roster?.get("s2")?.connected).toBe(true);
    expect(c.state.participants).toBe(2);
    expect(c.state.hands?.map((h) => h.userId)).toEqual(["s3"]);
    expect(c.state.lastAnsweredHand?.userId).toBe("s2");
  });

  test("reconnects after a drop and resends an unacknowledged answer with the same answerId", async () => {
    let dropped = false;
    fake = startFake({
      message(c, m) {
        if (m.type === "chat.send") return; // never acked
        if (m.type === "quiz.answer" && !dropped) {
          dropped = true;
          c.ws.close(1011, "boom"); // lose it before the ack
          return;
        }
        c.send({ type: "ack", rid: m.rid, result: { acceptedAt: 1234 } });
      },
    });
    const c = client(fake);
    await c.connect();
    const statuses: ConnectionStatus[] = [];
    c.on("status", (s) => statuses.push(s.status));
    const pendingChat = c.chat("never acked").catch((e: unknown) => e);
    await until(() => fake!.received.some((m) => m.type === "chat.send"));
    const a = await c.answer("q1", { choice: "a" });
    expect(a).toEqual({ questionId: "q1", answerId: c.answerIdFor("q1") as string, acceptedAt: 1234 });
    const answers = fake.received.filter((m): m is Extract<ClientMessage, { type: "quiz.answer" }> => m.type === "quiz.answer");
    expect(answers.length).toBe(2);
    expect(answers[0].answerId).toBe(answers[1].answerId);
    expect(fake.conns.length).toBe(2);
    expect(statuses).toContain("reconnecting");
    expect(c.status).toBe("open");
    const lost = await pendingChat;
    expect(lost).toBeInstanceOf(EdgeClassError);
    expect((lost as EdgeClassError).code).toBe("connection-lost");
    // an explicit retry reuses the same key
    await c.answer("q1", { choice: "a" });
    const last = fake.received.at(-1) as Extract<ClientMessage, { type: "quiz.answer" }>;
    expect(last.answerId).toBe(answers[0].answerId);
  });

  test("an answer the resume snapshot already holds is resolved without resending", async () => {
    let n = 0;
    fake = startFake({
      open(c) {
        n++;
        const taken = fake!.received.find((m): m is Extract<ClientMessage, { type: "quiz.answer" }> => m.type === "quiz.answer");
        c.send(welcome("student", taken ? { myAnswer: { questionId: "q1", answerId: taken.answerId, acceptedAt: 77 }, seq: 5 } : {}));
      },
      message(c, m) {
        if (m.type === "quiz.answer") c.ws.terminate(); // durable, but the ack never left
      },
    });
    const c = client(fake);
    await c.connect();
    const a = await c.answer("q1", { number: 4 }, "my-key");
    expect(a).toEqual({ questionId: "q1", answerId: "my-key", acceptedAt: 77 });
    expect(n).toBe(2);
    expect(fake.received.filter((m) => m.type === "quiz.answer").length).toBe(1);
    expect(c.state.myAnswer?.answerId).toBe("my-key");
  });

  test("requests made while reconnecting are sent once the new welcome arrives", async () => {
    fake = startFake();
    const c = client(fake, "t", { reconnect: { initialDelayMs: 80, maxDelayMs: 80 } });
    await c.connect();
    fake.conns[0].ws.close(1001, "going away");
    await until(() => c.status === "reconnecting");
    const p = c.raiseHand();
    await p;
    expect(fake.conns.length).toBe(2);
    expect(fake.received.filter((m) => m.type === "hand.raise").length).toBe(1);
  });

  test("a policy deny (4003) closes for good with the reason", async () => {
    fake = startFake({ open: (c) => c.ws.close(CLOSE.policyDenied, "class is full") });
    const c = client(fake);
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeClassError);
    expect((err as EdgeClassError).code).toBe("forbidden");
    expect((err as EdgeClassError).message).toBe("class is full");
    expect(c.connection.status).toBe("closed");
    expect(c.connection.closeCode).toBe(4003);
    expect(c.connection.closeReason).toBe("class is full");
    await Bun.sleep(50);
    expect(fake.conns.length).toBe(1); // no reconnect
    expect(((await c.chat("x").catch((e: unknown) => e)) as EdgeClassError).code).toBe("forbidden");
  });

  test("class ended (4010) after a welcome stops reconnecting and rejects pending requests", async () => {
    fake = startFake({ message: () => {} });
    const c = client(fake);
    await c.connect();
    const p = c.chat("late").catch((e: unknown) => e);
    await until(() => fake!.received.length === 1);
    fake.conns[0].ws.close(CLOSE.classEnded, "class ended");
    const err = (await p) as EdgeClassError;
    expect(err.code).toBe("connection-lost");
    await until(() => c.status === "closed");
    expect(c.connection.closeCode).toBe(4010);
    await Bun.sleep(50);
    expect(fake.conns.length).toBe(1);
  });

  test("gives up after maxInitialAttempts when the server never admits", async () => {
    const c = new EdgeClassClient({
      baseUrl: "http://127.0.0.1:1",
      classId: "c1",
      token: "t",
      reconnect: { initialDelayMs: 5, maxDelayMs: 5, maxInitialAttempts: 2 },
    });
    clients.push(c);
    const err = (await c.connect().catch((e: unknown) => e)) as EdgeClassError;
    expect(err.code).toBe("closed");
    expect(c.status).toBe("closed");
  });

  test("validates messages against the protocol schema before sending", async () => {
    fake = startFake();
    const c = client(fake);
    await c.connect();
    const empty = (await c.chat("   ").catch((e: unknown) => e)) as EdgeClassError;
    expect(empty.code).toBe("bad-message");
    expect(empty.message).toContain("text");
    const badLimit = (await c.launchQuiz({ questionId: "q", timeLimitSeconds: 1 }).catch((e: unknown) => e)) as EdgeClassError;
    expect(badLimit.code).toBe("bad-message");
    await c.chat("  trimmed  ");
    expect(fake.received.map((m) => m.type)).toEqual(["chat.send"]);
    expect((fake.received[0] as Extract<ClientMessage, { type: "chat.send" }>).text).toBe("trimmed");
    // validate: false sends as is (to test a server's own checks)
    const raw = client(fake, "t2", { validate: false, requestTimeoutMs: 300 });
    await raw.connect();
    await raw.chat("   ");
    expect(fake.received.length).toBe(2);
  });

  test("refuses oversize frames locally, times out unanswered requests, close() is idempotent", async () => {
    fake = startFake({ message: () => {} });
    const c = client(fake, "t", { requestTimeoutMs: 100 });
    await c.connect();
    // A valid message (1000-character prompt, ten 200-character options) that is over the limit in UTF-8.
    const options = Array.from({ length: 10 }, (_, i) => ({ id: `o${i}`, text: "é".repeat(200) }));
    const question = { kind: "single" as const, prompt: "é".repeat(1000), options, correct: "o0" };
    const big = (await c.launchQuiz({ question, timeLimitSeconds: 30 }).catch((e: unknown) => e)) as EdgeClassError;
    expect(big.message).toContain(String(MAX_CLIENT_FRAME_BYTES));
    expect(big.code).toBe("too-large");
    const slow = (await c.raiseHand().catch((e: unknown) => e)) as EdgeClassError;
    expect(slow.code).toBe("timeout");
    const pending = c.lowerHand().catch((e: unknown) => e);
    c.close();
    c.close();
    expect(((await pending) as EdgeClassError).code).toBe("closed");
    expect(c.status).toBe("closed");
  });

  test("a fresh token per connect when token is a function", async () => {
    fake = startFake();
    let n = 0;
    const c = client(fake, "unused", { token: () => `tok-${++n}` });
    await c.connect();
    fake.conns[0].ws.close(1012, "restart");
    await until(() => fake!.conns.length === 2 && c.status === "open");
    expect(fake.conns.map((x) => x.token)).toEqual(["tok-1", "tok-2"]);
  });

  test("heartbeat drops a silent connection and reconnects", async () => {
    fake = startFake({ message: () => {} }); // never answers pings
    const c = client(fake, "t", { heartbeatMs: 40 });
    await c.connect();
    await until(() => fake!.conns.length >= 2 && c.status === "open", 2000);
    expect(fake.received.some((m) => m.type === "ping")).toBe(true);
  });
});
