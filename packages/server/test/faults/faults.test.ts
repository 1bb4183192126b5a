// The fault suite's short form (faults/, `npm run faults` runs the full one): each fault once,
// against real processes (redis-server, redis-sentinel, server instances) started here, with a
// small class. One implementation: these tests run the suite's own modules.
import { expect, test } from "bun:test";
import { diskFull, diskFullAfterIdle } from "../../../../faults/disk-full.ts";
import type { Fault } from "../../../../faults/lib/fault.ts";
import { ownerKill } from "../../../../faults/owner-kill.ts";
import { partition, partitionReset } from "../../../../faults/partition.ts";
import { redisRestartEmpty } from "../../../../faults/redis-restart-empty.ts";
import { sentinelFailover, sentinelFrozenPrimary } from "../../../../faults/sentinel-failover.ts";
import { slowConsumers } from "../../../../faults/slow-consumers.ts";
import { whepFlood } from "../../../../faults/whep-flood.ts";
import { setReplyTimeout } from "../support/ws.ts";

// Several processes on two shared cores: give replies time. The short forms hold recovery to the case's
// 30 s; `npm run faults` holds the 10 s (faults/lib/quiz-fault.ts).
setReplyTimeout(10_000);

async function once(f: Fault) {
  const r = await f.run({ size: "short" });
  // The notes say what went wrong; show them when it did.
  expect({ lost: r.answersLost, ok: r.ok, notes: r.notes }).toEqual({ lost: 0, ok: true, notes: [] });
  expect(r.ackedBefore).toBeGreaterThan(0);
  return r;
}

test("kill -9 of a class's owner mid-quiz: no acknowledged answer lost, the class goes on within 30 s", async () => {
  await once(ownerKill);
}, 120_000);

test("Redis killed mid-quiz and restarted empty: no acknowledged answer lost, the class goes on within 30 s", async () => {
  await once(redisRestartEmpty);
}, 120_000);

test("Sentinel: kill -9 of the Redis primary mid-quiz (two replicas, three sentinels): the instances follow the failover, no " +
  "acknowledged answer lost, the class goes on within 30 s", async () => {
  const r = await once(sentinelFailover);
  expect(r.firstAckAfterFaultMs).toBeLessThanOrEqual(30_000);
  expect(r.figures?.promotedAfterMs).toBeGreaterThan(0);
}, 120_000);

test("Sentinel: the Redis primary frozen (SIGSTOP) until the sentinels promote a replica, then thawed and demoted: the instances " +
  "leave it (no 17 s stall on its open connections), no acknowledged answer lost", async () => {
  await once(sentinelFrozenPrimary);
}, 120_000);

test("a network partition between the owner and Redis: the other instance takes the class within 30 s, no acknowledged answer " +
  "lost", async () => {
  await once(partition);
}, 120_000);

test("a partition that resets the owner's connections to Redis: the owner acknowledges from its own store, hands those answers " +
  "over when it finds the class taken; none lost", async () => {
  const r = await once(partitionReset);
  expect(r.figures?.ackedDuringOutage).toBeGreaterThan(0); // the owner did acknowledge alone
}, 120_000);

test("a WHEP flood (dead offers, 30 at a time, from one student): another student's WHEP is answered fast and their video " +
  "plays", async () => {
  const r = await whepFlood.run({ size: "short" });
  expect({ ok: r.ok, notes: r.notes }).toEqual({ ok: true, notes: [] });
  expect(r.figures?.whepDuringFloodMaxMs).toBeGreaterThan(0);
}, 120_000);

test("slow consumers (100 never-reading sockets during staff chat): memory bounded, every drop counted, a normal student " +
  "gets every chat message and stays connected", async () => {
  const r = await slowConsumers.run({ size: "short" });
  expect({ ok: r.ok, notes: r.notes }).toEqual({ ok: true, notes: [] });
  expect(r.figures?.slowClientsDropped).toBe(100);
}, 120_000);

for (const [f, when] of [
  [diskFull, "mid-quiz"],
  [diskFullAfterIdle, "after 500 ms without a write (time for a WAL checkpoint)"],
] as const) {
  test(`disk full under DATA_DIR ${when} (a private tmpfs): answers refused as storage-full, REST 507, /readyz 503; after ` +
    "space is freed the class goes on and no acknowledged answer is lost", async () => {
    const r = await f.run({ size: "short" });
    expect({ lost: r.answersLost, ok: r.ok, notes: r.notes }).toEqual({ lost: 0, ok: true, notes: [] });
    expect(r.figures).toMatchObject({ restStatusWhileFull: 507, readyzWhileFull: 503 });
    expect(String(r.figures?.errorsWhileFull)).toMatch(/^storage-full×\d+$/);
  }, 120_000);
}
