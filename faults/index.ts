// Every fault of the suite, in the order `npm run faults` runs them.
import { diskFull, diskFullAfterIdle } from "./disk-full.ts";
import type { Fault } from "./lib/fault.ts";
import { ownerKill } from "./owner-kill.ts";
import { partition, partitionReset } from "./partition.ts";
import { redisRestartEmpty } from "./redis-restart-empty.ts";
import { sentinelFailover, sentinelFrozenPrimary } from "./sentinel-failover.ts";
import { slowConsumers } from "./slow-consumers.ts";
import { whepFlood } from "./whep-flood.ts";

export const FAULTS: Fault[] = [
  ownerKill,
  redisRestartEmpty,
  sentinelFailover,
  sentinelFrozenPrimary,
  partition,
  partitionReset,
  diskFull,
  diskFullAfterIdle,
  slowConsumers,
  whepFlood,
];
