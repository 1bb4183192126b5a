// Fuzzing the live protocol (issue 14, build 7): every client message type, mutated and
// random frames, text and binary, from a teacher and from students in one live class.
// Every frame must get exactly one documented error (the code the rules in docs/protocol.md
// give, with the frame's rid when it had one), no socket may close, nobody may see a class
// event, and the state must be the same afterwards: the REST reads and every participant's
// welcome after a reconnect. More cases: FUZZ_RUNS=20000 or `npm run fuzz -- --runs 20000`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { CLOSE, type QuestionDraft, type QuizResponse } from "@edgeclass/client/protocol";
import { draftProblem, responseProblem } from "../../src/domain/live/quiz.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { clientMessageArb, draftArb, nastyString, params, timeLimit } from "./arbitraries.ts";
import { expected, FuzzSocket, type Frame } from "./live-harness.ts";
import { asFrame, badFrameArb, refusals, valid, type Refused } from "./refusals.ts";
import { restSnapshot } from "./snapshot.ts";

/** Default runs (batches of up to 40 frames) for `npm test`. */
const LIVE_RUNS = 80;
const REFUSED_RUNS = 25;
const STUDENTS = 24;
/** The teacher and admins: staff sockets, so refusals of staff commands go through several sockets at once. */
const STAFF = 4;
let t: TestServer;
let classId = "";
let courseId = "";
let bankQuestionId = "";
let chatId = "";
const teacherId = "fz-teacher";
const studentIds = Array.from({ length: STUDENTS }, (_, i) => `fz-s${i}`);
const staffIds = [teacherId, ...Array.from({ length: STAFF - 1 }, (_, i) => `fz-admin${i}`)];
const roleOf = (id: string) =>
  (id === teacherId ? "teacher" : id.startsWith("fz-admin") ? "admin" : "student") as "teacher" | "admin" | "student";
/** Staff sockets first (the teacher at 0), then the students. */
let sockets: FuzzSocket[] = [];
const allIds = [...staffIds, ...studentIds];
const initialWelcomes = new Map<string, unknown>();
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

const liveUrl = async (id: string, role = roleOf(id)) =>
  `${t.base.replace(/^http/, "ws")}/api/classes/${classId}/live?token=${await t.token(role, id)}`;
/** What a welcome says about the class, without the clock. */
const stateOf = (s: FuzzSocket) => s.welcome!.state;

const teacher = () => sockets[0];
const socketOf = (sender: number) => sockets[sender % sockets.length];
const openAll = () => Promise.all(allIds.map(async (id) => FuzzSocket.open(await liveUrl(id))));

beforeAll(async () => {
  // The failed-authentication limit (429 before the upgrade) has its own tests; here every bad token must reach the gateway.
  t = await startTestServer({ RECONNECT_GRACE_MS: "120000", RATE_AUTH_FAILURES_PER_MINUTE: "100000" });
  const tok = await t.token("teacher", teacherId);
  const course = await t.call("POST", "/api/courses", { token: tok, body: { title: "Fuzz", status: "active" } });
  courseId = course.body.id;
  await t.call("POST", `/api/courses/${courseId}/enrollments`, { token: tok, body: { studentIds } });
  const q = await t.call("POST", `/api/courses/${courseId}/questions`, {
    token: tok,
    body: { kind: "true_false", prompt: "Fuzzing finds bugs", correct: true },
  });
  bankQuestionId = q.body.id;
  const cls = await t.call("POST", `/api/courses/${courseId}/classes`, {
    token: tok,
    body: { startsAt: new Date(Date.now() + 3_600_000).toISOString(), durationMinutes: 60 },
  });
  classId = cls.body.id;
  expect((await t.call("POST", `/api/classes/${classId}/start`, { token: tok })).status).toBe(200);
  sockets = await openAll();
  // Some state to keep: a chat message, a raised hand, a muted student.
  const chat = await teacher().send({ kind: "text", data: JSON.stringify({ type: "chat.send", rid: "c", text: "welcome to the fuzz" }) });
  chatId = (chat as { result: { messageId: string } }).result.messageId;
  expect((await sockets[STAFF + 1].send({ kind: "text", data: JSON.stringify({ type: "hand.raise", rid: "h" }) })).type).toBe("ack");
  expect(
    (await teacher().send({ kind: "text", data: JSON.stringify({ type: "chat.mute", rid: "m", userId: studentIds[2], muted: true }) }))
      .type,
  ).toBe("ack");
  await Bun.sleep(600); // the tick flushes presence and hands
  await reconnectAll();
  allIds.forEach((id, i) => initialWelcomes.set(id, stateOf(sockets[i])));
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await t?.close();
});

