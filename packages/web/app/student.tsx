// The student's view of a live class: video, the open question with its countdown, the result
// and rank after reveal, the leaderboard, chat, raise hand and reactions.
import { useEffect, useRef, useState } from "preact/hooks";
import { REACTIONS, type ClassVideo, type EdgeClassClient, type OpenQuestion, type QuizResponse } from "../../client/src/index.ts";
import { useLive, useTicker, type Live } from "./live.ts";
import { MediaUnavailable, retryDelay, watch, watchLiveness, type MediaSession } from "./media.ts";
import { api } from "./api.ts";
import { parseDecimal } from "./decimal.ts";
import { Chat, compact, Countdown, DistributionBars, Header, Leaderboard, optionLabel, PhaseScreen, REACTION_LABELS, ReconnectBanner } from "./ui.tsx";

export function StudentView({ classId }: { classId: string }) {
  const live = useLive(classId);
  const { client, phase } = live;
  const st = client.state;
  const inClass = st.ready && (phase.kind === "live" || phase.kind === "reconnecting");
  const title = useClassTitle(classId, phase);
  return (
    <div class="page student" data-view="student">
      <Header title={st.title || title || "Live class"}>
        {inClass && (
          <span class="count" aria-label={`${st.participants} people in the class`}>
            <span class="num">{st.participants}</span> in class
          </span>
        )}
      </Header>
      <ReconnectBanner phase={phase} />
      {!inClass ? (
        <main>
          <PhaseScreen phase={phase} live={live} />
          {phase.kind === "ended" && st.leaderboard && (
            <div class="narrow-block">
              <Leaderboard top={st.leaderboard.top} me={st.leaderboard.me} />
            </div>
          )}
        </main>
      ) : (
        <main class="grid">
          <div class="col-main">
            <Video classId={classId} video={st.video} ended={() => client.state.ended} />
            <Question live={live} />
            {st.leaderboard && <Leaderboard top={st.leaderboard.top} me={st.leaderboard.me} />}
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
  const ask = (phase.kind === "not-started" || phase.kind === "full" || phase.kind === "denied") && !/enrolled|only students|only the course|removed/i.test(phase.reason);
  useEffect(() => {
    if (ask && !title) api<{ title: string | null }>("GET", `/api/classes/${encodeURIComponent(classId)}`).then((k) => setTitle(k.title ?? ""), () => {});
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
    <section class="card video" aria-label="Teacher's video">
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
                ? "The teacher's screen share is paused"
                : "The teacher's video is paused"
              : shown === "unavailable"
                ? message
                : shown === "error"
                  ? `Video: ${message}. Retrying…`
                  : shown === "waiting"
                    ? "Waiting for the teacher's video…"
                    : "Connecting video…"}
          </p>
        )}
      </div>
      <div class="row">
        <button class="small" aria-pressed={!muted} onClick={() => setMuted(!muted)}>
          {muted ? "Turn sound on" : "Mute sound"}
        </button>
      </div>
    </section>
  );
}

type Outcome = { state: "idle" } | { state: "sending" } | { state: "taken" } | { state: "refused"; message: string };

function refusal(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === "deadline-passed") return "Too late: time was up, so your answer was not taken.";
  if (code === "already-answered") return "You already answered this question; the first answer counts.";
  if (code === "no-open-question" || code === "wrong-question") return "This question is no longer open.";
  return (e as Error).message || "Your answer was refused.";
}

