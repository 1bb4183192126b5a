// The student's view of a live class: video, the open question with its countdown, the result
// and rank after reveal, the leaderboard, chat, raise hand and reactions.
import { useEffect, useRef, useState } from "preact/hooks";
import { REACTIONS, type ClassVideo, type EdgeClassClient, type OpenQuestion, type QuizResponse } from "@edgeclass/client";
import { useLive, useTicker, type Live } from "./live.ts";
import { MediaUnavailable, prefetchRtcConfig, retryDelay, watch, watchLiveness, type MediaSession } from "./media.ts";
import { api } from "./api.ts";
import { parseDecimal } from "./decimal.ts";
import {
  Chat,
  compact,
  Countdown,
  DistributionBars,
  Header,
  Leaderboard,
  optionLabel,
  PhaseScreen,
  Podium,
  REACTION_EMOJI,
  reactionWord,
  ReconnectBanner,
  setDone,
} from "./ui.tsx";
import { liveErrorText } from "./errors.ts";
import { num, t, tx } from "./i18n.ts";

export function StudentView({ classId }: { classId: string }) {
  const live = useLive(classId);
  // The ICE servers are fetched while the live socket connects, not after its welcome (first frame sooner).
  useEffect(prefetchRtcConfig, [classId]);
  const { client, phase } = live;
  const st = client.state;
  const inClass = st.ready && (phase.kind === "live" || phase.kind === "reconnecting");
  const title = useClassTitle(classId, phase);
  return (
    <div class="page student" data-view="student">
      <Header title={st.title || title || t("class.liveClass")}>
        {inClass && (
          <span class="count">
            <span aria-hidden="true">
              {tx("class.inClass", { n: <span class="num">{num(st.participants)}</span>, count: st.participants })}
            </span>
            <span class="sr-only">{t("class.peopleInClass", { count: st.participants })}</span>
          </span>
        )}
      </Header>
      <ReconnectBanner phase={phase} />
      {!inClass ? (
        <main>
          <PhaseScreen phase={phase} live={live} />
          {phase.kind === "ended" && st.leaderboard && (
            <div class="narrow-block">
              <Podium top={st.leaderboard.top} me={st.leaderboard.me} />
            </div>
          )}
        </main>
      ) : (
        <main class="grid">
          <div class="col-main">
            <Video classId={classId} video={st.video} ended={() => client.state.ended} />
            <Question live={live} />
            {st.leaderboard &&
              (setDone(st.quiz) ? (
                <Podium top={st.leaderboard.top} me={st.leaderboard.me} />
              ) : (
                <Leaderboard top={st.leaderboard.top} me={st.leaderboard.me} />
              ))}
          </div>
          <div class="col-side">
            <Actions client={client} reactions={live.reactions} />
            <Chat client={client} staff={false} />
          </div>
        </main>
      )}
    </div>
  );
}

/** The class's title for the pages shown before a welcome (not started, full, denied: defect 17), from
 *  the REST API; not asked when the reason already says this account may not read the class. */
function useClassTitle(classId: string, phase: Live["phase"]): string {
  const [title, setTitle] = useState("");
  const ask =
    (phase.kind === "not-started" || phase.kind === "full" || phase.kind === "denied") &&
    !(phase.kind === "denied" && (phase.code === "not-enrolled" || phase.code === "removed")) &&
    !/enrolled|only students|only the course|removed/i.test(phase.reason);
  useEffect(() => {
    if (ask && !title)
      api<{ title: string | null }>("GET", `/api/classes/${encodeURIComponent(classId)}`).then(
        (k) => setTitle(k.title ?? ""),
        () => {},
      );
  }, [ask, classId]);
  return title;
}

/** Whether one of the teacher's sources is on air, or which one paused (the live socket's video.state):
 *  the one last seen live, so stopping a screen share says "screen share" after a camera was stopped earlier. */
function onAir(video: ClassVideo, lastLive: "camera" | "screen" | null): { live: boolean; paused: "camera" | "screen" | null } {
  if (video.camera === "live" || video.screen === "live") return { live: true, paused: null };
  if (lastLive && video[lastLive] === "paused") return { live: false, paused: lastLive };
  return { live: false, paused: video.camera === "paused" ? "camera" : video.screen === "paused" ? "screen" : null };
}

const framesOf = (v: HTMLVideoElement | null) => v?.getVideoPlaybackQuality?.().totalVideoFrames ?? 0;

