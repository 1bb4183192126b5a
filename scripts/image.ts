#!/usr/bin/env bun
// Builds the EdgeClass server's OCI image without a container engine: the layers are
// plain tar files made from this machine's files, the config, manifest and index are
// JSON written here, and the result is an OCI image layout packed as an `oci-archive`.
//
//   npm run image [-- --out dist/edgeclass-image.oci.tar] [--tag 0.1.0] [--fast] [--zstd] [--keep-rootfs DIR]
//
// Layers (bottom up), so that an upgrade of the app moves only the small top layer:
//   1. base     glibc's loader and the four libraries bun and node-datachannel link to
//               (copied from this Debian machine), /etc/passwd and /etc/group with the
//               non-root user 10001, /tmp and /data
//   2. runtime  the bun binary from the pinned npm package `bun`
//   3. deps     the production node_modules closure (npm ls --omit=dev), without docs,
//               source maps, type declarations and native build sources
//   4. app      packages/*/src, policies/ and a minimal package.json
//   5. server   the server compiled by `bun build --compile --bytecode --splitting` (the runtime and
//               the program as JSC bytecode): the entrypoint, the fastest form to start (docs/benchmarks.md,
//               issue 19). The media worker and other programs (central) run from the sources with bun.
// Check it with: skopeo inspect oci-archive:dist/edgeclass-image.oci.tar
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const SOURCE_DATE_EPOCH = 1_700_000_000; // fixed mtime: the same inputs give the same digests
const UID = 10001;

export interface ImageOptions {
  out: string;
  tag: string;
  /** gzip -1 instead of -9: for tests, where build time matters more than bytes. */
  fast: boolean;
  /** zstd layers (containerd 1.7 and K3s read them) instead of gzip. */
  zstd: boolean;
  /** Keep the unpacked root filesystem here (for a chroot smoke test). */
  keepRootfs?: string;
  quiet: boolean;
}

export interface LayerReport {
  name: string;
  files: number;
  uncompressedBytes: number;
  compressedBytes: number;
  digest: string;
}

