#!/usr/bin/env node
// Serves a jco-transpiled wasi:http component with preview2-shim's HTTP server (Node host).
//   node scripts/wasm/serve-jco.mjs <transpiled-dir>/<name>.js [port] [host]
// Prints one JSON line when listening: { port, importMs } (importMs: compiling + instantiating
// the core Wasm and running the component's start, as jco's module does at import).
import { HTTPServer } from "@bytecodealliance/preview2-shim/http";
import { pathToFileURL } from "node:url";
import { freePort } from "./free-port.mjs";

const [modulePath, portArg = "0", host = "127.0.0.1"] = process.argv.slice(2);
if (!modulePath) {
  console.error("usage: serve-jco.mjs <transpiled.js> [port] [host]");
  process.exit(2);
}

const started = performance.now();
const mod = await import(pathToFileURL(modulePath).href);
const importMs = performance.now() - started;
const handler = mod.incomingHandler ?? mod["wasi:http/incoming-handler@0.2.10"];
const port = Number(portArg) === 0 ? await freePort(host) : Number(portArg);
const server = new HTTPServer(handler);
server.listen(port, host);
console.log(JSON.stringify({ port, importMs: Math.round(importMs * 10) / 10 }));
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.stop();
    process.exit(0);
  });
}
