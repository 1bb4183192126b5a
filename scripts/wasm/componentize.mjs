#!/usr/bin/env node
// Runs componentize-js under Node (its supported host): JS module + WIT world -> component.
//   node scripts/wasm/componentize.mjs <source.js> <wit-dir> <world> <out.wasm>
// Prints one JSON line: { bytes, ms }.
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFile } from "node:fs/promises";

const [sourcePath, witPath, worldName, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: componentize.mjs <source.js> <wit-dir> <world> <out.wasm>");
  process.exit(2);
}
const started = performance.now();
const { component } = await componentize({ sourcePath, witPath, worldName });
await writeFile(out, component);
console.log(JSON.stringify({ bytes: component.length, ms: Math.round(performance.now() - started) }));
