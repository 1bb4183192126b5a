// `npm start`: the EdgeClass server on embedded defaults (SQLite under ./data, no Redis).
import type * as Fs from "node:fs";
import { mintToken } from "./auth/tokens.ts";
import { ConfigError, isLoopback } from "./config/config.ts";
import { loadConfig } from "./config/load.ts";
import { startServer } from "./server.ts";

let config;
try {
  config = await loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78); // EX_CONFIG
  }
  throw e;
}

const server = await startServer(config);
const anyAddress = config.host === "0.0.0.0" || config.host === "::";
const base = `http://${anyAddress || isLoopback(config.host) ? "localhost" : config.host}:${server.url.port}`;
server.logger.info({ url: server.url.href, dataDir: config.dataDir, redis: config.redisUrl ? "on" : "off" }, "listening");

/**
 * Whether stdout or stderr is a terminal, asked of the file system: the first touch of process.stderr
 * (or node:tty) loads Node's stream layer, 20-50 ms under Bun, which would hold up readiness (issue 19).
 * A terminal is a character device; /dev/null (stdio "ignore") is one too, and is not a terminal.
 */
function onTerminal(): boolean {
  const { fstatSync, statSync } = import.meta.require("node:fs") as typeof Fs; // not on the start path
  const devNull = statSync("/dev/null", { throwIfNoEntry: false })?.rdev;
  return [1, 2].some((fd) => {
    try {
      const s = fstatSync(fd);
      return s.isCharacterDevice() && s.rdev !== devNull;
    } catch {
      return false; // closed
    }
  });
}

// On a terminal, a few lines for a person (issue 16 defect 20); pipes and log collectors get JSON only.
if (process.env.EDGECLASS_BANNER === "1" || onTerminal()) {
  const lines = ["", `EdgeClass is running: ${base}  (data in ${config.dataDir})`, `Sign in:       ${base}/login`];
  if (server.demo && !config.jwt.jwksFile && !config.jwt.jwksUrl) {
    const token = await mintToken(server.secret, {
      sub: server.demo.teacher.id,
      role: "teacher",
      name: server.demo.teacher.name,
      ttlSeconds: 3600,
    });
    const who = (u: { id: string; name: string }) => `${u.name} (${u.id})`;
    lines.push(
      `Demo users:    teacher ${who(server.demo.teacher)}; students ${server.demo.students.map(who).join(", ")}`,
      `Demo course:   ${server.demo.courseId}, its class ${base}/class/${server.demo.classId}`,
      `Get a token:   npm run token -- --role teacher --sub ${server.demo.teacher.id}`,
      `Try it:        curl -H "Authorization: Bearer ${token}" ${base}/api/courses/${server.demo.courseId}`,
      // The demo sign-in never mints admin tokens: whoever runs the server mints one with its secret.
      `Admin page:    ${base}/admin#token=<the output of: npm run -s token -- --role admin --sub ${server.demo.admin.id}>`,
    );
  } else if (!config.demo && !isLoopback(config.host)) {
    lines.push(`Demo sign-in is off on ${config.host} (a public address); DEMO=true turns it on, or HOST=127.0.0.1`);
  }
  // process.stderr.write, not console.error: Bun prints console.error in red on a terminal.
  process.stderr.write(lines.join("\n") + "\n\n");
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    // Hard deadline: exit within 10 s even if something hangs.
    setTimeout(() => process.exit(1), 10_000).unref();
    server.stop().then(() => process.exit(0));
  });
}

// A stray rejection (a dropped Redis connection inside a library) is logged, not fatal:
// one instance going down for it would hand every class it owns over for nothing.
process.on("unhandledRejection", (e) => server.logger.error({ err: e }, "unhandled rejection"));
