// Sign-in (demo users, or paste a token from the platform) and "my classes".
import { useEffect, useState } from "preact/hooks";
import { api, decodeToken, isAdmin, navigate, save, session, type ClassInfo, type CourseInfo, type Role } from "./api.ts";
import { Header, statusText } from "./ui.tsx";
import { apiErrorText } from "./errors.ts";
import { dateTime, t, tx } from "./i18n.ts";

interface DemoInfo {
  courseId: string;
  classId: string;
  users: { id: string; name: string; role: Role }[];
}

const ADMIN_TOKEN_COMMAND = "npm run -s token -- --role admin --sub admin";

export function Login() {
  const next = new URLSearchParams(location.search).get("next") || "";
  const [demo, setDemo] = useState<DemoInfo | null | undefined>(undefined);
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    api<DemoInfo>("GET", "/api/demo").then(setDemo, () => setDemo(null));
  }, []);
  const go = (role: Role) =>
    navigate(next.startsWith("/") && !next.startsWith("//") ? next : isAdmin(role) ? "/admin" : demo ? `/class/${demo.classId}` : "/");
  const pick = async (userId: string) => {
    setError("");
    try {
      const r = await api<{ token: string }>("POST", "/api/demo/token", { userId });
      const s = decodeToken(r.token);
      if (!s) throw new Error(t("login.unreadableToken"));
      save(s);
      go(s.role);
    } catch (e) {
      setError(apiErrorText(e));
    }
  };
  // School sign-in: the server sends the browser to the school's identity provider, then back to `next` with a session cookie.
  const [school, setSchool] = useState(() => new URLSearchParams(location.search).get("school") ?? "");
  const schoolSignIn = async (e: Event) => {
    e.preventDefault();
    setError("");
    const back = next.startsWith("/") && !next.startsWith("//") ? next : "/";
    const url = `/api/auth/oidc/${encodeURIComponent(school.trim())}/login?next=${encodeURIComponent(back)}`;
    // Asked first without following, so a school without sign-in gets a message here, not a problem document.
    const probe = await fetch(url, { redirect: "manual" }).catch(() => null);
    if (probe !== null && probe.type !== "opaqueredirect" && !probe.ok)
      return setError(t("login.schoolUnknown", { school: school.trim() }));
    location.assign(url);
  };
  const useToken = (e: Event) => {
    e.preventDefault();
    const s = decodeToken(token.trim());
    if (!s) return setError(t("login.badToken"));
    save(s);
    go(s.role);
  };
  return (
    <div class="page">
      <Header title={t("login.title")} />
      <main class="narrow">
        {demo && (
          <section class="card" aria-labelledby="demo-h">
            <h2 id="demo-h">{t("login.demoTitle")}</h2>
            <p class="muted">{t("login.demoData", { course: demo.courseId, klass: demo.classId })}</p>
            <ul class="users">
              {demo.users.map((u) => (
                <li key={u.id}>
                  <button type="button" class="user" data-user={u.id} onClick={() => pick(u.id)}>
                    <span class="user-name">{u.name}</span> <span class="role">{t(`role.${u.role}`)}</span>{" "}
                    <span class="muted">{u.id}</span>
                  </button>
                </li>
              ))}
            </ul>
            <p class="muted">{tx("login.adminHint", { command: <code>{ADMIN_TOKEN_COMMAND}</code> })}</p>
          </section>
        )}
        <section class="card" aria-labelledby="school-h">
          <h2 id="school-h">{t("login.schoolTitle")}</h2>
          <form onSubmit={schoolSignIn} class="stack">
            <label class="field">
              <span>{t("login.schoolLabel")}</span>
              <input value={school} onInput={(e) => setSchool(e.currentTarget.value)} autocomplete="organization" spellcheck={false} />
            </label>
            <button type="submit" class="primary" disabled={!school.trim()}>
              {t("login.schoolSignIn")}
            </button>
          </form>
        </section>
        <section class="card" aria-labelledby="tok-h">
          <h2 id="tok-h">{t("login.withToken")}</h2>
          <form onSubmit={useToken} class="stack">
            <label class="field">
              <span>{t("login.tokenLabel")}</span>
              <textarea rows={3} value={token} onInput={(e) => setToken(e.currentTarget.value)} spellcheck={false} />
            </label>
            <button type="submit" class="primary" disabled={!token.trim()}>
              {t("login.signIn")}
            </button>
          </form>
        </section>
        <p class="error" role="alert">
          {error}
        </p>
      </main>
    </div>
  );
}

