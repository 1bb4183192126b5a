import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, parseConfig, publicConfig } from "../src/config/config.ts";
import { loadConfig } from "../src/config/load.ts";

describe("configuration", () => {
  test("defaults are the embedded single-node setup", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      demo: true,
      dataDir: "./data",
      maxStudents: 1000,
      videoQuality: "720p",
      redisUrl: undefined,
      logLevel: "info",
    });
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

  test("Redis Cluster: seed nodes, with credentials and TLS from REDIS_URL", () => {
    const seeds = parseConfig({ REDIS_CLUSTER_NODES: "redis-0:6379, redis-1:6380,redis-2" });
    expect(seeds.redis.clusterNodes).toBe("redis-0:6379,redis-1:6380,redis-2");
    expect(seeds.redisUrl).toBe("redis://redis-0:6379"); // scale-out mode on, no credentials
    const tls = parseConfig({ REDIS_CLUSTER_NODES: "[::1]:7000,cache:7001", REDIS_URL: "rediss://app:s3cret@cache:7001" });
    expect(tls.redisUrl).toBe("rediss://app:s3cret@cache:7001");
    const shown = JSON.stringify(publicConfig(tls));
    expect(shown).not.toContain("s3cret");
    expect(shown).toContain('"redisClusterNodes":"[::1]:7000,cache:7001"');
    expect(parseConfig({}, { redisClusterNodes: "a:1" }).redis.clusterNodes).toBe("a:1");
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: "redis-0:http" })).toThrow(/REDIS_CLUSTER_NODES.*host:port/);
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: "redis-0:70000" })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: "a:1", REDIS_SENTINELS: "b:26379" })).toThrow(/not both/);
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: "a:1", REDIS_URL: "redis://a:1/2" })).toThrow(/REDIS_URL.*only database 0/);
    expect(parseConfig({ REDIS_CLUSTER_NODES: "a:1", REDIS_URL: "redis://a:1/0" }).redis.clusterNodes).toBe("a:1");
  });
});

describe("loading config.json (main.ts, the token CLI)", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeclass-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test("./config.json is read when present, CONFIG_FILE first, and the environment wins over both", async () => {
    const implicit = file("implicit.json", '{"maxStudents": 200, "videoQuality": "480p"}');
    const c = await loadConfig({ MAX_STUDENTS: "50" }, implicit);
    expect(c.maxStudents).toBe(50);
    expect(c.videoQuality).toBe("480p");
    const named = file("named.json", '{"maxStudents": 300}');
    expect((await loadConfig({ CONFIG_FILE: named }, implicit)).maxStudents).toBe(300);
  });

  test("without ./config.json the defaults hold", async () => {
    expect((await loadConfig({}, join(dir, "absent.json"))).maxStudents).toBe(1000);
  });

  test("an empty file, a directory called config.json, a missing CONFIG_FILE, bad JSON: refused, naming the file", async () => {
    const refused = (p: Promise<unknown>) => expect(p).rejects.toThrow(ConfigError);
    await refused(loadConfig({}, file("empty.json", "")));
    mkdirSync(join(dir, "folder.json"));
    await refused(loadConfig({}, join(dir, "folder.json")));
    await expect(loadConfig({ CONFIG_FILE: join(dir, "elsewhere.json") })).rejects.toThrow(/cannot read .*elsewhere.json/);
    await expect(loadConfig({}, file("list.json", "[1]"))).rejects.toThrow(/must hold a JSON object/);
    await expect(loadConfig({}, file("broken.json", "{maxStudents: 5"))).rejects.toThrow(/cannot read .*broken.json/);
  });
});
