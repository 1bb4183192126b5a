// Prometheus rules (promtool check + unit tests), the Grafana dashboard, the log pipelines, and
// the promise that every metric they query is one a running server really exports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEPLOY, ROOT, readYaml, run, type Obj } from "./support.ts";

const SLOW = 60_000;

const RULES = join(DEPLOY, "prometheus/rules/edgeclass.rules.yaml");
const DASHBOARD = join(DEPLOY, "grafana/edgeclass-overview.json");

// ---- PromQL metric names ----------------------------------------------------------------

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/** Metric names a PromQL expression selects (label names, functions and keywords left out). */
export function metricNames(expr: string): Set<string> {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ") // label lists
    .replace(/\$\w+/g, " ") // Grafana variables
    .replace(/(^|[^\w:])\d+(\.\d+)?((e[+-]?\d+)|ms|s|m|h|d|w|y)?(?![\w:])/gi, "$1 "); // numbers and durations
  const out = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = m[0];
    const after = s.slice(m.index! + name.length).trimStart();
    if (after.startsWith("(")) continue; // function or aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    if (/^\d/.test(name) || /^[0-9.e+-]+$/.test(name)) continue;
    out.add(name);
  }
  return out;
}

function ruleGroups(): Obj[] {
  return readYaml(RULES)[0]!.groups;
}

function ruleExprs(): string[] {
  return ruleGroups().flatMap((g) => g.rules.map((r: Obj) => String(r.expr)));
}

function recordedNames(): Set<string> {
  return new Set(ruleGroups().flatMap((g) => g.rules.filter((r: Obj) => r.record).map((r: Obj) => r.record)));
}

function dashboardExprs(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, "utf8"));
  const out: string[] = [];
  const walk = (panels: Obj[]) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) out.push(String(t.expr));
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const v of d.templating.list)
    if (v.type === "query") out.push(String(v.query.query ?? v.query).replace(/^label_values\((.*),\s*\w+\)$/, "$1"));
  return out;
}

/** Every metric name the rules and the dashboard query, minus what the rules record themselves. */
function queriedMetrics(): Set<string> {
  const recorded = recordedNames();
  const names = new Set<string>();
  for (const e of [...ruleExprs(), ...dashboardExprs()]) for (const n of metricNames(e)) if (!recorded.has(n)) names.add(n);
  return names;
}

/**
 * Metrics the rules and dashboard use that the server does not export yet: the SFU's (defined,
 * not yet started by main.ts). The test below says which of
 * them a running server already exports, so the list can shrink.
 */
const NOT_YET_EXPORTED = new Set([
  // packages/server/src/media/metrics.ts defines these; they appear once main.ts starts the SFU.
  "edgeclass_media_publishers",
  "edgeclass_media_subscribers",
  "edgeclass_media_worker_subscribers",
  "edgeclass_media_worker_cpu_seconds_total",
  "edgeclass_media_received_packets_total",
  "edgeclass_media_forwarded_packets_total",
  "edgeclass_media_forwarded_bytes_total",
  "edgeclass_media_forward_delay_p99_seconds",
  "edgeclass_media_nack_retransmits_total",
  "edgeclass_media_keyframe_requests_total",
]);

// Series Prometheus makes itself.
const SYNTHETIC = new Set(["up"]);

// ---- a real server ------------------------------------------------------------------------

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

let proc: Subprocess | undefined;
let dataDir = "";
const exported = new Set<string>();
let exposition = "";
let logText = "";

const scrapesWhileStarting: number[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edgeclass-metrics-"));
  const port = await freePort();
  proc = spawn({
    cmd: [process.execPath, "run", join(ROOT, "packages/server/src/main.ts")],
    cwd: ROOT,
    // Scale-out mode (Redis on 127.0.0.1, which .ci/run starts), so the Redis and cluster metrics exist too.
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      CONFIG_FILE: join(DEPLOY, "k3s/base/config.json"),
      REDIS_URL: "redis://127.0.0.1:6379/15",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) logText += dec.decode(chunk);
  })();
  const deadline = Date.now() + 45_000;
  for (;;) {
    try {
      // Ready, not just listening: the server answers probes and /metrics while it still builds the rest.
      scrapesWhileStarting.push((await fetch(`http://127.0.0.1:${port}/metrics`)).status);
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) {
        await fetch(`http://127.0.0.1:${port}/healthz`); // so the labelled HTTP series exist
        exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        break;
      }
    } catch {}
    if (Date.now() > deadline || proc.exitCode !== null)
      throw new Error(`server did not start: ${await new Response(proc.stderr as ReadableStream).text()}`);
    await Bun.sleep(50);
  }
  for (const line of exposition.split("\n")) {
    const m = /^# TYPE (\S+) (\w+)/.exec(line);
    if (!m) continue;
    exported.add(m[1]!);
    if (m[2] === "histogram") for (const s of ["_bucket", "_count", "_sum"]) exported.add(m[1] + s);
    if (m[2] === "summary") for (const s of ["_count", "_sum"]) exported.add(m[1] + s);
  }
}, 60_000);

