// The Gatekeeper policy for the education namespace, evaluated by the project's own Rego engine:
// the gator suites pass, and every object both overlays render is admitted with zero violations.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadTemplate, review } from "../../../rego/src/cli/verify.ts";
import { DEPLOY, OVERLAYS, ROOT, WASM_DIR, find, kustomize, readYaml, run, type Obj } from "./support.ts";

const SLOW = 60_000;

const GK = join(DEPLOY, "gatekeeper");
const templateDirs = readdirSync(join(GK, "templates")).sort();
const templates = templateDirs.map((d) => ({
  dir: d,
  path: join(GK, "templates", d, "template.yaml"),
  doc: readYaml(join(GK, "templates", d, "template.yaml"))[0]!,
}));
const constraints = readYaml(join(GK, "constraints/kustomization.yaml"))[0]!.resources.map(
  (f: string) => readYaml(join(GK, "constraints", f))[0]!,
) as Obj[];

function templateFor(c: Obj) {
  const t = templates.find((t) => t.doc.spec.crd.spec.names.kind === c.kind);
  if (!t) throw new Error(`no template for ${c.kind}`);
  return t;
}

function reviewAll(objs: Obj[]): string[] {
  const out: string[] = [];
  for (const c of constraints) {
    const t = loadTemplate(templateFor(c).path);
    for (const o of objs) for (const v of review(t, c, o, objs)) out.push(`${c.metadata.name}: ${o.kind}/${o.metadata.name}: ${v.msg}`);
  }
  return out;
}

