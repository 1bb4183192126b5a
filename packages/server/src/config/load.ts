// Reads config.json (CONFIG_FILE, or ./config.json when present) and the environment.
import type * as Fs from "node:fs";
import { ConfigError, parseConfig, type Config } from "./config.ts";

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const { existsSync, readFileSync } = import.meta.require("node:fs") as typeof Fs;
  const path = env.CONFIG_FILE ?? (existsSync("config.json") ? "config.json" : undefined);
  return withFile(env, path, () => readFileSync(path as string, "utf8"));
}

/** loadConfig with Bun's file API: the server's start path (main.ts) loads no node:fs, ~6 ms (issue 19). */
export async function loadConfigAsync(env: Record<string, string | undefined> = process.env): Promise<Config> {
  // exists(), not stat(): Bun's first stat() waits ~3 ms for its thread pool, before listening. exists() is
  // false for a directory; .size (a synchronous stat: 0 when missing) finds one, as existsSync does, so a
  // directory called config.json is refused when read.
  const here = Bun.file("config.json");
  const found = (await here.exists()) || here.size > 0;
  const path = env.CONFIG_FILE ?? (found ? "config.json" : undefined);
  let text: string | Error = "";
  if (path !== undefined)
    text = await Bun.file(path)
      .text()
      .catch((e: Error) => e);
  return withFile(env, path, () => {
    if (text instanceof Error) throw text;
    return text;
  });
}

function withFile(env: Record<string, string | undefined>, path: string | undefined, read: () => string): Config {
  let file: Record<string, unknown> = {};
  if (path !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(read());
    } catch (e) {
      throw new ConfigError("CONFIG_FILE", `cannot read ${path}: ${(e as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError("CONFIG_FILE", `${path} must hold a JSON object`);
    }
    file = parsed as Record<string, unknown>;
  }
  return parseConfig(env, file);
}
