// `rego verify <dir>`: runs Gatekeeper test suites (test.gatekeeper.sh/v1alpha1
// Suite, as `gator verify` does) with this engine.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { compile, RegoError, type PreparedQuery, type Value } from "../index.ts";
import { RegoSet } from "../value.ts";
import { findFiles, relativeTo } from "./files.ts";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function loadYamlDocs(path: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(path, "utf8"));
  const out: Obj[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    const js = d.toJS() as unknown;
    if (isObj(js)) out.push(js);
  }
  return out;
}

// ------------------------------------------------------------------ templates

export interface CompiledTemplate {
  kind: string;
  pkg: string;
  violation: PreparedQuery;
  /** spec.crd.spec.validation.openAPIV3Schema: the schema of the constraint's parameters */
  schema: Obj | null;
}

const templateCache = new Map<string, CompiledTemplate>();

export function loadTemplate(path: string): CompiledTemplate {
  const cached = templateCache.get(path);
  if (cached) return cached;
  const doc = loadYamlDocs(path)[0];
  const spec = (doc?.spec ?? {}) as Obj;
  const kind = String(((((spec.crd as Obj)?.spec as Obj)?.names as Obj)?.kind as string) ?? "");
  const target = ((spec.targets as Obj[]) ?? [])[0] ?? {};
  let rego: string | undefined = target.rego as string | undefined;
  let libs: string[] = (target.libs as string[]) ?? [];
  for (const c of (target.code as Obj[]) ?? []) {
    if (c.engine === "Rego" && isObj(c.source)) {
      rego = (c.source.rego as string) ?? rego;
      libs = (c.source.libs as string[]) ?? libs;
    }
  }
  if (!rego) throw new Error(`${path}: template has no Rego source`);
  const modules = [{ path: `${path}#rego`, source: rego }, ...libs.map((l, i) => ({ path: `${path}#libs[${i}]`, source: l }))];
  const policy = compile(modules);
  const pkg = policy.modules[0].pkg.slice(1).join(".");
  const violation = policy.prepare(`data.${pkg}.violation`);
  const validation = (((spec.crd as Obj)?.spec as Obj)?.validation as Obj) ?? {};
  const schema = isObj(validation.openAPIV3Schema) ? validation.openAPIV3Schema : null;
  const t: CompiledTemplate = { kind, pkg, violation, schema };
  templateCache.set(path, t);
  return t;
}

// ------------------------------------------------------------------ parameters

