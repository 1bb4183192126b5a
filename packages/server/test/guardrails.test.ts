// The repository's guardrails run with the tests, each failing `npm test` with the tool's own report:
// - Biome's lint (biome.json: unused imports, variables and parameters, `any` in sources,
//   suspicious patterns) finds nothing; `npm run lint` runs the same check;
// - knip (knip.json: the entry points are the programs, tests, benches and scripts) finds no
//   unused file, export, type or dependency; `npm run knip` runs the same check.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../../..");

function run(bin: string, args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync([join(ROOT, "node_modules/.bin", bin), ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

describe("guardrails", () => {
  test("biome lint finds nothing", () => {
    const r = run("biome", ["lint", "--error-on-warnings", "--max-diagnostics=30", "--colors=off"]);
    if (r.code !== 0) console.error(r.out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Checked \d+ files/);
  }, 60_000);

  test("knip finds no unused file, export or dependency", () => {
    const r = run("knip", ["--no-progress", "--no-config-hints"]);
    if (r.code !== 0) console.error(r.out);
    expect(r.out.trim()).toBe("");
    expect(r.code).toBe(0);
  }, 60_000);
});
