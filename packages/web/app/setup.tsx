// Course set-up for teachers and admins (a lazy chunk): the course itself, its class schedule in
// the teacher's time zone, the roster (ids typed, pasted or uploaded as CSV) and the question bank.
// Everything goes through the REST API; a problem's `issues` are shown beside their fields.
import type { QuestionDraft } from "@edgeclass/client/protocol";
import type { BankQuestionView, QuizSetView } from "@edgeclass/client/api";
import { useEffect, useState } from "preact/hooks";
import { api, isAdmin, navigate, session, type ClassInfo, type CourseInfo } from "./api.ts";
import { errorsOf, Field, type Errors } from "./form.tsx";
import { parseRoster } from "./roster-csv.ts";
import { QuestionForm } from "./teacher.tsx";
import { ArchiveCourse } from "./archive.tsx";
import { Header, statusText } from "./ui.tsx";
import { apiErrorText } from "./errors.ts";
import { dateTime, t, tx } from "./i18n.ts";

const course = (id: string) => `/api/courses/${encodeURIComponent(id)}`;

export function CourseSetup({ courseId }: { courseId: string | null }) {
  const [info, setInfo] = useState<CourseInfo | null>(null);
  const [error, setError] = useState("");
  const [nonce, reload] = useState(0);
  // The quiz sets' question list follows the bank's changes.
  const [bankVersion, setBankVersion] = useState(0);
  useEffect(() => {
    if (courseId) api<CourseInfo>("GET", course(courseId)).then(setInfo, (e) => setError(apiErrorText(e)));
  }, [courseId, nonce]);
  const title = courseId ? (info ? t("setup.titleOf", { title: info.title }) : t("setup.title")) : t("home.newCourse");
  return (
    <div class="page setup" data-view="setup">
      <Header title={title} />
      <main class="narrow">
        <p>
          <a href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
            {t("nav.backToClasses")}
          </a>
        </p>
        {courseId === null && <CourseForm />}
        {info && (
          <>
            <CourseForm info={info} onSaved={() => reload(nonce + 1)} />
            <Classes courseId={info.id} archived={info.status === "archived"} />
            <Roster courseId={info.id} archived={info.status === "archived"} />
            <Bank courseId={info.id} onChange={() => setBankVersion((v) => v + 1)} />
            <QuizSets courseId={info.id} bankVersion={bankVersion} />
            {info.status !== "archived" && <ArchiveCourse courseId={info.id} title={info.title} onDone={() => reload(nonce + 1)} />}
          </>
        )}
        <p class="error" role="alert">
          {error}
        </p>
      </main>
    </div>
  );
}

