// Pieces both the student view and the teacher console use.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  REACTIONS,
  type ChatMessage,
  type Distribution,
  type EdgeClassClient,
  type LeaderboardEntry,
  type OpenQuestion,
  type PublicQuestion,
  type Reaction,
} from "@edgeclass/client";
import { navigate, session, signOut } from "./api.ts";
import { isAcceptedKey } from "./accepted.ts";
import { explainDenial } from "./denial.ts";
import { compactNum, hasKey, LOCALE_NAMES, LOCALES, locale, num, setLocale, t, timeShort, tx, type Key, type Locale } from "./i18n.ts";
import { liveErrorText } from "./errors.ts";
import type { Live, Phase } from "./live.ts";

/** Emoji plus a word: the word still reads where the device has no emoji font. */
export const REACTION_EMOJI: Record<Reaction, string> = { thumbs_up: "👍", clap: "👏", laugh: "😂", wow: "😮", heart: "❤️", confused: "😕" };
export const reactionWord = (r: Reaction) => t(`reaction.${r}`);

export function Header(props: { title: string; children?: ComponentChildren }) {
  const s = session();
  return (
    <header class="top">
      <a class="brand" href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
        {t("app.name")}
      </a>
      <h1 class="title">{props.title}</h1>
      <div class="top-extra">{props.children}</div>
      <LanguageSwitch />
      {s && (
        <span class="who">
          <span class="who-name">{s.name}</span> <span class="role">{t(`role.${s.role}`)}</span>{" "}
          <button
            type="button"
            class="link"
            onClick={() => {
              signOut();
              navigate("/login");
            }}
          >
            {t("nav.signOut")}
          </button>
        </span>
      )}
    </header>
  );
}

/** Whole-page states: the class is not reachable as a live class right now. */
export function PhaseScreen({ phase, live }: { phase: Phase; live: Live }) {
  const withReason = phase.kind === "full" || phase.kind === "denied" || phase.kind === "failed";
  const title = phase.kind === "live" || phase.kind === "reconnecting" ? "" : t(`phase.${phase.kind}.title`);
  const text =
    phase.kind === "connecting" || phase.kind === "not-started" || phase.kind === "ended" || phase.kind === "replaced"
      ? t(`phase.${phase.kind}.text`)
      : "";
  const reason = "reason" in phase ? phase.reason : "";
  const code = "code" in phase ? phase.code : undefined;
  return (
    <section class={`phase phase-${phase.kind}`} role="status" aria-live="polite" data-phase={phase.kind}>
      <h2>{title}</h2>
      {text && <p>{text}</p>}
      {withReason && phase.kind !== "failed" ? (
        <>
          {explainDenial(reason, code).reasons.map((r) => (
            <p class="reason" key={r}>
              {r}
            </p>
          ))}
          <p class="advice">{explainDenial(reason, code).advice}</p>
        </>
      ) : (
        // Unreachable server or a refused sign-in: the reason is the socket's or browser's own words, in English.
        withReason && <p class="reason">{locale() === "en" ? reason : t("phase.failed.reason")}</p>
      )}
      {(phase.kind === "not-started" || phase.kind === "failed" || phase.kind === "replaced" || phase.kind === "full") && (
        <button type="button" onClick={() => live.retry()}>
          {phase.kind === "replaced" ? t("phase.useThisPage") : t("phase.tryAgain")}
        </button>
      )}
      {(phase.kind === "denied" || phase.kind === "failed") && (
        <p>
          <a href="/login">{t("phase.signInOther")}</a>
        </p>
      )}
      {phase.kind === "ended" && (
        <p>
          <a href="/">{t("nav.backToClasses")}</a>
        </p>
      )}
    </section>
  );
}

/** A thin banner over the live page while the connection is being restored (the page keeps its content). */
export function ReconnectBanner({ phase }: { phase: Phase }) {
  return (
    <div
      class={`banner ${phase.kind === "reconnecting" ? "show" : ""}`}
      role="status"
      aria-live="polite"
      data-reconnecting={phase.kind === "reconnecting" ? "1" : "0"}
    >
      {phase.kind === "reconnecting" ? t("phase.reconnecting", { attempt: phase.attempt }) : ""}
    </div>
  );
}

/** Seconds left before the deadline, on the server's clock. */
function secondsLeft(deadline: number, offset: number): number {
  return Math.max(0, Math.ceil((deadline - (Date.now() + offset)) / 1000));
}

export function Countdown({ deadline, launchedAt, offset }: { deadline: number; launchedAt: number; offset: number }) {
  const left = secondsLeft(deadline, offset);
  const total = Math.max(1, Math.round((deadline - launchedAt) / 1000));
  return (
    <div class={`countdown ${left <= 5 ? "urgent" : ""}`} data-left={left}>
      <progress max={total} value={left} aria-hidden="true" />
      <span class="num" aria-live={left <= 5 ? "assertive" : "off"}>
        {left > 0 ? t("quiz.secondsLeft", { count: left }) : t("quiz.timeUp")}
      </span>
    </div>
  );
}

