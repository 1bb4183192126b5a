/**
 * Network builtins: net.cidr_contains net.cidr_intersects net.cidr_is_valid
 * net.cidr_expand net.cidr_merge net.cidr_contains_matches.
 * IPv4 and IPv6 (with `::` and embedded IPv4); IPv4-mapped IPv6 addresses
 * match IPv4 networks as in Go. net.lookup_ip_addr (DNS) is not provided.
 */
import { RegoSet, isObject, objectEntries, type Value } from "../value.ts";
import type { Builtin } from "./index.ts";
import { builtinErr, def, str, typeErr } from "./util.ts";

interface IP {
  v6: boolean;
  n: bigint;
}
interface Net {
  v6: boolean;
  base: bigint;
  bits: number;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes("%")) return undefined;
  let tail4: bigint | undefined;
  let str6 = s;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    str6 = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = str6.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const tailG = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tailG) return undefined;
  const total = head.length + tailG.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...Array<string>(8 - total).fill("0"), ...tailG];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) n = (n & ~0xffffffffn) | tail4;
  return n;
}

/** Parses an IP address (Go's net.ParseIP); v4-mapped v6 addresses become v4. */
function parseIP(s: string): IP | undefined {
  if (s.includes(":")) {
    const n = parseIPv6(s);
    if (n === undefined) return undefined;
    if (n >> 32n === 0xffffn) return { v6: false, n: n & 0xffffffffn };
    return { v6: true, n };
  }
  const n = parseIPv4(s);
  return n === undefined ? undefined : { v6: false, n };
}

/** Parses a CIDR (Go's net.ParseCIDR): the network with host bits cleared. */
function parseCIDR(s: string): Net | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ipStr = s.slice(0, slash),
    bitsStr = s.slice(slash + 1);
  if (!/^(0|[1-9]\d*)$/.test(bitsStr)) return undefined;
  let v6 = ipStr.includes(":");
  const raw = v6 ? parseIPv6(ipStr) : parseIPv4(ipStr);
  if (raw === undefined) return undefined;
  let bits = Number(bitsStr);
  const width = v6 ? 128 : 32;
  if (bits > width) return undefined;
  let n = raw;
  // Go: a v4-mapped address with a prefix >= 96 is treated as IPv4
  if (v6 && n >> 32n === 0xffffn && bits >= 96) {
    v6 = false;
    n &= 0xffffffffn;
    bits -= 96;
  }
  const w = v6 ? 128n : 32n;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << (w - BigInt(bits));
  return { v6, base: n & mask, bits };
}

function lastOf(net: Net): bigint {
  const w = net.v6 ? 128n : 32n;
  return net.base | ((1n << (w - BigInt(net.bits))) - 1n);
}

function contains(net: Net, ip: IP): boolean {
  return net.v6 === ip.v6 && ip.n >= net.base && ip.n <= lastOf(net);
}

function formatIP(v6: boolean, n: bigint): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // longest run of zeros (length >= 2) becomes ::
  let best = -1,
    bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return hex.slice(0, best).join(":") + "::" + hex.slice(best + bestLen).join(":");
}

function cidrOrErr(name: string, s: string): Net {
  const n = parseCIDR(s);
  if (!n) throw builtinErr(name, `invalid CIDR address: ${s}`);
  return n;
}

/** net.cidr_contains, and its deprecated alias net.cidr_overlap: errors name the builtin called */
function cidrContainsAs(name: string): (a: Value[]) => Value {
  return (a) => {
    const net = cidrOrErr(name, str(name, a, 0));
    const x = str(name, a, 1);
    const ip = parseIP(x);
    if (ip) return contains(net, ip);
    const other = parseCIDR(x);
    if (!other) throw builtinErr(name, `invalid CIDR address: ${x}`);
    return contains(net, { v6: other.v6, n: other.base }) && contains(net, { v6: other.v6, n: lastOf(other) });
  };
}

function cidrIntersects(a: Value[]): Value {
  const x = cidrOrErr("net.cidr_intersects", str("net.cidr_intersects", a, 0));
  const y = cidrOrErr("net.cidr_intersects", str("net.cidr_intersects", a, 1));
  return contains(x, { v6: y.v6, n: y.base }) || contains(y, { v6: x.v6, n: x.base });
}

const MAX_EXPAND = 1 << 20;

function cidrExpand(a: Value[]): Value {
  const net = cidrOrErr("net.cidr_expand", str("net.cidr_expand", a, 0));
  const size = lastOf(net) - net.base + 1n;
  if (size > BigInt(MAX_EXPAND)) throw builtinErr("net.cidr_expand", `CIDR too large to expand (more than ${MAX_EXPAND} addresses)`);
  const out = new RegoSet();
  for (let n = net.base; n <= lastOf(net); n++) out.add(formatIP(net.v6, n));
  return out;
}

