// Sign-in (demo users, or paste a token from the platform) and "my classes".
import { useEffect, useState } from "preact/hooks";
import { api, decodeToken, navigate, save, session, type ClassInfo, type CourseInfo, type Role } from "./api.ts";
import { Header } from "./ui.tsx";

interface DemoInfo {
  courseId: string;
  classId: string;
  users: { id: string; name: string; role: Role }[];
}

export function Login() {
  const next = new URLSearchParams(location.search).get("next") || "";
  const [demo, setDemo] = useState<DemoInfo | null | undefined>(undefined);
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    api<DemoInfo>("GET", "/api/demo").then(setDemo, () => setDemo(null));
  }, []);
  const go = (role: Role) => navigate(next.startsWith("/") && !next.startsWith("//") ? next : role === "admin" ? "/admin" : demo ? `/class/${demo.classId}` : "/");
  const pick = async (userId: string) => {
    setError("");
    try {
      const r = await api<{ token: string }>("POST", "/api/demo/token", { userId });
      const s = decodeToken(r.token);
      if (!s) throw new Error("the server sent an unreadable token");
      save(s);
      go(s.role);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const useToken = (e: Event) => {
    e.preventDefault();
    const s = decodeToken(token.trim());
    if (!s) return setError("That is not a token this platform issues (a JWT with sub and role).");
    save(s);
    go(s.role);
  };
  return (
    <div class="page">
      <Header title="Sign in" />
      <main class="narrow">
        {demo && (
          <section class="card" aria-labelledby="demo-h">
            <h2 id="demo-h">Demo: pick who you are</h2>
            <p class="muted">This server runs with demo data: course {demo.courseId}, class {demo.classId}.</p>
            <ul class="users">
              {demo.users.map((u) => (
                <li key={u.id}>
                  <button class="user" data-user={u.id} onClick={() => pick(u.id)}>
                    <span class="user-name">{u.name}</span> <span class="role">{u.role}</span> <span class="muted">{u.id}</span>
                  </button>
                </li>
              ))}
            </ul>
            <p class="muted">
              The admin page is not in the demo sign-in: on the server, run <code>npm run -s token -- --role admin --sub admin</code> and paste the token below.
            </p>
          </section>
        )}
        <section class="card" aria-labelledby="tok-h">
          <h2 id="tok-h">Sign in with a token</h2>
          <form onSubmit={useToken} class="stack">
            <label class="field">
              <span>Token from your school's platform</span>
              <textarea rows={3} value={token} onInput={(e) => setToken(e.currentTarget.value)} spellcheck={false} />
            </label>
            <button type="submit" class="primary" disabled={!token.trim()}>
              Sign in
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
      const k = await api<ClassInfo>("POST", `/api/courses/${encodeURIComponent(courseId)}/classes`, { startsAt: new Date().toISOString(), durationMinutes: 60 });
      navigate(`/class/${k.id}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    (async () => {
      const list = await api<{ items: CourseInfo[] }>("GET", "/api/courses?limit=50");
      const withClasses = await Promise.all(
        list.items.map(async (c) => ({ ...c, classes: (await api<{ items: ClassInfo[] }>("GET", `/api/courses/${encodeURIComponent(c.id)}/classes?limit=20`).catch(() => ({ items: [] }))).items })),
      );
      setCourses(withClasses);
    })().catch((e) => setError((e as Error).message));
  }, [nonce]);
  return (
    <div class="page">
      <Header title="My classes" />
      <main class="narrow">
        {s.role === "admin" && (
          <p>
            <a href="/admin" onClick={(e) => (e.preventDefault(), navigate("/admin"))}>
              Admin: courses, enrolments and policy decisions
            </a>
          </p>
        )}
        {s.role !== "student" && (
          <p>
            <a class="button" href="/courses/new" onClick={(e) => (e.preventDefault(), navigate("/courses/new"))}>
              New course
            </a>
          </p>
        )}
        {courses === null && !error && <p class="muted">Loading…</p>}
        {courses?.length === 0 && <p class="muted">No courses yet.</p>}
        {courses?.map((c) => (
          <section class="card" key={c.id}>
            <h2>
              {c.title} <span class="pill">{c.status}</span>
            </h2>
            {s.role !== "student" && c.status !== "archived" && (
              <p>
                <button class="small" onClick={() => scheduleNow(c.id)}>
                  New class now
                </button>{" "}
                <button class="small" onClick={() => reload(nonce + 1)}>
                  Refresh
                </button>{" "}
                <a href={`/courses/${encodeURIComponent(c.id)}`} onClick={(e) => (e.preventDefault(), navigate(`/courses/${encodeURIComponent(c.id)}`))} aria-label={`Set up ${c.title}`}>
                  Set up: schedule, students, questions
                </a>
              </p>
            )}
            <ul class="classes">
              {c.classes.length === 0 && <li class="muted">No classes scheduled.</li>}
              {c.classes.map((k) => (
                <li key={k.id}>
                  <a href={`/class/${k.id}`} onClick={(e) => (e.preventDefault(), navigate(`/class/${k.id}`))}>
                    {k.title || k.id}
                  </a>{" "}
                  <span class={`pill status-${k.status}`}>{k.status}</span> <span class="muted">{new Date(k.startsAt).toLocaleString()}</span>
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
