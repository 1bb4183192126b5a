// Reads config.json (CONFIG_FILE, or ./config.json when present) and the environment.
import { ConfigError, parseConfig, type Config } from "./config.ts";

/**
 * The server's start path (main.ts) reads the file synchronously with Bun.mmap: loading node:fs
 * costs ~4-6 ms, and Bun's first asynchronous file read ~3 ms, both before the first request
 * could be answered (issue 19).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, implicitFile = "config.json"): Config {
  const path = env.CONFIG_FILE ?? implicitFile;
  let text: string | null;
  try {
    text = readText(path);
  } catch (e) {
    throw new ConfigError("CONFIG_FILE", `cannot read ${path}: ${(e as Error).message}`);
  }
  if (text === null && env.CONFIG_FILE !== undefined) throw new ConfigError("CONFIG_FILE", `cannot read ${path}: no such file`);
  return withFile(env, text === null ? undefined : path, text ?? "");
}

/** The file's text; null when there is no such file. */
function readText(path: string): string | null {
  try {
    // The bytes are copied out at once; the mapping is never read again.
    return new TextDecoder().decode(Bun.mmap(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") return null;
    // mmap refuses an empty file; a directory or an unreadable file is an error to report.
    if (code === "EINVAL" && Bun.file(path).size === 0) return "";
    throw e;
  }
}

function withFile(env: Record<string, string | undefined>, path: string | undefined, text: string): Config {
  let file: Record<string, unknown> = {};
  if (path !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
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
