// rego CLI: eval, verify (gator-style Gatekeeper suites), cases (Regorus YAML cases), bench.

import { readFileSync } from "node:fs";
import { compile, RegoError, type Value } from "../index.ts";
import { runCasesDir } from "./cases.ts";
import { loadBundle } from "./files.ts";

const USAGE = `usage:
  rego eval -d <file-or-dir>... [-i input.json] [--data data.json] [--v1] [--strict] '<query>'
  rego verify <dir> [--json]     run every Gatekeeper suite.yaml under <dir> (like gator verify)
  rego cases <dir> [--json]      run Regorus-style YAML cases under <dir>
  rego bench [--json]            decisions/s for the seed policy and k8srequiredlabels`;

function fail(msg: string, code = 2): never {
  process.stderr.write(msg + "\n");
  process.exit(code);
}

function readJSON(path: string): Value {
  const text = readFileSync(path, "utf8");
  if (path.endsWith(".yaml") || path.endsWith(".yml")) {
    return Bun.YAML.parse(text) as Value;
  }
  return JSON.parse(text) as Value;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "eval":
      return cmdEval(rest);
    case "cases":
      return cmdCases(rest);
    case "verify": {
      const { cmdVerify } = await import("./verify.ts");
      return cmdVerify(rest);
    }
    case "bench": {
      const { cmdBench } = await import("./bench.ts");
      return cmdBench(rest);
    }
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(USAGE + "\n");
      return cmd === undefined ? 2 : 0;
    default:
      fail(`unknown command ${cmd}\n${USAGE}`);
  }
}

function cmdEval(args: string[]): number {
  const dataPaths: string[] = [];
  let inputPath: string | null = null;
  const dataFiles: string[] = [];
  let query: string | null = null;
  let v1 = false;
  let strict = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-d" || a === "--data-path") dataPaths.push(args[++i]);
    else if (a === "-i" || a === "--input") inputPath = args[++i];
    else if (a === "--data") dataFiles.push(args[++i]);
    else if (a === "--v1") v1 = true;
    else if (a === "--strict" || a === "--strict-builtin-errors") strict = true;
    else if (a.startsWith("-") && a.length > 1) fail(`unknown flag ${a}\n${USAGE}`);
    else query = a;
  }
  if (query === null) fail(`eval: missing query\n${USAGE}`);
  const bundle = loadBundle(dataPaths);
  const modules = bundle.modules;
  let data: Value = bundle.data as Value;
  for (const f of dataFiles) data = { ...(data as Record<string, Value>), ...(readJSON(f) as Record<string, Value>) };
  try {
    const policy = compile(modules, { data, regoV1: v1, strictBuiltinErrors: strict, print: (m) => process.stderr.write(m + "\n") });
    const input = inputPath ? readJSON(inputPath) : undefined;
    const results = policy.query(query, { input });
    // as `opa eval`: bindings are left out when there are none
    const shaped = results.map((r) => (Object.keys(r.bindings).length ? r : { expressions: r.expressions }));
    process.stdout.write(JSON.stringify(results.length ? { result: shaped } : {}, null, 2) + "\n");
    return 0;
  } catch (e) {
    if (e instanceof RegoError) {
      process.stdout.write(JSON.stringify({ errors: [e.toJSON()] }, null, 2) + "\n");
      process.stderr.write(e.message + "\n");
      return 1;
    }
    throw e;
  }
}

function cmdCases(args: string[]): number {
  const json = args.includes("--json");
  const verbose = args.includes("-v");
  const dir = args.find((a) => !a.startsWith("-"));
  if (!dir) fail(`cases: missing directory\n${USAGE}`);
  const outcomes = runCasesDir(dir);
  const passed = outcomes.filter((o) => o.status === "passed").length;
  const failed = outcomes.filter((o) => o.status === "failed").length;
  const skipped = outcomes.filter((o) => o.status === "skipped").length;
  if (json) {
    process.stdout.write(JSON.stringify({ passed, failed, skipped, failures: outcomes.filter((o) => o.status === "failed") }) + "\n");
  } else {
    for (const o of outcomes) {
      if (o.status === "failed") process.stdout.write(`FAIL ${o.file}: ${o.note}: ${o.reason}\n`);
      else if (verbose) process.stdout.write(`${o.status} ${o.file}: ${o.note}\n`);
    }
    if (skipped) process.stdout.write(`(${skipped} skipped as marked in the case files)\n`);
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
  }
  return failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write((e instanceof Error ? (e.stack ?? e.message) : String(e)) + "\n");
    process.exit(1);
  },
);
