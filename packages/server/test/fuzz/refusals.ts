// Frames a class must refuse, shared by the single-instance and the cluster fuzz tests:
// frames the schema refuses, and well-formed messages that the rules refuse (a role, nothing
// open, an unknown id), each with the error code docs/protocol.md gives.
import fc from "fast-check";
import * as v from "valibot";
import { ClientMessageSchema, STAFF_MESSAGES, type ErrorCode } from "@edgeclass/client/protocol";
import { clientMessageArb, draftArb, mutate, mutationArb, notJsonArb, tooLargeArb, userIdArb } from "./arbitraries.ts";
import type { Frame } from "./live-harness.ts";

export type Refused = { sender: number; frame: Frame; code: ErrorCode };
export const valid = (m: Record<string, unknown>) => v.safeParse(ClientMessageSchema, m).success;
export const asFrame = (m: Record<string, unknown>): Frame => ({ kind: "text", data: JSON.stringify(m) });
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

/** Mutated messages, text that is not JSON, oversized frames, binary frames (filter with expected() !== "valid"). */
export const badFrameArb: fc.Arbitrary<Frame> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(clientMessageArb, mutationArb, fc.nat())
      .map(([m, mu, pick]): Frame => ({ kind: "text", data: mutate(m, mu, pick) })),
  },
  { weight: 3, arbitrary: notJsonArb.map((data): Frame => ({ kind: "text", data })) },
  { weight: 1, arbitrary: tooLargeArb.map((data): Frame => ({ kind: "text", data })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((data): Frame => ({ kind: "binary", data: new Uint8Array(data) })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(clientMessageArb, mutationArb, fc.nat())
      .map(([m, mu, pick]): Frame => ({ kind: "binary", data: utf8(mutate(m, mu, pick)) })),
  },
);

export interface RefusalContext {
  /** Senders: indexes of staff sockets and of student sockets. */
  staff: fc.Arbitrary<number>;
  student: fc.Arbitrary<number>;
  staffIds: readonly string[];
  /** Everyone in the class (ids that exist, so never "unknown"). */
  participants: ReadonlySet<string>;
  /** Ids known once the class is set up. */
  chatId(): string;
  bankQuestionId(): string;
}

/** Well-formed messages the class refuses while no question is open, no hand is up but one, and the chat has one message. */
export function refusals(ctx: RefusalContext): fc.Arbitrary<Refused> {
  const { staff, student, staffIds } = ctx;
  const unknownId = fc.string({ minLength: 1, maxLength: 64 }).filter((id) => id !== ctx.chatId() && id !== ctx.bankQuestionId());
  const outsider = userIdArb.filter((id) => !ctx.participants.has(id));
  const wrongCorrect = fc.oneof(
    fc.constant({
      kind: "single",
      prompt: "p",
      options: [
        { id: "a", text: "A" },
        { id: "b", text: "B" },
      ],
      correct: "c",
    }),
    fc.constant({
      kind: "multiple",
      prompt: "p",
      options: [
        { id: "a", text: "A" },
        { id: "b", text: "B" },
      ],
      correct: ["a", "z"],
    }),
  );
  return fc.oneof(
    // Staff messages from a student.
    fc
      .tuple(
        student,
        clientMessageArb.filter((m) => STAFF_MESSAGES.has(m.type as never) && valid(m)),
      )
      .map(([sender, m]): Refused => ({ sender, frame: asFrame(m), code: "forbidden" })),
    // Answers with no question open.
    fc
      .tuple(
        student,
        clientMessageArb.filter((m) => m.type === "quiz.answer" && valid(m)),
      )
      .map(([sender, m]): Refused => ({ sender, frame: asFrame(m), code: "no-open-question" })),
    // Student-only actions from the teacher.
    fc
      .tuple(
        staff,
        clientMessageArb.filter((m) => ["hand.raise", "hand.lower", "quiz.answer"].includes(m.type as string) && valid(m)),
      )
      .map(([sender, m]): Refused => ({ sender, frame: asFrame(m), code: "forbidden" })),
    // Things that do not exist.
    fc
      .tuple(staff, unknownId)
      .map(([sender, id]): Refused => ({ sender, frame: asFrame({ type: "chat.delete", messageId: id }), code: "not-found" })),
    fc
      .tuple(staff, outsider, fc.boolean())
      .map(([sender, id, muted]): Refused => ({ sender, frame: asFrame({ type: "chat.mute", userId: id, muted }), code: "not-found" })),
    fc
      .tuple(staff, fc.constantFrom(...staffIds), fc.boolean())
      .map(([sender, id, muted]): Refused => ({ sender, frame: asFrame({ type: "chat.mute", userId: id, muted }), code: "invalid-state" })),
    fc
      .tuple(staff, outsider)
      .map(([sender, id]): Refused => ({ sender, frame: asFrame({ type: "participant.remove", userId: id }), code: "not-found" })),
    fc.tuple(staff, fc.constantFrom(...staffIds)).map(
      ([sender, id]): Refused => ({
        sender,
        frame: asFrame({ type: "participant.remove", userId: id, reason: "fuzz" }),
        code: "invalid-state",
      }),
    ),
    fc
      .tuple(staff, outsider)
      .map(([sender, id]): Refused => ({ sender, frame: asFrame({ type: "hand.answer", userId: id }), code: "not-found" })),
    fc
      .tuple(staff, fc.constantFrom("quiz.close", "quiz.reveal"))
      .map(([sender, type]): Refused => ({ sender, frame: asFrame({ type }), code: "no-open-question" })),
    fc.tuple(staff, unknownId, fc.integer({ min: 5, max: 600 })).map(
      ([sender, id, s]): Refused => ({
        sender,
        frame: asFrame({ type: "quiz.launch", questionId: id.slice(0, 64), timeLimitSeconds: s }),
        code: "not-found",
      }),
    ),
    // Launch with both a bank id and a draft, or neither, or a draft whose answer is not an option.
    fc.tuple(staff, draftArb, fc.integer({ min: 5, max: 600 })).map(
      ([sender, q, s]): Refused => ({
        sender,
        frame: asFrame({ type: "quiz.launch", questionId: ctx.bankQuestionId(), question: q, timeLimitSeconds: s }),
        code: "bad-message",
      }),
    ),
    fc
      .tuple(staff, fc.integer({ min: 5, max: 600 }))
      .map(([sender, s]): Refused => ({ sender, frame: asFrame({ type: "quiz.launch", timeLimitSeconds: s }), code: "bad-message" })),
    fc.tuple(staff, wrongCorrect, fc.integer({ min: 5, max: 600 })).map(
      ([sender, q, s]): Refused => ({
        sender,
        frame: asFrame({ type: "quiz.launch", question: q, timeLimitSeconds: s }),
        code: "bad-message",
      }),
    ),
  );
}
