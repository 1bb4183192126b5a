// npm run build:wasm [-- --out <dir>] [--no-image] [--no-transpile] [--force] [--all-builtins] [--bundle-only] [--check] [--json]
//
// Builds the policy decision service as a wasi:http/proxy component and a FROM-scratch OCI image:
//   1. an entry module importing every policies/*.rego as text (bundled at build time),
//   2. `Bun.build` (target browser, ESM, minified) of that entry + packages/policy-api + the Rego engine,
//      leaving out builtin families no bundled policy calls (`--all-builtins` keeps them all),
//   3. componentize-js (under Node) against packages/policy-api/wit -> education-platform.wasm
//      (skipped when the bundle, WIT and toolchain are unchanged since the last build: see .stamp),
//   4. an OCI image layout + oci-archive holding /education-platform.wasm and /config.json,
//      checked with `skopeo inspect` when skopeo is installed,
//   5. `jco transpile` of the component for the tests and the benchmark (cached by digest):
//      jco/ (one instance for every request) and jco-sync/ (`--instantiation sync`, for a
//      fresh instance per request as wasmtime serves it).
// Prints the component's raw and gzip sizes and the compressed image size.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { swapDir, transpile } from "./wasm/jco.ts";
import { writeOciImage, type BuiltImage } from "./wasm/oci.ts";

const ROOT = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const OUT = resolve(ROOT, option("--out") ?? "dist/wasm");
const JSON_OUT = flag("--json");
const log = (msg: string) => {
  if (!JSON_OUT) console.log(msg);
  else console.error(msg);
};

const VERSION = "0.1.0";
const COMPONENT = "education-platform.wasm";
const WARM_PATHS = ["education/allow", "education/deny_reasons", "education", ""];

function pkgVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The WASI 0.2.x version StarlingMonkey's engine imports (the world must name the same one). */
function engineWasiVersion(): string {
  const engine = readFileSync(join(ROOT, "node_modules", "@bytecodealliance", "componentize-js", "lib", "starlingmonkey_embedding.wasm"));
  const m = /wasi:http\/incoming-handler@(0\.2\.\d+)/.exec(engine.toString("latin1"));
  if (!m) throw new Error("cannot find the wasi:http version in componentize-js's engine");
  return m[1];
}

/** packages/policy-api/wit/world.wit + the WASI packages from jco's bundled WIT, renamed to `version`. */
function prepareWit(dir: string, version: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "deps"), { recursive: true });
  const world = readFileSync(join(ROOT, "packages", "policy-api", "wit", "world.wit"), "utf8").replaceAll("WASI_VERSION", version);
  writeFileSync(join(dir, "world.wit"), world);
  const builtin = join(ROOT, "node_modules", "@bytecodealliance", "jco", "lib", "wit", "builtin");
  // the newest 0.2.x snapshot jco ships with every package (0.2.x interfaces only add @since items)
  const snapshot = readdirSync(builtin)
    .filter((d) => /^0\.2\.\d+$/.test(d) && existsSync(join(builtin, d, "wasi-http")))
    .sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]))[0];
  if (snapshot === undefined) throw new Error(`no WASI 0.2 WIT with wasi-http under ${builtin}`);
  for (const pkg of readdirSync(join(builtin, snapshot))) {
    const text = readFileSync(join(builtin, snapshot, pkg, "package.wit"), "utf8").replaceAll(`@${snapshot}`, `@${version}`);
    mkdirSync(join(dir, "deps", pkg), { recursive: true });
    writeFileSync(join(dir, "deps", pkg, "package.wit"), text);
  }
}

// Builtin families the engine always needs (operators, count, sprintf, type tests, ...).
const CORE_FAMILIES = ["aggregates", "arrays", "comparison", "numbers", "objects", "sets", "strings", "types"];

/**
 * Policies are bundled at build time, so builtin families none of them calls can be left out
 * of the component (each adds SpiderMonkey heap to the Wizer snapshot). Returns the families
 * kept; `--all-builtins` keeps every family.
 */