export interface ImageReport {
  archive: string;
  archiveBytes: number;
  compressedBytes: number;
  uncompressedBytes: number;
  manifestDigest: string;
  layers: LayerReport[];
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr?.toString().slice(0, 2000)}`);
  }
  return r.stdout;
}

function sha256(buf: Buffer | string): string {
  return createHash("sha256").update(buf).digest("hex");
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  }
  return n;
}

/** A deterministic tar of everything under `dir` (paths relative to it, no "./" prefix). */
function tarLayer(dir: string): Buffer {
  const entries = readdirSync(dir).sort();
  return run("tar", [
    "--create",
    "--file=-",
    "--format=posix",
    "--sort=name",
    "--numeric-owner",
    `--mtime=@${SOURCE_DATE_EPOCH}`,
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "-C",
    dir,
    ...entries,
  ]);
}

// ---- layer contents -------------------------------------------------------------------

const GLIBC = [
  ["/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2"],
  ["/lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libc.so.6"],
  ["/lib/x86_64-linux-gnu/libm.so.6", "lib/x86_64-linux-gnu/libm.so.6"],
  ["/lib/x86_64-linux-gnu/libdl.so.2", "lib/x86_64-linux-gnu/libdl.so.2"],
  ["/lib/x86_64-linux-gnu/libpthread.so.0", "lib/x86_64-linux-gnu/libpthread.so.0"],
] as const;

function stageBase(dir: string): void {
  for (const [from, to] of GLIBC) {
    const target = join(dir, to);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(from), target);
    chmodSync(target, 0o755);
  }
  mkdirSync(join(dir, "etc"), { recursive: true });
  writeFileSync(join(dir, "etc/passwd"), `root:x:0:0:root:/root:/sbin/nologin\nedgeclass:x:${UID}:${UID}:edgeclass:/data:/sbin/nologin\n`);
  writeFileSync(join(dir, "etc/group"), `root:x:0:\nedgeclass:x:${UID}:\n`);
  writeFileSync(join(dir, "etc/nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
  for (const f of ["etc/passwd", "etc/group", "etc/nsswitch.conf"]) chmodSync(join(dir, f), 0o644);
  mkdirSync(join(dir, "tmp"), { recursive: true });
  chmodSync(join(dir, "tmp"), 0o1777);
  mkdirSync(join(dir, "data"), { recursive: true });
  chmodSync(join(dir, "data"), 0o700);
  chownSync(join(dir, "data"), UID, UID);
  mkdirSync(join(dir, "etc/edgeclass"), { recursive: true });
}

function bunBinary(): string {
  for (const p of ["node_modules/@oven/bun-linux-x64/bin/bun", "node_modules/bun/bin/bun.exe"]) {
    const abs = join(ROOT, p);
    if (existsSync(abs) && statSync(abs).size > 1_000_000) return abs;
  }
  throw new Error("no bun binary in node_modules (run npm install)");
}

function stageRuntime(dir: string): void {
  const target = join(dir, "usr/local/bin/bun");
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(bunBinary(), target);
  chmodSync(target, 0o755);
}

// The runtime is its own layer, and nothing at run time needs a compiler.
const SKIP_PACKAGES = new Set(["bun", "@oven/bun-linux-x64", "typescript", "@typescript/typescript-linux-x64"]);
const SKIP_FILE =
  /(\.md|\.markdown|\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.tsbuildinfo|LICENSE-docs|CHANGELOG.*|\.gyp|\.cc|\.cpp|\.h|CMakeLists\.txt)$/i;
const SKIP_DIR = new Set([
  "test",
  "tests",
  "__tests__",
  "docs",
  "doc",
  "example",
  "examples",
  "benchmark",
  "benchmarks",
  ".github",
  "cmake",
]);

function productionPackages(): string[] {
  // npm ls exits non-zero for extraneous or invalid-peer packages too; only a missing one matters here.
  const r = spawnSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: ROOT, maxBuffer: 1 << 26 });
  const err = r.stderr?.toString() ?? "";
  if (r.status !== 0 && (/missing:/.test(err) || !r.stdout?.length)) throw new Error(`npm ls: ${err.slice(0, 2000)} (run npm install)`);
  const out = r.stdout.toString();
  const dirs = out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && l !== ROOT);
  return [...new Set(dirs.map((d) => relative(ROOT, d)))]
    .filter((d) => d.startsWith("node_modules/"))
    .filter((d) => !SKIP_PACKAGES.has(d.slice("node_modules/".length)))
    .sort();
}

function copyPruned(from: string, to: string, isPackageRoot: boolean): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) {
      if (e.name === "node_modules") continue; // nested deps come from `npm ls` on their own
      // Only at a package's root: deeper, a "doc" or "test" folder may well be code (yaml/dist/doc).
      if (isPackageRoot && SKIP_DIR.has(e.name)) continue;
      if (isPackageRoot && e.name === "src" && existsSync(join(from, "dist"))) continue; // sources of a built package
      copyPruned(src, dst, false);
    } else if (e.isFile() && !SKIP_FILE.test(e.name)) {
      copyFileSync(src, dst);
      chmodSync(dst, (statSync(src).mode & 0o755) | 0o444);
    }
  }
}

function stageDeps(dir: string): void {
  for (const pkg of productionPackages()) {
    copyPruned(join(ROOT, pkg), join(dir, "app", pkg), true);
  }
}

function stageApp(dir: string, tag: string): void {
  const app = join(dir, "app");
  mkdirSync(app, { recursive: true });
  const rootPkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: rootPkg.name, version: tag, private: true, type: "module" }, null, 2) + "\n",
  );
  copyFileSync(join(ROOT, "tsconfig.json"), join(app, "tsconfig.json"));
  for (const pkg of readdirSync(join(ROOT, "packages")).sort()) {
    const src = join(ROOT, "packages", pkg, "src");
    if (existsSync(src)) cpSync(src, join(app, "packages", pkg, "src"), { recursive: true, filter: (p) => !/\.(test|spec)\.ts$/.test(p) });
    for (const extra of ["package.json", "public", "dist"]) {
      const p = join(ROOT, "packages", pkg, extra);
      if (existsSync(p)) cpSync(p, join(app, "packages", pkg, extra), { recursive: true });
    }
  }
  if (existsSync(join(ROOT, "policies"))) cpSync(join(ROOT, "policies"), join(app, "policies"), { recursive: true });
  const config = join(ROOT, "deploy/k3s/base/config.json");
  mkdirSync(join(dir, "etc/edgeclass"), { recursive: true });
  copyFileSync(config, join(dir, "etc/edgeclass/config.json"));
}

/** The entrypoint: built with the image's own bun binary, from this checkout (reproducible for one checkout path). */
function stageServer(dir: string): void {
  const target = join(dir, "usr/local/bin/edgeclass-server");
  mkdirSync(dirname(target), { recursive: true });
  run(
    bunBinary(),
    ["build", "packages/server/src/main.ts", "--compile", "--bytecode", "--splitting", "--format", "esm", "--minify", "--outfile", target],
    { cwd: ROOT },
  );
  chmodSync(target, 0o755);
}

// ---- OCI layout ------------------------------------------------------------------------

export function buildImage(opts: ImageOptions): ImageReport {
  const log = (s: string) => opts.quiet || console.error(s);
  const work = mkdtempSync(join(tmpdir(), "edgeclass-image-"));
  const layout = join(work, "layout");
  const blobs = join(layout, "blobs/sha256");
  mkdirSync(blobs, { recursive: true });
  const stages: Array<[string, (dir: string) => void, string]> = [
    ["base", stageBase, "glibc loader and libraries, passwd/group, /tmp, /data"],
    ["runtime", stageRuntime, `bun ${spawnSync(bunBinary(), ["--version"]).stdout.toString().trim()}`],
    ["deps", stageDeps, "production node_modules"],
    ["app", (d) => stageApp(d, opts.tag), "EdgeClass sources and config"],
    ["server", stageServer, "the server compiled to one executable (bun build --compile --bytecode)"],
  ];
  const layers: LayerReport[] = [];
  const diffIds: string[] = [];
  const history: object[] = [];
  const mediaType = opts.zstd ? "application/vnd.oci.image.layer.v1.tar+zstd" : "application/vnd.oci.image.layer.v1.tar+gzip";
  try {
    for (const [name, stage, comment] of stages) {
      const dir = join(work, "rootfs-" + name);
      mkdirSync(dir, { recursive: true });
      stage(dir);
      if (opts.keepRootfs) cpSync(dir, opts.keepRootfs, { recursive: true });
      const tar = tarLayer(dir);
      const compressed = opts.zstd
        ? run("zstd", ["-q", "-c", "-T0", opts.fast ? "-1" : "-15"], { input: tar })
        : run("gzip", ["-n", "-c", opts.fast ? "-1" : "-9"], { input: tar });
      const digest = sha256(compressed);
      writeFileSync(join(blobs, digest), compressed);
      diffIds.push("sha256:" + sha256(tar));
      history.push({ created: new Date(SOURCE_DATE_EPOCH * 1000).toISOString(), created_by: `scripts/image.ts: ${name}`, comment });
      layers.push({
        name,
        files: countFiles(dir),
        uncompressedBytes: tar.length,
        compressedBytes: compressed.length,
        digest: "sha256:" + digest,
      });
      log(
        `layer ${name.padEnd(8)} ${(tar.length / 1e6).toFixed(1).padStart(7)} MB raw ` +
          `${(compressed.length / 1e6).toFixed(1).padStart(7)} MB compressed  ${comment}`,
      );
    }
    const created = new Date(SOURCE_DATE_EPOCH * 1000).toISOString();
    const config = {
      created,
      architecture: "amd64",
      os: "linux",
      config: {
        User: `${UID}:${UID}`,
        Env: [
          "PATH=/usr/local/bin:/usr/bin:/bin",
          "NODE_ENV=production",
          "HOST=0.0.0.0",
          "PORT=8080",
          "DATA_DIR=/data",
          "CONFIG_FILE=/etc/edgeclass/config.json",
          // The root filesystem is read-only in the pod: no transpiler cache on disk.
          "BUN_RUNTIME_TRANSPILER_CACHE_PATH=0",
          "BUN_INSTALL_CACHE_DIR=/tmp/bun-cache",
          // The sources the compiled server's media workers run from (media/pool.ts).
          "EDGECLASS_APP_DIR=/app",
        ],
        Entrypoint: ["/usr/local/bin/edgeclass-server"],
        WorkingDir: "/app",
        ExposedPorts: { "8080/tcp": {} },
        StopSignal: "SIGTERM",
        Labels: {
          "org.opencontainers.image.title": "edgeclass-server",
          "org.opencontainers.image.description": "EdgeClass edge live-classroom server (Bun)",
          "org.opencontainers.image.version": opts.tag,
          "org.opencontainers.image.licenses": "UNLICENSED",
        },
      },
      rootfs: { type: "layers", diff_ids: diffIds },
      history,
    };
    const configJson = Buffer.from(JSON.stringify(config));
    const configDigest = sha256(configJson);
    writeFileSync(join(blobs, configDigest), configJson);
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:" + configDigest, size: configJson.length },
      layers: layers.map((l) => ({ mediaType, digest: l.digest, size: l.compressedBytes })),
      annotations: { "org.opencontainers.image.created": created, "org.opencontainers.image.version": opts.tag },
    };
    const manifestJson = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = sha256(manifestJson);
    writeFileSync(join(blobs, manifestDigest), manifestJson);
    const index = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: manifest.mediaType,
          digest: "sha256:" + manifestDigest,
          size: manifestJson.length,
          platform: { architecture: "amd64", os: "linux" },
          annotations: { "org.opencontainers.image.ref.name": opts.tag },
        },
      ],
    };
    writeFileSync(join(layout, "index.json"), JSON.stringify(index));
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, tarLayer(layout));
    const compressedBytes = layers.reduce((s, l) => s + l.compressedBytes, 0) + configJson.length + manifestJson.length;
    const report: ImageReport = {
      archive: opts.out,
      archiveBytes: statSync(opts.out).size,
      compressedBytes,
      uncompressedBytes: layers.reduce((s, l) => s + l.uncompressedBytes, 0),
      manifestDigest: "sha256:" + manifestDigest,
      layers,
    };
    log(
      `image ${opts.out}: ${(compressedBytes / 1e6).toFixed(1)} MB compressed (${(compressedBytes / 1048576).toFixed(1)} ` +
        `MiB), ${(report.uncompressedBytes / 1e6).toFixed(1)} MB unpacked, manifest sha256:${manifestDigest.slice(0, 12)}`,
    );
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function parseArgs(argv: string[]): ImageOptions {
  const opts: ImageOptions = { out: join(ROOT, "dist/edgeclass-image.oci.tar"), tag: "", fast: false, zstd: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") opts.out = resolve(argv[++i]!);
    else if (a === "--tag") opts.tag = argv[++i]!;
    else if (a === "--fast") opts.fast = true;
    else if (a === "--zstd") opts.zstd = true;
    else if (a === "--keep-rootfs") opts.keepRootfs = resolve(argv[++i]!);
    else if (a === "--quiet") opts.quiet = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (!opts.tag) opts.tag = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  return opts;
}

if (import.meta.main) {
  const opts = parseArgs(process.argv.slice(2));
  const report = buildImage(opts);
  writeFileSync(opts.out.replace(/\.tar$/, "") + ".json", JSON.stringify(report, null, 2) + "\n");
  const inspect = spawnSync("skopeo", ["inspect", `oci-archive:${opts.out}`]);
  if (inspect.status === 0) {
    const info = JSON.parse(inspect.stdout.toString());
    console.log(`skopeo inspect: ${info.Architecture}/${info.Os}, ${info.Layers.length} layers, digest ${info.Digest}`);
  } else if (inspect.error) {
    console.log("skopeo not installed (apt-get install skopeo) - archive not inspected");
  } else {
    console.error(inspect.stderr.toString());
    process.exit(1);
  }
  console.log(
    `image size: ${(report.compressedBytes / 1048576).toFixed(1)} MiB compressed, ` +
      `${(report.uncompressedBytes / 1048576).toFixed(1)} MiB unpacked -> ${relative(process.cwd(), opts.out)}`,
  );
}