afterAll(async () => {
  proc?.kill("SIGTERM");
  await proc?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe("metric names", () => {
  test(
    "the PromQL name extractor",
    () => {
      expect(
        [
          ...metricNames('sum by (job, le) (rate(a_bucket{x="y}"}[5m])) / on(instance) group_left(version) b_total offset 5m > bool 0.5'),
        ].sort(),
      ).toEqual(["a_bucket", "b_total"]);
      expect([...metricNames('histogram_quantile(0.99, sum without (pod) (rate(c[$__rate_interval]))) and d{job=~"$job"}')].sort()).toEqual(
        ["c", "d"],
      );
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "every metric the rules and the dashboard query is exported by a running server (or listed as promised)",
    () => {
      const queried = queriedMetrics();
      for (const n of [
        "edgeclass_http_requests_total",
        "edgeclass_ready",
        "process_resident_memory_bytes",
        "edgeclass_media_forward_delay_p99_seconds",
        "up",
      ])
        expect(queried).toContain(n);
      const missing = [...queried].filter((n) => !exported.has(n) && !SYNTHETIC.has(n) && !NOT_YET_EXPORTED.has(n));
      expect(missing).toEqual([]);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the list of promised metrics names only metrics that are queried",
    () => {
      const queried = queriedMetrics();
      expect([...NOT_YET_EXPORTED].filter((n) => !queried.has(n))).toEqual([]);
      // Not a failure, so the server's owners can add a metric without touching this file.
      const nowExported = [...NOT_YET_EXPORTED].filter((n) => exported.has(n));
      if (nowExported.length) console.warn(`now exported, drop from NOT_YET_EXPORTED: ${nowExported.join(", ")}`);
      const pending = [...NOT_YET_EXPORTED].filter((n) => !exported.has(n));
      if (pending.length) console.warn(`metrics queried but not yet exported by the server: ${pending.join(", ")}`);
    },
    SLOW,
  ); // the machine may be shared and busy

  test("a scrape while the server still builds (Redis being joined) is answered, not a 500", () => {
    expect(scrapesWhileStarting.length).toBeGreaterThan(0);
    expect(scrapesWhileStarting.filter((s) => s !== 200)).toEqual([]);
  });

  test(
    "the server's exposition passes promtool check metrics",
    () => {
      const r = run("promtool", ["check", "metrics"], { input: exposition });
      expect(r.stderr + r.stdout).toBe("");
      expect(r.status).toBe(0);
    },
    SLOW,
  ); // the machine may be shared and busy
});

// ---- Prometheus ---------------------------------------------------------------------------

describe("Prometheus rules", () => {
  test(
    "promtool check rules",
    () => {
      const r = run("promtool", ["check", "rules", RULES]);
      expect(r.stdout + r.stderr).toContain("SUCCESS");
      expect(r.status).toBe(0);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "promtool test rules: every alert has a unit test that fires it",
    () => {
      const tests = readdirSync(join(DEPLOY, "prometheus/tests"))
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => join(DEPLOY, "prometheus/tests", f));
      const r = run("promtool", ["test", "rules", ...tests]);
      expect(r.stdout + r.stderr).not.toContain("FAILED");
      expect(r.status).toBe(0);
      const alerts = ruleGroups().flatMap((g) => g.rules.filter((x: Obj) => x.alert).map((x: Obj) => x.alert as string));
      const firing = new Set<string>();
      for (const f of tests)
        for (const t of readYaml(f)[0]!.tests) for (const a of t.alert_rule_test ?? []) if (a.exp_alerts?.length) firing.add(a.alertname);
      expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the operator's PrometheusRule carries exactly the same groups",
    () => {
      expect(readYaml(join(DEPLOY, "prometheus/prometheusrule.yaml"))[0]!.spec).toEqual(readYaml(RULES)[0]!);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "alerts the issue asks for exist, each with a severity and a runbook entry in docs/operations.md",
    () => {
      const alerts = ruleGroups().flatMap((g) => g.rules.filter((x: Obj) => x.alert));
      const names = alerts.map((a: Obj) => a.alert);
      for (const n of [
        "EdgeClassInstanceDown",
        "EdgeClassReadinessFlapping",
        "EdgeClassAnswerAckSlow",
        "EdgeClassPolicyDenySpike",
        "EdgeClassRedisErrors",
        "EdgeClassSfuWorkerSaturated",
        "EdgeClassMemoryNearLimit",
      ])
        expect(names).toContain(n);
      const ops = readFileSync(join(ROOT, "docs/operations.md"), "utf8");
      for (const a of alerts) {
        expect(["critical", "warning"]).toContain(a.labels.severity);
        expect(a.annotations.runbook).toBe(`docs/operations.md#${a.alert.toLowerCase()}`);
        expect(ops).toContain(`### ${a.alert}`);
      }
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the plain scrape config and the ServiceMonitor both yield job=edgeclass",
    () => {
      const sc = readYaml(join(DEPLOY, "prometheus/scrape-config.yaml"))[0]!.scrape_configs;
      expect(sc.map((s: Obj) => s.job_name)).toEqual(["edgeclass"]);
      const sm = readYaml(join(DEPLOY, "prometheus/servicemonitor.yaml"))[0]!;
      expect(sm.spec.jobLabel).toBeUndefined(); // job = Service name
      expect(sm.metadata.name).toBe("edgeclass");
    },
    SLOW,
  ); // the machine may be shared and busy
});

// ---- Grafana ------------------------------------------------------------------------------

describe("Grafana dashboard", () => {
  const d = JSON.parse(readFileSync(DASHBOARD, "utf8"));
  test(
    "has the sections the issue lists, unique panel ids and a datasource variable",
    () => {
      const titles = d.panels.filter((p: Obj) => p.type === "row").map((p: Obj) => p.title);
      expect(titles).toEqual(["Classes", "Quizzes and fan-out", "Policy", "Media (SFU)", "Redis", "HTTP and process"]);
      const ids = d.panels.map((p: Obj) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(d.templating.list.map((v: Obj) => v.name)).toEqual(["datasource", "job", "instance"]);
      for (const p of d.panels.filter((p: Obj) => p.type !== "row")) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable
        expect(p.datasource.uid).toBe("${datasource}");
        expect(p.targets.length).toBeGreaterThan(0);
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      }
    },
    SLOW,
  ); // the machine may be shared and busy
});

// ---- Loki ---------------------------------------------------------------------------------

describe("log shipping", () => {
  const promtail = readYaml(join(DEPLOY, "loki/promtail.yaml"))[0]!;
  const stages: Obj[] = promtail.scrape_configs[0].pipeline_stages;
  const stage = (name: string) => stages.find((s) => name in s)?.[name];

  test(
    "promtail parses pino's JSON lines: numeric level to name, millisecond time",
    () => {
      expect(stage("cri")).toEqual({});
      expect(stage("json").expressions).toMatchObject({ level: "level", time: "time", route: "route", classId: "classId", reqId: "reqId" });
      expect(stage("timestamp")).toMatchObject({ source: "time", format: "UnixMs" });
      const tpl = stage("template").template as string;
      for (const [n, name] of [
        ["30", "info"],
        ["40", "warn"],
        ["50", "error"],
      ])
        expect(tpl).toContain(`eq .Value "${n}" }}${name}`);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "index labels stay bounded: level and route; class, request and user ids are structured metadata",
    () => {
      expect(Object.keys(stage("labels")).sort()).toEqual(["level", "route"]);
      expect(Object.keys(stage("structured_metadata")).sort()).toEqual(["classId", "reqId", "status", "user"]);
      const relabelled = promtail.scrape_configs[0].relabel_configs
        .map((r: Obj) => r.target_label)
        .filter((t?: string) => t && !t.startsWith("__"));
      expect(relabelled.sort()).toEqual(["app", "container", "namespace", "node"]);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the Alloy configuration does the same",
    () => {
      const alloy = readFileSync(join(DEPLOY, "loki/config.alloy"), "utf8");
      const labels = /stage\.labels \{\s*values = \{([^}]*)\}/.exec(alloy)![1]!;
      expect([...labels.matchAll(/(\w+)\s*=/g)].map((m) => m[1]).sort()).toEqual(["level", "route"]);
      const meta = /stage\.structured_metadata \{\s*values = \{([^}]*)\}/.exec(alloy)![1]!;
      expect([...meta.matchAll(/(\w+)\s*=/g)].map((m) => m[1]).sort()).toEqual(["classId", "reqId", "status", "user"]);
      expect(alloy).toContain('format            = "UnixMs"');
      // balanced braces: a cheap syntax check for a file no tool here can parse
      expect(alloy.split("{").length).toBe(alloy.split("}").length);
    },
    SLOW,
  ); // the machine may be shared and busy

  test(
    "the server's own request log lines carry the fields the pipelines read",
    async () => {
      const deadline = Date.now() + 3000;
      while (!logText.includes('"route":"/healthz"') && Date.now() < deadline) await Bun.sleep(50);
      const line = logText
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((l) => l.route === "/healthz");
      expect(line).toBeDefined();
      expect(line.level).toBe(30);
      expect(typeof line.time).toBe("number");
      expect(Math.abs(line.time - Date.now())).toBeLessThan(60_000); // milliseconds, as the timestamp stage expects
      expect(typeof line.reqId).toBe("string");
      expect(line.status).toBe(200);
    },
    SLOW,
  ); // the machine may be shared and busy
});
