// Both K3s overlays render offline with `kubectl kustomize`, every object passes the Kubernetes
// API schemas, and the workload keeps the promises of docs/operations.md.
import { beforeAll, describe, expect, test } from "bun:test";
import { spawn, type Subprocess } from "bun";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/instances.ts";
import { DEPLOY, OVERLAYS, WASM_DIR, find, kustomize, podSpec, readYaml, run, validateSchemaGroups, type Obj } from "./support.ts";

const SLOW = 60_000;

const single = () => kustomize(OVERLAYS[0]);
const city = () => kustomize(OVERLAYS[1]);
// The server workload: a Deployment in single-node, a StatefulSet (one volume per pod) in edge-city.
const server = (objs: Obj[]) => {
  const w = objs.filter((o) => (o.kind === "Deployment" || o.kind === "StatefulSet") && o.metadata.name === "edgeclass");
  if (w.length !== 1) throw new Error(`expected one edgeclass workload, got ${w.map((o) => o.kind).join(", ") || "none"}`);
  return w[0]!;
};
const WORKLOAD = { [OVERLAYS[0]]: "Deployment", [OVERLAYS[1]]: "StatefulSet" } as const;
const container = (objs: Obj[]) => podSpec(server(objs))!.containers.find((c: Obj) => c.name === "server");
const env = (c: Obj, name: string) => c.env.find((e: Obj) => e.name === name);

// Every schema check of this file in one compiler run (the machine may be busy).
let schema: Record<string, string[]> = {};
beforeAll(async () => {
  const typo = structuredClone(server(single()));
  typo.spec.template.spec.containers[0].resourcez = typo.spec.template.spec.containers[0].resources;
  const wrongType = structuredClone(server(single()));
  wrongType.spec.template.spec.containers[0].ports[0].containerPort = "8080";
  schema = await validateSchemaGroups({
    [OVERLAYS[0]]: single(),
    [OVERLAYS[1]]: city(),
    typo: [typo],
    wrongType: [wrongType],
    wasm: kustomize(WASM_DIR),
    operator: [...readYaml(join(DEPLOY, "prometheus/servicemonitor.yaml")), ...readYaml(join(DEPLOY, "prometheus/prometheusrule.yaml"))],
  });
}, 120_000);

