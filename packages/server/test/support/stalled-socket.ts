// A WebSocket client that never reads: a raw TCP socket opened through libc (bun:ffi), so
// no runtime reads it behind our back. It sends the upgrade request and then nothing.
// SO_RCVBUF is set to the minimum and TCP_MAXSEG to 536 before connecting: on loopback
// (MTU 64 KiB) the server's kernel would otherwise absorb ~1.6 MB per socket before its
// user-space queue grows; with a WAN-sized segment it absorbs ~30 KB, as over a real link.
import { dlopen, FFIType, ptr } from "bun:ffi";

const libc = dlopen(process.platform === "linux" ? "libc.so.6" : "libc.dylib", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
});

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVTIMEO = 20;
const IPPROTO_TCP = 6;
const TCP_MAXSEG = 2;

function setInt(fd: number, level: number, name: number, value: number): void {
  const v = new Int32Array([value]);
  libc.symbols.setsockopt(fd, level, name, ptr(v), 4);
}

/** Opens a never-reading WebSocket to 127.0.0.1:port at `path` (with its ?token=); returns the file descriptor. */
export function stalledSocket(port: number, path: string): number {
  const fd = libc.symbols.socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw new Error("socket() failed (open-files limit?)");
  setInt(fd, SOL_SOCKET, SO_RCVBUF, 1024);
  setInt(fd, IPPROTO_TCP, TCP_MAXSEG, 536);
  const addr = new Uint8Array(16); // sockaddr_in: family, port (big-endian), 127.0.0.1
  addr[0] = AF_INET;
  addr[2] = port >> 8;
  addr[3] = port & 255;
  addr.set([127, 0, 0, 1], 4);
  if (libc.symbols.connect(fd, ptr(addr), 16) !== 0) {
    libc.symbols.close(fd);
    throw new Error(`connect to 127.0.0.1:${port} failed`);
  }
  const req = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ` +
      `${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  libc.symbols.write(fd, ptr(req), req.length);
  return fd;
}

export function closeSocket(fd: number): void {
  libc.symbols.close(fd);
}

/**
 * Reads what the server sent until it closes the connection or `idleMs` pass without data
 * (blocking: run it in a process that serves nothing). Returns the bytes and whether the
 * server closed the connection.
 */
export function readAll(fd: number, idleMs = 2000): { bytes: Buffer; eof: boolean } {
  const tv = new BigInt64Array([BigInt(Math.floor(idleMs / 1000)), BigInt((idleMs % 1000) * 1000)]);
  libc.symbols.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ptr(tv), 16);
  const chunks: Buffer[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = Number(libc.symbols.read(fd, ptr(buf), buf.length));
    if (n <= 0) return { bytes: Buffer.concat(chunks), eof: n === 0 };
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
}

/** The WebSocket frames of a server-to-client stream (after the HTTP response): opcode, length, and a close frame's code. */
export function serverFrames(stream: Buffer): { opcode: number; length: number; closeCode?: number }[] {
  const out: { opcode: number; length: number; closeCode?: number }[] = [];
  let i = stream.indexOf("\r\n\r\n");
  if (i < 0) return out;
  i += 4;
  while (i + 2 <= stream.length) {
    const opcode = stream[i] & 0x0f;
    let length = stream[i + 1] & 0x7f;
    let header = 2;
    if (length === 126) (length = stream.readUInt16BE(i + 2)), (header = 4);
    else if (length === 127) (length = Number(stream.readBigUInt64BE(i + 2))), (header = 10);
    if (i + header + length > stream.length) break;
    out.push({ opcode, length, closeCode: opcode === 8 && length >= 2 ? stream.readUInt16BE(i + header) : undefined });
    i += header + length;
  }
  return out;
}
