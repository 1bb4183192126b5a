// The state mirror's pure functions: snapshot replacement, seq rules, chat cap, quiz lifecycle.
import { describe, expect, test } from "bun:test";
import { applyAnswerAccepted, applyEvent, applyWelcome, emptyState } from "../src/state.ts";
import type { OpenQuestion, ServerMessage } from "../src/protocol.ts";
import { welcome } from "./fake-server.ts";

type Welcome = Extract<ServerMessage, { type: "welcome" }>;
const chat = (id: string, seq: number): ServerMessage => ({
  type: "chat.message",
  seq,
  message: { id, userId: "u", name: "U", role: "student", text: id, at: seq },
});
const question = (id: string): OpenQuestion => ({
  question: { id, kind: "true_false", prompt: "?", points: 10 },
  launchedAt: 1,
  deadline: 2,
  closed: false,
  revealed: false,
});

describe("state mirror", () => {
  test("events before the first welcome are ignored", () => {
    const s = emptyState("c1");
    expect(applyEvent(s, chat("m1", 1))).toBe(false);
    expect(s.chat).toEqual([]);
  });

  test("chat keeps the newest maxChat messages, deletions of unknown ids are harmless", () => {
    const s = emptyState("c1");
    applyWelcome(s, welcome() as Welcome, 3);
    for (let i = 1; i <= 5; i++) applyEvent(s, chat(`m${i}`, i), 3);
    expect(s.chat.map((m) => m.id)).toEqual(["m3", "m4", "m5"]);
    applyEvent(s, { type: "chat.deleted", seq: 6, messageId: "nope" }, 3);
    applyEvent(s, { type: "chat.deleted", seq: 7, messageId: "m4" }, 3);
    expect(s.chat.map((m) => m.id)).toEqual(["m3", "m5"]);
    expect(s.seq).toBe(7);
  });

  test("a new welcome replaces the state; events up to its seq are dropped", () => {
    const s = emptyState("c1");
    applyWelcome(s, welcome() as Welcome);
    applyEvent(s, chat("m1", 1));
    applyWelcome(s, welcome("student", { seq: 10, participants: 7, chat: [] }) as Welcome);
    expect(s.chat).toEqual([]);
    expect(s.participants).toBe(7);
    expect(applyEvent(s, chat("old", 10))).toBe(false);
    expect(applyEvent(s, chat("new", 11))).toBe(true);
    expect(s.chat.map((m) => m.id)).toEqual(["new"]);
  });

  test("a new question clears my answer, result, distribution and reveal; the same one keeps them", () => {
    const s = emptyState("c1");
    applyWelcome(s, welcome() as Welcome);
    applyEvent(s, { type: "quiz.question", seq: 1, quiz: question("q1") });
    applyAnswerAccepted(s, { questionId: "q1", answerId: "a1", acceptedAt: 5 });
    applyEvent(s, { type: "quiz.result", result: { questionId: "q1", correct: true, points: 10, totalScore: 10, rank: 1 } });
    applyEvent(s, { type: "quiz.distribution", seq: 2, distribution: { questionId: "q1", answered: 1, eligible: 1, counts: { true: 1 } } });
    // A reconnect's welcome for the same question keeps the graded result.
    applyWelcome(
      s,
      welcome("student", { seq: 2, quiz: question("q1"), myAnswer: { questionId: "q1", answerId: "a1", acceptedAt: 5 } }) as Welcome,
    );
    expect(s.result?.correct).toBe(true);
    expect(s.myAnswer?.answerId).toBe("a1");
    applyEvent(s, { type: "quiz.question", seq: 3, quiz: question("q2") });
    expect(s.quiz?.question.id).toBe("q2");
    expect(s.myAnswer).toBeNull();
    expect(s.result).toBeNull();
    expect(s.distribution).toBeUndefined();
    // An ack for the previous question does not become my answer to this one.
    applyAnswerAccepted(s, { questionId: "q1", answerId: "late", acceptedAt: 6 });
    expect(s.myAnswer).toBeNull();
  });

  test("mute events: mine sets muted, every one is tracked in mutedUsers", () => {
    const s = emptyState("c1");
    applyWelcome(s, welcome("student", {}, "s1") as Welcome);
    applyEvent(s, { type: "chat.muted", seq: 1, userId: "s2", muted: true });
    expect(s.muted).toBe(false);
    applyEvent(s, { type: "chat.muted", seq: 2, userId: "s1", muted: true });
    expect(s.muted).toBe(true);
    applyEvent(s, { type: "chat.muted", seq: 3, userId: "s1", muted: false });
    expect(s.muted).toBe(false);
    expect([...s.mutedUsers]).toEqual(["s2"]);
  });

  test("reactions and settings replace, class.ended ends", () => {
    const s = emptyState("c1");
    applyWelcome(s, welcome() as Welcome);
    applyEvent(s, { type: "reactions", seq: 1, counts: { clap: 3 } });
    applyEvent(s, { type: "reactions", seq: 2, counts: { heart: 1 } });
    expect(s.reactions).toEqual({ heart: 1 });
    applyEvent(s, { type: "chat.settings", seq: 3, settings: { enabled: false, slowModeSeconds: 5 } });
    expect(s.chatSettings).toEqual({ enabled: false, slowModeSeconds: 5 });
    applyEvent(s, { type: "class.ended", seq: 4 });
    expect(s.ended).toBe(true);
    expect(s.status).toBe("ended");
  });

  test("video.state: from the welcome, then each change (no seq)", () => {
    const s = emptyState("c1");
    expect(s.video).toEqual({});
    applyWelcome(s, { ...welcome(), state: { ...(welcome() as Welcome).state, video: { camera: "paused" } } } as Welcome);
    expect(s.video).toEqual({ camera: "paused" });
    expect(applyEvent(s, { type: "video.state", source: "screen", state: "live" })).toBe(true);
    expect(s.video).toEqual({ camera: "paused", screen: "live" });
    applyEvent(s, { type: "video.state", source: "screen", state: "paused" });
    expect(s.video.screen).toBe("paused");
  });
});