describe("kustomize overlays", () => {
  test.each(OVERLAYS)(
    "%s renders the expected objects",
    (dir) => {
      const objs = kustomize(dir);
      const kinds = objs.map((o) => o.kind).sort();
      for (const k of ["Namespace", "ServiceAccount", "ConfigMap", "Service", "RuntimeClass"]) expect(kinds).toContain(k);
      expect(server(objs).kind).toBe(WORKLOAD[dir]);
      for (const o of objs) {
        if (o.kind !== "Namespace" && o.kind !== "RuntimeClass") expect(o.metadata.namespace).toBe("education");
        expect(o.metadata.labels?.["app.kubernetes.io/part-of"]).toBe("edgeclass");
      }
    },
    SLOW,
  ); // the machine may be shared and busy

  test.each(OVERLAYS)(
    "%s passes the Kubernetes API schemas (fields, types, enums)",
    (dir) => {
      expect(schema[dir]).toEqual([]);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the schema check catches a misspelt field and a wrong type",
    () => {
      expect(schema.typo!.join("\n")).toContain("resourcez");
      expect(schema.wrongType!.join("\n")).toContain("containerPort");
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "RuntimeClasses: the seed's wasmedge and wasmtime for the Wasm artefact; the server uses the default runtime",
    () => {
      for (const objs of [single(), city()]) {
        const rcs = objs.filter((o) => o.kind === "RuntimeClass");
        expect(rcs.map((r) => [r.metadata.name, r.handler]).sort()).toEqual([
          ["wasmedge", "wasmedge"],
          ["wasmtime", "wasmtime"],
        ]);
        expect(podSpec(server(objs))!.runtimeClassName).toBeUndefined();
      }
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("workload", () => {
  test.each(OVERLAYS)(
    "%s: edge budget, probes, drain, non-root, read-only root",
    (dir) => {
      const objs = kustomize(dir);
      const spec = podSpec(server(objs))!;
      const c = container(objs);
      expect(c.image).toMatch(/^registry\.example\.com\/edgeclass\/server:\d+\.\d+\.\d+$/);
      // single-node: the seed's edge budget; edge-city: media pods get a node's cores (no CPU limit; docs/media.md).
      expect(c.resources).toEqual(
        dir === OVERLAYS[0]
          ? { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } }
          : { requests: { cpu: "3", memory: "1Gi" }, limits: { memory: "2Gi" } },
      );
      expect(c.livenessProbe.httpGet.path).toBe("/healthz");
      expect(c.readinessProbe.httpGet.path).toBe("/readyz");
      expect(c.lifecycle.preStop.sleep.seconds).toBeGreaterThan(0);
      // preStop + the server's own drain (<= 10 s) + a class hand-over (~30 s) fit in the grace period.
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(c.lifecycle.preStop.sleep.seconds + 10 + 30);
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.securityContext.capabilities.add).toBeUndefined();
      expect(spec.automountServiceAccountToken).toBe(false);
      // Writable places: DATA_DIR and /tmp only.
      const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m]));
      expect(env(c, "DATA_DIR").value).toBe("/data");
      expect(mounts["/data"]).toBeDefined();
      expect(mounts["/tmp"]).toBeDefined();
      expect(spec.volumes.find((v: Obj) => v.name === "tmp").emptyDir).toBeDefined();
      // DATA_DIR (the SQLite file) is on persistent storage: a claim of the pod, or of the StatefulSet's template.
      const data = spec.volumes.find((v: Obj) => v.name === mounts["/data"].name);
      const claimTemplate = server(objs).spec.volumeClaimTemplates?.find((t: Obj) => t.metadata.name === mounts["/data"].name);
      expect(data?.persistentVolumeClaim ?? claimTemplate).toBeDefined();
      expect(data?.emptyDir).toBeUndefined();
      expect(spec.topologySpreadConstraints.some((t: Obj) => t.topologyKey === "kubernetes.io/hostname")).toBe(true);
    },
    SLOW,
  ); // the machine may be shared and busy

  test.each(OVERLAYS)(
    "%s: MAX_STUDENTS, VIDEO_QUALITY and config.json come from the ConfigMap",
    (dir) => {
      const objs = kustomize(dir);
      const c = container(objs);
      const cmName = env(c, "MAX_STUDENTS").valueFrom.configMapKeyRef.name;
      expect(env(c, "VIDEO_QUALITY").valueFrom.configMapKeyRef.name).toBe(cmName);
      const cm = find(objs, "ConfigMap", cmName);
      expect(cm.data.MAX_STUDENTS).toBe("1000");
      expect(cm.data.VIDEO_QUALITY).toBe("720p");
      const config = JSON.parse(cm.data["config.json"]);
      expect(config).toMatchObject({ maxStudents: 1000, videoQuality: "720p" });
      expect(JSON.parse(readFileSync(join(DEPLOY, "k3s/base/config.json"), "utf8"))).toEqual(config);
      expect(env(c, "CONFIG_FILE").value).toBe("/etc/edgeclass/config.json");
      const spec = podSpec(server(objs))!;
      const cfgVol = spec.volumes.find((v: Obj) => v.configMap?.name === cmName);
      expect(c.volumeMounts.find((m: Obj) => m.name === cfgVol.name).mountPath).toBe("/etc/edgeclass");
    },
    SLOW,
  ); // the machine may be shared and busy

  test.each(OVERLAYS)(
    "%s: JWT keys from a Secret",
    (dir) => {
      const objs = kustomize(dir);
      const c = container(objs);
      expect(c.envFrom.some((e: Obj) => e.secretRef?.name === "edgeclass-jwt")).toBe(true);
      expect(podSpec(server(objs))!.volumes.some((v: Obj) => v.secret?.secretName === "edgeclass-jwks")).toBe(true);
    },
    SLOW,
  ); // the machine may be shared and busy

  test.each(OVERLAYS)(
    "%s: WebRTC UDP: one host port per SFU worker in the advertised range, node address in ICE",
    (dir) => {
      const objs = kustomize(dir);
      const c = container(objs);
      const cm = find(objs, "ConfigMap", env(c, "MEDIA_PORT_MIN").valueFrom.configMapKeyRef.name);
      const min = Number(cm.data.MEDIA_PORT_MIN);
      const max = Number(cm.data.MEDIA_PORT_MAX);
      expect(max).toBeGreaterThanOrEqual(min);
      const udp = c.ports.filter((p: Obj) => p.protocol === "UDP");
      expect(udp.map((p: Obj) => p.hostPort)).toEqual(Array.from({ length: max - min + 1 }, (_, i) => min + i));
      for (const p of udp) expect(p.containerPort).toBe(p.hostPort);
      expect(env(c, "MEDIA_PUBLIC_IP").valueFrom.fieldRef.fieldPath).toBe("status.hostIP");
      expect(podSpec(server(objs))!.hostNetwork).toBeUndefined();
      expect(server(objs).spec.template.metadata.labels["edgeclass.io/media"]).toBe("true");
      // As many workers as the pod has cores, and a UDP port for each.
      const workers = Number(cm.data.MEDIA_WORKERS);
      expect(workers).toBe(dir === OVERLAYS[0] ? 1 : 4);
      expect(max - min + 1).toBeGreaterThanOrEqual(workers);
      // With TURN each worker also takes TURN-over-TCP traffic on MEDIA_PORT_MIN + workers + i (media/worker/turn-shim.ts): exposed too.
      if (c.env.some((e: Obj) => e.name === "TURN_URLS")) expect(max - min + 1).toBeGreaterThanOrEqual(2 * workers);
      if (dir === OVERLAYS[1]) {
        expect(Number(c.resources.requests.cpu)).toBeGreaterThanOrEqual(workers - 1);
        expect(c.resources.limits.cpu).toBeUndefined();
        expect(podSpec(server(objs))!.nodeSelector).toEqual({ "edgeclass.io/media-node": "true" });
      }
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("TURN (edge-city)", () => {
  test(
    "coturn on every media node, shared-secret credentials, the servers list it and share its secret",
    () => {
      const objs = city();
      const turn = find(objs, "DaemonSet", "edgeclass-turn");
      const spec = podSpec(turn)!;
      expect(spec.hostNetwork).toBe(true);
      expect(spec.nodeSelector).toEqual(podSpec(server(objs))!.nodeSelector);
      expect(turn.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe("turn");
      const t = spec.containers[0];
      for (const a of ["--use-auth-secret", "--static-auth-secret=$(TURN_SECRET)", "--no-cli", "--denied-peer-ip=10.42.0.0-10.43.255.255"])
        expect(t.args).toContain(a);
      expect(t.args).not.toContain("--allow-loopback-peers");
      expect(env(t, "TURN_SECRET").valueFrom.secretKeyRef).toEqual({ name: "edgeclass-turn", key: "TURN_SECRET" });
      const c = container(objs);
      expect(env(c, "TURN_SECRET").valueFrom.secretKeyRef).toEqual({ name: "edgeclass-turn", key: "TURN_SECRET" });
      const cm = find(objs, "ConfigMap", env(c, "TURN_URLS").valueFrom.configMapKeyRef.name);
      expect(cm.data.TURN_URLS.split(",").some((u: string) => u.endsWith("?transport=tcp"))).toBe(true);
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("Wasm policy service", () => {
  test(
    "deploy/k3s/wasm runs under the wasmtime RuntimeClass the base ships, and passes the schemas",
    () => {
      const objs = kustomize(WASM_DIR);
      const d = objs.find((o) => o.kind === "Deployment")!;
      expect(d.metadata.namespace).toBe("education");
      expect(podSpec(d)!.runtimeClassName).toBe("wasmtime");
      expect(single().some((o) => o.kind === "RuntimeClass" && o.metadata.name === "wasmtime")).toBe(true);
      expect(schema.wasm).toEqual([]);
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("single-node", () => {
  test(
    "one replica, SQLite on a PersistentVolumeClaim, no Redis, never two writers",
    () => {
      const objs = single();
      const d = server(objs);
      expect(d.kind).toBe("Deployment");
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.strategy.type).toBe("Recreate");
      const data = podSpec(d)!.volumes.find((v: Obj) => v.name === "data");
      expect(data.emptyDir).toBeUndefined();
      const pvc = find(objs, "PersistentVolumeClaim", data.persistentVolumeClaim.claimName);
      expect(pvc.spec.accessModes).toEqual(["ReadWriteOnce"]);
      expect(objs.some((o) => o.kind === "StatefulSet" || /redis/.test(o.metadata.name))).toBe(false);
      expect(JSON.stringify(d)).not.toContain("REDIS_URL");
      expect(objs.some((o) => o.kind === "HorizontalPodAutoscaler")).toBe(false);
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("edge-city", () => {
  test(
    "replicas share Redis; HPA and PDB keep classes up during scaling and node drains",
    () => {
      const objs = city();
      const d = server(objs);
      const c = container(objs);
      expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
      const cm = find(objs, "ConfigMap", env(c, "REDIS_URL").valueFrom.configMapKeyRef.name);
      expect(cm.data.REDIS_URL).toBe("redis://edgeclass-redis:6379");
      expect(c.envFrom.find((e: Obj) => e.secretRef?.name === "edgeclass-jwt").secretRef.optional).toBe(false);
      expect(env(c, "INSTANCE_ID").valueFrom.fieldRef.fieldPath).toBe("metadata.name");
      // Instances forward media signalling to a class's media home at the pod's own address, not loopback.
      expect(env(c, "POD_IP").valueFrom.fieldRef.fieldPath).toBe("status.podIP");
      expect(env(c, "MEDIA_INTERNAL_URL").value).toBe("http://$(POD_IP):8080");
      expect(env(c, "MEDIA_CASCADE_HOST").value).toBe("$(POD_IP)");
      // One class spans the city's nodes: viewers are served where they arrive, fed by the cascade.
      expect(find(objs, "ConfigMap", env(c, "MEDIA_CASCADE").valueFrom.configMapKeyRef.name).data.MEDIA_CASCADE).toBe("true");
      const hpa = find(objs, "HorizontalPodAutoscaler", "edgeclass");
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "StatefulSet", name: "edgeclass" });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const pdb = find(objs, "PodDisruptionBudget", "edgeclass");
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the server is a StatefulSet: DATA_DIR on a PersistentVolumeClaim per pod, kept on scale-in, replaced one pod at a time",
    () => {
      const objs = city();
      expect(objs.some((o) => o.kind === "Deployment")).toBe(false);
      const sts = find(objs, "StatefulSet", "edgeclass");
      const spec = podSpec(sts)!;
      const c = container(objs);
      // The volume mounted at DATA_DIR comes from the claim template, not from the pod's volumes.
      const dataMount = c.volumeMounts.find((m: Obj) => m.mountPath === env(c, "DATA_DIR").value);
      expect(spec.volumes.some((v: Obj) => v.name === dataMount.name)).toBe(false);
      expect(spec.volumes.filter((v: Obj) => v.emptyDir).map((v: Obj) => v.name)).toEqual(["tmp"]);
      expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
      const claim = sts.spec.volumeClaimTemplates[0];
      expect(claim.metadata.name).toBe(dataMount.name);
      expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
      expect(claim.spec.resources.requests.storage).toBe("2Gi");
      expect(claim.spec.storageClassName).toBeUndefined(); // the cluster's default (K3s: local-path)
      // The PVCs it creates pass the required-labels constraint.
      expect(claim.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "edgeclass", "app.kubernetes.io/part-of": "edgeclass" });
      expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenScaled: "Retain", whenDeleted: "Retain" });
      expect(sts.spec.podManagementPolicy).toBe("Parallel");
      expect(sts.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { partition: 0, maxUnavailable: 1 } });
      expect(sts.spec.minReadySeconds).toBeGreaterThan(0);
      // Governing Service: headless, selects the server pods, and is not scraped a second time.
      const svc = find(objs, "Service", sts.spec.serviceName);
      expect(svc.spec.clusterIP).toBe("None");
      expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
      expect(sts.spec.template.metadata.labels).toMatchObject(sts.spec.selector.matchLabels);
      const sm = readYaml(join(DEPLOY, "prometheus/servicemonitor.yaml"))[0]!;
      const selected = objs.filter(
        (o) => o.kind === "Service" && Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
      );
      expect(selected.map((o) => o.metadata.name)).toEqual(["edgeclass"]);
      // The pod template is the base's one: same mounts, same env as single-node plus REDIS_URL.
      const base = container(single());
      expect(c.volumeMounts).toEqual(base.volumeMounts);
      expect(c.env.map((e: Obj) => e.name)).toEqual([
        ...base.env.map((e: Obj) => e.name),
        "REDIS_URL",
        "REDIS_SENTINELS",
        "REDIS_SENTINEL_NAME",
        "NATS_URL",
        "NATS_USER",
        "CITY",
        "NATS_PASSWORD",
        "MEDIA_CASCADE",
        "TURN_URLS",
        "TURN_SECRET",
      ]);
      expect(c.ports).toEqual(base.ports);
      expect(spec.topologySpreadConstraints).toEqual(podSpec(server(single()))!.topologySpreadConstraints);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "Redis is highly available: three Redis pods with storage and three sentinels; the servers find the primary through them",
    () => {
      const objs = city();
      const redis = find(objs, "StatefulSet", "edgeclass-redis");
      const sentinel = find(objs, "StatefulSet", "edgeclass-redis-sentinel");
      expect(redis.spec.replicas).toBe(3);
      expect(sentinel.spec.replicas).toBe(3);
      for (const sts of [redis, sentinel]) {
        // Headless governing Services: the pods announce their DNS names, which must resolve before they are ready.
        const svc = find(objs, "Service", sts.spec.serviceName);
        expect(svc.spec.clusterIP).toBe("None");
        expect(svc.spec.publishNotReadyAddresses).toBe(true);
        expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
        expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe("data");
        const pdb = objs.find((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === sts.metadata.name)!;
        expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: sts.spec.selector.matchLabels } });
      }
      // The servers ask each sentinel pod for the primary of the master name the sentinels monitor.
      const c = container(objs);
      const cm = find(objs, "ConfigMap", env(c, "REDIS_SENTINELS").valueFrom.configMapKeyRef.name);
      const svc = sentinel.spec.serviceName;
      expect(cm.data.REDIS_SENTINELS.split(",")).toEqual([0, 1, 2].map((i) => `${sentinel.metadata.name}-${i}.${svc}:26379`));
      expect(env(c, "REDIS_SENTINEL_NAME").valueFrom.configMapKeyRef.name).toBe(cm.metadata.name);
      const scripts = find(objs, "ConfigMap", podSpec(redis)!.volumes.find((v: Obj) => v.name === "config").configMap.name);
      expect(podSpec(sentinel)!.volumes.find((v: Obj) => v.name === "config").configMap.name).toBe(scripts.metadata.name);
      expect(scripts.data["sentinel-start.sh"]).toContain(`sentinel monitor ${cm.data.REDIS_SENTINEL_NAME} $primary 6379 2`);
      expect(scripts.data["redis-start.sh"]).toContain(`get-master-addr-by-name ${cm.data.REDIS_SENTINEL_NAME}`);
      expect(redis.spec.template.spec.containers[0].command).toEqual(["sh", "/etc/edgeclass-redis/redis-start.sh"]);
      expect(sentinel.spec.template.spec.containers[0].command).toEqual(["sh", "/etc/edgeclass-redis/sentinel-start.sh"]);
      for (const f of ["redis-start.sh", "sentinel-start.sh"]) expect(run("sh", ["-n"], { input: scripts.data[f] }).status).toBe(0);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the Redis and sentinel configuration is accepted by a real redis-server and redis-sentinel",
    async () => {
      const scripts = find(
        city(),
        "ConfigMap",
        podSpec(find(city(), "StatefulSet", "edgeclass-redis"))!.volumes.find((v: Obj) => v.name === "config").configMap.name,
      );
      const dir = mkdtempSync(join(tmpdir(), "edgeclass-redis-conf-"));
      const procs: Subprocess[] = [];
      try {
        const port = await freePort();
        const sport = await freePort();
        // The pods' /data here is a temporary folder; the start scripts' own additions use loopback
        // in place of the pods' DNS names.
        const local = (conf: string) => conf.replace(/^dir \/data$/m, `dir ${dir}`);
        writeFileSync(join(dir, "redis.conf"), local(scripts.data["redis.conf"]));
        writeFileSync(
          join(dir, "sentinel.conf"),
          [
            local(scripts.data["sentinel.conf"]),
            "sentinel announce-ip 127.0.0.1",
            `sentinel monitor edgeclass 127.0.0.1 ${port} 2`,
            "sentinel down-after-milliseconds edgeclass 5000",
            "sentinel failover-timeout edgeclass 60000",
            "sentinel parallel-syncs edgeclass 1",
            "",
          ].join("\n"),
        );
        procs.push(
          spawn(
            ["redis-server", join(dir, "redis.conf"), "--port", String(port), "--bind", "127.0.0.1", "--replica-announce-ip", "127.0.0.1"],
            { stdout: "ignore", stderr: "ignore" },
          ),
        );
        procs.push(
          spawn(["redis-server", join(dir, "sentinel.conf"), "--sentinel", "--port", String(sport), "--bind", "127.0.0.1"], {
            stdout: "ignore",
            stderr: "ignore",
          }),
        );
        const cli = (p: number, ...args: string[]) => run("redis-cli", ["-p", String(p), ...args]).stdout.trim();
        let got = "";
        for (let i = 0; i < 100 && !got.includes("127.0.0.1"); i++) {
          await Bun.sleep(100);
          got = cli(sport, "sentinel", "get-master-addr-by-name", "edgeclass");
        }
        expect(got.split("\n")).toEqual(["127.0.0.1", String(port)]);
        expect(cli(port, "config", "get", "min-replicas-to-write").split("\n")).toEqual(["min-replicas-to-write", "1"]);
        expect(cli(port, "config", "get", "maxmemory-policy").split("\n")).toEqual(["maxmemory-policy", "noeviction"]);
      } finally {
        for (const p of procs) p.kill("SIGKILL");
        await Promise.all(procs.map((p) => p.exited));
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "Redis and the sentinels are reachable only from EdgeClass server pods and each other",
    () => {
      const objs = city();
      const server_ = { podSelector: { matchLabels: server(objs).spec.selector.matchLabels } };
      const redis = { podSelector: { matchLabels: find(objs, "StatefulSet", "edgeclass-redis").spec.selector.matchLabels } };
      const sentinel = { podSelector: { matchLabels: find(objs, "StatefulSet", "edgeclass-redis-sentinel").spec.selector.matchLabels } };
      for (const [name, self, port] of [
        ["edgeclass-redis", redis, 6379],
        ["edgeclass-redis-sentinel", sentinel, 26379],
      ] as const) {
        const np = find(objs, "NetworkPolicy", name);
        expect(np.spec.podSelector).toEqual(self.podSelector);
        expect(np.spec.policyTypes).toEqual(["Ingress", "Egress"]);
        expect(np.spec.ingress).toHaveLength(1);
        expect(np.spec.ingress[0].from).toEqual([server_, redis, sentinel]);
        expect(np.spec.ingress[0].ports).toEqual([{ protocol: "TCP", port }]);
        // Out: only to Redis, the sentinels and DNS.
        for (const e of np.spec.egress) {
          if (e.to) expect([redis, sentinel]).toContainEqual(e.to[0]);
          else expect(e.ports.map((p: Obj) => p.port)).toEqual([53, 53]);
        }
      }
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("docs/operations.md", () => {
  test(
    "every file and directory of the repo it names exists",
    () => {
      const ops = readFileSync(join(DEPLOY, "../docs/operations.md"), "utf8");
      const paths = new Set(
        [...ops.matchAll(/\b((?:deploy|scripts|docs|packages)\/[\w./-]*[\w/])/g)]
          .map((m) => m[1]!)
          .filter((p) => !p.includes("*") && p !== "deploy/edgeclass"),
      ); // kubectl's deploy/<name>
      expect(paths.size).toBeGreaterThan(15);
      const missing = [...paths].filter((p) => !existsSync(join(DEPLOY, "..", p)));
      expect(missing).toEqual([]);
    },
    SLOW,
  ); // the machine may be shared and busy
});

describe("Prometheus Operator objects", () => {
  test(
    "ServiceMonitor and PrometheusRule pass their schemas and select the server Service",
    () => {
      const sm = readYaml(join(DEPLOY, "prometheus/servicemonitor.yaml"));
      expect(schema.operator).toEqual([]);
      const svc = find(single(), "Service", "edgeclass");
      expect(sm[0]!.spec.selector.matchLabels).toEqual(
        svc.metadata.labels && {
          "app.kubernetes.io/name": svc.metadata.labels["app.kubernetes.io/name"],
          "app.kubernetes.io/component": svc.metadata.labels["app.kubernetes.io/component"],
        },
      );
      expect(svc.spec.ports.map((p: Obj) => p.name)).toContain(sm[0]!.spec.endpoints[0].port);
    },
    SLOW,
  ); // the machine may be shared and busy
});
