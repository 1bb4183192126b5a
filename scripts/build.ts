// `npm run build`: bundles the server into dist/server.js (one file, faster start-up: no module resolution).
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const result = await Bun.build({
  entrypoints: ["packages/server/src/main.ts"],
  target: "bun",
  minify: true,
  sourcemap: "linked",
  outdir: "dist",
  naming: "server.js",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
for (const out of result.outputs) console.log(`${out.path}  ${(out.size / 1024).toFixed(1)} KiB`);
