// The fleet's deploy manifests (issue 18): the edge-city overlay runs a NATS leaf per city and
// points the server pods at it; the central overlay runs a three-pod hub cluster and the central
// service. The nats-server files in deploy/ are what central/deploy-config.ts renders (the
// permissions the fleet tests run), every variable they read is given to the pod, and nats-server
// itself accepts them.
import { beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync, mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployHubConfig, deployLeafConfig, leafPasswordVar } from "../../src/central/deploy-config.ts";
import { DEPLOY, ROOT, find, kustomize, podSpec, run, validateSchemaGroups, type Obj } from "./support.ts";

const CITY = "deploy/k3s/overlays/edge-city";
const CENTRAL = "deploy/k3s/overlays/central";
const SLOW = 60_000;
const configMap = (objs: Obj[], prefix: string) => {
  const cms = objs.filter((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith(prefix));
  if (cms.length !== 1) throw new Error(`expected one ConfigMap ${prefix}*`);
  return cms[0]!;
};
const envOf = (c: Obj, name: string) => (c.env ?? []).find((e: Obj) => e.name === name);
/** The $VARIABLES a nats-server file reads from its environment (a value, unquoted, after a colon). */
const variables = (conf: string) => [...new Set([...conf.matchAll(/:\s*\$([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]!))].sort();

let schema: Record<string, string[]> = {};
beforeAll(async () => {
  schema = await validateSchemaGroups({ central: kustomize(CENTRAL) });
}, 120_000);

test(
  "edge-city: a leaf per city, its configuration rendered from the tested functions, the server pods pointed at it",
  () => {
    const objs = kustomize(CITY);
    const city = configMap(objs, "edgeclass-config").data.CITY as string;
    const conf = configMap(objs, "edgeclass-nats-config").data["nats-leaf.conf"] as string;
    expect(conf).toBe(deployLeafConfig(city));
    expect(readFileSync(join(DEPLOY, "k3s/overlays/edge-city/nats-leaf.conf"), "utf8")).toBe(conf);
    const leaf = find(objs, "StatefulSet", "edgeclass-nats");
    const spec = podSpec(leaf)!;
    const c = spec.containers[0];
    expect(spec.volumes.find((v: Obj) => v.configMap?.name === configMap(objs, "edgeclass-nats-config").metadata.name)).toBeDefined();
    // Its variables come from the city's Secret; its JetStream store is on a claim of its own.
    expect(variables(conf)).toEqual(["NATS_HUB_LEAF_URL", "NATS_PASSWORD"]);
    expect(c.envFrom).toEqual([{ secretRef: { name: "edgeclass-nats-city" } }]);
    expect(leaf.spec.volumeClaimTemplates.map((t: Obj) => t.metadata.name)).toEqual(["data"]);
    expect(conf).toContain('store_dir: "/data/jetstream"');
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true });

    // The server pods: NATS_URL names the leaf's Service, the user and city match the leaf's file.
    const server = podSpec(find(objs, "StatefulSet", "edgeclass"))!.containers.find((x: Obj) => x.name === "server");
    const cm = configMap(objs, "edgeclass-config").data;
    for (const k of ["NATS_URL", "NATS_USER", "CITY"]) expect(envOf(server, k).valueFrom.configMapKeyRef.key).toBe(k);
    expect(envOf(server, "NATS_PASSWORD").valueFrom.secretKeyRef).toEqual({ name: "edgeclass-nats-city", key: "NATS_PASSWORD" });
    const url = new URL(cm.NATS_URL);
    const svc = find(objs, "Service", url.hostname);
    expect(svc.spec.ports.map((p: Obj) => p.port)).toContain(Number(url.port));
    expect(svc.spec.selector).toEqual(leaf.spec.selector.matchLabels);
    expect(conf).toContain(`user: ${JSON.stringify(cm.NATS_USER)}`);
    // Only the server pods reach the leaf.
    const np = find(objs, "NetworkPolicy", "edgeclass-nats");
    expect(np.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "edgeclass", "app.kubernetes.io/component": "server" } } }],
        ports: [{ protocol: "TCP", port: 4222 }],
      },
    ]);
  },
  SLOW,
);

