// The teacher console: start and end the class, publish camera or screen, launch questions
// (bank or on the fly), watch the distribution, reveal, leaderboard, moderate chat, answer
// hands, roster and attendance, export results. Loaded lazily (students never download it).
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { QUESTION_KINDS, type EdgeClassClient, type QuestionDraft, type QuestionKind } from "@edgeclass/client";
import type { BankQuestionView, ClassResults, PresenceView, QuizSetView, TurnedAwayView } from "@edgeclass/client/api";
import { api, download, upload, type ClassInfo } from "./api.ts";
import { useLive, useTicker, type Live } from "./live.ts";
import { camera, MediaUnavailable, publish, retryDelay, screen, watchLiveness, type MediaSession } from "./media.ts";
import {
  Chat,
  Countdown,
  DistributionBars,
  Header,
  Leaderboard,
  PhaseScreen,
  Podium,
  ReactionCounts,
  ReconnectBanner,
  setDone,
} from "./ui.tsx";
import { apiErrorText, liveErrorText } from "./errors.ts";
import { explainDenial } from "./denial.ts";
import { LmsGrades } from "./lms-grades.tsx";
import { dateTime, locale, num, t, timeLong, tx, type Key } from "./i18n.ts";

export function TeacherConsole({ classId }: { classId: string }) {
  const [info, setInfo] = useState<ClassInfo | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const load = () => api<ClassInfo>("GET", `/api/classes/${encodeURIComponent(classId)}`).then(setInfo, (e) => setError(apiErrorText(e)));
  useEffect(() => void load(), [classId]);
  const start = async () => {
    setBusy(true);
    setError("");
    try {
      setInfo(await api<ClassInfo>("POST", `/api/classes/${encodeURIComponent(classId)}/start`));
    } catch (e) {
      setError(apiErrorText(e));
    } finally {
      setBusy(false);
    }
  };
  if (info?.status === "live") return <LiveConsole classId={classId} info={info} onEnded={load} />;
  return (
    <div class="page teacher" data-view="teacher">
      <Header title={info?.title || t("class.class")} />
      <main class="narrow">
        {info === null && !error && <p class="muted">{t("nav.loading")}</p>}
        {info?.status === "scheduled" && (
          <section class="card" data-phase="scheduled">
            <h2>{t("console.notStarted")}</h2>
            <p>{t("console.scheduledFor", { when: dateTime(info.startsAt), count: info.durationMinutes })}</p>
            <button type="button" class="primary" disabled={busy} onClick={start}>
              {t("console.start")}
            </button>
          </section>
        )}
        {(info?.status === "ended" || info?.status === "cancelled") && (
          <section class="card" data-phase="ended">
            <h2>{info.status === "ended" ? t("console.ended") : t("console.cancelled")}</h2>
            {info.status === "ended" && <ClassSummary classId={classId} />}
            {info.status === "ended" && <LmsGrades classId={classId} />}
            <Exports classId={classId} />
            <Attendance classId={classId} />
          </section>
        )}
        <p class="error" role="alert">
          {error}
        </p>
      </main>
    </div>
  );
}

function LiveConsole({ classId, info, onEnded }: { classId: string; info: ClassInfo; onEnded(): void }) {
  const live = useLive(classId);
  const { client, phase } = live;
  const st = client.state;
  useEffect(() => {
    if (phase.kind === "ended") onEnded();
  }, [phase.kind]);
  const inClass = st.ready && (phase.kind === "live" || phase.kind === "reconnecting");
  return (
    <div class="page teacher" data-view="teacher">
      <Header title={st.title || info.title || t("class.liveClass")}>
        {inClass && (
          <>
            <span class="count">{tx("class.inClass", { n: <span class="num">{num(st.participants)}</span>, count: st.participants })}</span>
            <EndClass client={client} />
          </>
        )}
      </Header>
      <ReconnectBanner phase={phase} />
      {!inClass ? (
        <main>
          <PhaseScreen phase={phase} live={live} />
        </main>
      ) : (
        <main class="grid console">
          <div class="col-main">
            <Publisher classId={classId} ended={() => client.state.ended} />
            <CurrentQuestion live={live} />
            {/* Beside the question it ranks, not under the bank and the form (defect 6: it opened off-screen). */}
            <InView show={st.leaderboard}>
              {st.leaderboard &&
                (setDone(st.quiz) ? <Podium top={st.leaderboard.top} me={null} /> : <Leaderboard top={st.leaderboard.top} me={null} />)}
            </InView>
            <SetRunner client={client} courseId={st.courseId || info.courseId} />
            <Questions client={client} courseId={st.courseId || info.courseId} />
          </div>
          <div class="col-side">
            <ClassLink classId={classId} />
            <TurnedAwayCard classId={classId} />
            <Hands client={client} offset={live.clockOffset()} />
            <RecentReactions live={live} />
            <ChatSettings client={client} />
            <Chat client={client} staff={true} />
            <Roster client={client} />
            <section class="card">
              <h2>{t("console.resultsAttendance")}</h2>
              <Exports classId={classId} />
              <Attendance classId={classId} />
            </section>
          </div>
        </main>
      )}
    </div>
  );
}

