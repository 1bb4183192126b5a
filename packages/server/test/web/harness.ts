// Browser-test harness: builds the web client when its sources are newer than dist/, starts a
// real server (temp DATA_DIR, demo data on) and chromium. When the server does not serve the
// app itself yet (web.ts not wired into server.ts), a thin front on another port serves the
// app from web.ts and passes every other request, WebSockets included, to the server.
import type { Server, ServerWebSocket } from "bun";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { buildRoutes } from "../../src/http/endpoint.ts";
import { webApp } from "../../src/http/routes/web.ts";
import { createMetrics } from "../../src/obs/metrics.ts";
import { CHROMIUM_ARGS, ensureChromium } from "../media/chromium.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const ROOT = join(import.meta.dir, "..", "..", "..", "..");
const WEB = join(ROOT, "packages", "web");
export const RESULTS = join(ROOT, "test-results", "web");

/** Runs `vite build` when dist/ is missing or older than packages/web or the client SDK (the same check `npm start` makes). */
export function ensureWebBuilt(): void {
  const r = spawnSync("node", [join(WEB, "build-if-stale.mjs"), "--strict"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("vite build of packages/web failed");
}

interface ProxyData {
  target: string;
  up: WebSocket | null;
  queue: string[];
}

/** Serves the app (web.ts) and forwards everything else to `backend`, WebSockets included. */
function front(t: TestServer): Server<ProxyData> {
  const backend = t.base;
  const web = webApp({ config: t.server.config, demo: t.server.demo, secret: t.server.secret });
  const deps = {
    verifier: { verify: async () => ({ id: "", role: "student" as const, name: "", school: "" }) },
    logger: t.server.logger,
    access: () => {},
    metrics: createMetrics("test"),
  };
  const api = buildRoutes(web.apiRoutes, deps);
  return Bun.serve<ProxyData>({
    port: 0,
    hostname: "127.0.0.1",
    routes: { ...web.staticRoutes, ...api },
    async fetch(req, srv) {
      const url = new URL(req.url);
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        if (srv.upgrade(req, { data: { target: backend.replace(/^http/, "ws") + url.pathname + url.search, up: null, queue: [] } }))
          return undefined as unknown as Response;
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(backend + url.pathname + url.search, {
        method: req.method,
        headers,
        body,
        redirect: "manual",
        decompress: false,
      } as RequestInit);
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
    websocket: {
      open(ws: ServerWebSocket<ProxyData>) {
        const up = new WebSocket(ws.data.target);
        ws.data.up = up;
        up.onopen = () => {
          for (const m of ws.data.queue) up.send(m);
          ws.data.queue = [];
        };
        up.onmessage = (e) => ws.send(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer));
        up.onclose = (e) => ws.close(e.code === 1005 || e.code === 1006 ? 1011 : e.code, e.reason);
      },
      message(ws, raw) {
        const m = typeof raw === "string" ? raw : raw.toString("utf8"); // the live protocol is JSON text
        const up = ws.data.up;
        if (up && up.readyState === WebSocket.OPEN) up.send(m);
        else ws.data.queue.push(m);
      },
      close(ws, code, reason) {
        ws.data.up?.close(code >= 3000 && code < 5000 ? code : 1000, reason);
      },
    },
  });
}

export interface Harness {
  t: TestServer;
  /** Where the browser goes: the server itself, or the front when the server does not serve the app. */
  base: string;
  /** True when the server serves the app itself (web.ts wired into server.ts). */
  wired: boolean;
  browser: Browser;
  /** Console errors and page errors seen by every page (CSP violations show here). */
  errors: string[];
  /** `locale` is the browser's language (en-US unless told): the pages pick their language from it. */
  context(opts?: { phone?: boolean; locale?: string }): Promise<BrowserContext>;
  page(opts?: { phone?: boolean; locale?: string }): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  ensureWebBuilt();
  mkdirSync(RESULTS, { recursive: true });
  const t = await startTestServer({ DEMO: "true", RECONNECT_GRACE_MS: "5000", ...env });
  const probe = await fetch(t.base + "/", { headers: { accept: "text/html" } });
  const wired = probe.ok && (probe.headers.get("content-type") ?? "").startsWith("text/html");
  await probe.arrayBuffer();
  const proxy = wired ? null : front(t);
  const base = wired ? t.base : `http://127.0.0.1:${proxy!.port}`;
  console.error(
    `[web e2e] the app is served by ${wired ? "the server itself" : "a front on web.ts (web.ts is not wired into server.ts yet)"}`,
  );
  // Screen sharing picks the (fake) screen without a picker.
  const browser = await chromium.launch({
    executablePath: ensureChromium(),
    args: [...CHROMIUM_ARGS, "--auto-select-desktop-capture-source=Entire screen"],
    headless: true,
  });
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];
  const context = async (opts: { phone?: boolean; locale?: string } = {}) => {
    const locale = opts.locale ?? "en-US";
    const c = await browser.newContext(
      opts.phone
        ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, baseURL: base, locale }
        : { viewport: { width: 1366, height: 900 }, baseURL: base, locale },
    );
    await c.grantPermissions(["camera", "microphone"]);
    contexts.push(c);
    return c;
  };
  return {
    t,
    base,
    wired,
    browser,
    errors,
    context,
    async page(opts) {
      const p = await (await context(opts)).newPage();
      // Keep the page's WebSockets reachable so a test can drop them (the reconnecting state).
      await p.addInitScript(() => {
        const Native = WebSocket;
        const sockets: WebSocket[] = [];
        (window as unknown as { __sockets: WebSocket[] }).__sockets = sockets;
        window.WebSocket = class extends Native {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            sockets.push(this);
          }
        } as typeof WebSocket;
      });
      p.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      p.on("response", (r) => {
        if (r.status() >= 400) errors.push(`http ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      p.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()}`);
      });
      return p;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      proxy?.stop(true);
      await t.close();
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

let axeSource: string | undefined;
/**
 * Runs axe-core (WCAG 2 A and AA rules) on the page as it is now; evaluated over the DevTools protocol, so the page's CSP does not block
 * it.
 */
export async function audit(p: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
  await p.evaluate(axeSource);
  return p.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            o: object,
          ): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
  });
}
