// A WebSocket client that stops reading for a while, then reads everything (run as its own
// process: its reads block). It joins, reads nothing until a line arrives on stdin, waits
// pauseMs more, then reads for readMs. Prints, as JSON, the chat message ids it received in order,
// and the close code if the server closed it.
//   bun pausing-reader.ts <port> <path with ?token=> <pauseMs> <readMs>
import { readAll, serverFrames, stalledSocket } from "./stalled-socket.ts";

const [port, path, pauseMs, readMs] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const fd = stalledSocket(port, path);
for await (const _ of console) break; // the chat has begun
await Bun.sleep(pauseMs);
const deadline = Date.now() + readMs;
const chunks: Buffer[] = [];
let eof = false;
while (!eof && Date.now() < deadline) {
  const r = readAll(fd, 200);
  chunks.push(r.bytes);
  eof = r.eof;
}
const stream = Buffer.concat(chunks);
const chatIds: string[] = [];
let closeCode: number | null = null;
let at = stream.indexOf("\r\n\r\n") + 4;
for (const f of serverFrames(stream)) {
  const header = f.length < 126 ? 2 : f.length < 65536 ? 4 : 10;
  if (f.opcode === 1) {
    const m = JSON.parse(stream.subarray(at + header, at + header + f.length).toString("utf8")) as {
      type: string;
      message?: { id: string };
    };
    if (m.type === "chat.message" && m.message) chatIds.push(m.message.id);
  }
  if (f.opcode === 8) closeCode = f.closeCode ?? null;
  at += header + f.length;
}
console.log(JSON.stringify({ chatIds, closeCode, eof }));
