// deploy/k3s/wasm renders, passes the Kubernetes schemas, runs under the wasmtime RuntimeClass
// the base ships, and matches the image `npm run build:wasm` writes (entrypoint, port).
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { find, kustomize, readYaml, validateSchemas, type Obj } from "../deploy/support.ts";
import { ARTEFACT_DIR, ensureArtefact, ROOT } from "./support.ts";

// The jco host starts slowly (V8 tiers a 15 MB module up) on a shared, busy machine.
const SLOW = 60_000;

const objs = kustomize("deploy/k3s/wasm");

test(
  "the Deployment runs the component under the wasmtime RuntimeClass, probed on /health",
  async () => {
    expect(await validateSchemas(objs)).toEqual([]);
    const d = find(objs, "Deployment", "education-platform-wasm");
    const pod = d.spec.template.spec as Obj;
    expect(pod.runtimeClassName).toBe("wasmtime");
    expect(d.spec.template.metadata.labels["edgeclass.io/runtime"]).toBe("wasm");
    const c = pod.containers[0] as Obj;
    expect(c.image).toBe("registry.example.com/edgeclass/education-platform:0.1.0");
    expect(c.ports[0].containerPort).toBe(8080);
    expect(c.readinessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    const runtimeClasses = readYaml(join(ROOT, "deploy/k3s/base/runtimeclasses.yaml"));
    expect(runtimeClasses.find((r) => r.metadata.name === "wasmtime")?.handler).toBe("wasmtime");
    expect(find(objs, "Service", "education-platform-wasm").spec.type).toBe("ClusterIP");
    expect(find(objs, "NetworkPolicy", "education-platform-wasm").spec.podSelector.matchLabels).toEqual(d.spec.selector.matchLabels);
  },
  SLOW,
);

test("the image: FROM scratch (one layer), wasi/wasm, the component as entrypoint, port 8080, under 5 MB compressed", () => {
  const info = ensureArtefact();
  const blob = (digest: string) => readFileSync(join(ARTEFACT_DIR, "oci", "blobs", "sha256", digest.replace("sha256:", "")));
  const index = JSON.parse(readFileSync(join(ARTEFACT_DIR, "oci", "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString()) as { config: { digest: string }; layers: { size: number }[] };
  const config = JSON.parse(blob(manifest.config.digest).toString()) as {
    os: string;
    architecture: string;
    config: { Entrypoint: string[]; ExposedPorts: Record<string, unknown> };
  };
  expect(manifest.layers).toHaveLength(1);
  expect([config.os, config.architecture]).toEqual(["wasi", "wasm"]);
  expect(config.config.Entrypoint).toEqual(["/education-platform.wasm"]);
  expect(Object.keys(config.config.ExposedPorts)).toEqual(["8080/tcp"]);
  expect(info.image?.compressedBytes).toBeLessThan(5_000_000);
}, 600_000); // builds dist/wasm when absent (1-2 min)
