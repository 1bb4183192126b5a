// `npm run build`: bundles the server into dist/server.js plus chunks: no TypeScript to transpile at
// start, and what loads lazily (Rego engine, Data API, media, Redis) stays in chunks parsed on first use.
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const result = await Bun.build({
  entrypoints: ["packages/server/src/main.ts"],
  target: "bun",
  minify: true,
  splitting: true,
  sourcemap: "linked",
  outdir: "dist",
  naming: { entry: "server.js", chunk: "chunks/[name]-[hash].js" },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
for (const out of result.outputs) console.log(`${out.path}  ${(out.size / 1024).toFixed(1)} KiB`);
