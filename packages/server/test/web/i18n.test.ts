// The pages' languages (issue 16, Languages): both catalogues have every key with the same
// placeholders and every plural category their language uses; Chinese is not English copied; the
// page sources hold no text outside the catalogues (JSX text, text attributes, sentences in code).
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSync } from "oxc-parser";
import { CATALOGUES, LOCALES, pickLocale, t, tx, type Key, type Message } from "../../../web/app/i18n.ts";
import { explainDenial } from "../../../web/app/denial.ts";
import { ERRORS } from "@edgeclass/client/codes";

const APP = join(import.meta.dir, "..", "..", "..", "web", "app");
const forms = (m: Message) => (typeof m === "string" ? [m] : Object.values(m).filter((x): x is string => typeof x === "string"));
const holes = (m: Message) => [...new Set(forms(m).flatMap((f) => [...f.matchAll(/\{(\w+)\}/g)].map((x) => x[1])))].sort();

test("every key in both languages, the same placeholders, every plural category, no English left in Chinese", () => {
  const en = CATALOGUES.en;
  const keys = Object.keys(en).sort();
  const problems: string[] = [];
  for (const loc of LOCALES) {
    const cat = CATALOGUES[loc] as Record<string, Message>;
    expect(Object.keys(cat).sort()).toEqual(keys);
    const categories = new Intl.PluralRules(loc).resolvedOptions().pluralCategories;
    for (const k of keys) {
      const m = cat[k];
      if (forms(m).some((f) => f.trim() === "")) problems.push(`${loc} ${k}: empty`);
      if (
        holes(m).join() !== holes(en[k as Key]).join() &&
        !(
          typeof en[k as Key] !== "string" &&
          holes(m)
            .filter((h) => h !== "count")
            .join() ===
            holes(en[k as Key])
              .filter((h) => h !== "count")
              .join()
        )
      )
        problems.push(`${loc} ${k}: placeholders ${holes(m)} vs ${holes(en[k as Key])}`);
      if (typeof m !== "string") for (const c of categories) if (!(c in m)) problems.push(`${loc} ${k}: no "${c}" form`);
      if (loc !== "en" && k !== "app.name" && forms(m).join() === forms(en[k as Key]).join()) problems.push(`${loc} ${k}: same as English`);
    }
  }
  expect(problems).toEqual([]);
});

test("plurals through Intl.PluralRules, numbers through Intl.NumberFormat, rich placeholders", () => {
  expect(t("setup.enrolled", { count: 1 }, "en")).toBe("Enrolled 1 student.");
  expect(t("setup.enrolled", { count: 1200 }, "en")).toBe("Enrolled 1,200 students.");
  expect(t("setup.enrolled", { count: 2 }, "zh-CN")).toBe("已添加 2 名学生。");
  expect(t("chat.teacherRemoved", { count: 1 }, "en")).toBe("The teacher removed one of your messages.");
  expect(t("chat.teacherRemoved", { count: 3 }, "en")).toBe("The teacher removed 3 of your messages.");
  const node = { rich: true };
  expect(tx("quiz.answeredOf", { answered: node, eligible: 4 }, "en")).toEqual([node, " of ", "4", " answered"]);
  expect(tx("quiz.answeredOf", { answered: node, eligible: 4 }, "zh-CN")).toEqual(["已作答 ", node, " / ", "4"]);
});

test("the language: a remembered choice first, then the browser's list; any Chinese is zh-CN", () => {
  expect(pickLocale(null, ["zh-CN", "en"])).toBe("zh-CN");
  expect(pickLocale(null, ["zh-TW"])).toBe("zh-CN");
  expect(pickLocale(null, ["fr-FR", "en-GB"])).toBe("en");
  expect(pickLocale(null, ["fr-FR"])).toBe("en");
  expect(pickLocale("en", ["zh-CN"])).toBe("en");
  expect(pickLocale("xx", ["zh-CN"])).toBe("zh-CN");
});

test("the server's reasons are translated by code: every code of the error catalogue has its text", () => {
  const missing = [...Object.keys(ERRORS), "timeout", "connection-lost", "closed"].filter((c) => !(`error.${c}` in CATALOGUES.en));
  expect(missing).toEqual([]);
  expect(explainDenial("whatever the words", "class-full").reasons).toEqual([t("denial.full", undefined, "en")]);
  expect(explainDenial("not enrolled in this course", "not-enrolled").advice).toBe(t("denial.not-enrolled.advice", undefined, "en"));
  // explainDenial uses the current language (English under bun): the code picks the sentence.
  expect(explainDenial("class is full").reasons).toEqual([t("denial.full", undefined, "en")]);
  expect(t("denial.full", undefined, "zh-CN")).toBe("这个课堂的座位已满。");
});

// ---- untranslated text in the page sources ----

