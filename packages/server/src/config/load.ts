// Reads config.json (CONFIG_FILE, or ./config.json when present) and the environment.
import { ConfigError, parseConfig, type Config } from "./config.ts";

/**
 * With Bun's file API, not node:fs: the server's start path (main.ts) loads no Node module, ~6 ms
 * (issue 19). `implicitFile`: where to look when CONFIG_FILE is not set (tests name another).
 */
export async function loadConfig(env: Record<string, string | undefined> = process.env, implicitFile = "config.json"): Promise<Config> {
  // exists(), not stat(): Bun's first stat() waits ~3 ms for its thread pool, before listening. exists() is
  // false for a directory; .size (a synchronous stat: 0 when missing) finds one, as existsSync does, so a
  // directory called config.json is refused when read.
  const implicit = Bun.file(implicitFile);
  const path = env.CONFIG_FILE ?? ((await implicit.exists()) || implicit.size > 0 ? implicitFile : undefined);
  if (path === undefined) return parseConfig(env, {});
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Bun.file(path).text());
  } catch (e) {
    throw new ConfigError("CONFIG_FILE", `cannot read ${path}: ${(e as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("CONFIG_FILE", `${path} must hold a JSON object`);
  }
  return parseConfig(env, parsed as Record<string, unknown>);
}
