// TURN over TCP for Chromium students, around a libjuice bug (docs/media.md, "TURN over TCP").
// Chromium's connectivity checks from a TURN/TCP relay candidate carry a tiebreaker of 0, and
// libjuice (node-datachannel's ICE agent) answers any check whose ICE-CONTROLLING and
// ICE-CONTROLLED values are equal (absent counts as 0) with 400 (libjuice agent.c,
// agent_process_stun_binding; upstream issue libjuice#355, fix in PR #356, not released). RFC 8445
// allows a zero tiebreaker. So each worker also listens on a second UDP port, announced in every
// answer as a low-priority candidate: a check arriving there with a zero tiebreaker gets 1
// instead, re-signed with the session's own ice-pwd (we made the answer, so we know it), and
// everything from that peer is passed to the worker's ICE port through a socket of its own (one
// per peer, so libjuice tells peers apart) and back. Peers that reach the ICE port directly never
// use it: its candidate has the lowest priority.
import { BINDING_REQUEST, BINDING_SUCCESS, fixZeroTiebreaker, isStun, setMappedAddress, username } from "../stun.ts";
import { config } from "./runtime.ts";

/** Local ufrag -> local ice-pwd of this worker's sessions (from their answers). */
const passwords = new Map<string, string>();
const IDLE_MS = 30_000;

type UdpSocket = import("bun").udp.Socket<"buffer">;
interface Peer {
  up: Promise<UdpSocket>;
  lastAt: number;
  /** The ice-pwd of the session this peer's checks name (to re-sign the answers to them). */
  pwd: string | null;
}
const peers = new Map<string, Peer>();
/** Peers at once (each holds a socket for 30 s after its last packet). */
const MAX_PEERS = 2048;

const shim = config.turnShim
  ? await Bun.udpSocket({
      port: config.shimPort ?? 0,
      socket: {
        data(_s, buf: Buffer, port: number, address: string) {
          void toIce(buf, port, address);
        },
        error() {}, // ICMP unreachable from a peer that left
      },
    })
  : null;

/** The socket that speaks for one peer to the ICE port (made once, even when packets race). */
function peerFor(port: number, address: string, create: boolean): Peer | null {
  const key = `${address}:${port}`;
  let p = peers.get(key);
  if (!p) {
    if (!create || peers.size >= MAX_PEERS) return null;
    const up = Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(_s, back: Buffer) {
          if (peer.pwd && isStun(back) && back.readUInt16BE(0) === BINDING_SUCCESS) setMappedAddress(back, address, port, peer.pwd);
          shim?.send(back, port, address);
        },
        error() {}, // ICMP unreachable from a peer that left: its socket idles out
      },
    });
    const peer: Peer = { up, lastAt: 0, pwd: null };
    p = peer;
    peers.set(key, p);
  }
  p.lastAt = performance.now();
  return p;
}

async function toIce(buf: Buffer, port: number, address: string): Promise<void> {
  const check = isStun(buf) && buf.readUInt16BE(0) === BINDING_REQUEST;
  const pwd = check ? passwords.get(username(buf)?.split(":")[0] ?? "") : undefined;
  // A peer starts with a check naming one of our sessions; anything else from a stranger is dropped.
  const peer = peerFor(port, address, pwd !== undefined);
  if (!peer) return;
  if (pwd) {
    peer.pwd = pwd;
    fixZeroTiebreaker(buf, pwd);
  }
  (await peer.up).send(buf, config.muxPort, "127.0.0.1");
}

/** The answer a session gives, with the shim's candidate added; remembers its credentials. */
export function withShimCandidate(answer: string): string {
  if (!shim) return answer;
  const ufrag = /a=ice-ufrag:(\S+)/.exec(answer)?.[1];
  const pwd = /a=ice-pwd:(\S+)/.exec(answer)?.[1];
  if (ufrag && pwd) passwords.set(ufrag, pwd);
  const out: string[] = [];
  let done = false;
  for (const line of answer.split("\r\n")) {
    if (line.startsWith("m=")) done = false;
    out.push(line);
    const m = /^a=candidate:\S+ 1 UDP \d+ (\S+) \d+ typ host/.exec(line);
    if (m && !done) {
      out.push(`a=candidate:7 1 UDP 1 ${config.publicIp ?? m[1]} ${shim.port} typ host`);
      done = true;
    }
  }
  return out.join("\r\n");
}

export function forgetCredentials(answer: string): void {
  const ufrag = /a=ice-ufrag:(\S+)/.exec(answer)?.[1];
  if (ufrag) passwords.delete(ufrag);
}

setInterval(() => {
  const now = performance.now();
  for (const [key, p] of peers) {
    if (now - p.lastAt < IDLE_MS) continue;
    void p.up.then((s) => s.close());
    peers.delete(key);
  }
}, 10_000).unref?.();
