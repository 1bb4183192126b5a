// The live class in the page: one EdgeClassClient (the typed SDK, never a second copy of the
// protocol) and a hook that re-renders at most once a frame however many events arrive.
import { useEffect, useMemo, useReducer, useRef } from "preact/hooks";
import { CLOSE, EdgeClassClient, type ConnectionInfo, type Reaction } from "@edgeclass/client";
import type { ErrorCode } from "@edgeclass/client/codes";
import { liveToken } from "./api.ts";
import { bump, faded, type Fading } from "./decay.ts";

export type Phase =
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "reconnecting"; attempt: number }
  | { kind: "not-started"; reason: string }
  | { kind: "full"; reason: string; code?: ErrorCode }
  | { kind: "denied"; reason: string; code?: ErrorCode }
  | { kind: "ended" }
  | { kind: "replaced" }
  | { kind: "failed"; reason: string };

function phaseOf(client: EdgeClassClient, info: ConnectionInfo): Phase {
  if (client.state.ended) return { kind: "ended" };
  switch (info.status) {
    case "idle":
    case "connecting":
      return { kind: "connecting" };
    case "open":
      return { kind: "live" };
    case "reconnecting":
      return client.state.ready ? { kind: "reconnecting", attempt: info.attempt } : { kind: "connecting" };
    case "closed": {
      const code = info.closeCode;
      const reason = info.closeReason || info.error?.message || "connection closed";
      // The refusal's stable code (sent before the close) decides; close codes are coarser (4003 is full and not enrolled).
      const sc = info.error?.serverCode;
      if (sc === "class-full") return { kind: "full", reason, code: sc };
      if (sc === "class-not-started") return { kind: "not-started", reason };
      if (sc === "class-ended") return { kind: "ended" };
      if (sc === "replaced") return { kind: "replaced" };
      if (sc === "not-enrolled" || sc === "policy-denied" || sc === "removed") return { kind: "denied", reason, code: sc };
      // A class that is only scheduled closes with 4010 and "class has not started".
      if (code === CLOSE.notStarted || /not started/i.test(reason)) return { kind: "not-started", reason };
      if (code === CLOSE.classEnded) return { kind: "ended" };
      if (code === CLOSE.replaced) return { kind: "replaced" };
      if (code === CLOSE.removed) return { kind: "denied", reason }; // taken out by staff, unenrolled or archived: no retry
      if (code === CLOSE.policyDenied || code === CLOSE.notFound) {
        // "Full" only when capacity is the sole reason (the policy may give several, joined by "; ").
        if (reason.split(/;\s*/).every((r) => /\bfull\b/i.test(r))) return { kind: "full", reason };
        return { kind: "denied", reason };
      }
      return { kind: "failed", reason };
    }
  }
}

export interface Live {
  client: EdgeClassClient;
  phase: Phase;
  /** serverTime - Date.now() at the last welcome: countdowns use the server's clock. */
  clockOffset(): number;
  /** Start over with a new connection (after "not started", or "failed"). */
  retry(): void;
  /** Reactions counted since this page joined (the server sends the counts of each tick). */
  reactions: Partial<Record<Reaction, number>>;
  /** The same counts fading (half-life 20 s): how much the class reacts now. */
  recentReactions(now: number): Partial<Record<Reaction, number>>;
}

/** Connects to the class for the signed-in user; the component re-renders (once per frame at most) on every change. */
export function useLive(classId: string): Live {
  const [gen, again] = useReducer((n: number) => n + 1, 0);
  const [, render] = useReducer((n: number) => n + 1, 0);
  const offset = useRef(0);
  const totals = useRef<Partial<Record<Reaction, number>>>({});
  const recent = useRef<Partial<Record<Reaction, Fading>>>({});
  const client = useMemo(
    () =>
      new EdgeClassClient({
        baseUrl: location.origin,
        classId,
        token: liveToken,
        autoConnect: false,
        reconnect: { initialDelayMs: 300, maxDelayMs: 4000, maxInitialAttempts: 3 },
      }),
    [classId, gen],
  );
  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      if (frame === 0) frame = requestAnimationFrame(() => ((frame = 0), render(0)));
    };
    const offs = [
      client.on("state", schedule),
      client.on("status", schedule),
      client.on("quiz.result", schedule),
      client.on("welcome", (m) => (offset.current = m.serverTime - Date.now())),
      client.on("reactions", (m) => {
        const t = { ...totals.current };
        const now = Date.now();
        for (const [k, n] of Object.entries(m.counts)) {
          t[k as Reaction] = (t[k as Reaction] ?? 0) + (n ?? 0);
          recent.current[k as Reaction] = bump(recent.current[k as Reaction], n ?? 0, now);
        }
        totals.current = t;
      }),
    ];
    client.connect().catch(() => {});
    return () => {
      offs.forEach((off) => off());
      cancelAnimationFrame(frame);
      client.close();
    };
  }, [client]);
  const phase = phaseOf(client, client.connection);
  // "Not started": look again every few seconds, so the page goes live by itself when the teacher starts.
  useEffect(() => {
    if (phase.kind !== "not-started") return;
    const t = setTimeout(() => again(0), 4000);
    return () => clearTimeout(t);
  }, [phase.kind, client]);
  // "Full": try again by itself (issue 16 defect 12), after 5-10 s, then longer up to 30-60 s, with jitter
  // so that everyone turned away by one burst does not come back at the same instant.
  const fullTries = useRef(0);
  useEffect(() => {
    if (phase.kind === "live") fullTries.current = 0;
    if (phase.kind !== "full") return;
    const base = Math.min(60_000, 10_000 * 2 ** Math.min(fullTries.current, 3));
    const t = setTimeout(() => ((fullTries.current += 1), again(0)), base / 2 + (Math.random() * base) / 2);
    return () => clearTimeout(t);
  }, [phase.kind, client]);
  const recentReactions = (now: number) =>
    Object.fromEntries(Object.entries(recent.current).map(([k, f]) => [k, faded(f, now)])) as Partial<Record<Reaction, number>>;
  return { client, phase, clockOffset: () => offset.current, retry: () => again(0), reactions: totals.current, recentReactions };
}

/** Re-renders every `ms` while `on` (countdowns). */
export function useTicker(on: boolean, ms = 250): void {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => tick(0), ms);
    return () => clearInterval(t);
  }, [on, ms]);
}
