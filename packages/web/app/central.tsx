// The centre's view of every city (issue 18): classes, results and attendance from the central
// service (GET /api/central/*, passed on by this server when CENTRAL_URL is set), filtered by
// school, city, course and date. For platform admins and school admins (the centre answers a school
// admin with their school's rows only). Loaded lazily.
import { useEffect, useState } from "preact/hooks";
import { api, session } from "./api.ts";
import { apiErrorText } from "./errors.ts";
import { dateTime, num, t } from "./i18n.ts";
import { Header, statusText } from "./ui.tsx";

type View = "classes" | "results" | "attendance";
interface Row {
  city: string;
  schoolId: string;
  classId: string;
  courseId: string | null;
  title?: string;
  status?: string;
  startedAt?: number | null;
  endedAt?: number | null;
  attendees?: number;
  questions?: number;
  answers?: number;
  correct?: number;
  points?: number;
  userId?: string;
  role?: string;
  joinedAt?: number;
  leftAt?: number | null;
}
interface Filters {
  school: string;
  city: string;
  courseId: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { school: "", city: "", courseId: "", from: "", to: "" };
const VIEWS: View[] = ["classes", "results", "attendance"];
const DAY = 86_400_000;

/** The query string: days are the browser's days (from its midnight; "to" includes its whole day). */
function centralQuery(f: Filters): string {
  const q = new URLSearchParams();
  if (f.school.trim()) q.set("school", f.school.trim());
  if (f.city.trim()) q.set("city", f.city.trim());
  if (f.courseId.trim()) q.set("courseId", f.courseId.trim());
  if (f.from) q.set("from", new Date(`${f.from}T00:00`).toISOString());
  if (f.to) q.set("to", new Date(new Date(`${f.to}T00:00`).getTime() + DAY).toISOString());
  q.set("limit", "500");
  return q.toString();
}

const when = (ms: number | null | undefined) => (typeof ms === "number" ? dateTime(new Date(ms)) : "—");

export function CentralPage() {
  const [view, setView] = useState<View>("classes");
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let stop = false;
    // The city passes only a bearer token on; the centre cannot verify a school sign-in's cookie (docs/central.md).
    if (!session()?.token) return void (setRows([]), setError(t("central.cookieSession")));
    setRows(null);
    api<{ items: Row[] }>("GET", `/api/central/${view}?${centralQuery(filters)}`).then(
      (r) => !stop && (setRows(r.items), setError("")),
      (e) => !stop && (setRows([]), setError(apiErrorText(e))),
    );
    return () => void (stop = true);
  }, [view, filters]);
  const field = (k: keyof Filters, date = false) => {
    const set = (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
    return (
      <div class="field">
        <label for={`central-${k}`}>{t(`central.${k}`)}</label>
        {date ? (
          <input id={`central-${k}`} type="date" value={draft[k]} onInput={set} />
        ) : (
          <input id={`central-${k}`} type="text" value={draft[k]} onInput={set} />
        )}
      </div>
    );
  };
  return (
    <div class="page central" data-view="central">
      <Header title={t("central.title")} />
      <main>
        <section class="card" aria-labelledby="central-filters-h">
          <h2 id="central-filters-h">{t("central.filters")}</h2>
          <form
            class="row wrap"
            onSubmit={(e) => {
              e.preventDefault();
              setFilters(draft);
            }}
          >
            {field("school")}
            {field("city")}
            {field("courseId")}
            {field("from", true)}
            {field("to", true)}
            <button type="submit">{t("central.show")}</button>
            <button type="button" class="link" onClick={() => (setDraft(EMPTY), setFilters(EMPTY))}>
              {t("central.clear")}
            </button>
          </form>
        </section>
        <section class="card" aria-labelledby="central-h">
          <h2 id="central-h">{t(`central.${view}`)}</h2>
          <div class="row" role="group" aria-label={t("central.view")}>
            {VIEWS.map((v) => (
              <button type="button" key={v} aria-pressed={view === v} onClick={() => setView(v)}>
                {t(`central.${v}`)}
              </button>
            ))}
          </div>
          {rows === null && <p class="muted">{t("nav.loading")}</p>}
          {rows?.length === 0 && !error && <p class="muted">{t("central.nothing")}</p>}
          {rows && rows.length > 0 && (
            <div class="table-wrap">
              <table data-rows={rows.length}>
                <thead>
                  <tr>
                    <th scope="col">{t("central.city")}</th>
                    <th scope="col">{t("central.school")}</th>
                    <th scope="col">{t("central.class")}</th>
                    <th scope="col">{t("central.courseId")}</th>
                    {view === "classes" && (
                      <>
                        <th scope="col">{t("central.status")}</th>
                        <th scope="col">{t("central.ended")}</th>
                        <th scope="col">{t("central.attendees")}</th>
                        <th scope="col">{t("central.correctOfAnswers")}</th>
                      </>
                    )}
                    {view === "results" && (
                      <>
                        <th scope="col">{t("central.student")}</th>
                        <th scope="col">{t("central.correctOfAnswers")}</th>
                        <th scope="col">{t("central.points")}</th>
                      </>
                    )}
                    {view === "attendance" && (
                      <>
                        <th scope="col">{t("central.student")}</th>
                        <th scope="col">{t("central.joined")}</th>
                        <th scope="col">{t("central.left")}</th>
                      </>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => (
                    <tr key={i} data-city={r.city}>
                      <td>{r.city}</td>
                      <td>{r.schoolId}</td>
                      <td>{r.title ? `${r.title} (${r.classId})` : r.classId}</td>
                      <td>{r.courseId ?? "—"}</td>
                      {view === "classes" && (
                        <>
                          <td>{statusText(r.status ?? "")}</td>
                          <td>{when(r.endedAt)}</td>
                          <td>{num(r.attendees ?? 0)}</td>
                          <td>{t("central.ofN", { n: num(r.correct ?? 0), of: num(r.answers ?? 0) })}</td>
                        </>
                      )}
                      {view === "results" && (
                        <>
                          <td>{r.userId}</td>
                          <td>{t("central.ofN", { n: num(r.correct ?? 0), of: num(r.answers ?? 0) })}</td>
                          <td>{num(r.points ?? 0)}</td>
                        </>
                      )}
                      {view === "attendance" && (
                        <>
                          <td>{r.userId}</td>
                          <td>{when(r.joinedAt)}</td>
                          <td>{when(r.leftAt)}</td>
                        </>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p class="error" role="alert">
            {error}
          </p>
        </section>
      </main>
    </div>
  );
}
