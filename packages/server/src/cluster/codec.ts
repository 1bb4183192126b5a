// What instances say to each other on Redis pub/sub, encoded and decoded only here.
//  - Class events (`{classId}:events`, the owner to everyone): "<process tag>\t<opcode>\t<fields>",
//    text rather than JSON so the owner's fan-out wraps an already serialised message without
//    parsing or copying it again. Opcodes are one letter on the wire, named in EVENT_OPS.
//  - Requests (`{classId}:commands`, to the owner) and replies (`replies:<instance>`): JSON.
// Anything that does not decode is dropped by the receiver (decode* return null).
import type { ClientMessage, ErrorCode } from "@edgeclass/client/protocol";
import { DEFAULT_SCHOOL_ID, type Principal } from "../domain/model.ts";

/** Event opcode on the wire, by name. Changing a letter breaks mixed-version clusters during a rollout. */
export const EVENT_OPS = {
  /** A message for every socket of the class. */
  all: "a",
  /** A message for the class's staff. */
  staff: "s",
  /** A message for one user's sockets. */
  user: "u",
  /** Close one user's sockets with a code and reason. */
  closeUser: "c",
  /** Close every socket of the class. */
  closeAll: "x",
  /** A new owner took the class: admit your sockets again (an old owner steps down). */
  owner: "o",
  /** The owner shut down and released the class: admitting again finds the next one. */
  released: "g",
} as const;

export type ClassEvent =
  | { op: "all"; raw: string }
  | { op: "staff"; raw: string }
  | { op: "user"; userId: string; raw: string }
  | { op: "closeUser"; userId: string; code: number; reason: string }
  | { op: "closeAll"; code: number; reason: string }
  | { op: "owner"; instanceId: string }
  | { op: "released"; instanceId: string };

const OP_BY_LETTER = new Map<string, ClassEvent["op"]>(
  Object.entries(EVENT_OPS).map(([name, letter]) => [letter, name as ClassEvent["op"]]),
);

/** "<from>\t<letter>\t<fields...>"; the last field is taken whole (a JSON message or a close reason). */
export function encodeEvent(from: string, e: ClassEvent): string {
  const head = `${from}\t${EVENT_OPS[e.op]}\t`;
  switch (e.op) {
    case "all":
    case "staff":
      return head + e.raw;
    case "user":
      return `${head}${e.userId}\t${e.raw}`;
    case "closeUser":
      return `${head}${e.userId}\t${e.code}\t${e.reason}`;
    case "closeAll":
      return `${head}${e.code}\t${e.reason}`;
    case "owner":
    case "released":
      return head + e.instanceId;
  }
}

/** The sender's process tag alone (to skip one's own events before decoding them). */
export function eventSender(message: string): string {
  return message.slice(0, message.indexOf("\t"));
}

/** The event and its sender's process tag; null when the message is not an event. */
export function decodeEvent(message: string): { from: string; event: ClassEvent } | null {
  const tagEnd = message.indexOf("\t");
  const opEnd = message.indexOf("\t", tagEnd + 1);
  if (tagEnd < 0 || opEnd !== tagEnd + 2) return null;
  const op = OP_BY_LETTER.get(message[tagEnd + 1]);
  const from = message.slice(0, tagEnd);
  const rest = message.slice(opEnd + 1);
  /** Splits off the first `n` tab-separated fields; the remainder is the last field. */
  const fields = (n: number): string[] | null => {
    const out: string[] = [];
    let at = 0;
    for (let i = 0; i < n; i++) {
      const tab = rest.indexOf("\t", at);
      if (tab < 0) return null;
      out.push(rest.slice(at, tab));
      at = tab + 1;
    }
    out.push(rest.slice(at));
    return out;
  };
  const code = (s: string) => (/^\d{4}$/.test(s) ? Number(s) : null);
  switch (op) {
    case "all":
    case "staff":
      return { from, event: { op, raw: rest } };
    case "user": {
      const f = fields(1);
      return f ? { from, event: { op, userId: f[0], raw: f[1] } } : null;
    }
    case "closeUser": {
      const f = fields(2);
      const c = f && code(f[1]);
      return f && c ? { from, event: { op, userId: f[0], code: c, reason: f[2] } } : null;
    }
    case "closeAll": {
      const f = fields(1);
      const c = f && code(f[0]);
      return f && c ? { from, event: { op, code: c, reason: f[1] } } : null;
    }
    case "owner":
    case "released":
      return { from, event: { op, instanceId: rest } };
    default:
      return null;
  }
}

/** A forwarded join, command or end, awaiting a reply on the sender's replies channel. */
export type Call =
  | { t: "admit"; principal: Principal; enrolled: boolean }
  | { t: "cmd"; userId: string; msg: ClientMessage }
  | { t: "end" };
/** What reaches the owner: a call with its id and sender, or "left" (a socket went; no reply). */
export type Request = (Call & { id: string; from: string }) | { t: "left"; from: string; userId: string };

export type Reply = { id: string; ok: true; result: unknown } | { id: string; ok: false; code: ErrorCode; message: string };

export const encodeRequest = (r: Request): string => JSON.stringify(r);
export const encodeReply = (r: Reply): string => JSON.stringify(r);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";

function parse(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

/** A request as another instance of this version sends it; null otherwise. The room checks the command itself. */
export function decodeRequest(text: string): Request | null {
  const r = parse(text);
  if (!r || !isString(r.from)) return null;
  if (r.t === "left") return isString(r.userId) ? (r as Request) : null;
  if (!isString(r.id)) return null;
  switch (r.t) {
    case "admit":
      if (!isObject(r.principal) || !isString(r.principal.id) || typeof r.enrolled !== "boolean") return null;
      // An instance older than schools sends no school: its tokens were all the default school's.
      if (r.principal.school === undefined) r.principal.school = DEFAULT_SCHOOL_ID;
      return isString(r.principal.school) ? (r as Request) : null;
    case "cmd":
      return isString(r.userId) && isObject(r.msg) && isString(r.msg.type) ? (r as Request) : null;
    case "end":
      return r as Request;
    default:
      return null;
  }
}

export function decodeReply(text: string): Reply | null {
  const r = parse(text);
  if (!r || !isString(r.id)) return null;
  if (r.ok === true) return { id: r.id, ok: true, result: r.result }; // JSON drops an undefined result
  if (r.ok === false && isString(r.code) && isString(r.message)) return r as Reply;
  return null;
}
