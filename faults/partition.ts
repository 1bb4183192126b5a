// A network partition between the owner and Redis (the others still reach it): the suite puts a
// TCP proxy of its own (lib/proxy.ts) between the owner and Redis and stops every byte both ways
// for longer than the lease (3 s), then heals it. The other instance takes the class over; the
// cut-off owner must give it up and its students' answers must end up with the new owner.
import type { Fault } from "./lib/fault.ts";
import { PartitionProxy } from "./lib/proxy.ts";
import { runQuizFault } from "./lib/quiz-fault.ts";

export const partition: Fault = {
  name: "partition",
  aim: "0 answers lost; the other instance's students go on within 10 s of the partition starting",
  timing: true,
  run(o) {
    let proxy: PartitionProxy;
    return runQuizFault(
      {
        aimMs: 10_000,
        // The other instance needs nothing from the cut-off owner: its students go on during the partition.
        measureFrom: "fault",
        async setup(t) {
          const redis = await t.redis();
          proxy = new PartitionProxy(redis.port);
          await proxy.start();
          return [await t.instance({ name: "a", env: { REDIS_URL: proxy.url } }), await t.instance({ name: "b", env: { REDIS_URL: redis.url } })];
        },
        async inject() {
          proxy.partition();
        },
        outage: {
          ms: o.size === "short" ? 5000 : 8000,
          async end() {
            proxy.heal();
          },
        },
      },
      o,
    ).finally(() => proxy?.close());
  },
};
