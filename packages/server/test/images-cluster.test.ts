// Question pictures across instances that do not share a data folder: a picture uploaded on one
// instance is served by every other (a student's page may reach any of them), and an instance
// started later loads the pictures with the rest of the catalogue.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { tempDir } from "./support/server.ts";
import { apiClient, eventually, spawned, startInstance, uniquePrefix } from "./support/instances.ts";

const secret = "images-cluster-secret-0123456789-abcdefghijklmnop";
const { token, api } = apiClient(secret);
const dirs: string[] = [];
afterAll(() => {
  for (const p of spawned) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");

async function node(prefix: string, name: string) {
  const dataDir = tempDir("edgeclass-img-");
  dirs.push(dataDir);
  return startInstance({
    DATA_DIR: dataDir,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    INSTANCE_ID: name,
    JWT_SECRET: secret,
  });
}

test("a picture uploaded on one instance is served by the others, and by one started later", async () => {
  const prefix = uniquePrefix();
  const [a, b] = [await node(prefix, "a"), await node(prefix, "b")];
  const teacher = await token("teacher", "t-img", "Ida Teacher");
  const course = (await api(a.base, "POST", "/api/courses", teacher, { title: "Pictures", status: "active" })).body.id as string;
  const up = await fetch(`${a.base}/api/courses/${course}/images`, {
    method: "POST",
    headers: { authorization: `Bearer ${teacher}`, "content-type": "image/png" },
    body: PNG,
  });
  expect(up.status).toBe(201);
  const { url } = (await up.json()) as { url: string };
  const served = async (base: string) => {
    const r = await fetch(base + url);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await r.arrayBuffer()).equals(PNG)).toBe(true);
  };
  await served(a.base);
  await eventually(() => served(b.base));
  const c = await node(prefix, "c");
  await eventually(() => served(c.base));
}, 60_000);