async function builtinFamilies(policyTexts: readonly string[]): Promise<{ keep: Set<string>; all: string[] }> {
  const dir = join(ROOT, "packages", "rego", "src", "builtins");
  const index = readFileSync(join(dir, "index.ts"), "utf8");
  const all = [...index.matchAll(/import \{ (\w+)Builtins \} from "\.\/(\w+)\.ts";/g)].map((m) => m[2]);
  if (flag("--all-builtins")) return { keep: new Set(all), all };
  const called = new Set<string>();
  for (const text of policyTexts)
    for (const m of text.replace(/#.*$/gm, "").matchAll(/([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\(/g)) called.add(m[1]);
  const keep = new Set<string>();
  for (const fam of all) {
    if (CORE_FAMILIES.includes(fam)) {
      keep.add(fam);
      continue;
    }
    const mod = (await import(join(dir, `${fam}.ts`))) as Record<string, unknown>;
    const list = mod[`${fam}Builtins`];
    const names = Array.isArray(list) ? list.map((b) => (b as { name: string }).name) : null;
    if (names === null || names.some((n) => called.has(n))) keep.add(fam);
  }
  return { keep, all };
}

/**
 * Bun plugin: builtins/index.ts without the families in `drop` (falls back to the file as is if
 * its shape changed); when the encoding family (yaml.*) is dropped, the `yaml` package, still
 * reachable through strings -> template -> encoding helpers, becomes a stub that throws.
 */
function pruneBuiltins(drop: readonly string[]): import("bun").BunPlugin {
  return {
    name: "prune-builtin-families",
    setup(build) {
      if (drop.includes("encoding")) {
        build.onResolve({ filter: /^yaml$/ }, () => ({ path: "yaml-stub", namespace: "edgeclass-stub" }));
        build.onLoad({ filter: /^yaml-stub$/, namespace: "edgeclass-stub" }, () => ({
          contents:
            'const missing = () => { throw new Error("yaml.* builtins are not bundled: no bundled policy calls them (build ' +
            'with --all-builtins)"); };\n' +
            "export default { parse: missing, stringify: missing, parseDocument: missing, parseAllDocuments: missing };\n",
          loader: "js",
        }));
      }
      build.onLoad({ filter: /packages\/rego\/src\/builtins\/index\.ts$/ }, ({ path }) => {
        const original = readFileSync(path, "utf8");
        let text = original;
        for (const fam of drop) {
          text = text.replace(`import { ${fam}Builtins } from "./${fam}.ts";\n`, "");
          text = text.replace(new RegExp(`\\b${fam}Builtins,\\s*`), "");
        }
        const leftover = drop.some((fam) => text.includes(`${fam}Builtins`));
        if (leftover) log("warning: builtins/index.ts changed shape; every builtin family is bundled");
        return { contents: leftover ? original : text, loader: "ts" };
      });
    },
  };
}

async function bundle(
  buildDir: string,
  policies: readonly string[],
  wasiVersion: string,
): Promise<{ path: string; families: string[]; dropped: string[] }> {
  const entry = join(buildDir, "entry.ts");
  const imports = policies.map((p, i) => `import p${i} from ${JSON.stringify(join(ROOT, p))} with { type: "text" };`);
  const modules = policies.map((p, i) => `{ path: ${JSON.stringify(p)}, source: p${i} }`);
  writeFileSync(
    entry,
    [
      "// generated by scripts/build-wasm.ts: the policies bundled at build time",
      `import { configure, incomingHandler } from ${JSON.stringify(join(ROOT, "packages", "policy-api", "src", "component.ts"))};`,
      ...imports,
      `configure([${modules.join(", ")}], ${JSON.stringify(WARM_PATHS)});`,
      "export { incomingHandler };",
      "",
    ].join("\n"),
  );
  const { keep, all } = await builtinFamilies(policies.map((p) => readFileSync(join(ROOT, p), "utf8")));
  const dropped = all.filter((f) => !keep.has(f));
  const result = await Bun.build({
    entrypoints: [entry],
    target: "browser",
    format: "esm",
    minify: true,
    outdir: buildDir,
    naming: "policy-api.js",
    external: ["wasi:*"],
    plugins: [pruneBuiltins(dropped)],
    metafile: true,
  });
  if (result.metafile) writeFileSync(join(buildDir, "metafile.json"), JSON.stringify(result.metafile));
  if (!result.success) throw new Error(`bun build failed:\n${result.logs.map(String).join("\n")}`);
  const out = join(buildDir, "policy-api.js");
  // component.ts imports wasi:http/types@0.2.10; use the version this engine imports
  const js = readFileSync(out, "utf8");
  if (!js.includes("wasi:http/types@0.2.10")) throw new Error("the bundle does not import wasi:http/types@0.2.10");
  writeFileSync(out, js.replaceAll("wasi:http/types@0.2.10", `wasi:http/types@${wasiVersion}`));
  return { path: out, families: [...keep], dropped };
}

function componentize(source: string, witDir: string, out: string): { ms: number } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "NODE_EXTRA_CA_CERTS") env[k] = v;
  const r = spawnSync("node", [join(ROOT, "scripts", "wasm", "componentize.mjs"), source, witDir, "policy-api", out], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`componentize-js failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return { ms: (JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { ms: number }).ms };
}

function skopeoInspect(archive: string): { ok: boolean; text: string } {
  const which = spawnSync("sh", ["-c", "command -v skopeo"], { encoding: "utf8" });
  if (which.status !== 0) return { ok: false, text: "skopeo is not installed (apt-get install -y skopeo): image not inspected" };
  const r = spawnSync("skopeo", ["inspect", `oci-archive:${archive}`], { encoding: "utf8" });
  if (r.status !== 0) return { ok: false, text: `skopeo inspect failed: ${r.stderr}` };
  const raw = spawnSync("skopeo", ["inspect", "--raw", `oci-archive:${archive}`], { encoding: "utf8" });
  return { ok: true, text: r.stdout + (raw.status === 0 ? `\n--raw:\n${raw.stdout}` : "") };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

async function main(): Promise<void> {
  const started = performance.now();
  // intermediate files go to a directory of this process, swapped in as build/ at the end
  // (another build, test or benchmark may run at the same time in a shared workspace)
  const finalBuildDir = join(OUT, "build");
  const buildDir = `${finalBuildDir}.tmp-${process.pid}`;
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  process.on("exit", () => rmSync(buildDir, { recursive: true, force: true }));

  const policies = readdirSync(join(ROOT, "policies"))
    .filter((f) => f.endsWith(".rego") && !f.endsWith("_test.rego"))
    .sort()
    .map((f) => `policies/${f}`);
  log(`policies bundled: ${policies.join(", ")}`);

  const wasiVersion = engineWasiVersion();
  const bundled = await bundle(buildDir, policies, wasiVersion);
  const js = bundled.path;
  const jsBytes = readFileSync(js);
  log(
    `bundle: ${relative(ROOT, join(finalBuildDir, "policy-api.js"))} ${jsBytes.byteLength} bytes; builtin families left out ` +
      `(no bundled policy calls them): ${bundled.dropped.join(", ") || "none"}`,
  );
  if (flag("--bundle-only")) {
    swapDir(buildDir, finalBuildDir);
    return;
  }

  const witDir = join(buildDir, "wit");
  prepareWit(witDir, wasiVersion);

  const componentPath = join(OUT, COMPONENT);
  const stampPath = join(OUT, ".stamp");
  const toolchain = ["@bytecodealliance/componentize-js", "@bytecodealliance/jco"].map((p) => `${p}@${pkgVersion(p)}`).join(" ");
  const witText = readdirSync(witDir, { recursive: true })
    .map(String)
    .sort()
    .filter((f) => f.endsWith(".wit"))
    .map((f) => readFileSync(join(witDir, f), "utf8"))
    .join("\n");
  const stamp = sha256([sha256(jsBytes), sha256(witText), toolchain].join("\n"));
  if (flag("--check")) {
    // is dist/wasm built from the current sources? (exit 0 when fresh, 3 when not)
    const fresh = existsSync(componentPath) && existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp;
    console.log(JSON.stringify({ fresh, component: relative(ROOT, componentPath) }));
    process.exit(fresh ? 0 : 3);
  }
  let componentizeMs: number | null = null;
  if (!flag("--force") && existsSync(componentPath) && existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp) {
    log(`component: unchanged since the last build (${relative(ROOT, stampPath)}), not rebuilt`);
  } else {
    log(`componentize-js (${toolchain}, wasi ${wasiVersion}): this takes a minute or two...`);
    rmSync(stampPath, { force: true });
    const tmp = `${componentPath}.tmp-${process.pid}`;
    componentizeMs = componentize(js, witDir, tmp).ms;
    renameSync(tmp, componentPath);
    writeFileSync(stampPath, stamp);
    log(`component built in ${(componentizeMs / 1000).toFixed(1)} s`);
  }
  const component = new Uint8Array(readFileSync(componentPath));
  const gz = gzipSync(component, { level: 9 });
  const componentDigest = "sha256:" + sha256(component);

  // /config.json in the image: what was built and how it is served (read by operators, not by the component).
  const config = {
    name: "education-platform",
    version: VERSION,
    world: `wasi:http/proxy@${wasiVersion}`,
    component: `/${COMPONENT}`,
    componentDigest,
    api: { data: ["GET /v1/data[/<path>]", "POST /v1/data[/<path>]"], health: "GET /health" },
    policies: policies.map((p) => ({ path: p, sha256: sha256(readFileSync(join(ROOT, p))) })),
    toolchain,
  };
  const configJson = JSON.stringify(config, null, 2) + "\n";
  writeFileSync(join(OUT, "config.json"), configJson);

  let image: BuiltImage | null = null;
  let inspect: { ok: boolean; text: string } | null = null;
  if (!flag("--no-image")) {
    const created = Number(process.env.SOURCE_DATE_EPOCH ?? 0);
    image = writeOciImage(join(OUT, "oci"), join(OUT, "education-platform.oci.tar"), {
      files: [
        { name: COMPONENT, data: component, mode: 0o755 },
        { name: "config.json", data: new TextEncoder().encode(configJson) },
      ],
      entrypoint: [`/${COMPONENT}`],
      exposedPorts: ["8080/tcp"],
      labels: {
        "org.opencontainers.image.title": "education-platform",
        "org.opencontainers.image.version": VERSION,
        "org.opencontainers.image.description": "EdgeClass policy decision service (OPA Data API) as a wasi:http/proxy component",
      },
      os: "wasi",
      architecture: "wasm",
      tag: VERSION,
      created,
    });
    inspect = skopeoInspect(image.archive);
    log(inspect.ok ? `skopeo inspect oci-archive:${relative(ROOT, image.archive)}: ok` : inspect.text);
    if (inspect.ok) writeFileSync(join(OUT, "skopeo-inspect.txt"), inspect.text);
  }

  let transpiled: { ms: number; cached: boolean } | null = null;
  if (!flag("--no-transpile")) {
    const t = transpile(componentPath, join(OUT, "jco"));
    const fresh = transpile(componentPath, join(OUT, "jco-sync"), { instantiation: "sync" });
    transpiled = { ms: t.ms + fresh.ms, cached: t.cached && fresh.cached };
    log(
      `jco transpile -> ${relative(ROOT, t.dir)}, ${relative(ROOT, fresh.dir)} (--instantiation sync) ` +
        `(${transpiled.cached ? "cached" : `${transpiled.ms} ms`})`,
    );
  }

  const info = {
    component: {
      path: relative(ROOT, componentPath),
      bytes: component.byteLength,
      gzipBytes: gz.byteLength,
      digest: componentDigest,
      componentizeMs,
    },
    bundle: {
      path: relative(ROOT, join(finalBuildDir, "policy-api.js")),
      bytes: jsBytes.byteLength,
      builtinFamilies: bundled.families,
      builtinFamiliesLeftOut: bundled.dropped,
    },
    image: image
      ? {
          layout: relative(ROOT, image.layoutDir),
          archive: relative(ROOT, image.archive),
          manifestDigest: image.manifestDigest,
          layerBytes: image.layer.size,
          layerUncompressedBytes: image.layer.uncompressedSize,
          compressedBytes: image.compressedSize,
          under5MB: image.compressedSize < 5 * 1000 * 1000,
          skopeo: inspect?.ok ?? false,
        }
      : null,
    transpiled,
    totalMs: Math.round(performance.now() - started),
  };
  swapDir(buildDir, finalBuildDir);
  writeFileSync(join(OUT, `build-info.json.tmp-${process.pid}`), JSON.stringify(info, null, 2) + "\n");
  renameSync(join(OUT, `build-info.json.tmp-${process.pid}`), join(OUT, "build-info.json"));
  if (JSON_OUT) {
    console.log(JSON.stringify(info));
    return;
  }
  console.log("");
  console.log(
    `component  ${info.component.path}: ${component.byteLength} bytes raw (${mb(component.byteLength)}), ${gz.byteLength} ` +
      `bytes gzip -9 (${mb(gz.byteLength)})`,
  );
  if (image) {
    console.log(
      `image      ${relative(ROOT, image.archive)} (oci-archive) and ${relative(ROOT, image.layoutDir)} (oci layout), FROM ` +
        `scratch, tag ${VERSION}`,
    );
    console.log(
      `           compressed size ${image.compressedSize} bytes (${mb(image.compressedSize)}): layer ${image.layer.size} + ` +
        `config ${image.config.size} + manifest ${image.manifestSize}; ${info.image?.under5MB ? "under" : "NOT under"} 5 MB`,
    );
    console.log(`           manifest ${image.manifestDigest}`);
  }
}

await main();