/** Everyone opens a new socket (the same seat: no class event) and the old ones are closed (4011). */
async function reconnectAll(): Promise<void> {
  const next = await openAll();
  for (const s of sockets) s.close();
  sockets = next;
}

/** Sends a batch: each socket's frames in order, the sockets in parallel. Resolves with [frame, reply] per case. */
async function sendBatch<C extends { sender: number; frame: Frame }>(cases: C[]) {
  const bySocket = new Map<FuzzSocket, C[]>();
  for (const c of cases) {
    const s = socketOf(c.sender);
    bySocket.set(s, [...(bySocket.get(s) ?? []), c]);
  }
  const out: { c: C; reply: Awaited<ReturnType<FuzzSocket["send"]>> }[] = [];
  await Promise.all(
    [...bySocket].map(async ([s, cs]) => {
      for (const c of cs) out.push({ c, reply: await s.send(c.frame) });
    }),
  );
  return out;
}

/** Nothing happened: no class event to anyone, every socket open, the REST reads unchanged. */
async function expectNothingChanged(before: unknown): Promise<void> {
  for (const s of sockets) {
    expect(s.closed).toBeNull();
    expect(s.events).toEqual([]);
  }
  expect(await restSnapshot(t, { classes: [classId] })).toEqual(before);
}

/** After a property: every participant's fresh welcome shows the class as before, and no prototype was touched. */
async function expectSameClass(opts: { ignoreSeq?: boolean } = {}): Promise<void> {
  await reconnectAll();
  const view = (state: unknown) => (opts.ignoreSeq ? { ...(state as object), seq: 0 } : state);
  allIds.forEach((id, i) => expect({ id, state: view(stateOf(sockets[i])) }).toEqual({ id, state: view(initialWelcomes.get(id)) }));
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((await fetch(`${t.base}/healthz`)).status).toBe(200);
}

// ---- Frames the schema refuses --------------------------------------------------

const badCaseArb = fc
  .record({ sender: fc.nat({ max: STAFF + STUDENTS - 1 }), frame: badFrameArb })
  .filter((c) => expected(c.frame) !== "valid");

test(
  "mutated, random, oversized and binary frames get the documented error and change nothing",
  async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(badCaseArb, { minLength: 1, maxLength: 40, size: "max" }), async (batch) => {
        const before = await restSnapshot(t, { classes: [classId] });
        for (const { c, reply } of await sendBatch(batch)) {
          const want = expected(c.frame);
          if (want === "valid") throw new Error("unreachable");
          expect({
            frame: c.frame.kind === "text" ? c.frame.data.slice(0, 300) : `binary ${c.frame.data.length} bytes`,
            type: reply.type,
            code: "code" in reply ? reply.code : undefined,
          }).toEqual({
            frame: c.frame.kind === "text" ? c.frame.data.slice(0, 300) : `binary ${c.frame.data.length} bytes`,
            type: "error",
            code: want.code,
          });
          expect((reply as { rid?: string }).rid).toBe(want.rid);
          expect("message" in reply && typeof reply.message === "string" && reply.message.length > 0).toBe(true);
        }
        cases += batch.length;
        await expectNothingChanged(before);
      }),
      params(LIVE_RUNS),
    );
    await expectSameClass();
    console.log(`live fuzz: ${cases} refused frames`);
  },
  timeLimit(LIVE_RUNS),
);

// ---- Well-formed messages the class must refuse ------------------------------------

const student = fc.integer({ min: STAFF, max: STAFF + STUDENTS - 1 });
const staff = fc.nat({ max: STAFF - 1 });
const refusedArb = refusals({
  staff,
  student,
  staffIds,
  participants: new Set(allIds),
  chatId: () => chatId,
  bankQuestionId: () => bankQuestionId,
});

test(
  "well-formed messages the class refuses (role, nothing open, unknown ids) get their error and change nothing",
  async () => {
    // The generators must only make schema-valid frames whose refusal the rules decide.
    fc.assert(
      fc.property(refusedArb, (r) => {
        expect(expected(r.frame)).toBe("valid");
        const m = JSON.parse((r.frame as { data: string }).data) as { question?: QuestionDraft };
        if (m.question && r.code === "bad-message" && !("questionId" in m)) expect(draftProblem(m.question)).not.toBeNull();
      }),
      { numRuns: 200 },
    );
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(refusedArb, { minLength: 1, maxLength: 40, size: "max" }), async (batch) => {
        const before = await restSnapshot(t, { classes: [classId] });
        for (const { c, reply } of await sendBatch(batch)) {
          expect({
            frame: (c.frame as { data: string }).data.slice(0, 300),
            type: reply.type,
            code: "code" in reply ? reply.code : undefined,
          }).toEqual({
            frame: (c.frame as { data: string }).data.slice(0, 300),
            type: "error",
            code: c.code,
          });
        }
        cases += batch.length;
        await expectNothingChanged(before);
      }),
      params(REFUSED_RUNS),
    );
    await expectSameClass();
    console.log(`live fuzz: ${cases} refused well-formed messages`);
  },
  timeLimit(REFUSED_RUNS),
);

