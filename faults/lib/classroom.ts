// A live class spread over several instances, with a quiz whose every acknowledged answer is
// remembered, so a fault can be checked for lost answers afterwards: a teacher on the first
// instance (it becomes the owner), students spread over all of them, one open question.
import { mintToken } from "../../packages/server/src/auth/tokens.ts";
import { api } from "../../packages/server/test/support/instances.ts";
import { join, type Peer } from "../../packages/server/test/support/ws.ts";
import type { InstanceProc, Topology } from "./procs.ts";
import { until } from "./procs.ts";

const QUESTION = {
  kind: "single",
  prompt: "2 + 2 = ?",
  options: [
    { id: "a", text: "3" },
    { id: "b", text: "4" },
  ],
  correct: "b",
} as const;

export interface Student {
  id: string;
  token: string;
  /** The instance the student's load balancer picks first. */
  home: InstanceProc;
  peer: Peer | null;
  answerId: string;
  /** When the answer was acknowledged (epoch ms), once it was. */
  ackedAt: number | null;
  /** When the student first sent the answer (epoch ms). */
  sentAt: number | null;
}

async function ok(base: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const r = await api(base, method, path, token, body);
  if (r.status >= 300) throw new Error(`${method} ${path} on ${base}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export class Classroom {
  readonly students: Student[] = [];
  teacherPeer: Peer | null = null;
  questionId = "";
  /** Instances that are up; students whose socket closed reconnect to one of these. */
  up: InstanceProc[];
  /** Error codes seen while answering, by code (what students were told during the fault). */
  readonly errors = new Map<string, number>();
  private readonly peers: Peer[] = [];

  private constructor(
    readonly classId: string,
    readonly teacherToken: string,
    instances: InstanceProc[],
  ) {
    this.up = [...instances];
  }

  /** Creates a course with `students` students, schedules and starts its class, and waits until
   *  every instance's catalogue copy has it live. The teacher joins on instances[0]. */
  static async open(t: Topology, instances: InstanceProc[], studentCount: number, tag = "run"): Promise<Classroom> {
    const first = instances[0].base;
    const token = (role: "student" | "teacher" | "admin", sub: string) => mintToken(t.jwtSecret, { sub, role, ttlSeconds: 3600 });
    const admin = await token("admin", "fault-admin");
    const teacherId = `t-${tag}`;
    const teacherToken = await token("teacher", teacherId);
    await ok(first, "GET", "/api/me", teacherToken);
    const course = await ok(first, "POST", "/api/courses", admin, {
      title: `Faults ${tag}`,
      status: "active",
      capacity: Math.max(studentCount, 10),
      teacherId,
    });
    const ids = Array.from({ length: studentCount }, (_, i) => `${tag}-s${i}`);
    for (let i = 0; i < ids.length; i += 1000)
      await ok(first, "POST", `/api/courses/${course.id}/enrollments`, teacherToken, { studentIds: ids.slice(i, i + 1000) });
    const cls = await ok(first, "POST", `/api/courses/${course.id}/classes`, teacherToken, {
      startsAt: new Date().toISOString(),
      durationMinutes: 60,
    });
    await ok(first, "POST", `/api/classes/${cls.id}/start`, teacherToken);
    // Catalogue changes reach the other instances through Redis: wait for the live class and the roster.
    for (const inst of instances.slice(1)) {
      await until(
        `${inst.name} sees the class live and ${studentCount} enrolled`,
        async () => {
          const c = await api(inst.base, "GET", `/api/classes/${cls.id}`, teacherToken);
          const co = await api(inst.base, "GET", `/api/courses/${course.id}`, teacherToken);
          return c.body?.status === "live" && co.body?.enrolled === studentCount;
        },
        20_000,
        100,
      );
    }
    const room = new Classroom(cls.id, teacherToken, instances);
    const tokens = await Promise.all(ids.map((id) => token("student", id)));
    ids.forEach((id, i) =>
      room.students.push({
        id,
        token: tokens[i],
        home: instances[i % instances.length],
        peer: null,
        answerId: `${tag}-${id}`,
        ackedAt: null,
        sentAt: null,
      }),
    );
    return room;
  }

  private track(peer: Peer): Peer {
    this.peers.push(peer);
    return peer;
  }

  /** The teacher joins on the first instance (which takes the class: it becomes the owner) and
   *  opens the question; then every student joins on their home instance. */
  async begin(who: Student[] = this.students, joinConcurrency = 50): Promise<void> {
    const first = this.up[0].base;
    this.teacherPeer = this.track((await join(first, this.classId, this.teacherToken)).peer);
    const { questionId } = (await this.teacherPeer.request({ type: "quiz.launch", question: QUESTION, timeLimitSeconds: 600 })) as {
      questionId: string;
    };
    this.questionId = questionId;
    for (let i = 0; i < who.length; i += joinConcurrency) {
      await Promise.all(
        who.slice(i, i + joinConcurrency).map(async (s) => (s.peer = this.track((await join(s.home.base, this.classId, s.token)).peer))),
      );
    }
  }

  /** Students on `inst` (by home). */
  on(inst: InstanceProc): Student[] {
    return this.students.filter((s) => s.home === inst);
  }

  /** Sends the student's answer (always the same answerId) until it is acknowledged or the deadline
   *  passes, reconnecting (home first, then any instance that is up) when the socket closed. */
  async answer(s: Student, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    s.sentAt ??= Date.now();
    while (s.ackedAt === null && Date.now() < deadline) {
      try {
        if (!s.peer || s.peer.ws.readyState !== WebSocket.OPEN) {
          const at = this.up.includes(s.home) ? s.home : this.up[this.students.indexOf(s) % this.up.length];
          s.peer?.close();
          s.peer = this.track((await join(at.base, this.classId, s.token)).peer);
        }
        await s.peer.request({ type: "quiz.answer", questionId: this.questionId, answerId: s.answerId, response: { choice: "b" } });
        s.ackedAt = Date.now();
      } catch (e) {
        const code = String((e as { code?: unknown }).code ?? "no-reply");
        this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
        await Bun.sleep(150);
      }
    }
    return s.ackedAt !== null;
  }

  /** Answers for all of `students` at once; how many were acknowledged. */
  async answerAll(students: Student[], timeoutMs: number): Promise<number> {
    const r = await Promise.all(students.map((s) => this.answer(s, timeoutMs)));
    return r.filter(Boolean).length;
  }

  acked(): Student[] {
    return this.students.filter((s) => s.ackedAt !== null);
  }

  /** Acknowledged answers missing from the results `inst` serves (read after the fault). */
  async lostOn(inst: InstanceProc): Promise<string[]> {
    const r = await api(inst.base, "GET", `/api/classes/${this.classId}/results?format=json`, this.teacherToken);
    if (r.status !== 200) throw new Error(`results on ${inst.name}: ${r.status} ${JSON.stringify(r.body)}`);
    const q = (r.body.questions as { questionId: string; answers: { answerId: string }[] }[]).find((x) => x.questionId === this.questionId);
    const have = new Set((q?.answers ?? []).map((a) => a.answerId));
    return this.acked()
      .filter((s) => !have.has(s.answerId))
      .map((s) => s.answerId);
  }

  /** Lost answers on every instance that is up (each must hold them all); the largest count. */
  async lost(): Promise<{ lost: number; detail: Record<string, string[]> }> {
    const detail: Record<string, string[]> = {};
    let lost = 0;
    for (const inst of this.up) {
      // Results are copied from Redis on read; give asynchronous re-sharing a moment to land.
      let missing: string[] = [];
      await until(
        `${inst.name} results hold every acknowledged answer`,
        async () => (missing = await this.lostOn(inst)).length === 0,
        10_000,
        250,
      ).catch(() => {});
      if (missing.length) detail[inst.name] = missing;
      lost = Math.max(lost, missing.length);
    }
    return { lost, detail };
  }

  close(): void {
    for (const p of this.peers) p.close();
  }
}
