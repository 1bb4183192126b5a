// EdgeClass web client: a tiny router over four views. The student view ships in the entry
// chunk (most people are students, on phones); the teacher console and the admin page load lazily.
import "./style.css";
import { render, type ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { isAdmin, loadBrowserSession, navigate, session } from "./api.ts";
import { Home, Login } from "./home.tsx";
import { StudentView } from "./student.tsx";
import { onLocale, t } from "./i18n.ts";

function lazy<P>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return (props: P) => {
    const [C, setC] = useState<ComponentType<P> | null>(() => loaded);
    const [error, setError] = useState("");
    useEffect(() => {
      if (!C)
        load().then(
          (c) => ((loaded = c), setC(() => c)),
          (e) => setError(String(e)),
        );
    }, []);
    if (error) return <p class="error">{t("nav.loadFailed", { error })}</p>;
    // @ts-expect-error props pass through
    return C ? <C {...props} /> : <p class="boot">{t("nav.loading")}</p>;
  };
}

const TeacherConsole = lazy(() => import("./teacher.tsx").then((m) => m.TeacherConsole));
const AdminPage = lazy(() => import("./admin.tsx").then((m) => m.AdminPage));
const CourseSetup = lazy(() => import("./setup.tsx").then((m) => m.CourseSetup));
const CentralPage = lazy(() => import("./central.tsx").then((m) => m.CentralPage));
const SchoolsPage = lazy(() => import("./schools.tsx").then((m) => m.SchoolsPage));

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to), [to]);
  return null;
}

function App() {
  const [path, setPath] = useState(location.pathname);
  // A language switch re-renders the whole tree: every text is read from the catalogue while rendering.
  const [, setLang] = useState("");
  useEffect(() => onLocale(setLang), []);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  const s = session();
  if (path === "/login") return <Login />;
  if (!s) return <Redirect to={`/login?next=${encodeURIComponent(path + location.search)}`} />;
  const m = /^\/class\/([^/]+)\/?$/.exec(path);
  if (m) {
    const classId = decodeURIComponent(m[1]);
    return s.role === "student" ? <StudentView key={classId} classId={classId} /> : <TeacherConsole key={classId} classId={classId} />;
  }
  const c = /^\/courses\/([^/]+)\/?$/.exec(path);
  if (c) {
    if (s.role === "student") return <p class="error">{t("nav.studentsNoSetup")}</p>;
    const courseId = c[1] === "new" ? null : decodeURIComponent(c[1]);
    return <CourseSetup key={path} courseId={courseId} />;
  }
  // School admins too: the server scopes what they see to their school.
  if (path === "/central") return isAdmin(s.role) ? <CentralPage /> : <p class="error">{t("nav.centralOnly")}</p>;
  if (path === "/admin") return isAdmin(s.role) ? <AdminPage /> : <p class="error">{t("nav.adminsOnly")}</p>;
  if (path === "/schools") return isAdmin(s.role) ? <SchoolsPage /> : <p class="error">{t("nav.adminsOnly")}</p>;
  return <Home />;
}

const root = document.getElementById("app")!;
// A school sign-in lives in a cookie: asked for once before the first page is chosen.
void loadBrowserSession().then(() => {
  root.textContent = "";
  render(<App />, root);
});
