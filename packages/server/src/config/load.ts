// Reads config.json (CONFIG_FILE, or ./config.json when present) and the environment.
import { existsSync, readFileSync } from "node:fs";
import { ConfigError, parseConfig, type Config } from "./config.ts";

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const path = env.CONFIG_FILE ?? (existsSync("config.json") ? "config.json" : undefined);
  let file: Record<string, unknown> = {};
  if (path !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, "utf8"));
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
