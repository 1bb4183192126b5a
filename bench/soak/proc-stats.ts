// What a process (and the processes it started: media workers) holds, read from /proc:
// resident memory, open descriptors, threads and UDP sockets.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

export interface ProcStats {
  /** Resident memory of the server process alone, MB. */
  rssMb: number;
  /** Resident memory of its child processes (media workers), MB. */
  childRssMb: number;
  /** Open file descriptors of the server process. */
  fds: number;
  /** ... and of its child processes. */
  childFds: number;
  threads: number;
  /** UDP sockets held by the server and its children (ICE ports of the media workers). */
  udpSockets: number;
  children: number;
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(read(`/proc/${pid}/status`));
  return m ? Number(m[1]) : 0;
}

/** Every descendant of pid (children, their children...), from /proc/<pid>/task/<tid>/children. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      for (const c of read(`/proc/${p}/task/${tid}/children`).split(" ").filter(Boolean).map(Number)) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/** Socket inodes a process holds ("socket:[12345]" links under /proc/<pid>/fd). */
function socketInodes(pid: number): { fds: number; inodes: Set<string> } {
  const inodes = new Set<string>();
  let names: string[] = [];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return { fds: 0, inodes };
  }
  for (const fd of names) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  return { fds: names.length, inodes };
}

/** Inodes of every UDP socket on the machine (IPv4 and IPv6). */
function udpInodes(): Set<string> {
  const out = new Set<string>();
  for (const file of ["/proc/net/udp", "/proc/net/udp6"]) {
    for (const line of read(file).split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9) out.add(cols[9]);
    }
  }
  return out;
}

export function procStats(pid: number): ProcStats {
  const kids = descendants(pid);
  const udp = udpInodes();
  const own = socketInodes(pid);
  let udpSockets = [...own.inodes].filter((i) => udp.has(i)).length;
  let childFds = 0;
  let childRssKb = 0;
  for (const k of kids) {
    const s = socketInodes(k);
    childFds += s.fds;
    udpSockets += [...s.inodes].filter((i) => udp.has(i)).length;
    childRssKb += statusField(k, "VmRSS");
  }
  return {
    rssMb: Math.round(statusField(pid, "VmRSS") / 102.4) / 10,
    childRssMb: Math.round(childRssKb / 102.4) / 10,
    fds: own.fds,
    childFds,
    threads: statusField(pid, "Threads"),
    udpSockets,
    children: kids.length,
  };
}
