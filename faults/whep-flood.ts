// A WHEP flood: one admitted student sends 300 WHEP offers that never connect, 30 at a time, while
// the teacher publishes; meanwhile another student joins the video again and again. Their WHEP
// answer time (POST to 201) and their video must not suffer. One server process (its SFU workers
// are real child processes), real WebRTC peers (node-datachannel), real auth.
import ndc from "node-datachannel";
import { CountingSubscriber, type Signal, signalAs, SyntheticPublisher } from "../bench/sfu/ndc-peer.ts";
import { fetchUnpooled } from "../packages/server/src/http/fetch-unpooled.ts";
import { Classroom } from "./lib/classroom.ts";
import { percentile, type Fault, type RunResult } from "./lib/fault.ts";
import { Topology } from "./lib/procs.ts";

/** WHIP/WHEP signalling with a bearer token; records each POST's answer time. */
function signal(token: string, times?: number[]): Signal {
  const plain = signalAs(token);
  return {
    ...plain,
    async post(url, sdp) {
      const t0 = performance.now();
      const answer = await plain.post(url, sdp);
      times?.push(performance.now() - t0);
      return answer;
    },
  };
}

/** A real WHEP offer whose peer is closed at once: the SFU answers it, nobody ever connects. */
async function deadOffer(): Promise<string> {
  const pc = new ndc.PeerConnection("dead", { iceServers: [] });
  const v = new ndc.Video("0", "RecvOnly");
  v.addVP8Codec(96);
  pc.addTrack(v);
  pc.setLocalDescription();
  const end = Date.now() + 3000;
  while (pc.gatheringState() !== "complete" && Date.now() < end) await Bun.sleep(20);
  const sdp = pc.localDescription()?.sdp ?? "";
  pc.close();
  return sdp;
}

async function udpPair(): Promise<number> {
  for (;;) {
    // Below the kernel's ephemeral range (32768+), so no other socket takes them meanwhile.
    const base = 21000 + Math.floor(Math.random() * 5000) * 2;
    try {
      const a = await Bun.udpSocket({ port: base });
      const b = await Bun.udpSocket({ port: base + 1 });
      a.close();
      b.close();
      return base;
    } catch {}
  }
}

const AIM_MAX_MS = 2500;

export const whepFlood: Fault = {
  name: "whep-flood",
  aim:
    `another student's WHEP answered within ${AIM_MAX_MS} ms (max) and their video plays during 300 dead offers, 30 at a ` +
    `time, from one student`,
  timing: false,
  async run(o): Promise<RunResult> {
    const t = new Topology();
    const notes: string[] = [];
    const peers: { close(): void }[] = [];
    let room: Classroom | null = null;
    try {
      const port = await udpPair();
      const inst = await t.instance({
        name: "a",
        env: { MEDIA_WORKERS: "1", MEDIA_PORT_MIN: String(port), MEDIA_PORT_MAX: String(port + 1), MEDIA_PUBLIC_IP: "127.0.0.1" },
      });
      room = await Classroom.open(t, [inst], 2);
      await room.begin();
      const [flooder, viewer] = room.students;
      const url = `${inst.base}/api/classes/${room.classId}/whep`;
      const pub = new SyntheticPublisher();
      peers.push(pub);
      await pub.connect(`${inst.base}/api/classes/${room.classId}/whip`, signalAs(room.teacherToken));
      pub.start();

      const join = async (times: number[]) => {
        const sub = new CountingSubscriber("viewer");
        peers.push(sub);
        await sub.connect(url, signal(viewer.token, times));
        const end = Date.now() + 10_000;
        while (sub.videoPackets < 30 && Date.now() < end) await Bun.sleep(50);
        const playing = sub.videoPackets >= 30;
        await signalAs(viewer.token).remove(new URL(sub.location, url).href);
        sub.close();
        return playing;
      };
      const baseline: number[] = [];
      await join(baseline);

      const offer = await deadOffer();
      const statuses = new Map<number, number>();
      let sent = 0;
      let joined = false;
      const total = o.size === "short" ? 120 : 300;
      // The flood goes on until the other student's joins are done (at least `total` offers), so
      // every join is measured during it.
      const floodWorker = async () => {
        while (sent < total || !joined) {
          sent++;
          const res = await fetchUnpooled(url, {
            method: "POST",
            headers: { "content-type": "application/sdp", authorization: `Bearer ${flooder.token}` },
            body: offer,
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          await res.arrayBuffer();
        }
      };
      const flood = Promise.all(Array.from({ length: 30 }, floodWorker));
      await Bun.sleep(300);
      const during: number[] = [];
      let notPlaying = 0;
      const joins = o.size === "short" ? 2 : 5;
      for (let i = 0; i < joins; i++) {
        const ok = await join(during).catch((e: Error) => {
          notes.push(`the other student's join failed: ${e.message}`);
          return false;
        });
        if (!ok) notPlaying++;
      }
      joined = true;
      await flood;
      if (!statuses.get(429)) notes.push("the flood was never refused with 429: it did not reach the per-user cap");
      const max = during.length ? Math.max(...during) : null;
      if (max === null || max > AIM_MAX_MS)
        notes.push(`the other student's WHEP took ${max === null ? "forever" : Math.round(max)} ms (aim ${AIM_MAX_MS} ms)`);
      if (notPlaying) notes.push(`${notPlaying} of ${joins} joins of the other student got no video`);
      const figures = {
        whepBaselineMs: Math.round(baseline[0] ?? -1),
        whepDuringFloodP50Ms: Math.round(percentile(during, 0.5) ?? -1),
        whepDuringFloodMaxMs: Math.round(max ?? -1),
        floodStatuses: [...statuses].map(([k, v]) => `${k}×${v}`).join(" "),
      };
      return { ackedBefore: 0, answersLost: 0, firstAckAfterFaultMs: null, ok: notes.length === 0, notes, figures };
    } finally {
      for (const p of peers) p.close();
      room?.close();
      await t.stop();
    }
  },
};