/** Attributes a person reads or hears. */
const TEXT_ATTRS = new Set(["aria-label", "aria-description", "placeholder", "title", "alt", "label", "aria-roledescription"]);
/** Calls whose string arguments are not UI text (keys, CSS, URLs, DOM and protocol names). */
const SAFE_CALLS = new Set([
  "t",
  "tx",
  "hasKey",
  "api",
  "fetch",
  "download",
  "querySelector",
  "querySelectorAll",
  "addEventListener",
  "removeEventListener",
  "getItem",
  "setItem",
  "removeItem",
  "createElement",
  "get",
  "startsWith",
  "test",
  "split",
  "replace",
  "encodeURIComponent",
  "navigate",
  "URLSearchParams",
]);
const LETTERS = /[A-Za-z\u3400-\u9fff]/;
/** A sentence-like string: two words, one capitalised, or words ending in punctuation. */
const PROSE = /(^|\s)[A-Z][a-z]+\s+[a-z]{2,}|[a-z]{2,}\s+[a-z]{2,}[.!?…:]$|^[A-Z][a-z]+[.!?…]$|[\u3400-\u9fff]/;

type Node = { type: string; start: number; [k: string]: unknown };

/** Text a person would read that does not come from the catalogue, with its position. */
export function untranslated(file: string, source: string): string[] {
  const { program, errors } = parseSync(file, source);
  if (errors.length) return [`${file}: parse error ${errors[0].message}`];
  const out: string[] = [];
  const at = (n: Node) => `${file}:${source.slice(0, n.start).split("\n").length}`;
  // `shown`: the value is rendered as it is (a JSX child, or a branch of a condition inside one).
  const walk = (n: unknown, parent: Node | null, safe: boolean, shown = false): void => {
    if (Array.isArray(n)) return n.forEach((c) => walk(c, parent, safe));
    if (!n || typeof n !== "object" || typeof (n as Node).type !== "string") return;
    const node = n as Node;
    switch (node.type) {
      case "ImportDeclaration":
      case "ExportAllDeclaration":
      case "TSTypeAnnotation":
      case "TSTypeAliasDeclaration":
      case "TSInterfaceDeclaration":
        return;
      case "JSXText":
        if (LETTERS.test(String(node.value))) out.push(`${at(node)} JSX text "${String(node.value).trim()}"`);
        return;
      case "JSXAttribute": {
        const name = (node.name as { name?: string }).name ?? "";
        const v = node.value as Node | null;
        if (!TEXT_ATTRS.has(name)) return walk(v, node, true);
        if (v?.type === "Literal" && LETTERS.test(String(v.value))) out.push(`${at(node)} ${name}="${v.value}"`);
        else walk(v, node, false, true);
        return;
      }
      case "CallExpression":
      case "NewExpression": {
        const callee = node.callee as Node & { name?: string; property?: { name?: string } };
        const name = callee.name ?? callee.property?.name ?? "";
        walk(callee, node, safe);
        return walk(node.arguments, node, safe || SAFE_CALLS.has(name));
      }
      case "JSXExpressionContainer":
        return walk(
          node.expression,
          node,
          safe,
          parent?.type !== "JSXAttribute" || TEXT_ATTRS.has((parent.name as { name?: string }).name ?? ""),
        );
      case "ConditionalExpression":
        walk(node.test, node, safe);
        walk(node.consequent, node, safe, shown);
        return walk(node.alternate, node, safe, shown);
      case "LogicalExpression":
        walk(node.left, node, safe, shown);
        return walk(node.right, node, safe, shown);
      case "Property":
        if (!node.computed) return walk(node.value, node, safe);
        break;
      case "Literal":
        if (typeof node.value === "string" && !safe && PROSE.test(node.value)) out.push(`${at(node)} "${node.value}"`);
        if (typeof node.value === "string" && shown && LETTERS.test(node.value) && !safe) out.push(`${at(node)} JSX "${node.value}"`);
        return;
      case "TemplateElement": {
        const raw = (node.value as { raw: string }).raw;
        if (!safe && PROSE.test(raw)) out.push(`${at(node)} \`${raw}\``);
        return;
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== "type" && k !== "start" && k !== "end") walk(v, node, safe);
  };
  walk(program, null, false);
  return [...new Set(out)];
}

test("the detector finds untranslated text (it fails on the English pages as they were)", () => {
  const bad =
    `export const A = () => <div><p title="Close it">Hello there</p><input placeholder={"Your name"} /><b>{ok ? "Saved." : ` +
    `t("x")}</b></div>;
const e = () => setError("Give at least two options.");`;
  expect(untranslated("x.tsx", bad)).toEqual([
    'x.tsx:1 title="Close it"',
    'x.tsx:1 JSX text "Hello there"',
    'x.tsx:1 "Your name"',
    'x.tsx:1 JSX "Your name"',
    'x.tsx:1 "Saved."',
    'x.tsx:1 JSX "Saved."',
    'x.tsx:2 "Give at least two options."',
  ]);
  const fine =
    `export const B = () => <div class="card chat" data-x="y"><p aria-label={t("a.b", { n: 2 })}>{t("quiz.timeUp")} ` +
    `{name}</p>{api("GET", "/api/x y")}</div>;`;
  expect(untranslated("y.tsx", fine)).toEqual([]);
});

test("no page text outside the catalogues", () => {
  const files = readdirSync(APP).filter((f) => /\.tsx?$/.test(f) && f !== "i18n.ts" && !f.endsWith(".d.ts"));
  expect(files).toContain("student.tsx");
  const found = files.flatMap((f) => untranslated(f, readFileSync(join(APP, f), "utf8")));
  expect(found).toEqual([]);
});
