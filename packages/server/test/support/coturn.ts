// A real coturn (`turnserver`, Debian package coturn) of the test's own: TURN over TCP only on a
// free loopback port, shared-secret REST credentials (use-auth-secret), relay ports on loopback.
// Test-only options, and why: --allow-loopback-peers (the SFU is on 127.0.0.1, which coturn
// refuses to relay to by default), --no-udp unless asked (the client leg is then TCP only, as
// behind a UDP-blocking firewall), --no-cli (no telnet CLI; otherwise it needs --cli-password), --no-tls/--no-dtls (no
// certificates here). Production config: deploy/k3s/overlays/edge-city/coturn.yaml.
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./instances.ts";

export interface Coturn {
  port: number;
  secret: string;
  /** turn:127.0.0.1:<port>?transport=tcp */
  url: string;
  /** turn:127.0.0.1:<port>?transport=udp (only with `udp: true`) */
  udpUrl: string;
  /** What coturn logged so far. */
  log(): string;
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

export async function startCoturn(opts: { udp?: boolean; secret?: string } = {}): Promise<Coturn> {
  const secret = opts.secret ?? "test-turn-secret-" + crypto.randomUUID();
  const bin = Bun.which("turnserver") ?? ((await Bun.file("/usr/bin/turnserver").exists()) ? "/usr/bin/turnserver" : null);
  if (!bin) throw new Error("turnserver is missing: apt-get install -y coturn (.ci/run installs it)");
  const port = await freePort();
  const relayBase = 50000 + Math.floor(Math.random() * 140) * 100;
  const dir = mkdtempSync(join(tmpdir(), "edgeclass-coturn-"));
  const logFile = join(dir, "turn.log");
  const proc: Subprocess = spawn(
    [
      bin,
      "-n", // no config file
      "--listening-ip=127.0.0.1",
      `--listening-port=${port}`,
      "--relay-ip=127.0.0.1",
      `--min-port=${relayBase}`,
      `--max-port=${relayBase + 99}`,
      "--use-auth-secret",
      `--static-auth-secret=${secret}`,
      "--realm=edgeclass.test",
      "--fingerprint",
      "--allow-loopback-peers",
      ...(opts.udp ? [] : ["--no-udp"]),
      "--no-tls",
      "--no-dtls",
      "--no-cli",
      "--no-software-attribute",
      `--log-file=${logFile}`,
      "--simple-log",
      "--verbose",
      `--pidfile=${join(dir, "turn.pid")}`,
      `--userdb=${join(dir, "turn.db")}`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill("SIGKILL");
      throw new Error(`turnserver did not listen on ${port}: ${safeRead(logFile).slice(-2000)}`);
    }
    await Bun.sleep(50);
  }
  return {
    port,
    secret,
    url: `turn:127.0.0.1:${port}?transport=tcp`,
    udpUrl: `turn:127.0.0.1:${port}?transport=udp`,
    log: () => safeRead(logFile),
    async stop() {
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await proc.exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function safeRead(f: string): string {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return "";
  }
}
