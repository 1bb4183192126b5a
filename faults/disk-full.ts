// Disk full under DATA_DIR mid-quiz: one instance (SQLite only) with its data folder on a small
// tmpfs of its own (a private mount namespace: `unshare -Urm`, no root needed), filled by the suite
// through /proc/<pid>/root. While full: answers are refused with a clear error (never acknowledged
// without being stored), REST writes get a problem document that is not `internal`, /readyz turns
// 503. Then space is freed: /readyz 200 again and the class goes on; no acknowledged answer lost.
// diskFullAfterIdle fills the disk only after no write for a while: a WAL checkpoint made in that
// lull (a checkpointing thread, say) lets the WAL start over in space it already has, where writes
// on a full disk are stored, acknowledged and clear the 503 (why 7d865ed was reverted; docs/benchmarks.md).
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fetchUnpooled } from "../packages/server/src/http/fetch-unpooled.ts";
import { Classroom } from "./lib/classroom.ts";
import type { Fault, RunResult } from "./lib/fault.ts";
import { Topology, until } from "./lib/procs.ts";

export const diskFull = diskFullFault("disk-full", 0);
export const diskFullAfterIdle = diskFullFault("disk-full-after-idle", 500);

function diskFullFault(name: string, idleMs: number): Fault {
  return {
    name,
    aim: "0 answers lost; clear errors and /readyz 503 while DATA_DIR is full; the class goes on within 10 s of space coming back",
    timing: false,
    async run(o): Promise<RunResult> {
      const t = new Topology();
      const notes: string[] = [];
      const figures: Record<string, number | string> = {};
      let room: Classroom | null = null;
      try {
        const inst = await t.instance({ name: "a", tmpfsMiB: 8 });
        const filler = join(`/proc/${inst.pid}/root`, inst.dataDir, "filler");
        room = await Classroom.open(t, [inst], o.size === "short" ? 6 : 60);
        await room.begin();
        const all = room.students;
        await room.answerAll(all.slice(0, Math.ceil(all.length / 3)), 20_000);
        const ackedBefore = room.acked().length;
        await Bun.sleep(idleMs);

        // Fill the disk: more than it holds.
        try {
          writeFileSync(filler, new Uint8Array(64 * 1024 * 1024));
        } catch (e) {
          if ((e as { code?: string }).code !== "ENOSPC") throw e;
        }
        // Answers while full: each is either refused (and asked again later) or acknowledged (and then must be kept).
        const during = all.filter((s) => s.ackedAt === null).slice(0, Math.ceil(all.length / 3));
        await room.answerAll(during, 3000);
        figures.ackedWhileFull = during.filter((s) => s.ackedAt !== null).length;
        figures.errorsWhileFull = [...room.errors].map(([k, v]) => `${k}×${v}`).join(" ") || "none";
        // The defect: "a full disk gives generic internal errors".
        if (room.errors.has("internal"))
          notes.push(`answers on a full disk were refused as "internal" (${room.errors.get("internal")}×), not with a clear error`);
        // A REST write: a problem document, and not `internal`.
        let rest: Response | null = null;
        for (let i = 0; i < 50; i++) {
          const r = await fetchUnpooled(`${inst.base}/api/courses`, {
            method: "POST",
            headers: { authorization: `Bearer ${room.teacherToken}`, "content-type": "application/json" },
            body: JSON.stringify({ title: `Full ${i}`, description: "x".repeat(5000) }),
          });
          if (r.status !== 201) {
            rest = r;
            break;
          }
          await r.arrayBuffer();
        }
        const problem = rest ? ((await rest.json().catch(() => ({}))) as { type?: string }) : {};
        figures.restStatusWhileFull = rest?.status ?? 201;
        if (!rest) notes.push("REST writes kept succeeding on a full disk");
        else if (rest.headers.get("content-type") !== "application/problem+json" || !problem.type || problem.type.endsWith("/internal"))
          notes.push(`REST write on a full disk: ${rest.status} ${problem.type ?? "(no problem document)"}`);
        const readyWhileFull = await until(
          "/readyz turns 503 while the disk is full",
          async () => (await fetch(`${inst.base}/readyz`)).status === 503,
          10_000,
          200,
        ).then(
          () => true,
          () => false,
        );
        figures.readyzWhileFull = readyWhileFull ? 503 : 200;
        if (!readyWhileFull) notes.push("/readyz stayed 200 on a full disk");

        // Free the space.
        rmSync(filler, { force: true });
        const freedAt = Date.now();
        const after = all.filter((s) => s.ackedAt === null);
        await room.answerAll(after, 30_000);
        const firstAck = after.length
          ? Math.min(...after.filter((s) => s.ackedAt !== null).map((s) => (s.ackedAt as number) - freedAt))
          : null;
        const readyAgain = await until(
          "/readyz is 200 again",
          async () => (await fetch(`${inst.base}/readyz`)).status === 200,
          10_000,
          200,
        ).then(
          () => true,
          () => false,
        );
        if (!readyAgain) notes.push("/readyz did not come back to 200 within 10 s of space being freed");
        const { lost, detail } = await room.lost();
        if (lost) notes.push(`lost: ${JSON.stringify(detail)}`);
        const everyone = room.acked().length === all.length;
        if (!everyone) notes.push(`${all.length - room.acked().length} students could not answer after space came back`);
        const first = firstAck !== null && Number.isFinite(firstAck) ? Math.max(0, firstAck) : null;
        if (first !== null && first > 10_000) notes.push(`first ack after space came back took ${first} ms`);
        return {
          ackedBefore,
          answersLost: lost,
          firstAckAfterFaultMs: first,
          ok: lost === 0 && everyone && readyWhileFull && readyAgain && notes.length === 0,
          notes,
          figures,
        };
      } finally {
        room?.close();
        await t.stop();
      }
    },
  };
}
