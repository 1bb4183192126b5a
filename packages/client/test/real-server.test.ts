// The SDK against the real EdgeClass server (in-process, fresh SQLite): checks that the SDK
// and the server agree on the protocol end to end (join, deny, chat and moderation, hands,
// quiz, reveal, leaderboard, resume after a drop, end of class).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken } from "../../server/src/auth/tokens.ts";
import { parseConfig } from "../../server/src/config/config.ts";
import { createLogging } from "../../server/src/obs/logger.ts";
import { startServer, type RunningServer } from "../../server/src/server.ts";
import { CLOSE, EdgeClassClient, EdgeClassError, type EdgeClassClientOptions } from "../src/index.ts";
import { until } from "./fake-server.ts";

let server: RunningServer;
let base = "";
let dataDir = "";
const clients: EdgeClassClient[] = [];
const token = (role: "student" | "teacher", sub: string) => mintToken(server.secret, { role, sub, ttlSeconds: 600 });

async function call<T>(method: string, path: string, tok: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function client(classId: string, tok: string, extra: Partial<EdgeClassClientOptions> = {}): EdgeClassClient {
  const c = new EdgeClassClient({
    baseUrl: base,
    classId,
    token: tok,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    requestTimeoutMs: 5000,
    ...extra,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edgeclass-sdk-"));
  server = await startServer(
    parseConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", DEMO: "false", RECONNECT_GRACE_MS: "5000" }),
    createLogging("silent"),
  );
  await server.whenReady;
  base = server.url.href.replace(/\/$/, "");
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("a class end to end through the SDK", async () => {
  const teacherToken = await token("teacher", "sdk-t");
  const course = await call<{ id: string }>("POST", "/api/courses", teacherToken, { title: "SDK", status: "active" });
  await call("POST", `/api/courses/${course.id}/enrollments`, teacherToken, { studentIds: ["sdk-s1", "sdk-s2"] });
  const cls = await call<{ id: string }>("POST", `/api/courses/${course.id}/classes`, teacherToken, {
    startsAt: new Date().toISOString(),
    durationMinutes: 30,
  });
  await call("POST", `/api/classes/${cls.id}/start`, teacherToken);

  // Deny: not enrolled -> 4003 with the policy's reason, no reconnect.
  const stranger = client(cls.id, await token("student", "sdk-stranger"));
  const denied = (await stranger.connect().catch((e: unknown) => e)) as EdgeClassError;
  expect(denied).toBeInstanceOf(EdgeClassError);
  expect(denied.code).toBe("forbidden");
  expect(denied.serverCode).toBe("not-enrolled"); // the stable code a UI translates (4003 is also "class-full")
  expect(stranger.connection.closeCode).toBe(CLOSE.policyDenied);
  expect(stranger.connection.closeReason).toBe("not enrolled in this course");

  const teacher = client(cls.id, teacherToken);
  await teacher.connect();
  let s2Socket: WebSocket | null = null;
  const s1 = client(cls.id, await token("student", "sdk-s1"));
  const s2 = client(cls.id, await token("student", "sdk-s2"), { webSocket: (url) => (s2Socket = new WebSocket(url)) });
  await Promise.all([s1.connect(), s2.connect()]);
  expect(teacher.state.me?.role).toBe("teacher");
  expect(s1.state.roster).toBeUndefined();
  await until(() => teacher.state.roster?.size === 3 && teacher.state.participants === 3);

  // Chat, moderation, errors from the server as EdgeClassError.
  const sent = (await s1.chat("hello class")) as { messageId: string };
  await until(() => s2.state.chat.some((m) => m.id === sent.messageId));
  await teacher.deleteChat(sent.messageId);
  await until(() => s2.state.chat.length === 0);
  const forbidden = (await s1.closeQuiz().catch((e: unknown) => e)) as EdgeClassError;
  expect(forbidden.code).toBe("forbidden");
  await teacher.mute("sdk-s2");
  await until(() => s2.state.muted);
  expect(((await s2.chat("psst").catch((e: unknown) => e)) as EdgeClassError).code).toBe("muted");
  await teacher.mute("sdk-s2", false);

  // Hands: queue for staff, own state for the student.
  await s1.raiseHand();
  await until(() => s1.state.handRaised && teacher.state.hands?.[0]?.userId === "sdk-s1");
  await teacher.answerHand("sdk-s1");
  await until(() => !s1.state.handRaised && teacher.state.hands?.length === 0);

  // Quiz: launch, answers (idempotent retry), distribution, reveal, result, leaderboard.
  await teacher.launchQuiz({
    question: {
      kind: "single",
      prompt: "2+2?",
      options: [
        { id: "a", text: "4" },
        { id: "b", text: "5" },
      ],
      correct: "a",
    },
    timeLimitSeconds: 30,
  });
  await until(() => s1.state.quiz !== null && s2.state.quiz !== null);
  const qid = s1.state.quiz!.question.id;
  const a1 = await s1.answer(qid, { choice: "a" });
  const again = await s1.answer(qid, { choice: "a" });
  expect(again).toEqual(a1);
  expect(s1.state.myAnswer?.answerId).toBe(a1.answerId);
  expect(((await s1.answer(qid, { choice: "b" }, "another-id").catch((e: unknown) => e)) as EdgeClassError).code).toBe("already-answered");
  await s2.answer(qid, { choice: "b" });
  await until(() => teacher.state.distribution?.answered === 2);

  // Drop s2: it resumes as the same participant, the snapshot shows its answer.
  const roster = teacher.state.roster?.size;
  (s2Socket as WebSocket | null)?.close(1000, "test drop");
  await until(() => s2.status === "reconnecting");
  await until(() => s2.status === "open");
  expect(s2.state.myAnswer?.questionId).toBe(qid);
  expect(teacher.state.roster?.size).toBe(roster);

  await teacher.reveal();
  await until(() => s1.state.reveal !== undefined && s1.state.result !== null && s2.state.result !== null);
  expect(s1.state.result?.correct).toBe(true);
  expect(s2.state.result?.correct).toBe(false);
  expect(s1.state.quiz?.revealed).toBe(true);
  await teacher.showLeaderboard();
  await until(() => s1.state.leaderboard !== null && s2.state.leaderboard !== null);
  expect(s1.state.leaderboard?.me?.rank).toBe(1);
  expect(s1.state.leaderboard?.top[0].userId).toBe("sdk-s1");

  // End: everyone closed for good with 4010.
  await teacher.endClass();
  await until(() => s1.status === "closed" && s2.status === "closed");
  expect(s1.state.ended).toBe(true);
  expect(s1.connection.closeCode).toBe(CLOSE.classEnded);
}, 15_000);
