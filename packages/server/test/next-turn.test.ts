// nextTurn (http/next-turn.ts) is the break the build behind the listening socket takes so that a
// health probe waiting meanwhile is answered (issue 19). A request already in the socket's buffer
// must be answered within the break, not after the work that follows it.
import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nextTurn } from "../src/http/next-turn.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Blocks the event loop, as the build does, until `file` exists (written by another process). */
function blockUntil(file: string, timeoutMs: number): void {
  const end = performance.now() + timeoutMs;
  while (!existsSync(file)) if (performance.now() > end) throw new Error(`${file} did not appear in ${timeoutMs} ms`);
}

test("a request that arrived while the event loop was busy is answered within the break", async () => {
  dir = mkdtempSync(join(tmpdir(), "edgeclass-turn-"));
  const sent = join(dir, "sent");
  let answered = 0;
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => (answered++, new Response("ok")) });
  // A client in another process: it writes a whole request, then says so with a file.
  const client = Bun.spawn(
    [
      process.execPath,
      "-e",
      `const s = await Bun.connect({ hostname: "127.0.0.1", port: ${server.port}, socket: { data() { process.exit(0); } } });
       s.write("GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); s.flush(); await Bun.write(${JSON.stringify(sent)}, "1");
       setTimeout(() => process.exit(1), 10000);`,
    ],
    { stdout: "ignore", stderr: "inherit" },
  );
  try {
    blockUntil(sent, 20_000);
    const busy = performance.now() + 5; // the request's bytes are in the socket's buffer by now
    while (performance.now() < busy);
    expect(answered).toBe(0);
    await nextTurn();
    expect(answered).toBe(1);
    expect(await client.exited).toBe(0);
  } finally {
    client.kill();
    server.stop(true);
  }
});
