// What the server loads before it answers its first request (issue 19): the bundle's entry chunk
// and the chunks it imports statically, as `npm run build` and the compiled executable load them.
// Lazily imported parts (Redis, media, the Rego engine, ...) stay out; some runtime modules cost
// more to load than our whole start (node:crypto brings Node's stream layer: 6-50 ms under Bun).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

const ROOT = join(import.meta.dir, "../../..");
const out = mkdtempSync(join(tmpdir(), "startup-path-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Every module the entry chunk imports statically, transitively: our chunks and the runtime's modules. */
async function startPath(): Promise<{ chunks: string[]; runtime: Set<string> }> {
  const built = await Bun.build({
    entrypoints: [join(ROOT, "packages/server/src/main.ts")],
    target: "bun",
    splitting: true,
    outdir: out,
    naming: { entry: "server.js" },
  });
  if (!built.success) throw new AggregateError(built.logs, "bun build failed");
  const runtime = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(join(out, file), "utf8").matchAll(/^import\s*(?:[^;"]*?\sfrom\s*)?"([^"]+)"/gm)) {
      if (m[1].startsWith("./")) visit(basename(m[1]));
      else runtime.add(m[1].replace(/^node:/, ""));
    }
  };
  visit("server.js");
  return { chunks: [...seen], runtime };
}

test("the start path loads no runtime module: no node:fs, node:crypto, streams, child_process, nor SQLite", async () => {
  const { chunks, runtime } = await startPath();
  expect(chunks.length).toBeGreaterThan(1); // the walk follows the entry's imports
  // None at all: the first Node module costs ~4 ms to load, node:fs ~6 (the config is read with
  // Bun.file); SQLite is opened after the server listens (server.ts, app.ts).
  expect([...runtime]).toEqual([]);
}, 60_000);
