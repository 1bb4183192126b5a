#!/usr/bin/env node
// Serves the component the way wasmtime serve and runwasi's wasmtime shim do: a fresh instance
// for every request (jco `--instantiation sync` output, core modules compiled once).
//   node scripts/wasm/serve-fresh.mjs <transpiled-sync-dir> [port] [host]
// Prints one JSON line when listening: { port, compileMs }.
import { HTTPServer } from "@bytecodealliance/preview2-shim/http";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";
import { readFileSync } from "node:fs";
import { freePort } from "./free-port.mjs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, portArg = "0", host = "127.0.0.1"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: serve-fresh.mjs <transpiled-sync-dir> [port] [host]");
  process.exit(2);
}
const { instantiate } = await import(pathToFileURL(join(dir, "component.js")).href);
const modules = new Map();
const t = performance.now();
const getCoreModule = (path) => {
  let m = modules.get(path);
  if (!m) modules.set(path, (m = new WebAssembly.Module(readFileSync(join(dir, path)))));
  return m;
};
const imports = new WASIShim().getImportObject();
instantiate(getCoreModule, imports); // compiles every core module once
const compileMs = performance.now() - t;

const handler = {
  handle(request, responseOut) {
    instantiate(getCoreModule, imports).incomingHandler.handle(request, responseOut);
  },
};

const port = Number(portArg) === 0 ? await freePort(host) : Number(portArg);
const server = new HTTPServer(handler);
server.listen(port, host);
console.log(JSON.stringify({ port, compileMs: Math.round(compileMs) }));
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.stop();
    process.exit(0);
  });
}
