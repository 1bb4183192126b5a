// Reading config.json: the file named by CONFIG_FILE, else ./config.json when there is one.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../src/config/config.ts";
import { loadConfig } from "../src/config/load.ts";

const dir = mkdtempSync(join(tmpdir(), "config-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const refusal = (f: () => unknown): ConfigError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("not refused");
};

describe("loadConfig", () => {
  test("no ./config.json: the defaults and the environment", () => {
    const c = loadConfig({ MAX_STUDENTS: "40" }, join(dir, "absent.json"));
    expect(c.maxStudents).toBe(40);
    expect(c.videoQuality).toBe("720p");
  });

  test("./config.json when present, CONFIG_FILE first, the environment over both", () => {
    const implicit = file("implicit.json", JSON.stringify({ maxStudents: 200, videoQuality: "480p" }));
    expect(loadConfig({}, implicit)).toMatchObject({ maxStudents: 200, videoQuality: "480p" });
    const named = file("named.json", JSON.stringify({ maxStudents: 300 }));
    expect(loadConfig({ CONFIG_FILE: named }, implicit).maxStudents).toBe(300);
    expect(loadConfig({ CONFIG_FILE: named, MAX_STUDENTS: "7" }, implicit).maxStudents).toBe(7);
  });

  test("a CONFIG_FILE that is not there is refused, naming it", () => {
    const e = refusal(() => loadConfig({ CONFIG_FILE: join(dir, "gone.json") }));
    expect(e.message).toContain("gone.json: no such file");
  });

  test("an empty file, a directory, JSON that is not an object and bad JSON are refused, naming the file", () => {
    expect(refusal(() => loadConfig({}, file("empty.json", ""))).message).toContain("cannot read");
    mkdirSync(join(dir, "folder.json"));
    expect(refusal(() => loadConfig({}, join(dir, "folder.json"))).message).toMatch(/folder\.json: .*EISDIR|directory/);
    expect(refusal(() => loadConfig({}, file("list.json", "[1]"))).message).toContain("must hold a JSON object");
    expect(refusal(() => loadConfig({}, file("broken.json", "{maxStudents: 5"))).message).toContain("broken.json");
  });
});
