// A TCP proxy on loopback that the partition fault puts between one instance and Redis, and
// cuts and heals. Cut = a partition as the network makes it: nothing passes either way, the
// connections stay open (no RST, no FIN), bytes sent meanwhile wait; new connections are held
// unanswered. Heal = what was held is delivered and traffic flows again, as TCP retransmission
// does after a short partition. A cut with reset is the other way a network fails: every
// connection is reset at once and new ones are refused until the heal. No root, no iptables.
import { connect, createServer, type Server, type Socket } from "node:net";
import { freePort } from "../../bench/lib/process.ts";

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** Held while cut: client-to-upstream and upstream-to-client bytes. */
  up: Buffer[];
  down: Buffer[];
}

export class PartitionProxy {
  private server!: Server;
  private readonly pairs = new Set<Pair>();
  private cut = false;
  private refusing = false;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server.listen(this.port, "127.0.0.1", resolve));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket): void {
    if (this.refusing) return void client.destroy();
    const pair: Pair = { client, upstream: null, up: [], down: [] };
    this.pairs.add(pair);
    client.on("data", (b: Buffer) => (this.cut || !pair.upstream ? pair.up.push(b) : pair.upstream.write(b)));
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on("error", end);
    client.on("close", end);
    if (!this.cut) this.dial(pair);
  }

  private dial(pair: Pair): void {
    const up = connect(this.targetPort, "127.0.0.1");
    pair.upstream = up;
    up.on("connect", () => this.flush(pair));
    up.on("data", (b: Buffer) => (this.cut ? pair.down.push(b) : pair.client.write(b)));
    const end = () => {
      this.pairs.delete(pair);
      pair.client.destroy();
      up.destroy();
    };
    up.on("error", end);
    up.on("close", end);
  }

  private flush(pair: Pair): void {
    if (this.cut || !pair.upstream) return;
    for (const b of pair.up.splice(0)) pair.upstream.write(b);
    for (const b of pair.down.splice(0)) pair.client.write(b);
  }

  /** Starts the partition: held silently, or with every connection reset and new ones refused. */
  partition(how: "silent" | "reset" = "silent"): void {
    if (how === "reset") {
      this.refusing = true;
      for (const p of this.pairs) {
        p.client.resetAndDestroy();
        p.upstream?.destroy();
      }
      this.pairs.clear();
    } else this.cut = true;
  }

  /** Ends it: held connections are dialled, held bytes delivered; new connections are accepted. */
  heal(): void {
    this.cut = false;
    this.refusing = false;
    for (const pair of this.pairs) {
      if (!pair.upstream) this.dial(pair);
      else this.flush(pair);
    }
  }

  close(): void {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    this.server.close();
  }
}
