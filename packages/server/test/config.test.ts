import { describe, expect, test } from "bun:test";
import { ConfigError, parseConfig, publicConfig } from "../src/config/config.ts";

describe("configuration", () => {
  test("defaults are the embedded single-node setup", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ port: 8080, host: "0.0.0.0", dataDir: "./data", maxStudents: 1000, videoQuality: "720p", redisUrl: undefined, logLevel: "info" });
    expect(c.jwt.secret).toBeUndefined();
  });

  test("environment wins over config.json, which wins over defaults", () => {
    const c = parseConfig({ MAX_STUDENTS: "50" }, { maxStudents: 200, videoQuality: "480p" });
    expect(c.maxStudents).toBe(50);
    expect(c.videoQuality).toBe("480p");
  });

  test("an invalid value names the setting and the allowed values", () => {
    expect(() => parseConfig({ VIDEO_QUALITY: "4k" })).toThrow(/VIDEO_QUALITY.*360p, 480p, 720p, 1080p/);
    expect(() => parseConfig({ MAX_STUDENTS: "lots" })).toThrow(/MAX_STUDENTS.*integer from 1 to 100000/);
    expect(() => parseConfig({ PORT: "70000" })).toThrow(ConfigError);
    expect(() => parseConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL.*trace, debug, info/);
    expect(() => parseConfig({ REDIS_URL: "localhost:6379" })).toThrow(/REDIS_URL.*redis:\/\//);
    expect(() => parseConfig({ JWT_SECRET: "short" })).toThrow(/JWT_SECRET.*32 characters/);
    expect(() => parseConfig({}, { maxStudents: 0 })).toThrow(/config.json maxStudents \(MAX_STUDENTS\)/);
  });

  test("unknown keys in config.json are refused", () => {
    expect(() => parseConfig({}, { maxStudent: 5 })).toThrow(/unknown setting/);
  });

  test("the public view hides secrets and credentials", () => {
    const c = parseConfig({ JWT_SECRET: "x".repeat(40), REDIS_URL: "redis://user:pw@cache:6379/0" });
    const text = JSON.stringify(publicConfig(c));
    expect(text).not.toContain("x".repeat(40));
    expect(text).not.toContain("pw@");
    expect(text).toContain("redis://***@cache:6379/0");
  });
});
