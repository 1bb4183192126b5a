// Redis refusing writes on a connection that stays up (here NOREPLICAS: a primary with
// min-replicas-to-write 1, as the edge-city overlay runs it, that lost its replica): the owner
// acknowledges answers from its own store meanwhile, and must share them again once Redis takes
// writes again, although no reconnection happens (cluster/redis.ts). Real redis-server processes.
import { afterAll, expect, test } from "bun:test";
import { Classroom } from "../../../faults/lib/classroom.ts";
import { redisCli, Topology, until } from "../../../faults/lib/procs.ts";
import { setReplyTimeout } from "./support/ws.ts";

setReplyTimeout(10_000);
const t = new Topology();
afterAll(() => t.stop());

test("answers acknowledged while the primary refused writes (NOREPLICAS) reach Redis and every instance's results once it takes " +
  "writes again", async () => {
  const args = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];
  const primary = await t.redis({ args });
  const replica = await t.redis({ replicaOf: primary.port, args });
  const synced = () =>
    until("the replica is in sync", () => redisCli(replica.port, "info", "replication").includes("master_link_status:up"), 15_000);
  await synced();
  const env = { REDIS_URL: primary.url, REDIS_PREFIX: "refused:" };
  const a = await t.instance({ name: "a", env });
  const b = await t.instance({ name: "b", env });
  const room = await Classroom.open(t, [a, b], 6);
  try {
    await room.begin();
    const answersKey = `refused:{${room.classId}}:answers:${room.questionId}`;
    await room.answerAll(room.on(b).slice(0, 1), 10_000);
    expect(redisCli(primary.port, "hlen", answersKey)).toBe("1");

    await replica.kill();
    await until("the primary refuses writes", () => redisCli(primary.port, "set", "probe", "1").includes("NOREPLICAS"), 10_000);
    // The owner's students: acknowledged from the owner's store, not in Redis.
    const owners = room.on(a);
    expect(await room.answerAll(owners, 10_000)).toBe(owners.length);
    expect(redisCli(primary.port, "hlen", answersKey)).toBe("1");

    await replica.start();
    await synced();
    // No reconnection happens: the next successful command must bring the re-share.
    await until(
      "the owner shares its answers again",
      () => redisCli(primary.port, "hlen", answersKey) === String(1 + owners.length),
      10_000,
      100,
    );
    expect(await room.lostOn(b)).toEqual([]);
  } finally {
    room.close();
  }
}, 90_000);