/** Smallest list of CIDRs covering [lo, hi]. */
function rangeToCIDRs(v6: boolean, lo: bigint, hi: bigint): string[] {
  const w = v6 ? 128 : 32;
  const out: string[] = [];
  while (lo <= hi) {
    let bits = w;
    while (bits > 0) {
      const size = 1n << BigInt(w - bits + 1);
      if (lo % size !== 0n || lo + size - 1n > hi) break;
      bits--;
    }
    out.push(formatIP(v6, lo) + "/" + bits);
    lo += 1n << BigInt(w - bits);
  }
  return out;
}

function cidrMerge(a: Value[]): Value {
  const v = a[0]!;
  const xs = Array.isArray(v) ? v : v instanceof RegoSet ? v.sorted() : null;
  if (xs === null) throw typeErr("net.cidr_merge", 1, v, "array", "set");
  const ranges: { v6: boolean; lo: bigint; hi: bigint }[] = [];
  for (const x of xs) {
    if (typeof x !== "string")
      throw builtinErr("net.cidr_merge", `operand 1 must be array of strings but got array containing ${typeof x}`);
    const ip = x.includes("/") ? undefined : parseIP(x);
    if (ip) {
      ranges.push({ v6: ip.v6, lo: ip.n, hi: ip.n });
      continue;
    }
    const net = parseCIDR(x);
    if (!net) throw builtinErr("net.cidr_merge", `invalid CIDR address: ${x}`);
    ranges.push({ v6: net.v6, lo: net.base, hi: lastOf(net) });
  }
  ranges.sort((p, q) => (p.v6 !== q.v6 ? (p.v6 ? 1 : -1) : p.lo < q.lo ? -1 : p.lo > q.lo ? 1 : 0));
  const merged: typeof ranges = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && last.v6 === r.v6 && r.lo <= last.hi + 1n) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else merged.push({ ...r });
  }
  const out = new RegoSet();
  for (const r of merged) for (const c of rangeToCIDRs(r.v6, r.lo, r.hi)) out.add(c);
  return out;
}

/** [key, cidr-or-ip string] pairs of a cidr_contains_matches operand. */
function matchEntries(name: string, v: Value, pos: number): [Value, string][] {
  const pick = (x: Value): string => {
    if (typeof x === "string") return x;
    if (Array.isArray(x) && typeof x[0] === "string") return x[0];
    throw builtinErr(name, `operand ${pos} must contain strings or arrays whose first element is a string`);
  };
  if (typeof v === "string") return [[v, v]];
  if (Array.isArray(v)) return v.map((x, i) => [i, pick(x)]);
  if (v instanceof RegoSet) return v.sorted().map((x) => [x, pick(x)]);
  if (isObject(v)) return objectEntries(v).map(([k, x]) => [k, pick(x)]);
  throw typeErr(name, pos, v, "string", "array", "set", "object");
}

function containsMatches(a: Value[]): Value {
  const name = "net.cidr_contains_matches";
  const xs = matchEntries(name, a[0]!, 1);
  const ys = matchEntries(name, a[1]!, 2);
  const out = new RegoSet();
  for (const [kx, cx] of xs) {
    const net = cidrOrErr(name, cx);
    for (const [ky, cy] of ys) {
      const ip = parseIP(cy);
      let ok: boolean;
      if (ip) ok = contains(net, ip);
      else {
        const other = parseCIDR(cy);
        if (!other) throw builtinErr(name, `invalid CIDR address: ${cy}`);
        ok = contains(net, { v6: other.v6, n: other.base }) && contains(net, { v6: other.v6, n: lastOf(other) });
      }
      if (ok) out.add([kx, ky]);
    }
  }
  return out;
}

export const netBuiltins: readonly Builtin[] = [
  def("net.cidr_contains", 2, cidrContainsAs("net.cidr_contains")),
  def("net.cidr_intersects", 2, cidrIntersects),
  // deprecated alias of net.cidr_contains(cidr, ip)
  def("net.cidr_overlap", 2, cidrContainsAs("net.cidr_overlap")),
  def("net.cidr_is_valid", 1, (a) => typeof a[0] === "string" && parseCIDR(a[0]) !== undefined),
  def("net.cidr_expand", 1, cidrExpand),
  def("net.cidr_merge", 1, cidrMerge),
  def("net.cidr_contains_matches", 2, containsMatches),
];
