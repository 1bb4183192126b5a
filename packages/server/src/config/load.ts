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
  // stat, not exists(): a directory called config.json is found (and refused when read), as by existsSync.
  const found = await Bun.file("config.json")
    .stat()
    .then(
      () => true,
      () => false,
    );
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
