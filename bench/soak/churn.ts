// The soak's load: one live class with people coming and going. A steady stream of joins,
// leaves, reconnects, chat, reactions and hands; the teacher runs a quiz cycle; a little
// video (one WHIP publisher, WHEP viewers that come and go) when WebRTC peers can run here.
import { mintToken } from "../../packages/server/src/auth/tokens.ts";
import type { QuizResponse } from "@edgeclass/client/protocol";
import { Participant, type Tally } from "./participant.ts";

export interface ClassSetup {
  base: string;
  secret: string;
  classId: string;
  teacherId: string;
  studentIds: string[];
  /** Students that stay in the class and watch the video (WHEP needs an admitted participant). */
  viewerIds: string[];
}

export interface ChurnCounts {
  joins: number;
  leaves: number;
  reconnects: number;
  chats: number;
  reactions: number;
  hands: number;
  quizzes: number;
  answers: number;
  answerAcks: number;
  /** Answers whose socket went away (the student left or reconnected meanwhile). */
  answersCutOff: number;
  whep: number;
  whepFailed: number;
  whip: number;
  rest: number;
  restErrors: number;
}

const REACTIONS = ["thumbs_up", "clap", "laugh", "wow", "heart", "confused"] as const;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

type Peer = { close(): void; location: string };
type MediaKit = {
  publish(url: string, token: string): Promise<Peer>;
  watch(url: string, token: string): Promise<Peer>;
};

/** WebRTC peers (node-datachannel) when they load here; null otherwise (the soak then says so). */
export async function loadMedia(): Promise<MediaKit | null> {
  try {
    const m = await import("../sfu/ndc-peer.ts");
    return {
      async publish(url, token) {
        const p = new m.SyntheticPublisher({ bitrateKbps: 300, fps: 15, keyframeEveryS: 2, packetBytes: 1000 });
        await p.connect(url, m.signalAs(token));
        p.start();
        return p;
      },
      async watch(url, token) {
        const s = new m.CountingSubscriber("soak-viewer", false);
        const signal = m.signalAs(token);
        try {
          await s.connect(url, signal);
        } catch (e) {
          s.close();
          if (s.location) await signal.remove(new URL(s.location, url).href).catch(() => {});
          throw e;
        }
        return s;
      },
    };
  } catch {
    return null;
  }
}

export class Churn {
  readonly counts: ChurnCounts = {
    joins: 0,
    leaves: 0,
    reconnects: 0,
    chats: 0,
    reactions: 0,
    hands: 0,
    quizzes: 0,
    answers: 0,
    answerAcks: 0,
    answersCutOff: 0,
    whep: 0,
    whepFailed: 0,
    whip: 0,
    rest: 0,
    restErrors: 0,
  };
  readonly teacher: Participant;
  readonly students: Participant[];
  readonly viewers: Participant[];
  private readonly busy = new Set<Participant>();
  private readonly inflight = new Set<Promise<unknown>>();
  private running = false;
  private timers: ReturnType<typeof setInterval>[] = [];
  private publisher: Peer | null = null;
  private readonly watching = new Map<Participant, Peer>();
  /** REST calls that answered 5xx, with their path: a soak must see none. */
  readonly serverErrors: string[] = [];

  constructor(
    private readonly setup: ClassSetup,
    tally: Tally,
    private readonly media: MediaKit | null,
  ) {
    const url = async (id: string) => {
      const role = id === setup.teacherId ? "teacher" : "student";
      const token = await mintToken(setup.secret, { sub: id, role, name: `Soak ${id}`, ttlSeconds: 3 * 3600 });
      return `${setup.base.replace(/^http/, "ws")}/api/classes/${setup.classId}/live?token=${token}`;
    };
    this.teacher = new Participant(setup.teacherId, url, tally);
    this.students = setup.studentIds.map((id) => new Participant(id, url, tally));
    this.viewers = setup.viewerIds.map((id) => new Participant(id, url, tally));
  }

  private token(id: string, role: "teacher" | "student") {
    return mintToken(this.setup.secret, { sub: id, role, name: `Soak ${id}`, ttlSeconds: 3 * 3600 });
  }

  get online(): number {
    return this.students.filter((s) => s.online).length + this.viewers.filter((s) => s.online).length + (this.teacher.online ? 1 : 0);
  }

