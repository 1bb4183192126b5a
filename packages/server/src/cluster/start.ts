// Scale-out mode (REDIS_URL set): the Redis link, the hub that runs classes across instances,
// and the catalogue kept in step with the other instances. Loaded only in this mode.
import type { RoomDeps } from "../live/room.ts";
import type { Logger } from "../obs/logger.ts";
import type { Registry } from "../obs/prom.ts";
import type { SqliteStore } from "../store/sqlite/sqlite-store.ts";
import { CatalogueSync, createCatalogueMetrics } from "./catalogue-sync.ts";
import { importClassRecords } from "./class-records.ts";
import { revokeFromCatalogue } from "./class-removals.ts";
import { ClusterHub, type LocalSockets } from "./cluster-hub.ts";
import { createRedisMetrics, RedisLink, type RedisSettings } from "./redis.ts";

export interface ClusterDeps {
  redis: RedisSettings;
  instanceId: string;
  /** Opened with `replicateAs`, so it records catalogue changes. */
  store: SqliteStore;
  roomDeps: Omit<RoomDeps, "onEnded" | "fanout" | "shared">;
  sockets: LocalSockets;
  registry: Registry;
  logger: Logger;
  /** Runs once the catalogue has been loaded from Redis (the demo course is made then, if missing). */
  afterCatalogueLoaded(): void;
}

export interface ClusterMode {
  link: RedisLink;
  hub: ClusterHub;
  catalogue: CatalogueSync;
  /** Copies a class's answers and attendance from Redis into this instance's store. */
  refreshClassRecords(classId: string): Promise<void>;
}

export async function startCluster(d: ClusterDeps): Promise<ClusterMode> {
  const { store, logger } = d;
  const redisMetrics = createRedisMetrics(d.registry);
  const link = new RedisLink(d.redis, redisMetrics, logger);
  const hub = new ClusterHub(link, d.instanceId, store, d.roomDeps, d.sockets, redisMetrics, logger);
  const journal = store.catalogue;
  if (!journal) throw new Error("the store does not record catalogue changes: open it with replicateAs");
  const catalogue = new CatalogueSync(link, journal, createCatalogueMetrics(d.registry, journal), logger);
  const refreshClassRecords = (classId: string) =>
    importClassRecords(link, store, classId, d.roomDeps.now()).catch((e: Error) =>
      logger.warn({ classId, err: e.message }, "class records not refreshed from redis"),
    );
  // A class ended elsewhere: keep its results here too (Redis keeps them only for a day).
  catalogue.onApplied = (changes) => {
    for (const c of changes) if (c.kind === "class" && c.row.status === "ended") void refreshClassRecords(c.row.id);
    revokeFromCatalogue(hub, changes); // unenrolled or archived elsewhere: the owner takes the students out
  };
  void catalogue.whenSynced().then(d.afterCatalogueLoaded);
  // If Redis is not there yet, the hub subscribes and the catalogue loads once it is.
  await link
    .connect()
    .then(() => hub.start())
    .catch((e: Error) => logger.warn({ err: e.message }, "redis not reachable at start; retrying"));
  catalogue.start();
  return { link, hub, catalogue, refreshClassRecords };
}
