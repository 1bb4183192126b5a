// The class's grades on their way to the LMS gradebook (LTI AGS outbox), on the teacher's ended
// page: how many were sent, are waiting for another try, or were given up, with the LMS's last
// answer per student, and "send again" for the given-up ones. Shown only for a class linked from
// an LMS (no rows: nothing). Polled while some are waiting.
import { useEffect, useState } from "preact/hooks";
import type { ClassResults } from "@edgeclass/client/api";
import { api } from "./api.ts";
import { apiErrorText } from "./errors.ts";
import { t, timeLong } from "./i18n.ts";

interface GradeItem {
  userId: string;
  status: "pending" | "sent" | "failed";
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}
interface Grades {
  sent: number;
  pending: number;
  failed: number;
  items: GradeItem[];
}

/** How often the page asks again while grades are waiting (the outbox's first retries are seconds apart). */
const POLL_MS = 2_000;

export function LmsGrades({ classId }: { classId: string }) {
  const k = `/api/classes/${encodeURIComponent(classId)}`;
  const [g, setG] = useState<Grades | null>(null);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const grades = () => api<Grades>("GET", `${k}/lti/grades`);
  const load = () => grades().then(setG, () => {});
  useEffect(() => {
    // Both asked at once; the first rows wait for the students' names, so they do not show ids that then turn into names.
    const named = api<ClassResults>("GET", `${k}/results`).then(
      (r) => setNames(new Map(r.students.map((s) => [s.userId, s.name]))),
      () => {},
    );
    void Promise.all([grades(), named]).then(
      ([first]) => setG(first),
      () => {},
    );
  }, [classId]);
  useEffect(() => {
    if (!g?.pending) return;
    const timer = setTimeout(load, POLL_MS);
    return () => clearTimeout(timer);
  }, [g]);
  if (!g || g.items.length === 0) return null;
  const retry = async () => {
    setError("");
    try {
      const r = await api<{ requeued: number }>("POST", `${k}/lti/grades/retry`);
      setNote(t("lms.retried", { count: r.requeued }));
      await load();
    } catch (e) {
      setError(apiErrorText(e));
    }
  };
  const trouble = g.items.filter((i) => i.status === "failed" || (i.status === "pending" && i.lastError !== null));
  const name = (id: string) => names.get(id) ?? id;
  return (
    <section class="lms-grades" aria-labelledby="lms-h" data-lms-grades={`${g.sent}/${g.pending}/${g.failed}`}>
      <h3 id="lms-h">{t("lms.title")}</h3>
      <p>{t("lms.counts", { sent: g.sent, pending: g.pending, failed: g.failed })}</p>
      {trouble.length > 0 && (
        <ul>
          {trouble.map((i) => (
            <li key={i.userId} data-grade={i.status}>
              {i.status === "failed"
                ? t("lms.rowFailed", { name: name(i.userId), count: i.attempts, error: i.lastError ?? "" })
                : t("lms.rowWaiting", {
                    name: name(i.userId),
                    time: i.nextAttemptAt ? timeLong(i.nextAttemptAt) : "",
                    error: i.lastError ?? "",
                  })}
            </li>
          ))}
        </ul>
      )}
      {g.failed > 0 && (
        <button type="button" onClick={retry}>
          {t("lms.retry")}
        </button>
      )}
      <p class="muted" role="status">
        {note}
      </p>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}