/** structural OpenAPI v3 check of constraint parameters (types, properties, items, enum) */
function schemaErrors(schema: unknown, v: unknown, path = "spec.parameters"): string[] {
  if (!isObj(schema) || v === undefined || v === null) return [];
  const errs: string[] = [];
  const type = schema.type;
  const typeOk = (): boolean => {
    switch (type) {
      case "object":
        return isObj(v);
      case "array":
        return Array.isArray(v);
      case "string":
        return typeof v === "string";
      case "integer":
        return typeof v === "number" && Number.isInteger(v);
      case "number":
        return typeof v === "number";
      case "boolean":
        return typeof v === "boolean";
      default:
        return true;
    }
  };
  if (typeof type === "string" && !typeOk() && schema["x-kubernetes-int-or-string"] !== true) {
    return [`${path}: expected ${type}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
    errs.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  if (isObj(v) && isObj(schema.properties)) {
    for (const [k, sub] of Object.entries(schema.properties)) errs.push(...schemaErrors(sub, v[k], `${path}.${k}`));
  }
  if (Array.isArray(v) && isObj(schema.items)) v.forEach((x, i) => errs.push(...schemaErrors(schema.items, x, `${path}[${i}]`)));
  return errs;
}

// ------------------------------------------------------------------ reviews

function gvk(obj: Obj): { group: string; version: string; kind: string } {
  const apiVersion = String(obj.apiVersion ?? "");
  const i = apiVersion.indexOf("/");
  return {
    group: i < 0 ? "" : apiVersion.slice(0, i),
    version: i < 0 ? apiVersion : apiVersion.slice(i + 1),
    kind: String(obj.kind ?? ""),
  };
}

/** the `input.review` Gatekeeper builds for an object or an AdmissionReview */
function toReview(obj: Obj): Obj {
  if (obj.kind === "AdmissionReview" && isObj(obj.request)) {
    const req = { ...obj.request };
    if (!req.object && req.oldObject && req.operation === "DELETE") req.object = req.oldObject;
    return req;
  }
  // as Gatekeeper's unstructuredToAdmissionRequest, encoded like Go's AdmissionRequest
  const meta = (obj.metadata ?? {}) as Obj;
  const review: Obj = {
    uid: "",
    kind: gvk(obj),
    resource: { group: "", version: "", resource: "" },
    operation: "",
    userInfo: {},
    object: obj,
  };
  if (typeof meta.name === "string" && meta.name !== "") review.name = meta.name;
  if (typeof meta.namespace === "string" && meta.namespace !== "") review.namespace = meta.namespace;
  return review;
}

// ------------------------------------------------------------------ inventory

function buildInventory(objs: Obj[]): Obj {
  const cluster: Obj = {};
  const namespace: Obj = {};
  const put = (root: Obj, keys: string[], v: unknown): void => {
    let cur = root;
    for (let i = 0; i < keys.length - 1; i++) {
      if (!isObj(cur[keys[i]])) cur[keys[i]] = {};
      cur = cur[keys[i]] as Obj;
    }
    cur[keys[keys.length - 1]] = v;
  };
  for (const o of objs) {
    const meta = (o.metadata ?? {}) as Obj;
    const apiVersion = String(o.apiVersion ?? "");
    const kind = String(o.kind ?? "");
    const name = String(meta.name ?? "");
    if (typeof meta.namespace === "string" && meta.namespace !== "") put(namespace, [meta.namespace, apiVersion, kind, name], o);
    else put(cluster, [apiVersion, kind, name], o);
  }
  return { cluster, namespace };
}

// ------------------------------------------------------------------ match

function globMatch(pattern: string, s: string): boolean {
  if (pattern.endsWith("*")) return s.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return s.endsWith(pattern.slice(1));
  return pattern === s;
}

function labelsMatch(sel: unknown, labels: Obj): boolean {
  if (!isObj(sel)) return true;
  const ml = (sel.matchLabels ?? {}) as Obj;
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of (sel.matchExpressions as Obj[]) ?? []) {
    const key = String(e.key);
    const values = ((e.values as unknown[]) ?? []).map(String);
    const has = Object.hasOwn(labels, key);
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(String(labels[key]))) return false;
        break;
      case "NotIn":
        if (has && values.includes(String(labels[key]))) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Gatekeeper's spec.match semantics for one object */
function matches(match: unknown, obj: Obj, review: Obj, inventory: Obj[]): boolean {
  if (!isObj(match)) return true;
  const meta = (obj.metadata ?? {}) as Obj;
  const k = isObj(review.kind) ? (review.kind as { group: string; kind: string }) : { ...gvk(obj) };
  const kinds = match.kinds as Obj[] | undefined;
  if (Array.isArray(kinds) && kinds.length > 0) {
    const ok = kinds.some((kk) => {
      const groups = ((kk.apiGroups as string[]) ?? ["*"]).map(String);
      const ks = ((kk.kinds as string[]) ?? ["*"]).map(String);
      return (groups.includes("*") || groups.includes(k.group)) && (ks.includes("*") || ks.includes(k.kind));
    });
    if (!ok) return false;
  }
  const isNamespace = k.kind === "Namespace" && k.group === "";
  const ns = isNamespace ? String(meta.name ?? review.name ?? "") : String(meta.namespace ?? review.namespace ?? "");
  const scope = match.scope as string | undefined;
  if (scope === "Cluster" && ns !== "" && !isNamespace) return false;
  if (scope === "Namespaced" && (ns === "" || isNamespace)) return false;
  const nss = match.namespaces as string[] | undefined;
  if (Array.isArray(nss) && ns !== "" && !nss.some((p) => globMatch(String(p), ns))) return false;
  const ex = match.excludedNamespaces as string[] | undefined;
  if (Array.isArray(ex) && ns !== "" && ex.some((p) => globMatch(String(p), ns))) return false;
  if (typeof match.name === "string" && !globMatch(match.name, String(meta.name ?? ""))) return false;
  if (match.labelSelector !== undefined && !labelsMatch(match.labelSelector, (meta.labels ?? {}) as Obj)) return false;
  if (match.namespaceSelector !== undefined) {
    let nsLabels: Obj | null = null;
    if (isNamespace) nsLabels = (meta.labels ?? {}) as Obj;
    else if (ns !== "") {
      const nsObj = inventory.find((o) => o.kind === "Namespace" && ((o.metadata ?? {}) as Obj).name === ns);
      nsLabels = nsObj ? ((((nsObj.metadata ?? {}) as Obj).labels ?? {}) as Obj) : null;
    } else nsLabels = null;
    if (nsLabels === null) {
      if (!isNamespace && ns === "") return true; // cluster-scoped objects are not filtered by namespaceSelector
      return false;
    }
    if (!labelsMatch(match.namespaceSelector, nsLabels)) return false;
  }
  return true;
}

// ------------------------------------------------------------------ run

export interface Violation {
  msg: string;
  details?: unknown;
}

export function review(t: CompiledTemplate, constraint: Obj, obj: Obj, inventoryObjs: Obj[]): Violation[] {
  const rev = toReview(obj);
  const target = (isObj(rev.object) ? rev.object : obj) as Obj;
  const spec = (constraint.spec ?? {}) as Obj;
  if (!matches(spec.match, target, rev, inventoryObjs)) return [];
  const input = { review: rev, parameters: (spec.parameters ?? {}) as Obj } as unknown as Value;
  const data = { inventory: buildInventory(inventoryObjs) } as unknown as Value;
  const v = t.violation.evaluate(input, data);
  const out: Violation[] = [];
  if (v instanceof RegoSet) {
    for (const x of v.sorted()) {
      const o = x as Obj;
      out.push({ msg: typeof o?.msg === "string" ? o.msg : JSON.stringify(o?.msg ?? ""), details: o?.details });
    }
  }
  return out;
}

export interface CaseResult {
  suite: string;
  test: string;
  case: string;
  ok: boolean;
  skipped?: boolean;
  reason?: string;
}

function runSuite(suitePath: string, root: string): CaseResult[] {
  const results: CaseResult[] = [];
  const suite = loadYamlDocs(suitePath)[0] ?? {};
  const base = dirname(suitePath);
  const rel = relativeTo(root, suitePath);
  for (const test of (suite.tests as Obj[]) ?? []) {
    const testName = String(test.name ?? "");
    if (test.skip === true || suite.skip === true) {
      for (const c of (test.cases as Obj[]) ?? [{ name: "" }])
        results.push({ suite: rel, test: testName, case: String(c.name ?? ""), ok: true, skipped: true });
      continue;
    }
    let t: CompiledTemplate;
    let constraint: Obj;
    try {
      t = loadTemplate(join(base, String(test.template)));
      constraint = loadYamlDocs(join(base, String(test.constraint)))[0] ?? {};
      const bad = schemaErrors(t.schema, (constraint.spec as Obj | undefined)?.parameters);
      if (bad.length > 0) throw new Error(`constraint does not match the template's schema: ${bad.join("; ")}`);
      if (t.kind && constraint.kind !== undefined && constraint.kind !== t.kind)
        throw new Error(`constraint kind ${String(constraint.kind)} does not match template kind ${t.kind}`);
    } catch (e) {
      if (test.invalid === true) {
        results.push({ suite: rel, test: testName, case: "(invalid constraint)", ok: true });
        continue;
      }
      for (const c of (test.cases as Obj[]) ?? [])
        results.push({ suite: rel, test: testName, case: String(c.name ?? ""), ok: false, reason: errText(e) });
      continue;
    }
    if (test.invalid === true) {
      results.push({
        suite: rel,
        test: testName,
        case: "(invalid constraint)",
        ok: false,
        reason: "expected the constraint to be rejected, but it was accepted",
      });
      continue;
    }
    for (const c of (test.cases as Obj[]) ?? []) {
      const caseName = String(c.name ?? "");
      if (c.skip === true) {
        results.push({ suite: rel, test: testName, case: caseName, ok: true, skipped: true });
        continue;
      }
      try {
        const obj = loadYamlDocs(join(base, String(c.object)))[0] ?? {};
        const inv: Obj[] = [];
        for (const f of (c.inventory as string[]) ?? []) inv.push(...loadYamlDocs(join(base, f)));
        const violations = review(t, constraint, obj, inv);
        const problems: string[] = [];
        for (const a of (c.assertions as Obj[]) ?? [{}]) {
          let relevant = violations;
          if (typeof a.message === "string") {
            const re = new RegExp(a.message);
            relevant = violations.filter((v) => re.test(v.msg));
          }
          const want = a.violations ?? "yes";
          const n = relevant.length;
          let ok: boolean;
          if (want === "yes" || want === true) ok = n > 0;
          else if (want === "no" || want === false) ok = n === 0;
          else ok = n === Number(want);
          if (!ok) {
            problems.push(
              `want violations: ${String(want)}${a.message ? ` matching /${String(a.message)}/` : ""}, got ` +
                `${n}${violations.length ? ` [${violations.map((v) => JSON.stringify(v.msg)).join(", ")}]` : ""}`,
            );
          }
        }
        results.push({ suite: rel, test: testName, case: caseName, ok: problems.length === 0, reason: problems.join("; ") || undefined });
      } catch (e) {
        results.push({ suite: rel, test: testName, case: caseName, ok: false, reason: errText(e) });
      }
    }
  }
  return results;
}

function errText(e: unknown): string {
  if (e instanceof RegoError) return e.message.split("\n")[0];
  return e instanceof Error ? e.message : String(e);
}

export function runVerify(dir: string): CaseResult[] {
  const out: CaseResult[] = [];
  for (const f of findFiles(dir, (n) => n === "suite.yaml")) out.push(...runSuite(f, dir));
  return out;
}

export function cmdVerify(args: string[]): number {
  const json = args.includes("--json");
  const dir = args.find((a) => !a.startsWith("-"));
  if (!dir) {
    process.stderr.write("verify: missing directory\n");
    return 2;
  }
  const all = runVerify(dir);
  const results = all.filter((r) => !r.skipped);
  const skipped = all.length - results.length;
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (json) {
    process.stdout.write(JSON.stringify({ passed, failed, skipped, failures: results.filter((r) => !r.ok) }) + "\n");
  } else {
    for (const r of results) if (!r.ok) process.stdout.write(`FAIL ${r.suite} ${r.test}/${r.case}: ${r.reason}\n`);
    if (skipped) process.stdout.write(`(${skipped} skipped as marked in the suites)\n`);
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
  }
  return failed > 0 ? 1 : 0;
}