test("a frame over the hard cap closes that socket with 1009 and changes nothing else", async () => {
  const before = await restSnapshot(t, { classes: [classId] });
  const i = STAFF + 3;
  const victim = sockets[i];
  const closed = new Promise<{ code: number }>((r) => victim.ws.addEventListener("close", (e) => r({ code: e.code }), { once: true }));
  victim.ws.send(JSON.stringify({ type: "chat.send", text: "x".repeat(70_000) }));
  expect((await closed).code).toBe(CLOSE.tooLarge);
  // Its seat is kept (grace period); the others saw at most the roster change of the drop.
  await Bun.sleep(600);
  expect(await restSnapshot(t, { classes: [classId] })).toEqual(before);
  for (const s of sockets) if (s !== victim) expect(s.events.filter((e) => e.type !== "presence")).toEqual([]);
  sockets[i] = await FuzzSocket.open(await liveUrl(allIds[i]));
  await Bun.sleep(600); // the return's presence tick
  for (const s of sockets) s.events.length = 0;
  await expectSameClass({ ignoreSeq: true }); // the drop and the return were presence events
}, 60_000);

// ---- With a question open ---------------------------------------------------------------

const QUESTION_RUNS = 4; // per question kind
const OPTIONS = [
  { id: "a", text: "A" },
  { id: "b", text: "B" },
  { id: "c", text: "C" },
];
const DRAFTS: QuestionDraft[] = [
  { kind: "single", prompt: "single", options: OPTIONS, correct: "a" },
  { kind: "multiple", prompt: "multiple", options: OPTIONS, correct: ["a", "c"] },
  { kind: "true_false", prompt: "true or false", correct: true },
  { kind: "numeric", prompt: "numeric", correct: 42, tolerance: 0.5 },
  { kind: "text", prompt: "text", correct: ["edge", "edge class"] },
];
let open: { id: string; draft: QuestionDraft; deadline: number } | null = null;

/** The teacher reveals what is open and launches `draft` for 600 s; the welcomes with it become the reference. */
async function launch(draft: QuestionDraft): Promise<void> {
  if (open) expect((await teacher().send(asFrame({ type: "quiz.reveal", rid: "rv" }))).type).toBe("ack");
  const r = await teacher().send(asFrame({ type: "quiz.launch", rid: "ql", question: draft, timeLimitSeconds: 600 }));
  expect(r.type).toBe("ack");
  const result = (r as { result: { questionId: string; deadline: number } }).result;
  open = { id: result.questionId, draft, deadline: result.deadline };
  await Bun.sleep(600); // the tick's distribution
  await reconnectAll();
  allIds.forEach((id, i) => initialWelcomes.set(id, stateOf(sockets[i])));
}

const answerId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const anyResponse = clientMessageArb.filter((m) => m.type === "quiz.answer" && valid(m)).map((m) => m.response as QuizResponse);
const refusedWhileOpen = (): fc.Arbitrary<Refused> =>
  fc.oneof(
    // A response that does not fit the open question.
    fc
      .tuple(
        student,
        answerId,
        fc.oneof(
          anyResponse,
          fc.constantFrom<QuizResponse>(
            { choice: "zz" },
            { choices: ["a", "a"] },
            { choices: ["a", "zz"] },
            { choices: [] },
            { value: false },
            { number: 1e308 },
            { text: "" },
          ),
        ),
      )
      .filter(([, , response]) => responseProblem(open!.draft, response) !== null)
      .map(
        ([sender, id, response]): Refused => ({
          sender,
          frame: asFrame({ type: "quiz.answer", questionId: open!.id, answerId: id, response }),
          code: "bad-message",
        }),
      ),
    // Another question's id.
    fc
      .tuple(
        student,
        fc.string({ maxLength: 64 }).filter((q) => q !== open!.id),
        answerId,
        anyResponse,
      )
      .map(
        ([sender, q, id, response]): Refused => ({
          sender,
          frame: asFrame({ type: "quiz.answer", questionId: q, answerId: id, response }),
          code: "wrong-question",
        }),
      ),
    // A second launch while one is open; answers from staff.
    fc.tuple(staff, draftArb, fc.integer({ min: 5, max: 600 })).map(
      ([sender, q, s]): Refused => ({
        sender,
        frame: asFrame({ type: "quiz.launch", question: q, timeLimitSeconds: s }),
        code: "invalid-state",
      }),
    ),
    fc.tuple(staff, answerId, anyResponse).map(
      ([sender, id, response]): Refused => ({
        sender,
        frame: asFrame({ type: "quiz.answer", questionId: open!.id, answerId: id, response }),
        code: "forbidden",
      }),
    ),
  );

