// A `FROM scratch` OCI image written without a container engine: one gzip'd tar layer holding
// the files given, an image config, a manifest, and an OCI image layout (oci-layout, index.json,
// blobs/sha256/...) plus the same layout as a single tar (an `oci-archive:`). Deterministic:
// fixed timestamps, sorted entries, gzip without a name or mtime.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface ImageFile {
  /** path inside the image, without a leading slash */
  name: string;
  data: Uint8Array;
  mode?: number;
}

export interface ImageSpec {
  files: readonly ImageFile[];
  /** e.g. ["/education-platform.wasm"] */
  entrypoint: readonly string[];
  exposedPorts?: readonly string[];
  labels?: Record<string, string>;
  env?: readonly string[];
  /** OCI platform of the image (runwasi's images say wasi/wasm) */
  os: string;
  architecture: string;
  /** reference name stored in index.json (org.opencontainers.image.ref.name) */
  tag: string;
  /** seconds since the epoch for every timestamp (SOURCE_DATE_EPOCH) */
  created: number;
}

export interface BuiltImage {
  layoutDir: string;
  archive: string;
  manifestDigest: string;
  layer: { digest: string; size: number; uncompressedSize: number };
  config: { digest: string; size: number };
  manifestSize: number;
  /** what a registry transfers: compressed layer + config + manifest */
  compressedSize: number;
}

function sha256(data: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(data).digest("hex");
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

/** One ustar header (512 bytes) for a regular file or directory. */
function tarHeader(name: string, size: number, mode: number, mtime: number, type: "0" | "5"): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, off: number, len: number) => h.set(new TextEncoder().encode(s).subarray(0, len), off);
  if (name.length > 100) throw new Error(`tar name too long: ${name}`);
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put("        ", 148, 8); // checksum placeholder
  put(type, 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

export function tar(entries: readonly ImageFile[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    parts.push(tarHeader(e.name, e.data.byteLength, e.mode ?? 0o644, mtime, "0"), e.data);
    const pad = (512 - (e.data.byteLength % 512)) % 512;
    if (pad > 0) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024)); // two zero blocks end the archive
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export function writeOciImage(outDir: string, archivePath: string, spec: ImageSpec): BuiltImage {
  const layerTar = tar(spec.files, spec.created);
  const layerGz = new Uint8Array(gzipSync(layerTar, { level: 9 }));
  const diffId = sha256(layerTar);
  const layerDigest = sha256(layerGz);
  const createdIso = new Date(spec.created * 1000).toISOString().replace(/\.000Z$/, "Z");

  const config = enc({
    created: createdIso,
    architecture: spec.architecture,
    os: spec.os,
    config: {
      Entrypoint: spec.entrypoint,
      ...(spec.env && spec.env.length > 0 ? { Env: spec.env } : {}),
      ...(spec.exposedPorts ? { ExposedPorts: Object.fromEntries(spec.exposedPorts.map((p) => [p, {}])) } : {}),
      ...(spec.labels ? { Labels: spec.labels } : {}),
    },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created: createdIso, created_by: "scripts/build-wasm.ts (FROM scratch; COPY the component and config.json)" }],
  });
  const configDigest = sha256(config);

  const manifest = enc({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.byteLength },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layerGz.byteLength }],
    annotations: { "org.opencontainers.image.created": createdIso, ...(spec.labels ?? {}) },
  });
  const manifestDigest = sha256(manifest);

  const index = enc({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: manifestDigest,
        size: manifest.byteLength,
        platform: { architecture: spec.architecture, os: spec.os },
        annotations: { "org.opencontainers.image.ref.name": spec.tag },
      },
    ],
  });
  const layout = enc({ imageLayoutVersion: "1.0.0" });

  // written next to outDir and swapped in (see swapDir in jco.ts): readers never see it half-written
  const finalDir = outDir;
  outDir = `${finalDir}.tmp-${process.pid}`;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, "blobs", "sha256"), { recursive: true });
  const blobs: [string, Uint8Array][] = [
    [layerDigest, layerGz],
    [configDigest, config],
    [manifestDigest, manifest],
  ];
  for (const [d, data] of blobs) writeFileSync(join(outDir, "blobs", "sha256", d.slice(7)), data);
  writeFileSync(join(outDir, "index.json"), index);
  writeFileSync(join(outDir, "oci-layout"), layout);

  // The same layout as one tar: skopeo reads it as oci-archive:<file>.
  const archive = tar(
    [
      { name: "oci-layout", data: layout },
      { name: "index.json", data: index },
      ...blobs.map(([d, data]) => ({ name: `blobs/sha256/${d.slice(7)}`, data })),
    ],
    spec.created,
  );
  writeFileSync(`${archivePath}.tmp-${process.pid}`, archive);
  renameSync(`${archivePath}.tmp-${process.pid}`, archivePath);
  const old = `${finalDir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(finalDir)) renameSync(finalDir, old);
  renameSync(outDir, finalDir);
  rmSync(old, { recursive: true, force: true });
  outDir = finalDir;

  return {
    layoutDir: outDir,
    archive: archivePath,
    manifestDigest,
    layer: { digest: layerDigest, size: layerGz.byteLength, uncompressedSize: layerTar.byteLength },
    config: { digest: configDigest, size: config.byteLength },
    manifestSize: manifest.byteLength,
    compressedSize: layerGz.byteLength + config.byteLength + manifest.byteLength,
  };
}
