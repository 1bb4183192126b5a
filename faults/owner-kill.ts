// kill -9 of the instance that owns a live class mid-quiz: its lease expires (3 s) and the other
// instance takes the class over from Redis; the killed instance's students reconnect there.
import type { Fault } from "./lib/fault.ts";
import { runQuizFault } from "./lib/quiz-fault.ts";

export const ownerKill: Fault = {
  name: "owner-kill",
  aim: "0 answers lost; the class goes on within 10 s of kill -9 of its owner",
  timing: true,
  run(o) {
    return runQuizFault(
      {
        aimMs: 10_000,
        async setup(t) {
          const redis = await t.redis();
          const env = { REDIS_URL: redis.url };
          return [await t.instance({ name: "a", env }), await t.instance({ name: "b", env })];
        },
        async inject(c) {
          await c.owner.kill("SIGKILL");
          c.room.up = c.instances.filter((i) => i !== c.owner);
        },
      },
      o,
    );
  },
};