export function Home() {
  const s = session()!;
  const [courses, setCourses] = useState<(CourseInfo & { classes: ClassInfo[] })[] | null>(null);
  const [error, setError] = useState("");
  const [nonce, reload] = useState(0);
  const scheduleNow = async (courseId: string) => {
    try {
      const k = await api<ClassInfo>("POST", `/api/courses/${encodeURIComponent(courseId)}/classes`, {
        startsAt: new Date().toISOString(),
        durationMinutes: 60,
      });
      navigate(`/class/${k.id}`);
    } catch (e) {
      setError(apiErrorText(e));
    }
  };
  useEffect(() => {
    (async () => {
      const list = await api<{ items: CourseInfo[] }>("GET", "/api/courses?limit=50");
      const withClasses = await Promise.all(
        list.items.map(async (c) => ({
          ...c,
          classes: (
            await api<{ items: ClassInfo[] }>("GET", `/api/courses/${encodeURIComponent(c.id)}/classes?limit=20`).catch(() => ({
              items: [],
            }))
          ).items,
        })),
      );
      setCourses(withClasses);
    })().catch((e) => setError(apiErrorText(e)));
  }, [nonce]);
  return (
    <div class="page">
      <Header title={t("home.title")} />
      <main class="narrow">
        {isAdmin(s.role) && (
          <p>
            <a href="/admin" onClick={(e) => (e.preventDefault(), navigate("/admin"))}>
              {t("home.adminLink")}
            </a>
          </p>
        )}
        {s.role !== "student" && (
          <p>
            <a class="button" href="/courses/new" onClick={(e) => (e.preventDefault(), navigate("/courses/new"))}>
              {t("home.newCourse")}
            </a>
          </p>
        )}
        {courses === null && !error && <p class="muted">{t("nav.loading")}</p>}
        {courses?.length === 0 && <p class="muted">{t("home.noCourses")}</p>}
        {courses?.map((c) => (
          <section class="card" key={c.id}>
            <h2>
              {c.title} <span class="pill">{statusText(c.status)}</span>
            </h2>
            {s.role !== "student" && c.status !== "archived" && (
              <p>
                <button type="button" class="small" onClick={() => scheduleNow(c.id)}>
                  {t("home.classNow")}
                </button>{" "}
                <button type="button" class="small" onClick={() => reload(nonce + 1)}>
                  {t("home.refresh")}
                </button>{" "}
                <a
                  href={`/courses/${encodeURIComponent(c.id)}`}
                  onClick={(e) => (e.preventDefault(), navigate(`/courses/${encodeURIComponent(c.id)}`))}
                  aria-label={t("home.setUpName", { title: c.title })}
                >
                  {t("home.setUp")}
                </a>
              </p>
            )}
            <ul class="classes">
              {c.classes.length === 0 && <li class="muted">{t("home.noClasses")}</li>}
              {c.classes.map((k) => (
                <li key={k.id}>
                  <a href={`/class/${k.id}`} onClick={(e) => (e.preventDefault(), navigate(`/class/${k.id}`))}>
                    {k.title || k.id}
                  </a>{" "}
                  <span class={`pill status-${k.status}`}>{statusText(k.status)}</span> <span class="muted">{dateTime(k.startsAt)}</span>
                </li>
              ))}
            </ul>
          </section>
        ))}
        <p class="error" role="alert">
          {error}
        </p>
      </main>
    </div>
  );
}
