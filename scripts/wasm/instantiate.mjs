#!/usr/bin/env node
// Instantiation cost of the component under Node/V8 (jco `--instantiation async` output):
// compiles the core modules once, then creates `count` fresh instances, the way a host that
// instantiates per request (wasmtime serve, runwasi's wasmtime shim) pays for each cold start.
//   node scripts/wasm/instantiate.mjs <transpiled-dir> [count]
// Prints one JSON line: { compileMs, firstInstantiateMs, instantiateMs: { p50, max, mean }, count }.
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, countArg = "20"] = process.argv.slice(2);
const count = Number(countArg);
const { instantiate } = await import(pathToFileURL(join(dir, "component.js")).href);
const modules = new Map();
let compileMs = 0;
async function getCoreModule(path) {
  let m = modules.get(path);
  if (!m) {
    const t = performance.now();
    m = await WebAssembly.compile(await readFile(join(dir, path)));
    compileMs += performance.now() - t;
    modules.set(path, m);
  }
  return m;
}
const imports = new WASIShim().getImportObject();
let t = performance.now();
await instantiate(getCoreModule, imports);
const firstInstantiateMs = performance.now() - t - compileMs;
const times = [];
const keep = [];
for (let i = 0; i < count; i++) {
  t = performance.now();
  keep.push(await instantiate(getCoreModule, imports));
  times.push(performance.now() - t);
  if (keep.length > 4) keep.shift(); // let old instances be collected, as a host would
}
times.sort((a, b) => a - b);
const r = (n) => Math.round(n * 100) / 100;
console.log(
  JSON.stringify({
    compileMs: r(compileMs),
    firstInstantiateMs: r(firstInstantiateMs),
    instantiateMs: {
      p50: r(times[Math.floor(times.length / 2)]),
      max: r(times[times.length - 1]),
      mean: r(times.reduce((a, b) => a + b, 0) / times.length),
    },
    count,
  }),
);
process.exit(0);
