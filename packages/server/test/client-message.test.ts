// A client frame is validated through its type's own schema (realtime/client-message.ts): the
// outcome, output and first issue are the protocol variant's, for good frames and bad ones.
import { expect, test } from "bun:test";
import * as v from "valibot";
import { ClientMessageSchema } from "@edgeclass/client/protocol";
import { parseClientMessage } from "../src/realtime/client-message.ts";
import { Registry } from "../src/obs/prom.ts";

const frames: unknown[] = [
  { type: "ping", rid: "1" },
  { type: "chat.send", rid: "2", text: "  hello  " },
  { type: "chat.send", text: "" },
  { type: "chat.send", text: "x", extra: true },
  { type: "quiz.answer", rid: "3", questionId: "q1", answerId: "a1", response: { choice: "a" } },
  { type: "quiz.answer", questionId: "q1", answerId: "a1" },
  { type: "quiz.answer", questionId: 5, answerId: "a1", response: { choice: "a" } },
  { type: "quiz.launch", questionId: "b1", timeLimitSeconds: 30 },
  { type: "chat.mute", userId: "bad id!", muted: true },
  { type: "reaction", reaction: "nope" },
  { type: "no.such.type" },
  { type: 42 },
  { text: "no type" },
  "a string",
  null,
  [1, 2],
];

test("each frame gets the variant's outcome: success, output, and the first issue's path and message", () => {
  for (const raw of frames) {
    const ours = parseClientMessage(raw);
    const theirs = v.safeParse(ClientMessageSchema, raw);
    expect({ raw, ok: ours.success }).toEqual({ raw, ok: theirs.success });
    if (ours.success && theirs.success) expect(ours.output).toEqual(theirs.output);
    else {
      const first = (r: typeof ours) => (r.issues ? { path: v.getDotPath(r.issues[0]), message: r.issues[0].message } : null);
      expect({ raw, issue: first(ours) }).toEqual({ raw, issue: first(theirs) });
    }
  }
  // The frames above cover valid and invalid frames of known types and frames the variant alone can judge.
  expect(frames.filter((f) => parseClientMessage(f).success)).toHaveLength(4);
});

test("metric children are found by their label values, however given, and forgotten by remove", () => {
  const r = new Registry();
  const c = r.counter({ name: "t_total", help: "t", labelNames: ["direction", "type"] });
  c.labels("in", "chat.send").inc();
  c.labels("in", "chat.send").inc(2);
  c.labels("out", "chat.send").inc();
  const h = r.histogram({ name: "t_seconds", help: "t", labelNames: ["code"], buckets: [1] });
  h.labels(200).observe(0.5);
  h.labels("200").observe(2);
  expect(c.labels("in", "chat.send")).toBe(c.labels("in", "chat.send"));
  const text = r.expose();
  expect(text).toContain('t_total{direction="in",type="chat.send"} 3');
  expect(text).toContain('t_total{direction="out",type="chat.send"} 1');
  expect(text).toContain('t_seconds_count{code="200"} 2');
  c.remove("in", "chat.send");
  expect(r.expose()).not.toContain('direction="in"');
  c.labels("in", "chat.send").inc();
  expect(r.expose()).toContain('t_total{direction="in",type="chat.send"} 1');
});
