// A network partition between the owner and Redis (the others still reach it): the suite puts a
// TCP proxy of its own (lib/proxy.ts) between the owner and Redis and cuts it for longer than
// the lease (3 s), then heals it. The other instance takes the class over; the cut-off owner
// must give it up and its students' answers must end up with the new owner.
//   partition        the link goes silent: bytes wait and are delivered on the heal
//   partition-reset  the link is reset: the owner's writes fail at once, so it acknowledges
//                    answers from its own store and must hand them over when it finds the class taken
import type { Fault } from "./lib/fault.ts";
import { PartitionProxy } from "./lib/proxy.ts";
import { runQuizFault } from "./lib/quiz-fault.ts";

function partitionFault(how: "silent" | "reset"): Fault {
  return {
    name: how === "silent" ? "partition" : "partition-reset",
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
            return [
              await t.instance({ name: "a", env: { REDIS_URL: proxy.url } }),
              await t.instance({ name: "b", env: { REDIS_URL: redis.url } }),
            ];
          },
          async inject() {
            proxy.partition(how);
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
}

export const partition = partitionFault("silent");
export const partitionReset = partitionFault("reset");