  /** Keeps a promise counted until it settles, so stop() can wait for everything in flight. */
  private track<T>(p: Promise<T>): void {
    const q = p.catch(() => {}).finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  /** Teacher, viewers and (when media loads) the publisher in; then the churn at `rate` actions per second. */
  async start(rate: number): Promise<void> {
    this.running = true;
    if (!(await this.teacher.join())) throw new Error("the teacher could not join");
    for (const v of this.viewers) if (!(await v.join())) throw new Error(`viewer ${v.id} could not join`);
    if (this.media) {
      this.publisher = await this.media.publish(
        `${this.setup.base}/api/classes/${this.setup.classId}/whip`,
        await this.token(this.setup.teacherId, "teacher"),
      );
      this.counts.whip++;
    }
    this.timers.push(setInterval(() => this.running && this.track(this.step()), 1000 / rate));
    this.timers.push(setInterval(() => this.running && this.track(this.quizCycle()), 12_000));
    this.timers.push(setInterval(() => this.running && this.track(this.restReads()), 5_000));
    if (this.media) this.timers.push(setInterval(() => this.running && this.track(this.videoStep()), 7_000));
  }

  /** One random action by one student. */
  private async step(): Promise<void> {
    const free = this.students.filter((s) => !this.busy.has(s));
    const online = free.filter((s) => s.online);
    const offline = free.filter((s) => !s.online);
    // Keep about two thirds of the class in: more joins below that, more leaves above it.
    const share = online.length / Math.max(1, this.students.length);
    const [pJoin, pLeave] = share < 2 / 3 ? [0.3, 0.08] : [0.1, 0.28];
    const r = Math.random();
    let action: "join" | "leave" | "reconnect" | "chat" | "reaction" | "hand";
    if (r < pJoin) action = offline.length > 0 ? "join" : "reconnect";
    else if (r < pJoin + pLeave) action = "leave";
    else if (r < pJoin + pLeave + 0.12) action = "reconnect";
    else if (r < 0.75) action = "chat";
    else if (r < 0.88) action = "reaction";
    else action = "hand";
    const who = action === "join" ? pick(offline) : pick(online);
    if (!who) return;
    this.busy.add(who);
    try {
      switch (action) {
        case "join":
          if (await who.join()) this.counts.joins++;
          break;
        case "leave":
          await who.leave();
          this.counts.leaves++;
          break;
        case "reconnect":
          await who.leave();
          if (await who.join()) this.counts.reconnects++;
          break;
        case "chat": {
          // Within the per-student limit (one every 2 s after a burst of 5): a soak measures leaks, not refusals.
          await who.request({ type: "chat.send", text: `soak ${this.counts.chats} ${"é∑🙂".repeat(Math.floor(Math.random() * 20))}` });
          this.counts.chats++;
          break;
        }
        case "reaction":
          await who.request({ type: "reaction", reaction: pick(REACTIONS) });
          this.counts.reactions++;
          break;
        case "hand":
          await who.request({ type: Math.random() < 0.6 ? "hand.raise" : "hand.lower" });
          this.counts.hands++;
          break;
      }
    } finally {
      this.busy.delete(who);
    }
  }

  /** Launch, answers from whoever is in, reveal, sometimes the leaderboard and a hand cleared. */
  private async quizCycle(): Promise<void> {
    const launched = await this.teacher.request({
      type: "quiz.launch",
      timeLimitSeconds: 8,
      question: {
        kind: "single",
        prompt: `Soak question ${this.counts.quizzes + 1}`,
        options: [
          { id: "a", text: "A" },
          { id: "b", text: "B" },
          { id: "c", text: "C" },
        ],
        correct: "a",
        points: 100,
      },
    });
    if (!launched.ok) return;
    this.counts.quizzes++;
    const questionId = (launched.result as { questionId: string }).questionId;
    const answering = [...this.students, ...this.viewers].filter((s) => s.online && !this.busy.has(s));
    await Promise.all(
      answering.map(async (s, i) => {
        await Bun.sleep(Math.random() * 4000);
        const response: QuizResponse = { choice: pick(["a", "b", "c"]) };
        this.counts.answers++;
        const r = await s.request({ type: "quiz.answer", questionId, answerId: `a-${questionId}-${i}`, response });
        if (r.ok) this.counts.answerAcks++;
        else if (r.code === "connection-lost" || r.code === "offline") this.counts.answersCutOff++;
      }),
    );
    await Bun.sleep(1000);
    await this.teacher.request({ type: "quiz.reveal" });
    if (this.counts.quizzes % 3 === 0) await this.teacher.request({ type: "leaderboard.show" });
    if (this.counts.quizzes % 2 === 0) await this.teacher.request({ type: "hand.clear" });
    await this.teacher.request({ type: "chat.send", text: `question ${this.counts.quizzes} revealed` });
  }

  /** What a teacher's console reads now and then: results, attendance, the roster. */
  private async restReads(): Promise<void> {
    const token = await this.token(this.setup.teacherId, "teacher");
    for (const path of [
      `/api/classes/${this.setup.classId}/results`,
      `/api/classes/${this.setup.classId}/attendance`,
      `/api/classes/${this.setup.classId}`,
    ]) {
      const res = await fetch(this.setup.base + path, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      this.counts.rest++;
      if (res.status >= 400) this.counts.restErrors++;
      if (res.status >= 500) this.serverErrors.push(`${res.status} ${path}`);
    }
  }

  /** A viewer starts or stops watching (WHEP open, or close and DELETE). */
  private async videoStep(): Promise<void> {
    const v = pick(this.viewers.filter((x) => !this.busy.has(x)));
    if (!v || !this.media) return;
    this.busy.add(v);
    try {
      const peer = this.watching.get(v);
      if (peer) {
        this.watching.delete(v);
        await this.unwatch(v.id, peer);
      } else if (v.online) {
        try {
          this.watching.set(
            v,
            await this.media.watch(`${this.setup.base}/api/classes/${this.setup.classId}/whep`, await this.token(v.id, "student")),
          );
          this.counts.whep++;
        } catch {
          this.counts.whepFailed++;
        }
      }
    } finally {
      this.busy.delete(v);
    }
  }

  private async unwatch(id: string, peer: Peer, role: "student" | "teacher" = "student"): Promise<void> {
    peer.close();
    if (!peer.location) return;
    const res = await fetch(new URL(peer.location, this.setup.base), {
      method: "DELETE",
      headers: { authorization: `Bearer ${await this.token(id, role)}` },
    });
    await res.arrayBuffer();
  }

  /** Stops the churn, waits for what is in flight, and takes everyone and every media session out. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all([...this.inflight]);
    for (const [v, peer] of this.watching) await this.unwatch(v.id, peer).catch(() => {});
    this.watching.clear();
    if (this.publisher) await this.unwatch(this.setup.teacherId, this.publisher, "teacher").catch(() => {});
    this.publisher = null;
    await Promise.all([...this.students, ...this.viewers, this.teacher].map((p) => p.leave()));
  }
}