function Question({ live }: { live: Live }) {
  const { client } = live;
  const st = client.state;
  const quiz = st.quiz;
  useTicker(quiz !== null && !quiz.closed);
  if (quiz === null) {
    return (
      <section class="card quiz idle" aria-labelledby="q-h">
        <h2 id="q-h">Question</h2>
        <p class="muted">No question right now. When the teacher asks one, it shows here.</p>
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
  const opts = q.kind === "true_false" ? [{ id: "true", text: "True" }, { id: "false", text: "False" }] : q.options ?? [];
  const result = st.result && st.result.questionId === q.id ? st.result : null;
  const reveal = st.reveal && st.reveal.questionId === q.id ? st.reveal : undefined;

  return (
    <section class="card quiz" aria-labelledby="q-h" data-question={q.id} data-outcome={shown.state} data-revealed={quiz.revealed ? "1" : "0"}>
      <h2 id="q-h">
        Question <span class="pill">{q.points} points</span>
      </h2>
      {!quiz.closed ? (
        <Countdown deadline={quiz.deadline} launchedAt={quiz.launchedAt} offset={offset} />
      ) : (
        <p class="closed-note">{quiz.revealed ? "Answers revealed" : closedEarly ? "The teacher closed answers" : "Time is up: answers are closed"}</p>
      )}
      <p class="prompt">{q.prompt}</p>
      {!quiz.revealed && (
        <form onSubmit={submit} class="answer-form">
          {q.kind === "single" || q.kind === "true_false" ? (
            <fieldset disabled={locked}>
              <legend class="sr-only">Choose one answer</legend>
              {opts.map((o) => (
                <label key={o.id} class={`option ${choice === o.id ? "chosen" : ""}`}>
                  <input type="radio" name={`q-${q.id}`} value={o.id} checked={choice === o.id} onChange={() => setChoice(o.id)} />
                  <span>{o.text}</span>
                </label>
              ))}
            </fieldset>
          ) : q.kind === "multiple" ? (
            <fieldset disabled={locked}>
              <legend class="sr-only">Choose every right answer</legend>
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
            <label class="field">
              <span>{q.kind === "numeric" ? "Your number" : "Your answer"}</span>
              {q.kind === "numeric" ? (
                // Text with a decimal keypad, not type=number: Chromium's number field turned "6,5" into 65 (defect 7).
                <input type="text" inputMode="decimal" autocomplete="off" value={value} disabled={locked} onInput={(e) => setValue(e.currentTarget.value)} />
              ) : (
                <input type="text" maxLength={200} value={value} disabled={locked} onInput={(e) => setValue(e.currentTarget.value)} />
              )}
            </label>
          )}
          <button type="submit" class="primary" disabled={locked || response() === null}>
            {shown.state === "sending" ? "Sending…" : "Submit answer"}
          </button>
        </form>
      )}
      <p class={`outcome outcome-${shown.state}`} role="status" aria-live="polite">
        {shown.state === "taken" && "✓ Your answer was taken."}
        {shown.state === "refused" && `✗ ${shown.message}`}
        {shown.state === "sending" && "Sending your answer…"}
      </p>
      {reveal && (
        <div class="reveal">
          <p class="correct-answer">
            Correct answer: <strong>{formatCorrect(q, reveal.correct)}</strong>
          </p>
          <DistributionBars q={q} d={reveal.distribution} correct={reveal.correct} />
        </div>
      )}
      {result && (
        <p class={`result ${result.correct ? "right" : "wrong"}`} role="status" data-correct={result.correct ? "1" : "0"}>
          {result.correct ? "Right!" : "Not this time."} +<span class="num">{result.points}</span> points · total <span class="num">{result.totalScore}</span> · rank{" "}
          <span class="num rank">{result.rank}</span>
        </p>
      )}
      {quiz.revealed && !result && !taken && <p class="muted">You did not answer this one.</p>}
    </section>
  );
}

function formatCorrect(q: OpenQuestion["question"], c: unknown): string {
  if (Array.isArray(c)) return c.map((x) => (q.options ? optionLabel(q, String(x)) : String(x))).join(", ");
  if (typeof c === "boolean") return c ? "True" : "False";
  if (c !== null && typeof c === "object" && "value" in c) {
    const { value, tolerance } = c as { value: unknown; tolerance?: number };
    return tolerance ? `${value} (± ${tolerance})` : String(value);
  }
  return q.options ? optionLabel(q, String(c)) : String(c);
}

function Actions({ client, reactions }: { client: EdgeClassClient; reactions: Live["reactions"] }) {
  const st = client.state;
  const [error, setError] = useState("");
  const answered = st.lastAnsweredHand !== null && st.me !== null && st.lastAnsweredHand.userId === st.me.id;
  const run = (p: Promise<unknown>) => p.then(() => setError("")).catch((e) => setError((e as Error).message));
  return (
    <section class="card actions" aria-label="Hand and reactions">
      <div class="row">
        <button class={`hand ${st.handRaised ? "up" : ""}`} aria-pressed={st.handRaised} onClick={() => run(st.handRaised ? client.lowerHand() : client.raiseHand())}>
          {st.handRaised ? "Lower hand" : "Raise hand"}
        </button>
        <span class="hand-note" role="status" aria-live="polite">
          {st.handRaised ? "Your hand is up" : answered ? "The teacher answered your hand" : ""}
        </span>
      </div>
      <div class="reactions" role="group" aria-label="React">
        {REACTIONS.map((r) => (
          <button key={r} class="react" data-reaction={r} title={REACTION_LABELS[r][1]} onClick={() => run(client.react(r))}>
            <span aria-hidden="true">{REACTION_LABELS[r][0]}</span>
            <span class="react-word">{REACTION_LABELS[r][1]}</span>
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
