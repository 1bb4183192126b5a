// Redis killed (kill -9) mid-quiz and restarted empty (no persistence) after an outage, as in
// issue 14's defect 1. The owner keeps serving its own students meanwhile; afterwards it must
// retake its lease and share the class again before any other instance can start it empty.
import type { Fault } from "./lib/fault.ts";
import type { RedisProc } from "./lib/procs.ts";
import { runQuizFault } from "./lib/quiz-fault.ts";

export const redisRestartEmpty: Fault = {
  name: "redis-restart-empty",
  aim: "0 answers lost; the class goes on within 10 s of Redis coming back empty",
  timing: true,
  run(o) {
    let redis: RedisProc;
    return runQuizFault(
      {
        aimMs: 10_000,
        async setup(t) {
          redis = await t.redis();
          const env = { REDIS_URL: redis.url };
          return [await t.instance({ name: "a", env }), await t.instance({ name: "b", env })];
        },
        async inject() {
          await redis.kill();
        },
        // The run waited 10 s; the short form 2 s.
        outage: {
          ms: o.size === "short" ? 2000 : 10_000,
          async end() {
            await redis.start();
          },
        },
      },
      o,
    );
  },
};
