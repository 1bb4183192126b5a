// The class link's way to its first video frame, timed inside a student's page (docs/web.md, "What
// a user feels"): stamps from a wrapped WebSocket and RTCPeerConnection, the page's resource timings
// and an animation-frame check for the first decoded frame. Used by quiz-flow.test.ts and
// bench/first-frame.ts.
import type { Page } from "playwright-core";

type Stamped = { firstFrameSteps?: Record<string, number>; firstFrameAt?: number };

/** Installs the stamps in every document `p` opens from now on (call before the navigation). */
export async function watchFirstFrame(p: Page): Promise<void> {
  await p.addInitScript(() => {
    const w = window as Stamped;
    const at: Record<string, number> = {};
    w.firstFrameSteps = at;
    const stamp = (k: string) => void (at[k] ??= performance.now());
    const WS = window.WebSocket;
    window.WebSocket = class extends WS {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        stamp("socketNew");
        this.addEventListener("open", () => stamp("socketOpen"));
        this.addEventListener("message", (e) => typeof e.data === "string" && e.data.includes('"welcome"') && stamp("welcome"));
      }
    };
    const PC = window.RTCPeerConnection;
    const createOffer = PC.prototype.createOffer as (this: RTCPeerConnection, o?: RTCOfferOptions) => Promise<RTCSessionDescriptionInit>;
    PC.prototype.createOffer = function (this: RTCPeerConnection, o?: RTCOfferOptions) {
      return createOffer.call(this, o).then((offer) => (stamp("offerMade"), offer));
    } as typeof PC.prototype.createOffer;
    window.RTCPeerConnection = class extends PC {
      constructor(config?: RTCConfiguration) {
        super(config);
        stamp("pcNew");
        this.addEventListener("iceconnectionstatechange", () => this.iceConnectionState === "connected" && stamp("iceConnected"));
        this.addEventListener("connectionstatechange", () => this.connectionState === "connected" && stamp("dtlsConnected"));
      }
      override async setLocalDescription(d?: RTCLocalSessionDescriptionInit): Promise<void> {
        await super.setLocalDescription(d);
        stamp("offerSet");
      }
    };
    // The class link clicked in the student's "my classes" page (an in-app navigation: no page load).
    document.addEventListener("click", (e) => (e.target as Element | null)?.closest?.('a[href^="/class/"]') && stamp("linkClicked"), {
      capture: true,
    });
    document.addEventListener("DOMContentLoaded", () => {
      stamp("domContentLoaded");
      // The player's <video> element inserted (a MutationObserver: at once, not at the next frame).
      new MutationObserver((_m, mo) => {
        if (document.querySelector(".video video")) stamp("videoInserted"), mo.disconnect();
      }).observe(document.body, { childList: true, subtree: true });
    });
    // Checked every animation frame: the student view, the player, the first decoded frame.
    const look = () => {
      if (document.querySelector('[data-view="student"]')) stamp("studentView");
      const v = document.querySelector(".video video") as HTMLVideoElement | null;
      if (v) stamp("videoElement");
      if ((v?.getVideoPlaybackQuality?.().totalVideoFrames ?? 0) > 0) w.firstFrameAt = performance.now();
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
}

/** Waits for the first decoded frame; its time (ms from the class link clicked, else from the navigation start), rounded. */
export async function firstFrameAt(p: Page, timeout = 20_000): Promise<number> {
  await p.waitForFunction(() => (window as Stamped).firstFrameAt !== undefined, undefined, { timeout });
  return Math.round(
    await p.evaluate(() => ((window as Stamped).firstFrameAt ?? 0) - ((window as Stamped).firstFrameSteps?.linkClicked ?? 0)),
  );
}

/**
 * Opens the class the way a student does: from their "my classes" page (`/`, a page load not timed),
 * a click on the class's link; the app routes to the class without loading a page.
 */
export async function openFromMyClasses(p: Page, classId: string): Promise<void> {
  await p.goto("/");
  await p.click(`a[href="/class/${classId}"]`);
}

/**
 * When each step of the way to the first frame ended, in ms from the link's navigation start: the
 * page, its script, the live socket, the player's offer, WHEP, ICE, DTLS and the first frame.
 */
export function firstFrameSteps(p: Page): Promise<Record<string, number>> {
  return p.evaluate(() => {
    const w = window as Stamped;
    const out: Record<string, number> = {};
    const clicked = w.firstFrameSteps?.linkClicked;
    if (clicked !== undefined) {
      // Opened in the app: every step from the click (the page and its script were loaded before it).
      const after = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((r) => r.startTime >= clicked);
      const ice = after.find((r) => r.name.endsWith("/api/media/ice-servers"));
      if (ice) Object.assign(out, { iceServersAsked: ice.startTime, iceServersAnswered: ice.responseEnd });
      const whep = after.find((r) => r.name.endsWith("/whep"));
      if (whep) Object.assign(out, { whepSent: whep.startTime, whepAnswered: whep.responseEnd });
      Object.assign(out, w.firstFrameSteps);
      if (w.firstFrameAt !== undefined) out.firstFrame = w.firstFrameAt;
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v - clicked)]));
    }
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    if (nav) Object.assign(out, { page: nav.responseEnd, previousUnloaded: nav.unloadEventEnd, domInteractive: nav.domInteractive });
    const res = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    const script = res.find((r) => /\/assets\/index-[^/]*\.js$/.test(r.name));
    if (script) Object.assign(out, { scriptAsked: script.startTime, scriptFirstByte: script.responseStart, script: script.responseEnd });
    const css = res.find((r) => /\/assets\/index-[^/]*\.css$/.test(r.name));
    if (css) out.css = css.responseEnd;
    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
    if (fcp) out.firstPaint = fcp.startTime;
    const ice = res.find((r) => r.name.endsWith("/api/media/ice-servers"));
    if (ice) Object.assign(out, { iceServersAsked: ice.startTime, iceServersAnswered: ice.responseEnd });
    const whep = res.find((r) => r.name.endsWith("/whep"));
    if (whep) Object.assign(out, { whepSent: whep.startTime, whepAnswered: whep.responseEnd });
    Object.assign(out, w.firstFrameSteps ?? {});
    if (w.firstFrameAt !== undefined) out.firstFrame = w.firstFrameAt;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v)]));
  });
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Each step's median end over `samples`, in the order the steps happened. */
export function stepMedians(samples: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(samples.flatMap((x) => Object.keys(x)))];
  return Object.fromEntries(
    keys.map((k) => [k, median(samples.flatMap((x) => (x[k] === undefined ? [] : [x[k]])))] as const).sort((a, b) => a[1] - b[1]),
  );
}