test(
  "central: a three-pod hub cluster with one leaf user per city, and the central service on it",
  () => {
    const objs = kustomize(CENTRAL);
    expect(schema.central).toEqual([]);
    const cm = configMap(objs, "edgeclass-central-config").data;
    const cities = (cm.CENTRAL_CITIES as string).split(",");
    const conf = configMap(objs, "edgeclass-hub-config").data["nats-hub.conf"] as string;
    expect(conf).toBe(deployHubConfig(cities));
    expect(readFileSync(join(DEPLOY, "k3s/overlays/central/nats-hub.conf"), "utf8")).toBe(conf);
    const hub = find(objs, "StatefulSet", "edgeclass-hub");
    const c = podSpec(hub)!.containers[0];
    // One route per pod of the StatefulSet, through its headless Service.
    const routes = [...conf.matchAll(/nats-route:\/\/(edgeclass-hub-\d+)\.(edgeclass-hub):6222/g)];
    expect(routes.map((r) => r[1])).toEqual(Array.from({ length: hub.spec.replicas }, (_, i) => `${hub.metadata.name}-${i}`));
    expect(find(objs, "Service", hub.spec.serviceName).spec.clusterIP).toBe("None");
    // Variables: the pod's name, the central password and one leaf password per city, from the Secret.
    expect(variables(conf)).toEqual(["CENTRAL_NATS_PASSWORD", "POD_NAME", ...cities.map(leafPasswordVar)].sort());
    expect(envOf(c, "POD_NAME").valueFrom.fieldRef.fieldPath).toBe("metadata.name");
    expect(c.envFrom).toEqual([{ secretRef: { name: "edgeclass-hub" } }]);
    // The central service runs the central entry point against the hub's client Service.
    const central = find(objs, "Deployment", "edgeclass-central");
    const cc = podSpec(central)!.containers[0];
    expect(cc.image).toMatch(/^registry\.example\.com\/edgeclass\/server:\d+\.\d+\.\d+$/);
    expect(cc.command.at(-1)).toBe("/app/packages/server/src/central/main.ts");
    expect(existsSync(join(ROOT, "packages/server/src/central/main.ts"))).toBe(true);
    const natsUrl = new URL(cm.CENTRAL_NATS_URL);
    expect(find(objs, "Service", natsUrl.hostname).spec.ports.map((p: Obj) => p.port)).toContain(Number(natsUrl.port));
    expect(cc.envFrom.map((e: Obj) => e.secretRef?.name ?? e.configMapRef?.name)).toEqual([
      configMap(objs, "edgeclass-central-config").metadata.name,
      "edgeclass-central-db",
      "edgeclass-jwt",
    ]);
    expect(envOf(cc, "CENTRAL_NATS_PASSWORD").valueFrom.secretKeyRef).toEqual({ name: "edgeclass-hub", key: "CENTRAL_NATS_PASSWORD" });
    expect(cc.readinessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(cm.CENTRAL_HOST).toBe("0.0.0.0");
    expect(cc.ports[0].containerPort).toBe(Number(cm.CENTRAL_PORT));
    // The cities' leaf port is reachable from outside the central cluster.
    const leafSvc = find(objs, "Service", "edgeclass-hub-leaf");
    expect([leafSvc.spec.type, leafSvc.spec.ports[0].port]).toEqual(["LoadBalancer", 7422]);
    expect(conf).toContain('leafnodes { listen: "0.0.0.0:7422" }');
  },
  SLOW,
);

test("nats-server accepts both files with the variables the pods get, and refuses them without", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeclass-deploy-nats-"));
  try {
    const check = (name: string, conf: string, env: Record<string, string>) => {
      writeFileSync(join(dir, name), conf);
      return run("nats-server", ["-c", join(dir, name), "-t"], { env });
    };
    const leaf = readFileSync(join(DEPLOY, "k3s/overlays/edge-city/nats-leaf.conf"), "utf8");
    const hub = readFileSync(join(DEPLOY, "k3s/overlays/central/nats-hub.conf"), "utf8");
    const given = (conf: string) =>
      Object.fromEntries(
        variables(conf).map((v) => [v, v === "NATS_HUB_LEAF_URL" ? "nats-leaf://leaf-north:secret@hub.example:7422" : "x"]),
      );
    expect(check("leaf.conf", leaf, given(leaf)).status).toBe(0);
    expect(check("hub.conf", hub, given(hub)).status).toBe(0);
    const missing = check("hub.conf", hub, Object.fromEntries(Object.entries(given(hub)).filter(([k]) => k !== "LEAF_SOUTH_PASSWORD")));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr + missing.stdout).toContain("LEAF_SOUTH_PASSWORD");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
