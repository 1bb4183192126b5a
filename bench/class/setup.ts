// bench:class helpers: the server's REST set-up (courses, enrolments, classes), reading the
// results back, process CPU/RSS from /proc, the open-files limit, child processes over IPC.
import { readdirSync, readFileSync } from "node:fs";
import { fetchUnpooled } from "../../packages/server/src/http/fetch-unpooled.ts";
import { hasTaskset } from "../lib/process.ts";

export interface ClassPlan {
  index: number;
  teacherId: string;
  courseId: string;
  classId: string;
  studentIds: string[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

export async function api<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetchUnpooled(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, text, `${method} ${path}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Creates one active course per class with its students enrolled, schedules a class and starts it. */
export async function setUpClass(
  base: string,
  teacherToken: string,
  plan: Omit<ClassPlan, "courseId" | "classId">,
  capacity: number,
): Promise<ClassPlan> {
  const course = await api<{ id: string }>(base, teacherToken, "POST", "/api/courses", {
    title: `Bench course ${plan.index}`,
    status: "active",
    capacity,
  });
  for (let i = 0; i < plan.studentIds.length; i += 1000) {
    await api(base, teacherToken, "POST", `/api/courses/${course.id}/enrollments`, { studentIds: plan.studentIds.slice(i, i + 1000) });
  }
  const cls = await api<{ id: string }>(base, teacherToken, "POST", `/api/courses/${course.id}/classes`, {
    title: `Bench class ${plan.index}`,
    startsAt: new Date().toISOString(),
    durationMinutes: 120,
  });
  await api(base, teacherToken, "POST", `/api/classes/${cls.id}/start`);
  return { ...plan, courseId: course.id, classId: cls.id };
}

/**
 * Every answer the results document holds, as keys `userId/questionId` and as answer ids.
 * The walk is tolerant of the document's shape: any object carrying a user id (userId,
 * studentId) and a question id, or an answerId, counts.
 */
export function answersIn(doc: unknown): { byUser: Set<string>; answerIds: Set<string> } {
  const byUser = new Set<string>();
  const answerIds = new Set<string>();
  const walk = (x: unknown, questionId: string | undefined) => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y, questionId);
      return;
    }
    if (typeof x !== "object" || x === null) return;
    const o = x as Record<string, unknown>;
    const q = typeof o.questionId === "string" ? o.questionId : questionId;
    const user = typeof o.userId === "string" ? o.userId : typeof o.studentId === "string" ? o.studentId : undefined;
    if (typeof o.answerId === "string") answerIds.add(o.answerId);
    if (user !== undefined && q !== undefined && ("answerId" in o || "response" in o || "correct" in o || "points" in o))
      byUser.add(`${user}/${q}`);
    for (const v of Object.values(o)) if (typeof v === "object" && v !== null) walk(v, q);
  };
  walk(doc, undefined);
  return { byUser, answerIds };
}

const CLK_TCK = 100;
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime
  } catch {
    return NaN;
  }
}

/** Current and peak resident set (MB). */
export function memoryMb(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
    return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** Soft open-files limit of this process (the children inherit it). */
export function openFilesLimit(): number {
  const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync("/proc/self/limits", "utf8"));
  return m === null || m[1] === "unlimited" ? Infinity : Number(m[1]);
}

/** Pins this process and all its threads to one core (best effort). */
export { Child } from "../lib/child.ts";

export function pinSelf(core: number): void {
  if (hasTaskset) Bun.spawnSync(["taskset", "-a", "-p", "-c", String(core), String(process.pid)], { stdout: "ignore", stderr: "ignore" });
}

/**
 * Samples a process's scheduler state and its HTTP responsiveness until stopped: tells a starved process (R, waiting for a CPU) from a
 * blocked one (D) or an idle one (S).
 */
/** CPU seconds per thread name (comm) of a process, from /proc/<pid>/task/<tid>/stat. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / CLK_TCK);
    } catch {}
  }
  return out;
}

export function startProbe(
  pid: number,
  url: string,
  everyMs = 100,
): {
  stop(): {
    samples: number;
    states: Record<string, number>;
    healthzP50Ms: number;
    healthzMaxMs: number;
    runQueueWaitPct: number;
    threadCpuPct: Record<string, number>;
  };
} {
  const threads0 = threadCpu(pid);
  // Main thread's time on a CPU and waiting for one (ns), from /proc/<pid>/schedstat.
  const sched = () => {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ").map(Number);
      return { run, wait };
    } catch {
      return { run: NaN, wait: NaN };
    }
  };
  const sched0 = sched();
  const t0 = performance.now();
  const states: Record<string, number> = {};
  const times: number[] = [];
  let running = true;
  let inFlight = false;
  const timer = setInterval(() => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const st = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      states[st] = (states[st] ?? 0) + 1;
    } catch {}
    if (inFlight || !running) return;
    inFlight = true;
    const t0 = performance.now();
    fetch(url)
      .then((r) => r.arrayBuffer())
      .then(
        () => times.push(performance.now() - t0),
        () => {},
      )
      .finally(() => (inFlight = false));
  }, everyMs);
  return {
    stop() {
      running = false;
      clearInterval(timer);
      const sorted = times.sort((a, b) => a - b);
      const sched1 = sched();
      const elapsedMs = performance.now() - t0;
      const runQueueWaitPct = Math.round(((sched1.wait - sched0.wait) / 1e6 / elapsedMs) * 1000) / 10;
      // Share of the phase each thread group spent on a CPU (the main thread is named after the binary).
      const threadCpuPct: Record<string, number> = {};
      for (const [name, secs] of threadCpu(pid)) {
        const pct = Math.round(((secs - (threads0.get(name) ?? 0)) * 1000 * 1000) / elapsedMs) / 10;
        if (pct > 0) threadCpuPct[name] = pct;
      }
      return {
        threadCpuPct,
        runQueueWaitPct,
        samples: sorted.length,
        states,
        healthzP50Ms: Math.round(sorted[Math.floor(sorted.length / 2)] ?? NaN),
        healthzMaxMs: Math.round(sorted.at(-1) ?? NaN),
      };
    },
  };
}
