// Runs the external conformance corpora when ../shared/conformance exists (as in CI).
// A clone without it prints that the corpora were not run.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCasesDir } from "../src/cli/cases.ts";
import { runVerify } from "../src/cli/verify.ts";

const root = join(import.meta.dir, "../../../../shared/conformance");
const gatekeeper = join(root, "gatekeeper-library/library");
const regorus = join(root, "regorus-cases/cases");

if (!existsSync(root)) {
  console.log(`conformance corpora NOT RUN: ${root} does not exist (it is present in CI as ../shared/conformance)`);
  test.skip("conformance corpora (../shared/conformance missing)", () => {});
} else {
  describe("conformance", () => {
    test("Gatekeeper library suites: every case passes", () => {
      const results = runVerify(gatekeeper);
      const failed = results.filter((r) => !r.ok);
      console.log(`gatekeeper-library: ${results.length - failed.length} passed, ${failed.length} failed`);
      for (const f of failed) console.log(`  FAIL ${f.suite} ${f.test}/${f.case}: ${f.reason}`);
      expect(results.length).toBeGreaterThan(200);
      expect(failed.length).toBe(0);
    }, 60_000);

    test("Regorus interpreter cases: at least 95% pass", () => {
      const out = runCasesDir(regorus);
      const passed = out.filter((o) => o.status === "passed").length;
      const failed = out.filter((o) => o.status === "failed");
      const rate = passed / (passed + failed.length);
      console.log(`regorus-cases: ${passed} passed, ${failed.length} failed (${(rate * 100).toFixed(1)}%)`);
      expect(passed + failed.length).toBeGreaterThan(400);
      expect(rate).toBeGreaterThanOrEqual(0.95);
    }, 60_000);
  });
}
