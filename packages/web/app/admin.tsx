// Admin at a glance: courses with their enrolments, and the policy's recent join decisions
// (denies with their reasons first). Loaded lazily.
import type { DecisionView } from "@edgeclass/client/api";
import { useEffect, useState } from "preact/hooks";
import { api, navigate, type ClassInfo, type CourseInfo } from "./api.ts";
import { ArchiveCourse } from "./archive.tsx";
import { Header, statusText } from "./ui.tsx";
import { apiErrorText } from "./errors.ts";
import { explainDenial } from "./denial.ts";
import { t, timeLong } from "./i18n.ts";

/** `GET /api/admin/decisions` items. */

export function AdminPage() {
  return (
    <div class="page admin" data-view="admin">
      <Header title={t("admin.title")}>
        <a href="/central" onClick={(e) => (e.preventDefault(), navigate("/central"))}>
          {t("central.open")}
        </a>{" "}
        <a href="/schools" onClick={(e) => (e.preventDefault(), navigate("/schools"))}>
          {t("schools.open")}
        </a>
      </Header>
      <main class="grid">
        <div class="col-main">
          <Decisions />
        </div>
        <div class="col-side">
          <Courses />
        </div>
      </main>
    </div>
  );
}

function Decisions() {
  const [items, setItems] = useState<DecisionView[] | null>(null);
  const [which, setWhich] = useState<"deny" | "all">("deny");
  const [error, setError] = useState("");
  const [nonce, refresh] = useState(0);
  useEffect(() => {
    let stop = false;
    const load = () =>
      api<{ items: DecisionView[] }>("GET", `/api/admin/decisions?limit=100${which === "deny" ? "&decision=deny" : ""}`).then(
        (r) => !stop && (setItems(r.items), setError("")),
        (e) => !stop && setError(e.status === 404 ? t("admin.noDecisions") : apiErrorText(e)),
      );
    void load();
    const timer = setInterval(load, 5000);
    return () => ((stop = true), clearInterval(timer));
  }, [which, nonce]);
  return (
    <section class="card decisions" aria-labelledby="dec-h">
      <h2 id="dec-h">{t("admin.decisions")}</h2>
      <div class="row" role="group" aria-label={t("admin.show")}>
        <button type="button" aria-pressed={which === "deny"} onClick={() => setWhich("deny")}>
          {t("admin.denies")}
        </button>
        <button type="button" aria-pressed={which === "all"} onClick={() => setWhich("all")}>
          {t("admin.all")}
        </button>
        <button type="button" onClick={() => refresh(nonce + 1)}>
          {t("home.refresh")}
        </button>
        <span class="muted">{t("admin.every5")}</span>
      </div>
      {items?.length === 0 && <p class="muted">{t("admin.nothing")}</p>}
      {items && items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("admin.when")}</th>
                <th scope="col">{t("attendance.who")}</th>
                <th scope="col">{t("class.class")}</th>
                <th scope="col">{t("admin.decision")}</th>
                <th scope="col">{t("admin.reasons")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d, i) => (
                <tr key={i} class={d.decision} data-decision={d.decision}>
                  <td>{timeLong(d.at)}</td>
                  <td>
                    {d.userName || d.userId} <span class="muted">{d.userName && d.userName !== d.userId ? d.userId : ""}</span>{" "}
                    <span class="role">{t(`role.${d.role as "student"}`)}</span>
                  </td>
                  <td>
                    <a href={`/class/${d.classId}`} onClick={(e) => (e.preventDefault(), navigate(`/class/${d.classId}`))}>
                      {d.classTitle || t("class.class")}
                    </a>
                    <br />
                    <span class="muted">{d.courseTitle || d.courseId}</span>
                  </td>
                  <td>
                    <span class={`pill ${d.decision}`}>{t(`admin.${d.decision}`)}</span>
                  </td>
                  <td class="reasons">{d.reasons.length ? explainDenial(d.reasons.join("; ")).reasons.join(" ") : "—"}</td>
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
  );
}

function Courses() {
  const [courses, setCourses] = useState<CourseInfo[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState("");
  const load = () =>
    api<{ items: CourseInfo[] }>("GET", "/api/courses?limit=100").then(
      (r) => setCourses(r.items),
      (e) => setError(apiErrorText(e)),
    );
  useEffect(() => void load(), []);
  return (
    <section class="card courses" aria-labelledby="courses-h">
      <h2 id="courses-h">{t("admin.courses")}</h2>
      {courses?.length === 0 && <p class="muted">{t("home.noCourses")}</p>}
      <ul class="course-list">
        {courses?.map((c) => (
          <li key={c.id} data-course={c.id}>
            <button
              type="button"
              class="link course-toggle"
              aria-expanded={open === c.id}
              onClick={() => setOpen(open === c.id ? null : c.id)}
            >
              {c.title}
            </button>{" "}
            <span class={`pill status-${c.status}`}>{statusText(c.status)}</span>{" "}
            <span class="muted">{t("admin.capacity", { n: c.capacity })}</span>
            {open === c.id && <CourseDetail course={c} onChange={load} />}
          </li>
        ))}
      </ul>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

function CourseDetail({ course, onChange }: { course: CourseInfo; onChange(): void }) {
  const [students, setStudents] = useState<{ studentId: string; enrolledAt: string }[] | null>(null);
  const [classes, setClasses] = useState<ClassInfo[]>([]);
  const [add, setAdd] = useState("");
  const [error, setError] = useState("");
  const path = `/api/courses/${encodeURIComponent(course.id)}`;
  const load = () => {
    api<{ items: { studentId: string; enrolledAt: string }[] }>("GET", `${path}/enrollments?limit=500`).then(
      (r) => setStudents(r.items),
      (e) => setError(apiErrorText(e)),
    );
    api<{ items: ClassInfo[] }>("GET", `${path}/classes?limit=50`).then(
      (r) => setClasses(r.items),
      () => {},
    );
  };
  useEffect(load, [course.id]);
  const enrol = async (e: Event) => {
    e.preventDefault();
    const ids = add.split(/[\s,]+/).filter(Boolean);
    if (!ids.length) return;
    try {
      await api("POST", `${path}/enrollments`, { studentIds: ids });
      setAdd("");
      load();
    } catch (err) {
      setError(apiErrorText(err));
    }
  };
  const unenrol = async (id: string) => {
    try {
      await api("DELETE", `${path}/enrollments/${encodeURIComponent(id)}`);
      load();
    } catch (err) {
      setError(apiErrorText(err));
    }
  };
  return (
    <div class="course-detail">
      <p class="muted">{t("admin.courseLine", { id: course.id, teacher: course.teacherId })}</p>
      <h3>{t("setup.classes")}</h3>
      <ul>
        {classes.map((k) => (
          <li key={k.id}>
            {k.title || k.id} <span class={`pill status-${k.status}`}>{statusText(k.status)}</span>
          </li>
        ))}
      </ul>
      <h3>
        {t("admin.enrolled")} <span class="pill num">{students?.length ?? "…"}</span>
      </h3>
      <ul class="enrolled">
        {students?.map((s) => (
          <li key={s.studentId}>
            {s.studentId}{" "}
            <button
              type="button"
              class="small"
              onClick={() => unenrol(s.studentId)}
              aria-label={t("admin.unenrolName", { id: s.studentId })}
            >
              {t("admin.unenrol")}
            </button>
          </li>
        ))}
      </ul>
      {course.status !== "archived" && (
        <>
          <form class="row" onSubmit={enrol}>
            <label class="field inline">
              <span>{t("admin.enrolIds")}</span>
              <input value={add} onInput={(e) => setAdd(e.currentTarget.value)} placeholder={t("admin.enrolPlaceholder")} />
            </label>
            <button type="submit">{t("admin.enrol")}</button>
          </form>
          <p>
            <a
              href={`/courses/${encodeURIComponent(course.id)}`}
              onClick={(e) => (e.preventDefault(), navigate(`/courses/${encodeURIComponent(course.id)}`))}
            >
              {t("admin.setUp")}
            </a>
          </p>
          <ArchiveCourse courseId={course.id} title={course.title} onDone={onChange} />
        </>
      )}
      <p class="error" role="alert">
        {error}
      </p>
    </div>
  );
}