describe("Gatekeeper suites", () => {
  test(
    "npm run rego -- verify deploy/gatekeeper: every case passes",
    () => {
      const r = run(process.execPath, [join(ROOT, "packages/rego/src/cli/main.ts"), "verify", "deploy/gatekeeper", "--json"]);
      const res = JSON.parse(r.stdout.trim().split("\n").pop()!);
      expect(res.failures).toEqual([]);
      expect(res.failed).toBe(0);
      const cases = templateDirs.reduce(
        (n, d) => n + readYaml(join(GK, "templates", d, "suite.yaml"))[0]!.tests.reduce((m: number, t: Obj) => m + t.cases.length, 0),
        0,
      );
      expect(res.passed).toBe(cases);
      expect(r.status).toBe(0);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "each template has a suite with allowed and disallowed cases against the shipped constraint",
    () => {
      for (const { dir } of templates) {
        const suite = readYaml(join(GK, "templates", dir, "suite.yaml"))[0]!;
        expect(suite.kind).toBe("Suite");
        expect(suite.apiVersion).toBe("test.gatekeeper.sh/v1alpha1");
        const cases = suite.tests.flatMap((t: Obj) => t.cases);
        expect(cases.some((c: Obj) => c.assertions.some((a: Obj) => a.violations === "no"))).toBe(true);
        expect(cases.some((c: Obj) => c.assertions.some((a: Obj) => a.violations !== "no"))).toBe(true);
        expect(suite.tests.some((t: Obj) => String(t.constraint).startsWith("../../constraints/"))).toBe(true);
      }
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "kubectl kustomize renders the templates and the constraints for `kubectl apply -k`",
    () => {
      const t = kustomize("deploy/gatekeeper");
      expect(t.map((o) => o.kind)).toEqual(Array(templates.length).fill("ConstraintTemplate"));
      const c = kustomize("deploy/gatekeeper/constraints");
      expect(c.map((o) => o.kind).sort()).toEqual(constraints.map((x) => x.kind).sort());
      // a constraint's kind is its template's CRD kind, and the template's name is that kind in lower case
      for (const tpl of t) expect(tpl.metadata.name).toBe(tpl.spec.crd.spec.names.kind.toLowerCase());
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the shared pod-spec library is the same in every template",
    () => {
      const libs = templates.map((t) => t.doc.spec.targets[0].libs[0]);
      for (const l of libs) expect(l).toBe(libs[0]);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "constraint parameters follow their template's schema (a misspelt parameter fails here)",
    () => {
      const check = (schema: Obj, value: unknown, path: string, errors: string[]) => {
        if (schema.type === "object") {
          if (typeof value !== "object" || value === null || Array.isArray(value)) return errors.push(`${path}: not an object`);
          for (const [k, v] of Object.entries(value)) {
            if (!schema.properties?.[k]) errors.push(`${path}.${k}: not in the template's schema`);
            else check(schema.properties[k], v, `${path}.${k}`, errors);
          }
        } else if (schema.type === "array") {
          if (!Array.isArray(value)) return errors.push(`${path}: not an array`);
          value.forEach((v, i) => check(schema.items, v, `${path}[${i}]`, errors));
        } else if (schema.type === "string" && typeof value !== "string") errors.push(`${path}: not a string`);
        else if (schema.type === "boolean" && typeof value !== "boolean") errors.push(`${path}: not a boolean`);
        else if (schema.type === "integer" && !Number.isInteger(value)) errors.push(`${path}: not an integer`);
      };
      const errors: string[] = [];
      for (const c of constraints) {
        expect(c.apiVersion).toBe("constraints.gatekeeper.sh/v1beta1");
        expect(c.spec.match.namespaces).toEqual(["education"]);
        check(templateFor(c).doc.spec.crd.spec.validation.openAPIV3Schema, c.spec.parameters, c.metadata.name, errors);
      }
      expect(errors).toEqual([]);
      expect(constraints.map((c) => c.kind).sort()).toEqual(templates.map((t) => t.doc.spec.crd.spec.names.kind).sort());
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("rendered overlays against the constraints", () => {
  test.each(OVERLAYS)(
    "%s: zero violations",
    (dir) => {
      expect(reviewAll(kustomize(dir))).toEqual([]);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the Wasm policy service (deploy/k3s/wasm): zero violations; the same pod without its Wasm label is refused",
    () => {
      const objs = structuredClone(kustomize(WASM_DIR));
      expect(reviewAll(objs)).toEqual([]);
      const d = objs.find((o) => o.kind === "Deployment")!;
      delete d.spec.template.metadata.labels["edgeclass.io/runtime"];
      expect(reviewAll(objs).join("\n")).toContain(
        `education-wasm-runtime: Deployment/${d.metadata.name}: runtimeClassName <wasmtime> is for Wasm workloads only`,
      );
    },
    SLOW,
  ); // the machine may be shared and busy

  test.each(OVERLAYS)(
    "%s: every constraint reviews at least one rendered object",
    (dir) => {
      const objs = kustomize(dir);
      for (const c of constraints) {
        const kinds: Obj[] = c.spec.match.kinds;
        const matched = objs.filter((o) => o.metadata.namespace === "education" && kinds.some((k) => k.kinds.includes(o.kind)));
        expect(matched.length).toBeGreaterThan(0);
      }
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the review is not vacuous: the server StatefulSet over budget, without probes, privileged, off-registry is refused",
    () => {
      const objs = structuredClone(kustomize(OVERLAYS[1]));
      const d = find(objs, "StatefulSet", "edgeclass");
      const c = d.spec.template.spec.containers[0];
      c.resources.limits.cpu = "2";
      delete c.readinessProbe;
      c.securityContext.privileged = true;
      c.image = "docker.io/someone/edgeclass:latest";
      d.spec.template.spec.runtimeClassName = "wasmedge";
      delete d.spec.template.metadata.labels["edgeclass.io/media"];
      const v = reviewAll(objs).join("\n");
      for (const name of [
        "education-edge-budget",
        "education-probes",
        "education-pod-security",
        "education-allowed-repos",
        "education-host-network",
        "education-wasm-runtime",
      ]) {
        expect(v).toContain(`${name}: StatefulSet/edgeclass`);
      }
      const redis = find(objs, "StatefulSet", "edgeclass-redis");
      delete redis.metadata.labels["app.kubernetes.io/name"];
      expect(reviewAll(objs).join("\n")).toContain("education-required-labels: StatefulSet/edgeclass-redis");
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "media and TURN get exactly what they need: no CPU limit with a big request, hostNetwork for coturn only",
    () => {
      const fresh = () => structuredClone(kustomize(OVERLAYS[1]));
      // The media StatefulSet on the host network instead of host ports: refused.
      let objs = fresh();
      find(objs, "StatefulSet", "edgeclass").spec.template.spec.hostNetwork = true;
      expect(reviewAll(objs).join("\n")).toContain(
        "education-host-network: StatefulSet/edgeclass: hostNetwork is allowed only for pods labelled",
      );
      // No CPU limit and a small request: refused; the same pod without the media label: refused too.
      objs = fresh();
      find(objs, "StatefulSet", "edgeclass").spec.template.spec.containers[0].resources.requests.cpu = "500m";
      expect(reviewAll(objs).join("\n")).toContain(
        "education-edge-budget: StatefulSet/edgeclass: container <server> has no cpu limit, so it must request at least <2> cpu",
      );
      objs = fresh();
      delete find(objs, "StatefulSet", "edgeclass").spec.template.metadata.labels["edgeclass.io/media"];
      const v = reviewAll(objs).join("\n");
      expect(v).toContain("education-edge-budget: StatefulSet/edgeclass: container <server> has no cpu limit");
      expect(v).toContain("education-host-network: StatefulSet/edgeclass: container <server> host port");
      // Over 2Gi for a media pod: refused.
      objs = fresh();
      find(objs, "StatefulSet", "edgeclass").spec.template.spec.containers[0].resources.limits.memory = "4Gi";
      expect(reviewAll(objs).join("\n")).toContain("memory limit <4Gi> is over the edge budget of <2Gi>");
      // coturn without its TURN label may not use the host network.
      objs = fresh();
      find(objs, "DaemonSet", "edgeclass-turn").spec.template.metadata.labels["app.kubernetes.io/component"] = "server";
      expect(reviewAll(objs).join("\n")).toContain("education-host-network: DaemonSet/edgeclass-turn: hostNetwork is allowed only");
    },
    SLOW,
  ); // the machine may be shared and busy
});