test(
  "with a question open, misfit answers, wrong question ids and a second launch are refused and change nothing",
  async () => {
    let cases = 0;
    for (const draft of DRAFTS) {
      await launch(draft);
      await fc.assert(
        fc.asyncProperty(fc.array(refusedWhileOpen(), { minLength: 1, maxLength: 40, size: "max" }), async (batch) => {
          // Long runs: a question closes at its deadline (a class event), so a fresh one is launched first.
          if (Date.now() > open!.deadline - 60_000) await launch(draft);
          const before = await restSnapshot(t, { classes: [classId] });
          for (const { c, reply } of await sendBatch(batch)) {
            const frame = (c.frame as { data: string }).data.slice(0, 300);
            expect({ frame, type: reply.type, code: "code" in reply ? reply.code : undefined }).toEqual({
              frame,
              type: "error",
              code: c.code,
            });
          }
          cases += batch.length;
          await expectNothingChanged(before);
        }),
        params(QUESTION_RUNS),
      );
      await expectSameClass();
    }
    console.log(`live fuzz: ${cases} refused answers and launches with a question open`);
  },
  timeLimit(QUESTION_RUNS * DRAFTS.length),
);

// ---- Before admission: tokens and class ids --------------------------------------------

const TOKEN_RUNS = 150;
/** Opens a socket and resolves with how it ended: a welcome, or the close code. */
function attempt(url: string): Promise<{ welcome: boolean; code: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let welcome = false;
    ws.onmessage = (e) => {
      if ((JSON.parse(String(e.data)) as { type: string }).type === "welcome") welcome = true;
      ws.close();
    };
    ws.onclose = (e) => resolve({ welcome, code: e.code });
  });
}
const enc = (s: string) => encodeURIComponent(Buffer.from(s, "utf8").toString("utf8"));
/** A valid token with one character of its signature, payload or header changed, or its parts reordered. */
const mangledToken = fc.tuple(fc.nat(), fc.constantFrom("sig", "payload", "header", "swap", "none")).map(([n, how]) => async () => {
  const [h, p, s] = (await t.token("teacher", teacherId)).split(".");
  const flip = (x: string) => {
    // Never the last character: its low bits may be padding, so changing it can leave the
    // decoded bytes (and so the token) exactly as they were.
    const i = n % (x.length - 1);
    return x.slice(0, i) + (x[i] === "A" ? "B" : "A") + x.slice(i + 1);
  };
  if (how === "sig") return `${h}.${p}.${flip(s)}`;
  if (how === "payload") return `${h}.${flip(p)}.${s}`;
  if (how === "header") return `${flip(h)}.${p}.${s}`;
  if (how === "swap") return `${p}.${h}.${s}`;
  return `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${p}.`;
});

test(
  "sockets with a bad token (4001) or an unknown class (4004) are closed before any welcome and change nothing",
  async () => {
    const before = await restSnapshot(t, { classes: [classId] });
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .tuple(
              fc.oneof(
                nastyString.filter((x) => x.length > 0),
                mangledToken,
              ),
              fc.constant(classId),
            )
            .map(([tok, id]) => ({ tok, id, code: CLOSE.unauthorized })),
          fc
            .tuple(
              fc.constant(null),
              fc.string({ minLength: 1, maxLength: 60 }).filter((id) => id !== classId),
            )
            .map(([tok, id]) => ({ tok, id, code: CLOSE.notFound })),
        ),
        async ({ tok, id, code }) => {
          const token = tok === null ? await t.token("teacher", teacherId) : typeof tok === "function" ? await tok() : tok;
          const url = `${t.base.replace(/^http/, "ws")}/api/classes/${enc(id)}/live?token=${enc(token)}`;
          const got = await attempt(url);
          cases++;
          // An id that is not a path segment (empty after decoding, a slash) never reaches the live route: 1006 or 1002 without an upgrade
          // is fine too.
          const expectedCodes = /^[^/]+$/.test(id) && id !== "." && id !== ".." ? [code] : [code, 1002, 1006];
          expect({ id, token: token.slice(0, 80), welcome: got.welcome, code: expectedCodes.includes(got.code) ? code : got.code }).toEqual(
            { id, token: token.slice(0, 80), welcome: false, code },
          );
        },
      ),
      params(TOKEN_RUNS),
    );
    for (const s of sockets) expect(s.events).toEqual([]);
    expect(await restSnapshot(t, { classes: [classId] })).toEqual(before);
    console.log(`live fuzz: ${cases} refused connections`);
  },
  timeLimit(TOKEN_RUNS),
);
