// Sentinel failover: a Redis primary with two replicas and three sentinels (down-after 1 s), as
// the edge-city overlay runs them (min-replicas-to-write 1 included),
// two instances that find the primary through REDIS_SENTINELS; kill -9 of the primary mid-quiz.
// The instances must follow the sentinels to the promoted replica; the owner re-shares what the
// replica may not have received (replication is asynchronous).
import type { Fault } from "./lib/fault.ts";
import { redisCli, until, type RedisProc, type SentinelSet } from "./lib/procs.ts";
import { runQuizFault } from "./lib/quiz-fault.ts";

/** The primary frozen (SIGSTOP) long enough for a failover, then thawed: its clients' connections
 *  stay open, and the sentinels turn it into a replica of the promoted one (READONLY from then on). */
export const sentinelFrozenPrimary: Fault = {
  name: "sentinel-frozen-primary",
  aim: "0 answers lost; the class goes on within 10 s of the Redis primary freezing (SIGSTOP 5 s, then SIGCONT: demoted)",
  timing: true,
  run(o) {
    let primary: RedisProc;
    return runQuizFault(
      {
        aimMs: 10_000,
        measureFrom: "fault",
        async setup(t) {
          const args = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];
          primary = await t.redis({ args });
          const replicaPorts: number[] = [];
          for (let i = 0; i < 2; i++) {
            const replica = await t.redis({ replicaOf: primary.port, args });
            await until(
              "the replica is in sync",
              () => redisCli(replica.port, "info", "replication").includes("master_link_status:up"),
              15_000,
            );
            replicaPorts.push(replica.port);
          }
          const sentinels = await t.sentinels(primary.port, { downAfterMs: 1000, failoverTimeoutMs: 3000, replicaPorts });
          const env = { REDIS_URL: "redis://127.0.0.1/0", REDIS_SENTINELS: sentinels.addresses, REDIS_SENTINEL_NAME: sentinels.name };
          return [await t.instance({ name: "a", env }), await t.instance({ name: "b", env })];
        },
        async inject() {
          primary.signal("SIGSTOP");
        },
        outage: {
          ms: 5000,
          async end() {
            primary.signal("SIGCONT");
          },
        },
      },
      o,
    );
  },
};

export const sentinelFailover: Fault = {
  name: "sentinel-failover",
  aim: "0 answers lost; the class goes on within 10 s of kill -9 of the Redis primary",
  timing: true,
  run(o) {
    let primary: RedisProc;
    let sentinels: SentinelSet;
    return runQuizFault(
      {
        aimMs: 10_000,
        async setup(t) {
          // As deploy/k3s/overlays/edge-city/redis.conf: a primary without a replica takes no writes.
          const args = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];
          primary = await t.redis({ args });
          const replicaPorts: number[] = [];
          for (let i = 0; i < 2; i++) {
            const replica = await t.redis({ replicaOf: primary.port, args });
            await until(
              "the replica is in sync",
              () => redisCli(replica.port, "info", "replication").includes("master_link_status:up"),
              15_000,
            );
            replicaPorts.push(replica.port);
          }
          sentinels = await t.sentinels(primary.port, { downAfterMs: 1000, failoverTimeoutMs: 3000, replicaPorts });
          const env = { REDIS_URL: "redis://127.0.0.1/0", REDIS_SENTINELS: sentinels.addresses, REDIS_SENTINEL_NAME: sentinels.name };
          return [await t.instance({ name: "a", env }), await t.instance({ name: "b", env })];
        },
        async inject(c) {
          const at = Date.now();
          await primary.kill();
          // How long the sentinels take to promote the replica (for the record).
          void until("the sentinels promote the replica", () => sentinels.primaryPort() !== primary.port, 30_000, 100)
            .then(() => (c.figures.promotedAfterMs = Date.now() - at))
            .catch(() => c.notes.push("the sentinels did not promote the replica within 30 s"));
        },
      },
      o,
    );
  },
};
