// `npm run image` builds an OCI archive without a container engine. This test builds it (fast
// compression), reads it back the way a registry client would (index -> manifest -> config ->
// layers, every digest and size checked), asks skopeo when it is installed, then unpacks the
// layers into a root filesystem and starts the server from it as user 10001 with a read-only root,
// as the pod does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, type ImageReport } from "../../../../scripts/image.ts";
import { mintToken } from "../../src/auth/tokens.ts";
import { DEPLOY, ROOT, find, has, kustomize, run } from "./support.ts";

let work = "";
let report: ImageReport;
let layout = "";

const sha = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");
const blob = (digest: string) => readFileSync(join(layout, "blobs/sha256", digest.replace("sha256:", "")));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "edgeclass-image-test-"));
  report = buildImage({ out: join(work, "image.oci.tar"), tag: "0.1.0-test", fast: true, zstd: false, quiet: true });
  layout = join(work, "layout");
  mkdirSync(layout);
  const r = run("tar", ["-xf", report.archive, "-C", layout]);
  if (r.status !== 0) throw new Error(r.stderr);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("OCI image archive", () => {
  test("index -> manifest -> config -> layers: media types, digests, sizes and diff_ids agree", () => {
    expect(JSON.parse(readFileSync(join(layout, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    expect(index.manifests).toHaveLength(1);
    const desc = index.manifests[0];
    expect(desc.annotations["org.opencontainers.image.ref.name"]).toBe("0.1.0-test");
    const manifestBytes = blob(desc.digest);
    expect(sha(manifestBytes)).toBe(desc.digest);
    expect(manifestBytes.length).toBe(desc.size);
    const manifest = JSON.parse(manifestBytes.toString());
    expect(manifest.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    const configBytes = blob(manifest.config.digest);
    expect(sha(configBytes)).toBe(manifest.config.digest);
    const config = JSON.parse(configBytes.toString());
    expect(config.config.User).toBe("10001:10001");
    // The compiled server starts fastest (issue 19, docs/benchmarks.md).
    expect(config.config.Entrypoint).toEqual(["/usr/local/bin/edgeclass-server"]);
    expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(
      Array(5).fill("application/vnd.oci.image.layer.v1.tar+gzip"),
    );
    manifest.layers.forEach((l: { digest: string; size: number }, i: number) => {
      const b = blob(l.digest);
      expect(sha(b)).toBe(l.digest);
      expect(b.length).toBe(l.size);
      expect(sha(Bun.gunzipSync(b) as unknown as Buffer)).toBe(config.rootfs.diff_ids[i]);
    });
    expect(report.layers.map((l) => l.name)).toEqual(["base", "runtime", "deps", "app", "server"]);
  }, 60_000); // the machine may be shared and busy

  test("size: the Bun runtime, twice (bun, and inside the compiled server), is most of it; the app and its dependencies stay small", () => {
    const [base, runtime, deps, app, server] = report.layers;
    expect((runtime!.compressedBytes + server!.compressedBytes) / report.compressedBytes).toBeGreaterThan(0.9);
    expect(base!.compressedBytes).toBeLessThan(3e6);
    expect(deps!.compressedBytes + app!.compressedBytes).toBeLessThan(8e6);
    expect(report.compressedBytes).toBeLessThan(135e6); // gzip -1 here; `npm run image` uses -9
  }, 60_000); // the machine may be shared and busy

  test("skopeo inspect reads the archive", () => {
    if (!has("skopeo")) {
      console.warn("skopeo not installed: the archive was checked by this test's own reader only");
      return;
    }
    const r = run("skopeo", ["inspect", `oci-archive:${report.archive}`]);
    expect(r.stderr).toBe("");
    const info = JSON.parse(r.stdout);
    expect(info.Architecture).toBe("amd64");
    expect(info.Os).toBe("linux");
    expect(info.Layers).toHaveLength(5);
    expect(info.Digest).toBe(report.manifestDigest);
  }, 60_000); // the machine may be shared and busy

  test("the deployment's image name and the build agree", () => {
    const c = find(kustomize("deploy/k3s/overlays/single-node"), "Deployment", "edgeclass").spec.template.spec.containers[0];
    expect(c.image).toStartWith("registry.example.com/edgeclass/server:");
    expect(JSON.parse(readFileSync(join(DEPLOY, "k3s/base/config.json"), "utf8")).maxStudents).toBe(1000);
  }, 60_000); // the machine may be shared and busy
});

describe("the image's root filesystem runs the server", () => {
  test("as user 10001 with a read-only root and tmpfs /tmp and /data, then drains on SIGTERM", async () => {
    const rootfs = join(work, "rootfs");
    mkdirSync(rootfs);
    const manifest = JSON.parse(blob(JSON.parse(readFileSync(join(layout, "index.json"), "utf8")).manifests[0].digest).toString());
    const image: { Entrypoint: string[]; Env: string[] } = JSON.parse(blob(manifest.config.digest).toString()).config;
    for (const l of manifest.layers) {
      const tarFile = join(work, "layer.tar");
      writeFileSync(tarFile, Bun.gunzipSync(blob(l.digest)));
      const r = run("tar", ["--numeric-owner", "-xpf", tarFile, "-C", rootfs]);
      expect(r.stderr).toBe("");
    }
    for (const d of ["proc", "dev"]) mkdirSync(join(rootfs, d), { recursive: true });
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    // A private mount namespace: bind the rootfs read-only, give it /proc, /dev, and tmpfs for
    // the two writable paths, then exec the image's entrypoint as its user.
    const script = [
      "set -e",
      `PATH=/usr/sbin:/usr/bin:/sbin:/bin`,
      `mount --bind ${rootfs} ${rootfs}`,
      `mount -o remount,bind,ro ${rootfs}`,
      `mount -t proc proc ${rootfs}/proc`,
      `mount --rbind /dev ${rootfs}/dev`,
      `mount -t tmpfs -o mode=1777 tmpfs ${rootfs}/tmp`,
      `mount -t tmpfs -o uid=10001,gid=10001,mode=700 tmpfs ${rootfs}/data`,
      `exec ${Bun.which("chroot")} --userspec=10001:10001 ${rootfs} ${image.Entrypoint.join(" ")}`,
    ].join("\n");
    // First, every production dependency loads inside the image (native ones included), not just
    // those the start path happens to import.
    const deps = Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies).filter((d) => d !== "bun");
    const loadAll = `for (const d of ${JSON.stringify(deps)}) await import(d); console.log("loaded " + ${deps.length})`;
    const mountScript = script.split("\n").slice(0, -1).join("\n");
    const load = run(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        `${mountScript}\nexec ${Bun.which("chroot")} --userspec=10001:10001 ${rootfs} /usr/local/bin/bun --cwd /app -e '${loadAll}'`,
      ],
      { env: { PATH: "/usr/bin:/bin", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", HOME: "/data" } },
    );
    expect(load.stderr).toBe("");
    expect(load.stdout.trim()).toBe(`loaded ${deps.length}`);
    // The image's environment (chroot cannot take its WorkingDir: EDGECLASS_APP_DIR says where the sources are).
    const secret = "image-test-secret-of-at-least-32-characters";
    const env: Record<string, string> = {
      ...Object.fromEntries(image.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
      HOME: "/data",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      JWT_SECRET: secret,
      DEMO: "true",
    };
    expect(env.EDGECLASS_APP_DIR).toBe("/app");
    const proc = Bun.spawn({
      cmd: ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    let out = "";
    void (async () => {
      const dec = new TextDecoder();
      for await (const c of proc.stdout as ReadableStream<Uint8Array>) out += dec.decode(c);
    })();
    try {
      let ready = false;
      const deadline = Date.now() + 60_000;
      while (!ready && Date.now() < deadline && proc.exitCode === null) {
        try {
          ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
        } catch {}
        if (!ready) await Bun.sleep(50);
      }
      if (!ready)
        throw new Error(`server in the image did not get ready: ${out}\n${await new Response(proc.stderr as ReadableStream).text()}`);
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: "ok" });
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain("edgeclass_build_info");
      // The compiled server starts its media workers from the image's sources (BUN_BE_BUN): one judges the offer.
      const auth = { authorization: `Bearer ${await mintToken(secret, { role: "teacher", sub: "t1", ttlSeconds: 60 })}` };
      const start = await fetch(`http://127.0.0.1:${port}/api/classes/demo-class-1/start`, { method: "POST", headers: auth });
      expect(start.status).toBe(200);
      const whip = await fetch(`http://127.0.0.1:${port}/api/classes/demo-class-1/whip`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/sdp" },
        body: "v=0\r\n",
      });
      expect(await whip.json()).toMatchObject({ status: 400, code: "MEDIA_BAD_SDP" });
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^edgeclass_media_workers [1-9]/m);
      const t0 = Date.now();
      proc.kill("SIGTERM");
      const code = await proc.exited;
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(code).toBe(0);
      expect(out).toContain('"msg":"listening"');
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, 120_000);
});
