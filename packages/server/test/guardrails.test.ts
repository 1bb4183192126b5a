// The repository's guardrails run with the tests, each failing `npm test` with what it found:
// - Biome (biome.json) finds nothing: the formatter's layout (140 columns) and the lint (unused
//   imports, variables and parameters, `any` in sources, suspicious patterns, deep imports into
//   packages/client); `npm run lint` runs the same check, `npm run format` rewrites the layout;
// - no source line is over 140 characters (the formatter leaves long strings and comments);
// - a file of packages/server/src over 400 lines says at its top why ("Over 400 lines because ...");
// - knip (knip.json: the entry points are the programs, tests, benches and scripts) finds no
//   unused file, export, type or dependency; `npm run knip` runs the same check.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "../../..");
const MAX_LINE = 140;
const SOURCE = /\.(ts|tsx|mjs)$/;

function run(bin: string, args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync([join(ROOT, "node_modules/.bin", bin), ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (SOURCE.test(e.name)) out.push(p);
  }
  return out;
}

describe("guardrails", () => {
  test("biome check (format and lint) finds nothing", () => {
    const r = run("biome", ["check", "--error-on-warnings", "--max-diagnostics=30", "--colors=off"]);
    if (r.code !== 0) console.error(r.out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Checked \d+ files/);
  }, 60_000);

  test(`no source line is over ${MAX_LINE} characters`, () => {
    const dirs = ["bench", "faults", "scripts", ...readdirSync(join(ROOT, "packages")).map((p) => join("packages", p))];
    const files = dirs.flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(300);
    const long: string[] = [];
    for (const f of files) {
      readFileSync(f, "utf8")
        .split("\n")
        .forEach((line, i) => {
          // Characters are code points (an emoji is one, not two UTF-16 units).
          const n = [...line].length;
          if (n > MAX_LINE) long.push(`${relative(ROOT, f)}:${i + 1} (${n})`);
        });
    }
    expect(long).toEqual([]);
  });

  test("a server source file over 400 lines says why at its top", () => {
    const unexplained = sources(join(ROOT, "packages/server/src"))
      .map((f) => ({ f, text: readFileSync(f, "utf8") }))
      .map(({ f, text }) => ({ f, text, n: text.split("\n").length - (text.endsWith("\n") ? 1 : 0) }))
      .filter(({ text, n }) => n > 400 && !/over 400 lines/i.test(text.split("\n", 12).join("\n")))
      .map(({ f, n }) => `${relative(ROOT, f)} (${n} lines)`);
    expect(unexplained).toEqual([]);
  });

  test("knip finds no unused file, export or dependency", () => {
    const r = run("knip", ["--no-progress", "--no-config-hints"]);
    if (r.code !== 0) console.error(r.out);
    expect(r.out.trim()).toBe("");
    expect(r.code).toBe(0);
  }, 60_000);
});
