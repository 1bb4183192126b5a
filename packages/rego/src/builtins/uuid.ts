/** uuid.rfc4122 (random v4, stable per query and argument) and uuid.parse. */
import type { Value } from "../value.ts";
import type { Builtin, BuiltinContext } from "./index.ts";
import { def, str } from "./util.ts";

function randomUUID(): string {
  const b: number[] = [];
  for (let i = 0; i < 16; i++) b.push(Math.floor(Math.random() * 256));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function rfc4122(a: Value[], ctx: BuiltinContext): Value {
  const k = str("uuid.rfc4122", a, 0);
  const key = "uuid.rfc4122\u0000" + k;
  const hit = ctx.cache?.get(key);
  if (hit !== undefined) return hit;
  const u = randomUUID();
  ctx.cache?.set(key, u);
  return u;
}

/** uuid.parse as OPA (google/uuid): version and variant, plus time/nodeid/macvariables/clocksequence for v1-2 and id/domain for v2. */
function parse(a: Value[]): Value | undefined {
  const raw = str("uuid.parse", a, 0);
  let s = raw;
  if (s.length === 45 && s.slice(0, 9).toLowerCase() === "urn:uuid:") s = s.slice(9);
  else if (s.length === 38 && s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  let hex: string;
  if (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s)) hex = s.replaceAll("-", "");
  else if (/^[0-9a-fA-F]{32}$/.test(s)) hex = s;
  else return undefined;
  const b = Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  const version = b[6]! >> 4;
  const variant =
    (b[8]! & 0xc0) === 0x80 ? "RFC4122" : (b[8]! & 0xe0) === 0xc0 ? "Microsoft" : (b[8]! & 0xe0) === 0xe0 ? "Future" : "Reserved";
  const out: { [k: string]: Value } = { variant, version };
  if (version === 1 || version === 2) {
    const t =
      BigInt(parseInt(hex.slice(0, 8), 16)) |
      (BigInt(parseInt(hex.slice(8, 12), 16)) << 32n) |
      (BigInt(parseInt(hex.slice(12, 16), 16) & 0xfff) << 48n);
    out.time = Number((t - 122192928000000000n) * 100n);
    const n0 = b[10]!;
    const mac =
      (n0 & 3) === 3 ? "local:multicast" : (n0 & 1) === 1 ? "global:multicast" : (n0 & 2) === 2 ? "local:unicast" : "global:unicast";
    // OPA reports the MAC flags and the node id as separate fields; the node id is its six bytes, dash-separated
    out.macvariables = mac;
    out.nodeid = (hex.slice(20).toLowerCase().match(/../g) ?? []).join("-");
    out.clocksequence = ((b[8]! << 8) | b[9]!) & 0x3fff;
    if (version === 2) {
      out.id = parseInt(hex.slice(0, 8), 16);
      out.domain = ["Person", "Group", "Org"][b[9]!] ?? `Domain${b[9]}`;
    }
  }
  return out;
}

export const uuidBuiltins: readonly Builtin[] = [def("uuid.rfc4122", 1, rfc4122, true), def("uuid.parse", 1, parse)];
