// Issue 16 defect 20: on a terminal the first start says, for a person, where to sign in and who
// the demo users are; without a terminal (pipes, log collectors) it prints JSON lines only.
// `script` (util-linux) gives the server a pseudo-terminal.
import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");

/** Starts the server, returns everything it printed until `until` matched (or 15 s), then stops it. */
async function firstStart(tty: boolean, until: RegExp): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "banner-"));
  const env = { ...process.env, PORT: "0", DATA_DIR: dir, HOST: "127.0.0.1", EDGECLASS_BANNER: "" };
  const cmd = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)}`;
  const child = tty
    ? spawn("script", ["-qfec", cmd, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] })
    : spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  try {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 15_000);
      const on = (b: Buffer) => {
        out += b.toString();
        if (until.test(out)) setTimeout(() => (clearTimeout(t), resolve()), 300); // anything printed right after
      };
      child.stdout!.on("data", on);
      child.stderr!.on("data", on);
    });
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

test("a terminal gets a banner: sign-in URL, demo users by name, no red; a pipe gets JSON only", async () => {
  const tty = await firstStart(true, /Admin page:/);
  expect(tty).toMatch(/Sign in: +http:\/\/localhost:\d+\/login/);
  expect(tty).toContain("Ada Lovelace (t1)");
  expect(tty).toContain("Grace Hopper (s1)");
  expect(tty).not.toContain("\x1b[31m"); // console.error's red
  const piped = await firstStart(false, /"msg":"listening"/);
  expect(piped).toContain('"msg":"listening"');
  expect(piped).not.toContain("Sign in:");
  for (const line of piped.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
}, 40_000);
