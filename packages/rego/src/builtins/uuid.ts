/** uuid.rfc4122 (random v4, stable per query and argument) and uuid.parse (version and variant only). */
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

function parse(a: Value[]): Value | undefined {
  let s = str("uuid.parse", a, 0).toLowerCase();
  if (s.startsWith("urn:uuid:")) s = s.slice(9);
  else if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  let hex: string;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s)) hex = s.replaceAll("-", "");
  else if (/^[0-9a-f]{32}$/.test(s)) hex = s;
  else return undefined;
  const version = parseInt(hex[12]!, 16);
  const v = parseInt(hex.slice(16, 18), 16);
  const variant = (v & 0x80) === 0 ? "Reserved, NCS backward compatibility"
    : (v & 0xc0) === 0x80 ? "RFC4122"
    : (v & 0xe0) === 0xc0 ? "Reserved, Microsoft Corporation backward compatibility"
    : "Reserved, future definition";
  return { variant, version };
}

export const uuidBuiltins: readonly Builtin[] = [
  def("uuid.rfc4122", 1, rfc4122, true),
  def("uuid.parse", 1, parse),
];