/** The teacher's video over WHEP; retries when the session drops (teacher republishes, server restarts).
 *  When the teacher stops, reloads or drops, the live socket says "paused": the last frame is hidden
 *  and a note says so, until new frames arrive after the next publish. */
function Video({ classId, video, ended }: { classId: string; video: ClassVideo; ended(): boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  const [status, setStatus] = useState<"connecting" | "waiting" | "playing" | "unavailable" | "error">("connecting");
  const [muted, setMuted] = useState(true);
  const [message, setMessage] = useState("");
  const lastLive = useRef<"camera" | "screen" | null>(null);
  if (video.screen === "live") lastLive.current = "screen";
  else if (video.camera === "live") lastLive.current = "camera";
  const air = onAir(video, lastLive.current);
  // Back on air: "playing" again only once frames newer than the pause are decoded.
  useEffect(() => {
    if (air.paused) {
      setStatus((s) => (s === "playing" ? "waiting" : s));
      return;
    }
    if (!air.live) return;
    const since = framesOf(ref.current);
    const t = setInterval(() => {
      if (framesOf(ref.current) > since) {
        setStatus("playing");
        clearInterval(t);
      }
    }, 200);
    return () => clearInterval(t);
  }, [air.live, air.paused]);
  const shown = air.paused ? "paused" : status;
  useEffect(() => {
    let stopped = false;
    let current: MediaSession | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0; // retries since the last connected session (backoff)
    const start = async () => {
      if (stopped) return;
      try {
        setStatus("connecting");
        const s = await watch(classId, (stream) => {
          const v = ref.current;
          if (v && v.srcObject !== stream) v.srcObject = stream;
          v?.play().catch(() => {});
        });
        if (stopped) return void s.close();
        current = s;
        setStatus("waiting");
        const dropped = () => {
          if (current !== s) return;
          current = null;
          void s.close();
          setStatus("connecting");
          timer = setTimeout(start, retryDelay(attempt++));
        };
        watchLiveness(s.pc, dropped); // the media home died: noticed in ~3.5 s instead of Chrome's ~8 s
        s.pc.addEventListener("connectionstatechange", () => {
          const cs = s.pc.connectionState;
          if (cs === "connected") attempt = 0;
          if (cs === "failed" || cs === "closed" || cs === "disconnected") dropped();
        });
      } catch (e) {
        if (e instanceof MediaUnavailable) {
          setStatus("unavailable");
          setMessage(e.message);
          return;
        }
        setStatus("error");
        setMessage((e as Error).message);
        timer = setTimeout(start, retryDelay(attempt++));
      }
    };
    void start();
    return () => {
      stopped = true;
      clearTimeout(timer);
      void current?.close(ended()); // the end of the class ended the session on the server
    };
  }, [classId]);
  return (
    <section class="card video" aria-label={t("video.teachers")}>
      <div class="video-box" data-video={air.paused ? "paused" : air.live ? "live" : "none"}>
        <video
          ref={ref}
          autoplay
          playsInline
          muted={muted}
          data-status={shown}
          onPlaying={() => !air.paused && setStatus("playing")}
          onResize={() => !air.paused && setStatus("playing")}
        />
        {shown !== "playing" && (
          <p class="video-note" role="status">
            {shown === "paused"
              ? air.paused === "screen"
                ? t("video.screenPaused")
                : t("video.cameraPaused")
              : shown === "unavailable"
                ? t("video.unavailable")
                : shown === "error"
                  ? t("video.retrying", { message })
                  : shown === "waiting"
                    ? t("video.waiting")
                    : t("video.connecting")}
          </p>
        )}
      </div>
      <div class="row">
        <button type="button" class="small" aria-pressed={!muted} onClick={() => setMuted(!muted)}>
          {muted ? t("video.soundOn") : t("video.soundOff")}
        </button>
      </div>
    </section>
  );
}

type Outcome = { state: "idle" } | { state: "sending" } | { state: "taken" } | { state: "refused"; message: string };

const refusal = (e: unknown): string => liveErrorText(e);

function Question({ live }: { live: Live }) {
  const { client } = live;
  const st = client.state;
  const quiz = st.quiz;
  useTicker(quiz !== null && !quiz.closed);
  if (quiz === null) {
    return (
      <section class="card quiz idle" aria-labelledby="q-h">
        <h2 id="q-h">{t("quiz.question")}</h2>
        <p class="muted">{t("quiz.none")}</p>
      </section>
    );
  }
  return <OpenQuestionCard key={quiz.question.id} client={client} quiz={quiz} offset={live.clockOffset()} />;
}

function OpenQuestionCard({ client, quiz, offset }: { client: EdgeClassClient; quiz: OpenQuestion; offset: number }) {
  const st = client.state;
  const q = quiz.question;
  const [choice, setChoice] = useState<string>("");
  const [choices, setChoices] = useState<string[]>([]);
  const [value, setValue] = useState("");
  const [outcome, setOutcome] = useState<Outcome>({ state: "idle" });
  const taken = st.myAnswer !== null && st.myAnswer.questionId === q.id;
  // Closed with time still on the clock: the teacher closed it, time was not up (defect 13).
  const early = useRef<boolean | null>(null);
  if (quiz.closed && early.current === null) early.current = Date.now() + offset < quiz.deadline - 500;
  const closedEarly = early.current === true;
  const shown: Outcome = taken ? { state: "taken" } : outcome;

  const response = (): QuizResponse | null => {
    switch (q.kind) {
      case "single":
        return choice ? { choice } : null;
      case "multiple":
        return choices.length ? { choices } : null;
      case "true_false":
        return choice ? { value: choice === "true" } : null;
      case "numeric":
        return parseDecimal(value) === null ? null : { number: parseDecimal(value)! };
      case "text":
        return value.trim() ? { text: value.trim() } : null;
    }
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = response();
    if (r === null || shown.state === "taken" || shown.state === "sending") return;
    setOutcome({ state: "sending" });
    try {
      await client.answer(q.id, r);
      setOutcome({ state: "taken" });
    } catch (err) {
      setOutcome({ state: "refused", message: refusal(err) });
    }
  };
  const locked = shown.state === "taken" || shown.state === "sending" || quiz.revealed;
  const opts =
    q.kind === "true_false"
      ? [
          { id: "true", text: t("quiz.true") },
          { id: "false", text: t("quiz.false") },
        ]
      : (q.options ?? []);
  const result = st.result && st.result.questionId === q.id ? st.result : null;
  const reveal = st.reveal && st.reveal.questionId === q.id ? st.reveal : undefined;
  const set = quiz.flow?.set;

  return (
    <section
      class="card quiz"
      aria-labelledby="q-h"
      data-question={q.id}
      data-outcome={shown.state}
      data-revealed={quiz.revealed ? "1" : "0"}
    >
      <h2 id="q-h">
        {t("quiz.question")} {set && <span class="set-place">{t("quiz.ofSet", { n: set.index + 1, total: set.total })}</span>}{" "}
        <span class="pill">{t("quiz.points", { count: q.points })}</span>
      </h2>
      {/* How the points are counted (issue 16 build 2: the speed bonus explained). */}
      <p class="muted scoring">
        {t("quiz.speedBonus", { count: q.points, half: Math.round(q.points / 2) })}
        {q.partialCredit ? ` ${t("quiz.partialNote")}` : ""}
      </p>
      {!quiz.closed ? (
        <Countdown deadline={quiz.deadline} launchedAt={quiz.launchedAt} offset={offset} />
      ) : (
        <p class="closed-note">{quiz.revealed ? t("quiz.revealed") : closedEarly ? t("quiz.closedByTeacher") : t("quiz.closedTimeUp")}</p>
      )}
      <p class="prompt">{q.prompt}</p>
      {q.image && <img class="q-image" src={q.image} alt={q.imageAlt || t("quiz.imageAlt")} />}
      {!quiz.revealed && (
        <form onSubmit={submit} class="answer-form">
          {q.kind === "single" || q.kind === "true_false" ? (
            <fieldset disabled={locked}>
              <legend class="sr-only">{t("quiz.chooseOne")}</legend>
              {opts.map((o) => (
                <label key={o.id} class={`option ${choice === o.id ? "chosen" : ""}`}>
                  <input type="radio" name={`q-${q.id}`} value={o.id} checked={choice === o.id} onChange={() => setChoice(o.id)} />
                  <span>{o.text}</span>
                </label>
              ))}
            </fieldset>
          ) : q.kind === "multiple" ? (
            <fieldset disabled={locked}>
              <legend class="sr-only">{t("quiz.chooseAll")}</legend>
              {opts.map((o) => (
                <label key={o.id} class={`option ${choices.includes(o.id) ? "chosen" : ""}`}>
                  <input
                    type="checkbox"
                    value={o.id}
                    checked={choices.includes(o.id)}
                    onChange={(e) => setChoices(e.currentTarget.checked ? [...choices, o.id] : choices.filter((c) => c !== o.id))}
                  />
                  <span>{o.text}</span>
                </label>
              ))}
            </fieldset>
          ) : (
            <label class="field" for={`answer-${q.id}`}>
              <span>{q.kind === "numeric" ? t("quiz.yourNumber") : t("quiz.yourAnswer")}</span>
              {q.kind === "numeric" ? (
                // Text with a decimal keypad, not type=number: Chromium's number field turned "6,5" into 65 (defect 7).
                <input
                  id={`answer-${q.id}`}
                  type="text"
                  inputMode="decimal"
                  autocomplete="off"
                  value={value}
                  disabled={locked}
                  onInput={(e) => setValue(e.currentTarget.value)}
                />
              ) : (
                <input
                  id={`answer-${q.id}`}
                  type="text"
                  maxLength={200}
                  value={value}
                  disabled={locked}
                  onInput={(e) => setValue(e.currentTarget.value)}
                />
              )}
            </label>
          )}
          <button type="submit" class="primary" disabled={locked || response() === null}>
            {shown.state === "sending" ? t("quiz.sending") : t("quiz.submit")}
          </button>
        </form>
      )}
      <p class={`outcome outcome-${shown.state}`} role="status" aria-live="polite">
        {shown.state === "taken" && t("quiz.taken")}
        {shown.state === "refused" && `✗ ${shown.message}`}
        {shown.state === "sending" && t("quiz.sendingAnswer")}
      </p>
      {reveal && (
        <div class="reveal">
          <p class="correct-answer">{tx("quiz.correctAnswer", { answer: <strong>{formatCorrect(q, reveal.correct)}</strong> })}</p>
          <DistributionBars q={q} d={reveal.distribution} correct={reveal.correct} />
        </div>
      )}
      {result && (
        <p class={`result ${result.correct ? "right" : "wrong"}`} role="status" data-correct={result.correct ? "1" : "0"}>
          {tx(result.correct ? "quiz.resultRight" : "quiz.resultWrong", {
            points: <span class="num">{num(result.points)}</span>,
            count: result.points,
            total: <span class="num">{num(result.totalScore)}</span>,
            rank: <span class="num rank">{num(result.rank)}</span>,
          })}
        </p>
      )}
      {quiz.revealed && !result && !taken && <p class="muted">{t("quiz.notAnswered")}</p>}
    </section>
  );
}

function formatCorrect(q: OpenQuestion["question"], c: unknown): string {
  if (Array.isArray(c)) return c.map((x) => (q.options ? optionLabel(q, String(x)) : String(x))).join(", ");
  if (typeof c === "boolean") return c ? t("quiz.true") : t("quiz.false");
  if (c !== null && typeof c === "object" && "value" in c) {
    const { value, tolerance } = c as { value: unknown; tolerance?: number };
    return typeof value === "number" ? (tolerance ? `${num(value)} (± ${num(tolerance)})` : num(value)) : String(value);
  }
  return q.options ? optionLabel(q, String(c)) : String(c);
}

function Actions({ client, reactions }: { client: EdgeClassClient; reactions: Live["reactions"] }) {
  const st = client.state;
  const [error, setError] = useState("");
  const answered = st.lastAnsweredHand !== null && st.me !== null && st.lastAnsweredHand.userId === st.me.id;
  const run = (p: Promise<unknown>) => p.then(() => setError("")).catch((e) => setError(liveErrorText(e)));
  return (
    <section class="card actions" aria-label={t("hand.andReactions")}>
      <div class="row">
        <button
          type="button"
          class={`hand ${st.handRaised ? "up" : ""}`}
          aria-pressed={st.handRaised}
          onClick={() => run(st.handRaised ? client.lowerHand() : client.raiseHand())}
        >
          {st.handRaised ? t("hand.lower") : t("hand.raise")}
        </button>
        <span class="hand-note" role="status" aria-live="polite">
          {st.handRaised ? t("hand.isUp") : answered ? t("hand.answered") : ""}
        </span>
      </div>
      <div class="reactions" role="group" aria-label={t("reaction.react")}>
        {REACTIONS.map((r) => (
          <button type="button" key={r} class="react" data-reaction={r} title={reactionWord(r)} onClick={() => run(client.react(r))}>
            <span aria-hidden="true">{REACTION_EMOJI[r]}</span>
            <span class="react-word">{reactionWord(r)}</span>
            <span class="num react-count" data-count={reactions[r] ?? 0}>
              {compact(reactions[r] ?? 0)}
            </span>
          </button>
        ))}
      </div>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}