/** Scrolls its content into view whenever `show` changes to something new and the content is not
 *  on screen (issue 16 defect 6: "Launch now" left the teacher down in the form, the leaderboard
 *  appeared below the fold). A layout effect, so it scrolls in the commit that shows the content,
 *  before it is painted off-screen. */
function InView({ show, children }: { show: unknown; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current?.firstElementChild;
    if (!show || !el) return;
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.top > innerHeight - 120) el.scrollIntoView({ block: "start" });
  }, [show]);
  return <div ref={ref}>{children}</div>;
}

/** The link students open (they sign in on the way if they have to). */
function ClassLink({ classId }: { classId: string }) {
  const link = `${location.origin}/class/${encodeURIComponent(classId)}`;
  const [copied, setCopied] = useState(false);
  return (
    <section class="card" aria-labelledby="link-h">
      <h2 id="link-h">{t("console.classLink")}</h2>
      <div class="chat-form">
        <input readOnly value={link} aria-label={t("console.classLink")} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          onClick={() =>
            navigator.clipboard?.writeText(link).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? t("console.copied") : t("console.copy")}
        </button>
      </div>
    </section>
  );
}

/** Students the class refused (full, not enrolled...), asked every 5 s: the teacher learns that people are waiting outside. */
function TurnedAwayCard({ classId }: { classId: string }) {
  const [info, setInfo] = useState<TurnedAwayView | null>(null);
  useEffect(() => {
    let stop = false;
    const load = () =>
      api<TurnedAwayView>("GET", `/api/classes/${encodeURIComponent(classId)}/turned-away`).then(
        (r) => !stop && setInfo(r),
        () => {},
      );
    void load();
    const timer = setInterval(load, 5000);
    return () => ((stop = true), clearInterval(timer));
  }, [classId]);
  if (!info || info.students === 0) return null;
  return (
    <section class="card turned-away" aria-labelledby="away-h" data-turned-away={info.students}>
      <h2 id="away-h">
        {t("away.title")} <span class="pill num">{info.students}</span>
      </h2>
      <ul>
        {info.reasons.map((r) => (
          <li key={r.reason}>
            {explainDenial(r.reason).reasons.join(" ")}{" "}
            <span class="muted">{t("away.count", { count: r.students, attempts: r.attempts })}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function EndClass({ client }: { client: EdgeClassClient }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState("");
  if (!confirm)
    return (
      <button type="button" class="danger" onClick={() => setConfirm(true)}>
        {t("console.end")}
      </button>
    );
  return (
    <span class="confirm" role="group" aria-label={t("console.confirmEnd")}>
      <button type="button" class="danger" autoFocus onClick={() => client.endClass().catch((e) => setError(liveErrorText(e)))}>
        {t("console.endForEveryone")}
      </button>
      <button type="button" onClick={() => setConfirm(false)}>
        {t("console.cancel")}
      </button>
      <span class="error">{error}</span>
    </span>
  );
}

function Publisher({ classId, ended = () => false }: { classId: string; ended?(): boolean }) {
  const preview = useRef<HTMLVideoElement>(null);
  const [what, setWhat] = useState<"off" | "camera" | "screen">("off");
  const [status, setStatus] = useState("");
  const session = useRef<{ media: MediaSession; stream: MediaStream } | null>(null);
  const stop = async (serverGone = false) => {
    const s = session.current;
    session.current = null;
    if (s) {
      s.stream.getTracks().forEach((t) => t.stop());
      await s.media.close(serverGone);
    }
    if (preview.current) preview.current.srcObject = null;
    setWhat("off");
  };
  useEffect(() => () => void stop(ended()), []); // after the end of the class the server has closed the session
  // The connection to the class's media home dropped (its instance restarted or died): publish the
  // same stream again, with backoff; whichever instance gets it becomes the new home.
  const keepOnAir = (media: MediaSession, start: () => Promise<MediaSession>, attempt: number) => {
    let done = false;
    const dropped = () => {
      if (done || session.current?.media !== media) return;
      done = true;
      void media.close();
      const again = async () => {
        const s = session.current;
        if (s?.media !== media) return; // stopped or replaced meanwhile
        try {
          const next = await start();
          if (session.current !== s) return void next.close();
          session.current = { media: next, stream: s.stream };
          setStatus("");
          keepOnAir(next, start, attempt);
        } catch {
          setTimeout(again, retryDelay(attempt++));
        }
      };
      setTimeout(again, retryDelay(attempt++));
    };
    watchLiveness(media.pc, dropped); // the home sends feedback every 500 ms: silence means it is gone
    media.pc.addEventListener("connectionstatechange", () => {
      const cs = media.pc.connectionState;
      setStatus(cs === "connected" ? "" : t("publish.state", { state: cs }));
      if (cs === "connected") attempt = 0;
      if (cs === "failed" || cs === "disconnected") dropped();
    });
  };
  const go = async (kind: "camera" | "screen") => {
    setStatus(t("publish.starting"));
    try {
      await stop();
      const stream = kind === "camera" ? await camera() : await screen();
      if (preview.current) preview.current.srcObject = stream;
      const start = () => publish(classId, stream, kind);
      const media = await start();
      session.current = { media, stream };
      setWhat(kind);
      setStatus("");
      keepOnAir(media, start, 0);
      stream.getVideoTracks()[0]?.addEventListener("ended", () => void stop());
    } catch (e) {
      await stop();
      setStatus(e instanceof MediaUnavailable ? t("publish.unavailable") : t("publish.failed", { message: (e as Error).message }));
    }
  };
  return (
    <section class="card video" aria-labelledby="pub-h">
      <h2 id="pub-h">
        {t("publish.title")}{" "}
        {what !== "off" && <span class="pill live-pill">{t(what === "camera" ? "publish.liveCamera" : "publish.liveScreen")}</span>}
      </h2>
      <div class="video-box">
        <video ref={preview} autoplay playsInline muted data-publishing={what} />
        {what === "off" && <p class="video-note">{t("publish.off")}</p>}
      </div>
      <div class="row">
        <button type="button" onClick={() => go("camera")} aria-pressed={what === "camera"}>
          {t("publish.camera")}
        </button>
        <button type="button" onClick={() => go("screen")} aria-pressed={what === "screen"}>
          {t("publish.screen")}
        </button>
        <button type="button" onClick={() => stop()} disabled={what === "off"}>
          {t("publish.stop")}
        </button>
      </div>
      <p class="muted" role="status">
        {status}
      </p>
    </section>
  );
}

function CurrentQuestion({ live }: { live: Live }) {
  const { client } = live;
  const st = client.state;
  const quiz = st.quiz;
  const [error, setError] = useState("");
  useTicker(quiz !== null && !quiz.closed);
  const run = (p: Promise<unknown>) => p.then(() => setError("")).catch((e) => setError(liveErrorText(e)));
  if (quiz === null)
    return (
      <section class="card quiz idle">
        <h2>{t("console.liveQuestion")}</h2>
        <p class="muted">{t("console.noQuestion")}</p>
      </section>
    );
  return (
    <InView show={quiz.question.id}>
      <LiveQuestion live={live} quiz={quiz} run={run} error={error} />
    </InView>
  );
}

function LiveQuestion({
  live,
  quiz,
  run,
  error,
}: {
  live: Live;
  quiz: NonNullable<EdgeClassClient["state"]["quiz"]>;
  run(p: Promise<unknown>): void;
  error: string;
}) {
  const { client } = live;
  const st = client.state;
  const q = quiz.question;
  const dist = st.reveal?.questionId === q.id ? st.reveal.distribution : st.distribution?.questionId === q.id ? st.distribution : undefined;
  return (
    <section class="card quiz" aria-labelledby="cq-h" data-question={q.id} data-revealed={quiz.revealed ? "1" : "0"}>
      <h2 id="cq-h">
        {t("console.liveQuestion")} <span class="pill">{t(`kind.${q.kind}`)}</span>
      </h2>
      {!quiz.closed ? (
        <Countdown deadline={quiz.deadline} launchedAt={quiz.launchedAt} offset={live.clockOffset()} />
      ) : (
        <p class="closed-note">{quiz.revealed ? t("console.revealed") : t("console.closed")}</p>
      )}
      <p class="prompt">{q.prompt}</p>
      {q.image && <img class="q-image" src={q.image} alt={q.imageAlt || t("quiz.imageAlt")} />}
      <DistributionBars q={q} d={dist} correct={st.reveal?.questionId === q.id ? st.reveal.correct : undefined} />
      <div class="row">
        <button type="button" onClick={() => run(client.closeQuiz())} disabled={quiz.closed}>
          {t("console.closeAnswers")}
        </button>
        <button type="button" class="primary" onClick={() => run(client.reveal())} disabled={quiz.revealed}>
          {t("console.reveal")}
        </button>
        <button type="button" onClick={() => run(client.showLeaderboard())}>
          {t("console.showBoard")}
        </button>
      </div>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

/** Runs a quiz set question by question with "Next" (issue 16 build 2). Where the run is comes from the
 *  live question's flow (the server's), so a reload of the console carries on. */
function SetRunner({ client, courseId }: { client: EdgeClassClient; courseId: string }) {
  const st = client.state;
  const [sets, setSets] = useState<QuizSetView[]>([]);
  const [chosen, setChosen] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (courseId)
      api<{ items: QuizSetView[] }>("GET", `/api/courses/${encodeURIComponent(courseId)}/quiz-sets`).then(
        (r) => (setSets(r.items), setChosen((c) => c || r.items[0]?.id || "")),
        () => {},
      );
  }, [courseId]);
  const running = st.quiz?.flow?.set;
  const set = running ? sets.find((x) => x.id === running.id) : undefined;
  const launch = async (x: QuizSetView, index: number) => {
    setBusy(true);
    setError("");
    try {
      await client.launchQuiz({
        questionId: x.questionIds[index],
        timeLimitSeconds: x.timeLimitSeconds,
        flow: {
          autoReveal: x.autoReveal,
          autoLeaderboard: x.autoLeaderboard,
          set: { id: x.id, title: x.title, index, total: x.questionIds.length },
        },
      });
    } catch (e) {
      setError(liveErrorText(e));
    } finally {
      setBusy(false);
    }
  };
  if (sets.length === 0) return null;
  const settled = st.quiz !== null && (st.quiz.closed || st.quiz.revealed);
  const last = running !== undefined && running.index + 1 >= running.total;
  return (
    <section class="card set-runner" aria-labelledby="run-h" data-running={running ? `${running.index + 1}/${running.total}` : ""}>
      <h2 id="run-h">{t("sets.title")}</h2>
      {running && (
        <p>
          <strong>{running.title}</strong> {t("quiz.ofSet", { n: running.index + 1, total: running.total })}
        </p>
      )}
      <div class="row">
        {running && set && !last && (
          <button type="button" class="primary" disabled={busy || !settled} onClick={() => launch(set, running.index + 1)}>
            {t("sets.next", { n: running.index + 2, total: running.total })}
          </button>
        )}
        {running && last && st.quiz?.revealed && (
          <button type="button" class="primary" onClick={() => client.showLeaderboard().catch((e) => setError(liveErrorText(e)))}>
            {t("sets.podium")}
          </button>
        )}
        {(!running || (last && settled)) && (
          <>
            <label class="field inline">
              <span class="sr-only">{t("sets.title")}</span>
              <select value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
                {sets.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.title}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              disabled={busy || (st.quiz !== null && !settled)}
              onClick={() => sets.find((x) => x.id === chosen) && launch(sets.find((x) => x.id === chosen)!, 0)}
            >
              {t("sets.start")}
            </button>
          </>
        )}
      </div>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

const LETTERS = ["a", "b", "c", "d", "e", "f"];

function Questions({ client, courseId }: { client: EdgeClassClient; courseId: string }) {
  const [bank, setBank] = useState<BankQuestionView[]>([]);
  const [limit, setLimit] = useState(30);
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  const path = `/api/courses/${encodeURIComponent(courseId)}/questions`;
  const load = () =>
    api<{ items: BankQuestionView[] }>("GET", `${path}?limit=100`).then(
      (r) => setBank(r.items),
      (e) => setError(apiErrorText(e)),
    );
  useEffect(() => void (courseId && load()), [courseId]);
  const launch = async (o: { questionId: string } | { question: QuestionDraft }) => {
    setError("");
    try {
      await client.launchQuiz({ ...o, timeLimitSeconds: limit } as Parameters<EdgeClassClient["launchQuiz"]>[0]);
      setNote(t("console.launched"));
    } catch (e) {
      setError(liveErrorText(e));
    }
  };
  const save = async (q: QuestionDraft) => {
    setError("");
    try {
      await api("POST", path, q);
      setNote(t("console.saved"));
      await load();
    } catch (e) {
      setError(apiErrorText(e));
    }
  };
  const remove = async (id: string) => {
    try {
      await api("DELETE", `/api/questions/${encodeURIComponent(id)}`);
      await load();
    } catch (e) {
      setError(apiErrorText(e));
    }
  };
  return (
    <section class="card bank" aria-labelledby="bank-h">
      <h2 id="bank-h">{t("console.questions")}</h2>
      <label class="field inline">
        <span>{t("console.timeLimit")}</span>
        <input
          type="number"
          min={5}
          max={600}
          value={limit}
          onInput={(e) => setLimit(Math.max(5, Math.min(600, Number(e.currentTarget.value) || 30)))}
        />
      </label>
      <h3>{t("console.fromBank")}</h3>
      {bank.length === 0 && <p class="muted">{t("bank.empty")}</p>}
      <ul class="bank-list">
        {bank.map((q) => (
          <li key={q.id} data-bank-id={q.id}>
            <span class="pill">{t(`kind.${q.kind}`)}</span> <span class="bank-prompt">{q.prompt}</span>
            <span class="row">
              <button
                type="button"
                class="small primary"
                onClick={() => launch({ questionId: q.id })}
                aria-label={t("console.launchName", { prompt: q.prompt })}
              >
                {t("console.launch")}
              </button>
              <button type="button" class="small" onClick={() => remove(q.id)} aria-label={t("bank.removeName", { prompt: q.prompt })}>
                {t("bank.remove")}
              </button>
            </span>
          </li>
        ))}
      </ul>
      <h3>{t("console.write")}</h3>
      <QuestionForm courseId={courseId} onLaunch={(q) => launch({ question: q })} onSave={save} onInvalid={() => setNote("")} />
      <p class="muted" role="status">
        {note}
      </p>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

/**
 * Writes a question (or edits `initial`): launch it now (console) or save it to the bank. `onInvalid` lets the caller drop an older
 * "Launched." note.
 */
export function QuestionForm({
  onLaunch,
  onSave,
  onInvalid,
  initial,
  saveLabel = "form.saveToBank",
  courseId,
}: {
  onLaunch?(q: QuestionDraft): void;
  onSave(q: QuestionDraft): void;
  onInvalid?(): void;
  initial?: QuestionDraft;
  saveLabel?: Key;
  courseId?: string;
}) {
  const i0 = initial;
  const [kind, setKind] = useState<QuestionKind>(i0?.kind ?? "single");
  const [prompt, setPrompt] = useState(i0?.prompt ?? "");
  const opts0 = i0 && "options" in i0 ? i0.options.map((o) => o.text) : [];
  const [options, setOptions] = useState<string[]>([...opts0, ...["", "", "", ""].slice(opts0.length)]);
  // The form names options a, b, c...: a bank question's own option ids map by position.
  const letterOf = (id: string) => (i0 && "options" in i0 ? LETTERS[i0.options.findIndex((o) => o.id === id)] : undefined) ?? "";
  const [correct, setCorrect] = useState<string[]>(
    i0?.kind === "single" ? [letterOf(i0.correct)] : i0?.kind === "multiple" ? i0.correct.map(letterOf) : [],
  );
  const [truth, setTruth] = useState(i0?.kind === "true_false" ? String(i0.correct) : "true");
  const [number, setNumber] = useState(i0?.kind === "numeric" ? String(i0.correct) : "");
  const [tolerance, setTolerance] = useState(i0?.kind === "numeric" ? String(i0.tolerance ?? 0) : "0");
  const [accepted, setAccepted] = useState(i0?.kind === "text" ? i0.correct.join("\n") : "");
  const [points, setPoints] = useState(i0?.points ?? 100);
  const [partial, setPartial] = useState(i0?.kind === "multiple" && i0.partialCredit === true);
  const [image, setImage] = useState(i0?.image ?? "");
  const [imageAlt, setImageAlt] = useState(i0?.imageAlt ?? "");
  const [imageError, setImageError] = useState("");
  const pick = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!f || !courseId) return;
    setImageError("");
    try {
      setImage((await upload<{ id: string }>(`/api/courses/${encodeURIComponent(courseId)}/images`, f)).id);
    } catch (err) {
      setImageError(apiErrorText(err));
    }
  };
  const withPicture = <D extends QuestionDraft>(d: D): D =>
    image ? { ...d, image, ...(imageAlt.trim() ? { imageAlt: imageAlt.trim() } : {}) } : d;
  const [error, setError] = useState("");
  const draft = (): QuestionDraft | string => {
    const p = prompt.trim();
    if (!p) return t("form.needPrompt");
    if (kind === "single" || kind === "multiple") {
      const opts = options.map((t, i) => ({ id: LETTERS[i], text: t.trim() })).filter((o) => o.text);
      if (opts.length < 2) return t("form.needOptions");
      const ok = correct.filter((c) => opts.some((o) => o.id === c));
      if (ok.length === 0) return t("form.needCorrect");
      return kind === "single"
        ? { kind, prompt: p, options: opts, correct: ok[0], points }
        : { kind, prompt: p, options: opts, correct: ok, points, ...(partial ? { partialCredit: true } : {}) };
    }
    if (kind === "true_false") return { kind, prompt: p, correct: truth === "true", points };
    if (kind === "numeric") {
      const n = Number(number);
      if (number.trim() === "" || !Number.isFinite(n)) return t("form.needNumber");
      return { kind, prompt: p, correct: n, tolerance: Math.max(0, Number(tolerance) || 0), points };
    }
    const list = accepted
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length === 0) return t("form.needAccepted");
    return { kind, prompt: p, correct: list, points };
  };
  const act = (fn: (q: QuestionDraft) => void) => (e: Event) => {
    e.preventDefault();
    const d = draft();
    if (typeof d === "string") return (onInvalid?.(), setError(d));
    setError("");
    fn(withPicture(d));
  };
  return (
    <form class="qform stack" onSubmit={act(onLaunch ?? onSave)}>
      <div class="row">
        <label class="field inline">
          <span>{t("form.kind")}</span>
          <select value={kind} onChange={(e) => (setKind(e.currentTarget.value as QuestionKind), setCorrect([]))}>
            {QUESTION_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kind.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="field inline">
          <span>{t("form.points")}</span>
          <input
            type="number"
            min={0}
            max={10000}
            value={points}
            onInput={(e) => setPoints(Math.max(0, Math.min(10000, Math.round(Number(e.currentTarget.value) || 0))))}
          />
        </label>
      </div>
      <label class="field">
        <span>{t("quiz.question")}</span>
        <textarea name="prompt" rows={2} maxLength={1000} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
      </label>
      {courseId && (
        <div class="row picture">
          <label class="field inline">
            <span>{t("form.picture")}</span>
            <input type="file" name="picture" accept="image/png,image/jpeg,image/webp,image/gif" onChange={pick} />
          </label>
          {image && (
            <>
              <img class="q-image-preview" src={`/api/images/${image}`} alt={imageAlt || t("quiz.imageAlt")} />
              <label class="field inline">
                <span>{t("form.pictureAlt")}</span>
                <input name="pictureAlt" value={imageAlt} maxLength={300} onInput={(e) => setImageAlt(e.currentTarget.value)} />
              </label>
              <button type="button" class="small" onClick={() => setImage("")}>
                {t("form.pictureRemove")}
              </button>
            </>
          )}
          {imageError && <span class="field-error">{imageError}</span>}
        </div>
      )}
      {(kind === "single" || kind === "multiple") && (
        <fieldset class="options">
          <legend>{kind === "single" ? t("form.optionsOne") : t("form.optionsMany")}</legend>
          {options.map((text, i) => (
            <div class="row option-row" key={i}>
              <input
                type={kind === "single" ? "radio" : "checkbox"}
                name="correct"
                aria-label={t("form.optionRight", { letter: LETTERS[i].toUpperCase() })}
                checked={correct.includes(LETTERS[i])}
                onChange={(e) =>
                  setCorrect(
                    kind === "single"
                      ? [LETTERS[i]]
                      : e.currentTarget.checked
                        ? [...correct, LETTERS[i]]
                        : correct.filter((c) => c !== LETTERS[i]),
                  )
                }
              />
              <input
                type="text"
                name={`option-${LETTERS[i]}`}
                aria-label={t("form.option", { letter: LETTERS[i].toUpperCase() })}
                placeholder={t("form.option", { letter: LETTERS[i].toUpperCase() })}
                maxLength={200}
                value={text}
                onInput={(e) => setOptions(options.map((o, j) => (j === i ? e.currentTarget.value : o)))}
              />
            </div>
          ))}
          {options.length < LETTERS.length && (
            <button type="button" class="small" onClick={() => setOptions([...options, ""])}>
              {t("form.addOption")}
            </button>
          )}
          {kind === "multiple" && (
            <label class="field inline">
              <input type="checkbox" name="partialCredit" checked={partial} onChange={(e) => setPartial(e.currentTarget.checked)} />
              <span>{t("form.partialCredit")}</span>
            </label>
          )}
        </fieldset>
      )}
      {kind === "true_false" && (
        <label class="field inline">
          <span>{t("form.rightAnswer")}</span>
          <select value={truth} onChange={(e) => setTruth(e.currentTarget.value)}>
            <option value="true">{t("quiz.true")}</option>
            <option value="false">{t("quiz.false")}</option>
          </select>
        </label>
      )}
      {kind === "numeric" && (
        <div class="row">
          <label class="field inline">
            <span>{t("form.rightNumber")}</span>
            <input type="number" step="any" value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
          </label>
          <label class="field inline">
            <span>{t("form.tolerance")}</span>
            <input type="number" step="any" min={0} value={tolerance} onInput={(e) => setTolerance(e.currentTarget.value)} />
          </label>
        </div>
      )}
      {kind === "text" && (
        <label class="field">
          <span>{t("form.accepted")}</span>
          <textarea rows={2} value={accepted} onInput={(e) => setAccepted(e.currentTarget.value)} />
        </label>
      )}
      <div class="row">
        {onLaunch && (
          <button type="submit" class="primary">
            {t("form.launchNow")}
          </button>
        )}
        <button type={onLaunch ? "button" : "submit"} class={onLaunch ? "" : "primary"} onClick={onLaunch ? act(onSave) : undefined}>
          {t(saveLabel)}
        </button>
      </div>
      <p class="error" role="alert">
        {error}
      </p>
    </form>
  );
}

/** Reactions as they are now: counts fade (half-life 20 s), re-drawn each second; the totals since
 *  this page joined stay in data-total (issue 16, teacher awareness). */
function RecentReactions({ live }: { live: Live }) {
  useTicker(true, 1000);
  const now = Date.now();
  const recent = live.recentReactions(now);
  return (
    <section class="card" aria-label={t("reaction.title")}>
      <h2>{t("reaction.title")}</h2>
      <p class="muted">{t("reaction.recentNote")}</p>
      <ReactionCounts
        counts={Object.fromEntries(Object.entries(recent).map(([k, v]) => [k, Math.round(v ?? 0)]))}
        totals={live.reactions}
      />
    </section>
  );
}

/** How long a hand has been up, on the server's clock. */
function upFor(raisedAt: number, offset: number): string {
  const s = Math.max(0, Math.floor((Date.now() + offset - raisedAt) / 1000));
  return s < 60 ? t("hands.upSeconds", { count: s }) : t("hands.upMinutes", { count: Math.floor(s / 60) });
}

function Hands({ client, offset }: { client: EdgeClassClient; offset: number }) {
  const hands = client.state.hands ?? [];
  useTicker(hands.length > 0, 1000);
  const [error, setError] = useState("");
  const run = (p: Promise<unknown>) => p.then(() => setError("")).catch((e) => setError(liveErrorText(e)));
  return (
    <section class="card hands" aria-labelledby="hands-h">
      <h2 id="hands-h">
        {t("hands.title")} <span class="pill num">{hands.length}</span>
      </h2>
      {hands.length === 0 && <p class="muted">{t("hands.none")}</p>}
      <ol>
        {hands.map((h) => (
          <li key={h.userId} data-user={h.userId}>
            <span class="name">{h.name}</span>{" "}
            <span class="muted hand-age num" data-raised-at={h.raisedAt}>
              {upFor(h.raisedAt, offset)}
            </span>
            <button
              type="button"
              class="small primary"
              onClick={() => run(client.answerHand(h.userId))}
              aria-label={t("hands.answerName", { name: h.name })}
            >
              {t("hands.answer")}
            </button>
          </li>
        ))}
      </ol>
      {hands.length > 0 && (
        <button type="button" class="small" onClick={() => run(client.clearHands())}>
          {t("hands.clear")}
        </button>
      )}
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

function ChatSettings({ client }: { client: EdgeClassClient }) {
  const cs = client.state.chatSettings;
  return (
    <section class="card" aria-label={t("chat.settings")}>
      <div class="row">
        <label class="field inline">
          <input
            type="checkbox"
            checked={cs.enabled}
            onChange={(e) => client.chatSettings({ enabled: e.currentTarget.checked }).catch(() => {})}
          />
          <span>{t("chat.on")}</span>
        </label>
        <label class="field inline">
          <span>{t("chat.slowMode")}</span>
          <select
            value={String(cs.slowModeSeconds)}
            onChange={(e) => client.chatSettings({ slowModeSeconds: Number(e.currentTarget.value) }).catch(() => {})}
          >
            {[0, 5, 10, 30, 60].map((n) => (
              <option key={n} value={String(n)}>
                {n === 0 ? t("chat.off") : t("chat.seconds", { n })}
              </option>
            ))}
          </select>
        </label>
      </div>
    </section>
  );
}

function Roster({ client }: { client: EdgeClassClient }) {
  const st = client.state;
  const [find, setFind] = useState("");
  const people = [...(st.roster?.values() ?? [])].sort((a, b) =>
    a.role === b.role ? a.name.localeCompare(b.name) : a.role === "student" ? 1 : -1,
  );
  const needle = find.trim().toLowerCase();
  const matching = needle ? people.filter((p) => p.name.toLowerCase().includes(needle) || p.id.toLowerCase().includes(needle)) : people;
  const shown = matching.slice(0, 200);
  const away = people.filter((p) => !p.connected).length;
  return (
    <section class="card roster" aria-labelledby="roster-h">
      <h2 id="roster-h">
        {t("roster.title")} <span class="pill num">{people.length}</span>
      </h2>
      <p class="muted">
        {tx("roster.counts", { connected: <span class="num">{people.length - away}</span>, away: <span class="num">{away}</span> })}
      </p>
      <label class="field">
        <span>{t("roster.find")}</span>
        <input type="search" value={find} onInput={(e) => setFind(e.currentTarget.value)} placeholder={t("roster.findPlaceholder")} />
      </label>
      <ul>
        {shown.map((p) => (
          <li key={p.id} data-user={p.id} class={p.connected ? "" : "away"}>
            <span class="name">{p.name}</span> <span class="role">{t(`role.${p.role}`)}</span>{" "}
            {!p.connected && <span class="pill">{t("roster.reconnecting")}</span>}
            {st.mutedUsers.has(p.id) && <span class="pill">{t("roster.muted")}</span>}
            {p.role === "student" && (
              <button
                type="button"
                class="small"
                aria-label={t(st.mutedUsers.has(p.id) ? "chat.unmuteName" : "chat.muteName", { name: p.name })}
                onClick={() => client.mute(p.id, !st.mutedUsers.has(p.id)).catch(() => {})}
              >
                {st.mutedUsers.has(p.id) ? t("chat.unmute") : t("chat.mute")}
              </button>
            )}
          </li>
        ))}
      </ul>
      <p class="muted">{matching.length > shown.length ? t("roster.more", { count: matching.length - shown.length }) : "\u00a0"}</p>
    </section>
  );
}

/** The class at a glance after it ends: participation, average score, the hardest question (issue 16 build 2). */
function ClassSummary({ classId }: { classId: string }) {
  const [r, setR] = useState<ClassResults | null>(null);
  useEffect(() => void api<ClassResults>("GET", `/api/classes/${encodeURIComponent(classId)}/results`).then(setR, () => {}), [classId]);
  if (!r || r.students.length === 0) return null;
  const took = r.students.filter((x) => x.answered > 0).length;
  const avg = r.students.reduce((a, x) => a + x.score, 0) / r.students.length;
  const rated = r.questions.filter((q) => q.answered > 0).map((q) => ({ q, rate: q.correctCount / q.answered }));
  const hardest = rated.sort((a, b) => a.rate - b.rate)[0];
  const pct = (x: number) => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(x);
  return (
    <section class="summary" aria-labelledby="sum-h" data-summary="1">
      <h3 id="sum-h">{t("summary.title")}</h3>
      <dl>
        <dt>{t("summary.participation")}</dt>
        <dd data-participation={took}>{t("summary.took", { count: r.students.length, took, pct: pct(took / r.students.length) })}</dd>
        <dt>{t("summary.average")}</dt>
        <dd data-average={Math.round(avg)}>{num(Math.round(avg))}</dd>
        <dt>{t("summary.questions")}</dt>
        <dd>{num(r.questions.length)}</dd>
        {hardest && (
          <>
            <dt>{t("summary.hardest")}</dt>
            <dd data-hardest={hardest.q.prompt}>{t("summary.hardestText", { prompt: hardest.q.prompt, pct: pct(hardest.rate) })}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** Downloads, one table per CSV file, dates and times in the teacher's zone; JSON with every detail. */
function Exports({ classId }: { classId: string }) {
  const [error, setError] = useState("");
  const k = `/api/classes/${encodeURIComponent(classId)}`;
  const tz = encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const get = (path: string, file: string) =>
    download(path, `class-${classId}-${file}`).then(
      () => setError(""),
      (e) => setError(apiErrorText(e)),
    );
  return (
    <div class="row exports">
      <button type="button" onClick={() => get(`${k}/results?format=csv&table=answers&tz=${tz}`, "answers.csv")}>
        {t("export.answers")}
      </button>
      <button type="button" onClick={() => get(`${k}/results?format=csv&table=standings`, "standings.csv")}>
        {t("export.standings")}
      </button>
      <button type="button" onClick={() => get(`${k}/attendance?format=csv&tz=${tz}`, "attendance.csv")}>
        {t("export.attendance")}
      </button>
      <button type="button" onClick={() => get(`${k}/results?format=json`, "results.json")}>
        {t("export.json")}
      </button>
      <span class="error">{error}</span>
    </div>
  );
}

/** Who came, when, for how long (one line per person; reloads and dropped connections add up). */
function Attendance({ classId }: { classId: string }) {
  const [rows, setRows] = useState<PresenceView[] | null>(null);
  const [error, setError] = useState("");
  const load = () =>
    api<{ people: PresenceView[] }>("GET", `/api/classes/${encodeURIComponent(classId)}/attendance`).then(
      (r) => setRows(r.people),
      (e) => setError(apiErrorText(e)),
    );
  const at = (s: string | null) => (s ? timeLong(s) : "—");
  return (
    <div class="attendance">
      <button type="button" onClick={load}>
        {rows ? t("attendance.refresh") : t("attendance.show")}
      </button>
      {rows && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t("attendance.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("attendance.who")}</th>
                <th scope="col">{t("attendance.joined")}</th>
                <th scope="col">{t("attendance.left")}</th>
                <th scope="col">{t("attendance.minutes")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.userId} data-user={r.userId}>
                  <td>{r.name || r.userId}</td>
                  <td>{at(r.firstJoinedAt)}</td>
                  <td>{at(r.lastLeftAt)}</td>
                  <td class="num">{num(r.minutesPresent)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <span class="error">{error}</span>
    </div>
  );
}