export function optionLabel(q: PublicQuestion, key: string): string {
  // Free-text and number answers other than the accepted ones are counted together (defect 10).
  if (key === "other" && (q.kind === "text" || q.kind === "numeric")) return t("quiz.otherAnswers");
  if (q.kind === "true_false") return key === "true" ? t("quiz.true") : key === "false" ? t("quiz.false") : key;
  return q.options?.find((o) => o.id === key)?.text ?? key;
}

/** The answer distribution as bars (counts update in place: fixed rows, no layout shift). */
export function DistributionBars({ q, d, correct }: { q: PublicQuestion; d: Distribution | undefined; correct?: unknown }) {
  const keys = q.options ? q.options.map((o) => o.id) : q.kind === "true_false" ? ["true", "false"] : Object.keys(d?.counts ?? {});
  const max = Math.max(1, ...keys.map((k) => d?.counts[k] ?? 0));
  const isCorrect = (k: string) => isAcceptedKey(q.kind, k, correct);
  return (
    <div class="dist" data-answered={d?.answered ?? 0}>
      <p class="dist-total">
        {tx("quiz.answeredOf", {
          answered: <span class="num">{d?.answered ?? 0}</span>,
          eligible: <span class="num">{d?.eligible ?? 0}</span>,
        })}
      </p>
      <ul>
        {keys.map((k) => (
          <li key={k} class={isCorrect(k) ? "correct" : ""}>
            <span class="dist-label">
              {isCorrect(k) && (
                <>
                  <span class="tick" aria-hidden="true">
                    ✓{" "}
                  </span>
                  <span class="sr-only">{t("quiz.correctAnswerMark")}: </span>
                </>
              )}
              {optionLabel(q, k)}
            </span>
            <Bar value={d?.counts[k] ?? 0} max={max} />
            <span class="num dist-count">{d?.counts[k] ?? 0}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Bar({ value, max }: { value: number; max: number }) {
  // Width set through the CSSOM (allowed by the page's CSP, unlike style attributes in markup).
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.style.transform = `scaleX(${value / max})`;
  }, [value, max]);
  return (
    <span class="bar" aria-hidden="true">
      <span class="fill" ref={ref} />
    </span>
  );
}

export function Leaderboard({ top, me }: { top: LeaderboardEntry[]; me: LeaderboardEntry | null }) {
  return (
    <section class="card leaderboard" aria-labelledby="lb-h">
      <h2 id="lb-h">{t("board.title")}</h2>
      <ol>
        {top.map((e) => (
          <li key={e.userId} class={me && me.userId === e.userId ? "me" : ""}>
            <span class="rank num">{e.rank}</span>
            <span class="name">{e.name}</span>
            <span class="score num">{num(e.score)}</span>
          </li>
        ))}
      </ol>
      {me && !top.some((e) => e.userId === me.userId) && (
        <p class="my-rank">
          {tx("board.you", { rank: <span class="num">{me.rank}</span>, score: <span class="num">{num(me.score)}</span>, count: me.score })}
        </p>
      )}
    </section>
  );
}

/** The last question of a quiz set is revealed: the board shown now is the set's podium. */
export const setDone = (quiz: OpenQuestion | null): boolean =>
  !!quiz?.revealed && !!quiz.flow?.set && quiz.flow.set.index + 1 >= quiz.flow.set.total;

/** The top three on steps (second, first, third), then everyone else in order: the same standings as the export. */
export function Podium({ top, me }: { top: LeaderboardEntry[]; me: LeaderboardEntry | null }) {
  const steps = [top[1], top[0], top[2]].filter((e): e is LeaderboardEntry => e !== undefined);
  return (
    <section class="card podium" aria-labelledby="podium-h" data-podium="1">
      <h2 id="podium-h">{t("board.podium")}</h2>
      <ol class="steps">
        {steps.map((e) => (
          <li key={e.userId} class={`step step-${e.rank <= 3 ? e.rank : 3} ${me?.userId === e.userId ? "me" : ""}`} data-rank={e.rank}>
            <span class="rank num">{e.rank}</span>
            <span class="name">{e.name}</span>
            <span class="score num">{num(e.score)}</span>
          </li>
        ))}
      </ol>
      <ol class="standings">
        {top.map((e) => (
          <li key={e.userId} class={me?.userId === e.userId ? "me" : ""} data-user={e.userId}>
            <span class="rank num">{e.rank}</span>
            <span class="name">{e.name}</span>
            <span class="score num">{num(e.score)}</span>
          </li>
        ))}
      </ol>
      {me && !top.some((e) => e.userId === me.userId) && (
        <p class="my-rank">
          {tx("board.you", { rank: <span class="num">{me.rank}</span>, score: <span class="num">{num(me.score)}</span>, count: me.score })}
        </p>
      )}
    </section>
  );
}

/** Reaction counts in fixed-width cells: 1000 people reacting changes digits, never the layout. */
export function ReactionCounts({
  counts,
  totals,
}: {
  counts: Partial<Record<Reaction, number>>;
  totals?: Partial<Record<Reaction, number>>;
}) {
  return (
    <ul class="reaction-counts" aria-label={t("reaction.title")}>
      {REACTIONS.map((r) => (
        <li key={r} title={reactionWord(r)} data-reaction={r}>
          <span class="reaction-word">{reactionWord(r)}</span>
          <span class="num" data-total={totals?.[r] ?? counts[r] ?? 0}>
            {compact(counts[r] ?? 0)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Short counts for fixed-width cells (1.2K, 1.2万). */
export const compact = (n: number): string => compactNum(n);

/** Chat: a fixed-height scroller that follows the newest message unless the reader scrolled up. */
export function Chat(props: { client: EdgeClassClient; staff: boolean }) {
  const { client, staff } = props;
  const st = client.state;
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });
  const send = async (e: Event) => {
    e.preventDefault();
    const t = text.trim();
    if (!t) return;
    setError("");
    try {
      await client.chat(t);
      setText("");
    } catch (err) {
      setError(chatError(err));
    }
  };
  // Messages this teacher deleted: the author stays reachable for Mute (defect 14).
  const [deleted, setDeleted] = useState<ChatMessage[]>([]);
  const remove = (m: ChatMessage) =>
    client.deleteChat(m.id).then(
      () => setDeleted((d) => [...d.filter((x) => x.userId !== m.userId), m].slice(-5)),
      (e) => setError(chatError(e)),
    );
  const disabled = !st.chatSettings.enabled && !staff;
  // A refusal under the old settings (slow mode, chat off) goes when the teacher changes them.
  useEffect(() => setError(""), [st.chatSettings.enabled, st.chatSettings.slowModeSeconds]);
  return (
    <section class="card chat" aria-labelledby="chat-h">
      <h2 id="chat-h">
        {t("chat.title")}
        {!st.chatSettings.enabled && <span class="pill">{t("chat.off")}</span>}
        {st.chatSettings.slowModeSeconds > 0 && <span class="pill">{t("chat.slowPill", { n: st.chatSettings.slowModeSeconds })}</span>}
      </h2>
      <ol
        class="chat-list"
        ref={list}
        aria-live="polite"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {st.chat.map((m: ChatMessage) => (
          <li key={m.id} data-id={m.id} class={m.role !== "student" ? "staff" : ""}>
            <span class="chat-meta">
              <span class="chat-name">{m.name}</span> <time>{timeShort(m.at)}</time>
            </span>{" "}
            <span class="chat-text">{m.text}</span>
            {staff && m.role === "student" && (
              <span class="mod">
                <button type="button" class="small" aria-label={t("chat.deleteFrom", { name: m.name })} onClick={() => remove(m)}>
                  {t("chat.delete")}
                </button>
                <button
                  type="button"
                  class="small"
                  aria-label={t(st.mutedUsers.has(m.userId) ? "chat.unmuteName" : "chat.muteName", { name: m.name })}
                  onClick={() => client.mute(m.userId, !st.mutedUsers.has(m.userId)).catch((e) => setError(chatError(e)))}
                >
                  {st.mutedUsers.has(m.userId) ? t("chat.unmute") : t("chat.mute")}
                </button>
              </span>
            )}
          </li>
        ))}
      </ol>
      {staff && deleted.length > 0 && (
        <ul class="chat-deleted">
          {deleted.map((m) => (
            <li key={m.id}>
              <span class="muted">{t("chat.youDeleted", { name: m.name })}</span>{" "}
              <button
                type="button"
                class="small"
                aria-label={t(st.mutedUsers.has(m.userId) ? "chat.unmuteName" : "chat.muteName", { name: m.name })}
                onClick={() => client.mute(m.userId, !st.mutedUsers.has(m.userId)).catch((e) => setError(chatError(e)))}
              >
                {st.mutedUsers.has(m.userId) ? t("chat.unmute") : t("chat.mute")}
              </button>
            </li>
          ))}
        </ul>
      )}
      {!staff && st.myDeletedMessages > 0 && (
        <p class="chat-note" role="status">
          {t("chat.teacherRemoved", { count: st.myDeletedMessages })}
        </p>
      )}
      <form class="chat-form" onSubmit={send}>
        <label class="sr-only" for="chat-input">
          {t("chat.message")}
        </label>
        <input
          id="chat-input"
          value={text}
          maxLength={500}
          autocomplete="off"
          placeholder={st.muted ? t("chat.youAreMuted") : disabled ? t("chat.isOff") : t("chat.placeholder")}
          disabled={st.muted || disabled}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={st.muted || disabled || !text.trim()}>
          {t("chat.send")}
        </button>
      </form>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

const chatError = liveErrorText;

/** A course's or class's status word (draft, live, ended…) in the user's language. */
export const statusText = (s: string): string => (hasKey(`status.${s}`) ? t(`status.${s}` as Key) : s);

/** The language switch: every page has it in its header; the choice is remembered. */
function LanguageSwitch() {
  return (
    <label class="lang">
      <span class="sr-only">{t("nav.language")}</span>
      <select value={locale()} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LOCALE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