function CourseForm({ info, onSaved }: { info?: CourseInfo; onSaved?(): void }) {
  const [title, setTitle] = useState(info?.title ?? "");
  const [description, setDescription] = useState(info?.description ?? "");
  const [status, setStatus] = useState(info?.status ?? "draft");
  const [capacity, setCapacity] = useState(String(info?.capacity ?? 30));
  // An admin creates a course for a teacher (their id); a teacher's own courses are theirs.
  const [teacherId, setTeacherId] = useState("");
  const admin = !info && isAdmin(session()?.role);
  const [errors, setErrors] = useState<Errors>({});
  const [note, setNote] = useState("");
  const archived = info?.status === "archived";
  const submit = async (e: Event) => {
    e.preventDefault();
    setNote("");
    const cap = Number(capacity);
    if (!Number.isInteger(cap) || cap < 1) return setErrors({ capacity: t("setup.capacityInvalid") });
    const body: Record<string, unknown> = { title, description, capacity: cap };
    if (!archived) body.status = status;
    if (admin && teacherId.trim()) body.teacherId = teacherId.trim();
    try {
      if (info) {
        await api("PATCH", course(info.id), body);
        setErrors({});
        setNote(t("setup.saved"));
        onSaved?.();
      } else {
        const c = await api<CourseInfo>("POST", "/api/courses", body);
        navigate(`/courses/${encodeURIComponent(c.id)}`);
      }
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <section class="card" aria-labelledby="course-h">
      <h2 id="course-h">{t("setup.course")}</h2>
      <form class="stack" onSubmit={submit} noValidate>
        <Field id="course-title" label={t("setup.courseTitle")} error={errors.title}>
          {(a) => <input {...a} name="title" value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />}
        </Field>
        <Field id="course-description" label={t("setup.description")} error={errors.description}>
          {(a) => (
            <textarea {...a} name="description" rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          )}
        </Field>
        <div class="row">
          {archived ? (
            <p>{tx("setup.archivedStatus", { status: <span class="pill status-archived">{statusText("archived")}</span> })}</p>
          ) : (
            <Field id="course-status" label={t("setup.status")} error={errors.status}>
              {(a) => (
                <select {...a} name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value as CourseInfo["status"])}>
                  <option value="draft">{t("setup.draft")}</option>
                  <option value="active">{t("setup.active")}</option>
                </select>
              )}
            </Field>
          )}
          <Field id="course-capacity" label={t("setup.capacity")} error={errors.capacity}>
            {(a) => (
              <input
                {...a}
                name="capacity"
                type="number"
                min={1}
                max={100000}
                value={capacity}
                onInput={(e) => setCapacity(e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
        {admin && (
          <Field id="course-teacher" label={t("setup.teacherId")} error={errors.teacherId}>
            {(a) => <input {...a} name="teacherId" value={teacherId} onInput={(e) => setTeacherId(e.currentTarget.value)} />}
          </Field>
        )}
        <button type="submit" class="primary">
          {info ? t("setup.saveCourse") : t("setup.createCourse")}
        </button>
        <p class="muted" role="status">
          {note}
        </p>
        <p class="error" role="alert">
          {errors[""] ?? ""}
        </p>
      </form>
    </section>
  );
}

const pad = (n: number) => String(n).padStart(2, "0");
/** The local date and time inputs' values for an instant (the browser's time zone is the teacher's). */
function localParts(iso: string): { date: string; time: string } {
  const d = new Date(iso);
  return { date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`, time: `${pad(d.getHours())}:${pad(d.getMinutes())}` };
}
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const when = (iso: string) => dateTime(iso);

function Classes({ courseId, archived }: { courseId: string; archived: boolean }) {
  const [items, setItems] = useState<ClassInfo[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState("");
  const load = () =>
    api<{ items: ClassInfo[] }>("GET", `${course(courseId)}/classes?limit=100`).then(
      (r) => setItems(r.items),
      (e) => setError(apiErrorText(e)),
    );
  useEffect(() => void load(), [courseId]);
  const cancel = async (k: ClassInfo) => {
    try {
      await api("POST", `/api/classes/${encodeURIComponent(k.id)}/cancel`);
      setError("");
      await load();
    } catch (e) {
      setError(apiErrorText(e));
    }
  };
  return (
    <section class="card" aria-labelledby="classes-h">
      <h2 id="classes-h">{t("setup.classes")}</h2>
      <p class="muted">{t("setup.zone", { zone: ZONE })}</p>
      {items.length === 0 && <p class="muted">{t("home.noClasses")}</p>}
      <ul class="classes">
        {items.map((k) => (
          <li key={k.id} data-class={k.id}>
            <a href={`/class/${k.id}`} onClick={(e) => (e.preventDefault(), navigate(`/class/${k.id}`))}>
              {k.title || t("class.class")}
            </a>{" "}
            <span class={`pill status-${k.status}`}>{statusText(k.status)}</span> <span>{when(k.startsAt)}</span>{" "}
            <span class="muted">{t("setup.min", { count: k.durationMinutes })}</span>
            {k.status === "scheduled" && (
              <span class="row">
                <button
                  type="button"
                  class="small"
                  aria-expanded={editing === k.id}
                  onClick={() => setEditing(editing === k.id ? null : k.id)}
                  aria-label={t("setup.rescheduleName", { title: k.title || t("class.class"), when: when(k.startsAt) })}
                >
                  {t("setup.reschedule")}
                </button>
                <button
                  type="button"
                  class="small danger"
                  onClick={() => cancel(k)}
                  aria-label={t("setup.cancelName", { title: k.title || t("class.class"), when: when(k.startsAt) })}
                >
                  {t("setup.cancelClass")}
                </button>
              </span>
            )}
            {editing === k.id && <ClassForm courseId={courseId} edit={k} onDone={() => (setEditing(null), load())} />}
          </li>
        ))}
      </ul>
      {!archived && (
        <>
          <h3>{t("setup.scheduleTitle")}</h3>
          <ClassForm courseId={courseId} onDone={load} />
        </>
      )}
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

function ClassForm({ courseId, edit, onDone }: { courseId: string; edit?: ClassInfo; onDone(): void }) {
  const start = edit ? localParts(edit.startsAt) : localParts(new Date(Date.now() + 3_600_000).toISOString());
  const [title, setTitle] = useState(edit?.title ?? "");
  const [date, setDate] = useState(start.date);
  const [time, setTime] = useState(edit ? start.time : start.time.slice(0, 3) + "00");
  const [duration, setDuration] = useState(String(edit?.durationMinutes ?? 45));
  const [errors, setErrors] = useState<Errors>({});
  const p = edit ? `k-${edit.id}` : "new-class";
  const submit = async (e: Event) => {
    e.preventDefault();
    // `new Date("YYYY-MM-DDTHH:MM")` reads local time: the instant is sent in UTC.
    const at = new Date(`${date}T${time}`);
    if (!date || !time || Number.isNaN(at.getTime())) return setErrors({ startsAt: t("setup.pickDate") });
    const body: Record<string, unknown> = { startsAt: at.toISOString(), durationMinutes: Number(duration) };
    if (title.trim()) body.title = title.trim();
    try {
      if (edit) await api("PATCH", `/api/classes/${encodeURIComponent(edit.id)}`, body);
      else await api("POST", `${course(courseId)}/classes`, body);
      setErrors({});
      if (!edit) setTitle("");
      onDone();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <form class="stack class-form" onSubmit={submit} noValidate>
      <Field id={`${p}-title`} label={t("setup.classTitle")} error={errors.title}>
        {(a) => <input {...a} name="title" value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />}
      </Field>
      <div class="row">
        <Field id={`${p}-date`} label={t("setup.date")} error={errors.startsAt}>
          {(a) => <input {...a} name="date" type="date" value={date} onInput={(e) => setDate(e.currentTarget.value)} />}
        </Field>
        <Field id={`${p}-time`} label={t("setup.time", { zone: ZONE })}>
          {(a) => <input {...a} name="time" type="time" value={time} onInput={(e) => setTime(e.currentTarget.value)} />}
        </Field>
        <Field id={`${p}-duration`} label={t("setup.duration")} error={errors.durationMinutes}>
          {(a) => (
            <input
              {...a}
              name="duration"
              type="number"
              min={5}
              max={600}
              value={duration}
              onInput={(e) => setDuration(e.currentTarget.value)}
            />
          )}
        </Field>
      </div>
      <button type="submit" class="primary">
        {edit ? t("setup.saveTime") : t("setup.schedule")}
      </button>
      <p class="error" role="alert">
        {errors[""] ?? ""}
      </p>
    </form>
  );
}

function Roster({ courseId, archived }: { courseId: string; archived: boolean }) {
  const [students, setStudents] = useState<{ studentId: string; name?: string }[] | null>(null);
  const [text, setText] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const [more, setMore] = useState(false);
  const load = () =>
    api<{ items: { studentId: string; name?: string }[]; nextCursor: string | null }>(
      "GET",
      `${course(courseId)}/enrollments?limit=500`,
    ).then(
      (r) => (setStudents(r.items), setMore(r.nextCursor !== null)),
      (e) => setError(apiErrorText(e)),
    );
  useEffect(() => void load(), [courseId]);
  const upload = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    if (f) setText(await f.text());
  };
  const enrol = async (e: Event) => {
    e.preventDefault();
    setNote("");
    const { ids, bad } = parseRoster(text);
    if (bad.length)
      return setError(t(bad.length > 5 ? "setup.notIdsMore" : "setup.notIds", { list: bad.slice(0, 5).join("; "), count: bad.length - 5 }));
    if (!ids.length) return setError(t("setup.noIds"));
    try {
      let added = 0;
      let already = 0;
      for (let i = 0; i < ids.length; i += 1000) {
        const r = await api<{ enrolled: number; alreadyEnrolled: number }>("POST", `${course(courseId)}/enrollments`, {
          studentIds: ids.slice(i, i + 1000),
        });
        added += r.enrolled;
        already += r.alreadyEnrolled;
      }
      setError("");
      setText("");
      setNote(already ? t("setup.enrolledAlready", { count: added, already }) : t("setup.enrolled", { count: added }));
      await load();
    } catch (err) {
      setError(apiErrorText(err));
    }
  };
  const remove = async (id: string) => {
    try {
      await api("DELETE", `${course(courseId)}/enrollments/${encodeURIComponent(id)}`);
      setError("");
      await load();
    } catch (err) {
      setError(apiErrorText(err));
    }
  };
  return (
    <section class="card" aria-labelledby="roster-h">
      <h2 id="roster-h">
        {t("setup.students")} <span class="pill num">{students ? `${students.length}${more ? "+" : ""}` : "…"}</span>
      </h2>
      <ul class="enrolled">
        {students?.map((s) => (
          <li key={s.studentId} data-student={s.studentId}>
            {s.name && s.name !== s.studentId ? `${s.name} (${s.studentId})` : s.studentId}{" "}
            {!archived && (
              <button
                type="button"
                class="small"
                onClick={() => remove(s.studentId)}
                aria-label={t("setup.removeStudent", { id: s.studentId })}
              >
                {t("bank.remove")}
              </button>
            )}
          </li>
        ))}
      </ul>
      {!archived && (
        <form class="stack" onSubmit={enrol}>
          <div class="field">
            <label for="roster-ids">{t("setup.addStudents")}</label>
            <textarea
              id="roster-ids"
              name="roster"
              rows={4}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
              spellcheck={false}
            />
          </div>
          <div class="field">
            <label for="roster-file">{t("setup.uploadCsv")}</label>
            <input id="roster-file" type="file" accept=".csv,.txt,text/csv,text/plain" onChange={upload} />
          </div>
          <button type="submit" class="primary">
            {t("setup.enrol")}
          </button>
        </form>
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

function Bank({ courseId, onChange }: { courseId: string; onChange(): void }) {
  const [items, setItems] = useState<BankQuestionView[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(0);
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const load = () =>
    api<{ items: BankQuestionView[] }>("GET", `${course(courseId)}/questions?limit=100`).then(
      (r) => setItems(r.items),
      (e) => setError(apiErrorText(e)),
    );
  useEffect(() => void load(), [courseId]);
  const run = async (fn: () => Promise<unknown>, done: string) => {
    setNote("");
    try {
      await fn();
      setError("");
      setNote(done);
      await load();
      onChange();
      return true;
    } catch (e) {
      setError(apiErrorText(e));
      return false;
    }
  };
  const strip = ({ id: _id, courseId: _c, createdAt: _t, ...draft }: BankQuestionView & { courseId?: string; createdAt?: string }) =>
    draft as QuestionDraft;
  return (
    <section class="card bank" aria-labelledby="qbank-h">
      <h2 id="qbank-h">{t("bank.title")}</h2>
      {items.length === 0 && <p class="muted">{t("bank.empty")}</p>}
      <ul class="bank-list">
        {items.map((q) => (
          <li key={q.id} data-bank-id={q.id}>
            <span class="bank-prompt">{q.prompt}</span>
            <span class="row">
              <button
                type="button"
                class="small"
                aria-expanded={editing === q.id}
                onClick={() => setEditing(editing === q.id ? null : q.id)}
                aria-label={t("bank.editName", { prompt: q.prompt })}
              >
                {t("bank.edit")}
              </button>
              <button
                type="button"
                class="small"
                onClick={() => run(() => api("DELETE", `/api/questions/${encodeURIComponent(q.id)}`), t("bank.removed"))}
                aria-label={t("bank.removeName", { prompt: q.prompt })}
              >
                {t("bank.remove")}
              </button>
            </span>
            {editing === q.id && (
              <QuestionForm
                courseId={courseId}
                initial={strip(q)}
                saveLabel="form.saveChanges"
                onSave={(d) =>
                  void run(() => api("PUT", `/api/questions/${encodeURIComponent(q.id)}`, d), t("bank.questionSaved")).then(
                    (ok) => ok && setEditing(null),
                  )
                }
              />
            )}
          </li>
        ))}
      </ul>
      <h3>{t("bank.new")}</h3>
      <QuestionForm
        key={adding}
        courseId={courseId}
        onSave={(d) =>
          void run(() => api("POST", `${course(courseId)}/questions`, d), t("bank.added")).then((ok) => ok && setAdding(adding + 1))
        }
      />
      <p class="muted" role="status">
        {note}
      </p>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

/** Quiz sets: bank questions in the order they are ticked, run in class with "Next" (issue 16 build 2). */
function QuizSets({ courseId, bankVersion }: { courseId: string; bankVersion: number }) {
  const [sets, setSets] = useState<QuizSetView[]>([]);
  const [bank, setBank] = useState<BankQuestionView[]>([]);
  const [title, setTitle] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [autoReveal, setAutoReveal] = useState(true);
  const [autoBoard, setAutoBoard] = useState(true);
  const [limit, setLimit] = useState("30");
  const [errors, setErrors] = useState<Errors>({});
  const [note, setNote] = useState("");
  /** The set being edited (PUT), or null for a new one (POST). */
  const [editing, setEditing] = useState<string | null>(null);
  const path = `${course(courseId)}/quiz-sets`;
  const fill = (x: QuizSetView | null) => {
    setEditing(x?.id ?? null);
    setTitle(x?.title ?? "");
    setPicked(x?.questionIds ?? []);
    setAutoReveal(x?.autoReveal ?? true);
    setAutoBoard(x?.autoLeaderboard ?? true);
    setLimit(String(x?.timeLimitSeconds ?? 30));
    setErrors({});
  };
  const load = () => {
    api<{ items: QuizSetView[] }>("GET", path).then(
      (r) => setSets(r.items),
      (e) => setErrors({ "": apiErrorText(e) }),
    );
    api<{ items: BankQuestionView[] }>("GET", `${course(courseId)}/questions?limit=100`).then(
      (r) => setBank(r.items),
      () => {},
    );
  };
  useEffect(load, [courseId, bankVersion]);
  const prompt = (id: string) => bank.find((q) => q.id === id)?.prompt ?? id;
  const save = async (e: Event) => {
    e.preventDefault();
    setNote("");
    try {
      const body = { title, questionIds: picked, autoReveal, autoLeaderboard: autoBoard, timeLimitSeconds: Number(limit) };
      if (editing) await api("PUT", `${path}/${encodeURIComponent(editing)}`, body);
      else await api("POST", path, body);
      fill(null);
      setNote(t("sets.saved"));
      load();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  const remove = async (id: string) => {
    try {
      await api("DELETE", `${path}/${encodeURIComponent(id)}`);
      load();
    } catch (err) {
      setErrors({ "": apiErrorText(err) });
    }
  };
  return (
    <section class="card quiz-sets" aria-labelledby="sets-h">
      <h2 id="sets-h">{t("sets.title")}</h2>
      {sets.length === 0 && <p class="muted">{t("sets.none")}</p>}
      <ul class="set-list">
        {sets.map((x) => (
          <li key={x.id} data-set={x.id}>
            <strong>{x.title}</strong>{" "}
            <span class="muted">{t("sets.summary", { count: x.questionIds.length, seconds: x.timeLimitSeconds })}</span>{" "}
            {x.autoReveal && <span class="pill">{t("sets.autoReveal")}</span>}{" "}
            {x.autoLeaderboard && <span class="pill">{t("sets.autoBoard")}</span>}
            <ol>
              {x.questionIds.map((q) => (
                <li key={q}>{prompt(q)}</li>
              ))}
            </ol>
            <span class="row">
              <button type="button" class="small" onClick={() => fill(x)} aria-label={t("sets.editName", { title: x.title })}>
                {t("bank.edit")}
              </button>
              <button type="button" class="small" onClick={() => remove(x.id)} aria-label={t("sets.removeName", { title: x.title })}>
                {t("bank.remove")}
              </button>
            </span>
          </li>
        ))}
      </ul>
      <h3>{editing ? t("sets.editTitle") : t("sets.new")}</h3>
      <form class="stack" onSubmit={save} noValidate>
        <Field id="set-title" label={t("sets.setTitle")} error={errors.title}>
          {(a) => <input {...a} name="setTitle" value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />}
        </Field>
        <fieldset class="options" aria-describedby={errors.questionIds || errors["questionIds.0"] ? "set-q-err" : undefined}>
          <legend>{t("sets.pick")}</legend>
          {bank.length === 0 && <p class="muted">{t("bank.empty")}</p>}
          {bank.map((q) => (
            <label key={q.id} class="field inline set-pick">
              <input
                type="checkbox"
                value={q.id}
                checked={picked.includes(q.id)}
                onChange={(e) => setPicked(e.currentTarget.checked ? [...picked, q.id] : picked.filter((x) => x !== q.id))}
              />
              <span>
                {picked.includes(q.id) && <span class="pill num">{picked.indexOf(q.id) + 1}</span>} {q.prompt}
              </span>
            </label>
          ))}
          {(errors.questionIds || Object.keys(errors).some((k) => k.startsWith("questionIds."))) && (
            <span id="set-q-err" class="field-error">
              {errors.questionIds ?? Object.entries(errors).find(([k]) => k.startsWith("questionIds."))?.[1]}
            </span>
          )}
        </fieldset>
        <div class="row">
          <label class="field inline">
            <input type="checkbox" name="autoReveal" checked={autoReveal} onChange={(e) => setAutoReveal(e.currentTarget.checked)} />
            <span>{t("sets.autoRevealLabel")}</span>
          </label>
          <label class="field inline">
            <input type="checkbox" name="autoLeaderboard" checked={autoBoard} onChange={(e) => setAutoBoard(e.currentTarget.checked)} />
            <span>{t("sets.autoBoardLabel")}</span>
          </label>
          <Field id="set-limit" label={t("console.timeLimit")} error={errors.timeLimitSeconds}>
            {(a) => (
              <input
                {...a}
                name="setLimit"
                type="number"
                min={5}
                max={600}
                value={limit}
                onInput={(e) => setLimit(e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
        <div class="row">
          <button type="submit" class="primary">
            {t("sets.save")}
          </button>
          {editing && (
            <button type="button" onClick={() => fill(null)}>
              {t("sets.cancelEdit")}
            </button>
          )}
        </div>
        <p class="muted" role="status">
          {note}
        </p>
        <p class="error" role="alert">
          {errors[""] ?? ""}
        </p>
      </form>
    </section>
  );
}
