// The page before any script runs, in the reader's language: the loading line and <noscript> of
// the built index.html come from the catalogues, Chinese for a Chinese browser, and the app's
// language switch is remembered for them too (a cookie the server reads).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(() => h?.close());

/** What a browser without JavaScript shows at `/`: the page's language, its loading line and <noscript>. */
async function withoutScript(locale: string) {
  const c = await h.browser.newContext({ baseURL: h.base, locale, javaScriptEnabled: false });
  const p = await c.newPage();
  await p.goto("/");
  const r = {
    lang: await p.getAttribute("html", "lang"),
    boot: await p.textContent("#app .boot"),
    noscript: (await p.locator("body").innerText()).trim(),
  };
  await c.close();
  return r;
}

test("without JavaScript: English for an English browser, Chinese for a Chinese one", async () => {
  expect(await withoutScript("en-US")).toMatchObject({
    lang: "en",
    boot: "Loading EdgeClass…",
    noscript: expect.stringContaining("EdgeClass needs JavaScript to run the live class."),
  });
  expect(await withoutScript("zh-CN")).toMatchObject({
    lang: "zh-CN",
    boot: "正在加载 EdgeClass 课堂…",
    noscript: expect.stringContaining("EdgeClass 课堂需要启用 JavaScript 才能上直播课。"),
  });
}, 60_000);

test("the language switch also chooses the page the server sends next", async () => {
  const p = await h.page({ locale: "zh-CN" });
  await p.goto("/login");
  await p.waitForFunction(() => document.documentElement.lang === "zh-CN");
  const first = await p.evaluate(async () => (await fetch("/", { headers: { accept: "text/html" } })).text());
  expect(first).toContain("正在加载 EdgeClass 课堂…");
  await p.getByLabel("语言").selectOption("en");
  await p.waitForFunction(() => document.documentElement.lang === "en");
  const next = await p.evaluate(async () => (await fetch("/", { headers: { accept: "text/html" } })).text());
  expect(next).toContain("Loading EdgeClass…");
  expect(next).toContain('<html lang="en">');
}, 60_000);
