/**
 * Time: time.now_ns time.parse_rfc3339_ns time.parse_ns time.parse_duration_ns
 * time.format time.date time.clock time.weekday time.add_date time.diff.
 *
 * Go layouts ("2006-01-02T15:04:05Z07:00") are implemented here; named zones
 * (e.g. "America/New_York") use Intl when the runtime has it, "" and "UTC"
 * mean UTC, "Local" the runtime's zone. Nanosecond values above 2^53 are
 * doubles: an integer is read back through its shortest decimal form, so
 * literals such as 1703444325734390000 keep their digits.
 */
import { BuiltinError, typeName, type Value } from "../value.ts";
import type { Builtin, BuiltinContext } from "./index.ts";
import { builtinErr, def, int, str, typeErr } from "./util.ts";

const NS = 1_000_000_000n;

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

class TooBig extends Error {}

/** A number of nanoseconds as an exact BigInt (through its shortest decimal form); must fit an int64 as in Go. */
function toBigNs(n: number): bigint {
  // OPA: big.Float.Int64() must be exact, so a fraction is "too big" as well
  if (!Number.isInteger(n)) throw new TooBig("timestamp too big");
  const b = Math.abs(n) < 1e21 ? BigInt(String(n)) : BigInt(n);
  if (b > INT64_MAX || b < INT64_MIN) throw new TooBig("timestamp too big");
  return b;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

// ---------------------------------------------------------------------------
// Civil calendar (proleptic Gregorian), from days since 1970-01-01

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [m <= 2 ? y + 1 : y, m, d];
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function daysIn(m: number, y: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** Broken-down time in a zone. */
interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  wday: number;
  yday: number;
  offset: number;
  abbr: string;
}

// ---------------------------------------------------------------------------
// Zones

interface Zone {
  name: string;
  offsetAt(epochSec: number): number;
  abbrAt(epochSec: number, offset: number): string;
}

const UTC: Zone = { name: "UTC", offsetAt: () => 0, abbrAt: () => "UTC" };
const zoneCache = new Map<string, Zone>();

function fixedAbbr(offset: number): string {
  if (offset === 0) return "UTC";
  const sign = offset < 0 ? "-" : "+";
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600),
    m = Math.floor((a % 3600) / 60);
  return sign + String(h).padStart(2, "0") + (m ? String(m).padStart(2, "0") : "");
}

function loadZone(name: string): Zone | undefined {
  if (name === "" || name === "UTC") return UTC;
  const hit = zoneCache.get(name);
  if (hit) return hit;
  const IntlNS = (globalThis as { Intl?: typeof Intl }).Intl;
  if (IntlNS === undefined) return undefined;
  let tz = name;
  if (name === "Local") {
    try {
      tz = new IntlNS.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
    } catch {
      tz = "UTC";
    }
  }
  let dtf: Intl.DateTimeFormat, abbrFmt: Intl.DateTimeFormat;
  try {
    dtf = new IntlNS.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      era: "short",
    });
    abbrFmt = new IntlNS.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "short" });
  } catch {
    return undefined;
  }
  const zone: Zone = {
    name,
    offsetAt(epochSec: number): number {
      const parts = dtf.formatToParts(new Date(epochSec * 1000));
      const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? "0");
      let y = get("year");
      if (parts.find((p) => p.type === "era")?.value.startsWith("B")) y = 1 - y;
      const wall = daysFromCivil(y, get("month"), get("day")) * 86400 + (get("hour") % 24) * 3600 + get("minute") * 60 + get("second");
      return wall - epochSec;
    },
    abbrAt(epochSec: number, offset: number): string {
      const p = abbrFmt.formatToParts(new Date(epochSec * 1000)).find((x) => x.type === "timeZoneName")?.value;
      if (p && /^[A-Z]{3,5}$/.test(p)) return p;
      return fixedAbbr(offset);
    },
  };
  zoneCache.set(name, zone);
  return zone;
}

function fieldsAt(ns: bigint, zone: Zone): Fields {
  const sec = floorDiv(ns, NS);
  const nsec = Number(ns - sec * NS);
  const s = Number(sec);
  const offset = zone === UTC ? 0 : zone.offsetAt(s);
  const local = s + offset;
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(rem / 3600),
    min: Math.floor((rem % 3600) / 60),
    sec: rem % 60,
    nsec,
    wday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1) + 1,
    offset,
    abbr: zone === UTC ? "UTC" : zone.abbrAt(s, offset),
  };
}

// ---------------------------------------------------------------------------
// Go layouts

type Std =
  | "longMonth"
  | "month"
  | "numMonth"
  | "zeroMonth"
  | "longWeekDay"
  | "weekDay"
  | "day"
  | "underDay"
  | "zeroDay"
  | "underYearDay"
  | "zeroYearDay"
  | "hour"
  | "hour12"
  | "zeroHour12"
  | "minute"
  | "zeroMinute"
  | "second"
  | "zeroSecond"
  | "longYear"
  | "year"
  | "PM"
  | "pm"
  | "TZ"
  | "ISO8601TZ"
  | "ISO8601SecondsTZ"
  | "ISO8601ShortTZ"
  | "ISO8601ColonTZ"
  | "ISO8601ColonSecondsTZ"
  | "numTZ"
  | "numSecondsTz"
  | "numShortTZ"
  | "numColonTZ"
  | "numColonSecondsTZ"
  | "fracSecond0"
  | "fracSecond9";

interface Chunk {
  lit: string;
  std?: Std;
  n?: number;
  text?: string;
}

const layoutCache = new Map<string, Chunk[]>();

/** Splits a Go layout into literal text and std tokens (Go's nextStdChunk). */
function parseLayout(layout: string): Chunk[] {
  const hit = layoutCache.get(layout);
  if (hit) return hit;
  const out: Chunk[] = [];
  let lit = "";
  const push = (std: Std, text: string, n?: number): void => {
    out.push(n === undefined ? { lit, std, text } : { lit, std, text, n });
    lit = "";
  };
  let i = 0;
  const at = (s: string): boolean => layout.startsWith(s, i);
  while (i < layout.length) {
    const c = layout[i]!;
    let matched: [Std, number] | null = null;
    switch (c) {
      case "J":
        if (at("January")) matched = ["longMonth", 7];
        else if (at("Jan")) matched = ["month", 3];
        break;
      case "M":
        if (at("Monday")) matched = ["longWeekDay", 6];
        else if (at("Mon")) matched = ["weekDay", 3];
        else if (at("MST")) matched = ["TZ", 3];
        break;
      case "0":
        if (at("002")) matched = ["zeroYearDay", 3];
        else if (/^0[1-6]/.test(layout.slice(i, i + 2))) {
          matched = [(["zeroMonth", "zeroDay", "zeroHour12", "zeroMinute", "zeroSecond", "year"] as const)[Number(layout[i + 1]) - 1]!, 2];
        }
        break;
      case "1":
        matched = at("15") ? ["hour", 2] : ["numMonth", 1];
        break;
      case "2":
        matched = at("2006") ? ["longYear", 4] : ["day", 1];
        break;
      case "_":
        if (at("_2")) {
          if (at("_2006")) {
            lit += "_";
            i++;
            continue;
          }
          matched = ["underDay", 2];
        } else if (at("__2")) matched = ["underYearDay", 3];
        break;
      case "3":
        matched = ["hour12", 1];
        break;
      case "4":
        matched = ["minute", 1];
        break;
      case "5":
        matched = ["second", 1];
        break;
      case "P":
        if (at("PM")) matched = ["PM", 2];
        break;
      case "p":
        if (at("pm")) matched = ["pm", 2];
        break;
      case "-":
        if (at("-070000")) matched = ["numSecondsTz", 7];
        else if (at("-07:00:00")) matched = ["numColonSecondsTZ", 9];
        else if (at("-0700")) matched = ["numTZ", 5];
        else if (at("-07:00")) matched = ["numColonTZ", 6];
        else if (at("-07")) matched = ["numShortTZ", 3];
        break;
      case "Z":
        if (at("Z070000")) matched = ["ISO8601SecondsTZ", 7];
        else if (at("Z07:00:00")) matched = ["ISO8601ColonSecondsTZ", 9];
        else if (at("Z0700")) matched = ["ISO8601TZ", 5];
        else if (at("Z07:00")) matched = ["ISO8601ColonTZ", 6];
        else if (at("Z07")) matched = ["ISO8601ShortTZ", 3];
        break;
      case ".":
      case ",": {
        const d = layout[i + 1];
        if (d === "0" || d === "9") {
          let j = i + 1;
          while (j < layout.length && layout[j] === d) j++;
          const nx = layout[j];
          if (!(nx !== undefined && nx >= "0" && nx <= "9")) {
            out.push({ lit, std: d === "0" ? "fracSecond0" : "fracSecond9", n: j - i - 1, text: layout.slice(i, j) });
            lit = "";
            i = j;
            continue;
          }
        }
        break;
      }
    }
    if (matched) {
      push(matched[0], layout.slice(i, i + matched[1]));
      i += matched[1];
    } else {
      lit += c;
      i++;
    }
  }
  if (lit !== "") out.push({ lit });
  layoutCache.set(layout, out);
  return out;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const p2 = (n: number): string => String(n).padStart(2, "0");

function fmtOffset(off: number, colon: boolean, withSec: boolean, short: boolean): string {
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  const h = Math.floor(a / 3600),
    m = Math.floor((a % 3600) / 60),
    s = a % 60;
  if (short) return sign + p2(h);
  let out = sign + p2(h) + (colon ? ":" : "") + p2(m);
  if (withSec) out += (colon ? ":" : "") + p2(s);
  return out;
}

/** Formats broken-down time with a Go layout. */
function formatLayout(f: Fields, layout: string): string {
  let out = "";
  for (const ch of parseLayout(layout)) {
    out += ch.lit;
    if (!ch.std) continue;
    switch (ch.std) {
      case "longYear":
        out += f.year < 0 ? "-" + String(-f.year).padStart(4, "0") : String(f.year).padStart(4, "0");
        break;
      case "year":
        out += p2(((f.year % 100) + 100) % 100);
        break;
      case "longMonth":
        out += MONTHS[f.month - 1];
        break;
      case "month":
        out += MONTHS[f.month - 1]!.slice(0, 3);
        break;
      case "numMonth":
        out += String(f.month);
        break;
      case "zeroMonth":
        out += p2(f.month);
        break;
      case "longWeekDay":
        out += DAYS[f.wday];
        break;
      case "weekDay":
        out += DAYS[f.wday]!.slice(0, 3);
        break;
      case "day":
        out += String(f.day);
        break;
      case "underDay":
        out += f.day < 10 ? " " + f.day : String(f.day);
        break;
      case "zeroDay":
        out += p2(f.day);
        break;
      case "underYearDay":
        out += String(f.yday).padStart(3, " ");
        break;
      case "zeroYearDay":
        out += String(f.yday).padStart(3, "0");
        break;
      case "hour":
        out += p2(f.hour);
        break;
      case "hour12":
        out += String(f.hour % 12 === 0 ? 12 : f.hour % 12);
        break;
      case "zeroHour12":
        out += p2(f.hour % 12 === 0 ? 12 : f.hour % 12);
        break;
      case "minute":
        out += String(f.min);
        break;
      case "zeroMinute":
        out += p2(f.min);
        break;
      case "second":
        out += String(f.sec);
        break;
      case "zeroSecond":
        out += p2(f.sec);
        break;
      case "PM":
        out += f.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += f.hour >= 12 ? "pm" : "am";
        break;
      case "TZ":
        out += f.abbr;
        break;
      case "ISO8601TZ":
      case "ISO8601SecondsTZ":
      case "ISO8601ShortTZ":
      case "ISO8601ColonTZ":
      case "ISO8601ColonSecondsTZ":
      case "numTZ":
      case "numSecondsTz":
      case "numShortTZ":
      case "numColonTZ":
      case "numColonSecondsTZ": {
        const s = ch.std;
        if (s.startsWith("ISO") && f.offset === 0) out += "Z";
        else out += fmtOffset(f.offset, s.includes("Colon"), s.includes("Seconds"), s.includes("Short"));
        break;
      }
      case "fracSecond0": {
        const digits = String(f.nsec).padStart(9, "0");
        out += ch.text![0] + digits.slice(0, ch.n!);
        break;
      }
      case "fracSecond9": {
        let digits = String(f.nsec).padStart(9, "0").slice(0, ch.n!);
        digits = digits.replace(/0+$/, "");
        if (digits !== "") out += ch.text![0] + digits;
        break;
      }
    }
  }
  return out;
}

class ParseError extends Error {}

/** Parses `value` with a Go layout; returns ns since the epoch. */
function parseLayoutValue(layout: string, value: string): bigint {
  const fail = (rest: string, elem: string, msg = ""): never => {
    throw new ParseError(
      `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(rest)} as ` +
        `${JSON.stringify(elem)}${msg}`,
    );
  };
  const range = (what: string): never => {
    throw new ParseError(`parsing time ${JSON.stringify(value)}: ${what} out of range`);
  };
  let v = value;
  let year = 1,
    month = -1,
    day = -1,
    yday = -1,
    hour = 0,
    min = 0,
    sec = 0,
    nsec = 0;
  let pmSet = false,
    amSet = false;
  let offset: number | null = null;
  const num = (min: number, max: number, elem: string): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(v);
    if (!m) fail(v, elem);
    v = v.slice(m![0].length);
    return Number(m![0]);
  };
  const chunks = parseLayout(layout);
  for (let ci = 0; ci < chunks.length; ci++) {
    const ch = chunks[ci]!;
    if (!v.startsWith(ch.lit)) fail(v, ch.lit);
    v = v.slice(ch.lit.length);
    if (!ch.std) continue;
    const elem = ch.text!;
    const hold = v;
    switch (ch.std) {
      case "longYear": {
        const m = /^[+-]?\d{4}/.exec(v);
        if (!m || /^[+-]/.test(m[0])) {
          if (!/^\d{4}/.test(v)) fail(hold, elem);
        }
        year = Number(v.slice(0, 4));
        v = v.slice(4);
        break;
      }
      case "year": {
        const y = num(2, 2, elem);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case "longMonth":
      case "month": {
        const names = ch.std === "month" ? MONTHS.map((x) => x.slice(0, 3)) : MONTHS;
        const k = names.findIndex((n) => v.slice(0, n.length).toLowerCase() === n.toLowerCase());
        if (k < 0) fail(hold, elem);
        month = k + 1;
        v = v.slice(names[k]!.length);
        break;
      }
      case "numMonth":
      case "zeroMonth":
        month = ch.std === "zeroMonth" ? num(2, 2, elem) : num(1, 2, elem);
        if (month < 1 || month > 12) range("month");
        break;
      case "longWeekDay":
      case "weekDay": {
        const names = ch.std === "weekDay" ? DAYS.map((x) => x.slice(0, 3)) : DAYS;
        const k = names.findIndex((n) => v.slice(0, n.length).toLowerCase() === n.toLowerCase());
        if (k < 0) fail(hold, elem);
        v = v.slice(names[k]!.length);
        break;
      }
      case "day":
      case "underDay":
      case "zeroDay":
        if (ch.std === "underDay" && v[0] === " ") v = v.slice(1);
        day = ch.std === "zeroDay" ? num(2, 2, elem) : num(1, 2, elem);
        break;
      case "underYearDay":
      case "zeroYearDay":
        if (ch.std === "underYearDay") v = v.replace(/^ {1,2}/, "");
        yday = num(ch.std === "zeroYearDay" ? 3 : 1, 3, elem);
        if (yday < 1 || yday > 366) range("day-of-year");
        break;
      case "hour":
        hour = num(1, 2, elem);
        if (hour > 23) range("hour");
        break;
      case "hour12":
      case "zeroHour12":
        hour = ch.std === "zeroHour12" ? num(2, 2, elem) : num(1, 2, elem);
        if (hour > 12) range("hour");
        break;
      case "minute":
      case "zeroMinute":
        min = ch.std === "zeroMinute" ? num(2, 2, elem) : num(1, 2, elem);
        if (min > 59) range("minute");
        break;
      case "second":
      case "zeroSecond": {
        sec = ch.std === "zeroSecond" ? num(2, 2, elem) : num(1, 2, elem);
        if (sec > 59) range("second");
        // a fractional second in the value that the layout does not have
        const next = chunks[ci + 1];
        if (/^[.,]\d/.test(v) && !(next && next.lit === "" && (next.std === "fracSecond0" || next.std === "fracSecond9"))) {
          const m = /^[.,](\d+)/.exec(v)!;
          nsec = Number(m[1]!.slice(0, 9).padEnd(9, "0"));
          v = v.slice(m[0].length);
        }
        break;
      }
      case "PM":
      case "pm": {
        const t = v.slice(0, 2).toUpperCase();
        if (t === "PM") pmSet = true;
        else if (t === "AM") amSet = true;
        else fail(hold, elem);
        v = v.slice(2);
        break;
      }
      case "TZ": {
        const m = /^(UTC|GMT[+-]\d{1,2}|[A-Z][A-Za-z]{2,4})/.exec(v);
        if (!m) fail(hold, elem);
        const g = /^GMT([+-]\d{1,2})$/.exec(m![0]);
        offset = g ? Number(g[1]) * 3600 : 0;
        v = v.slice(m![0].length);
        break;
      }
      case "ISO8601TZ":
      case "ISO8601SecondsTZ":
      case "ISO8601ShortTZ":
      case "ISO8601ColonTZ":
      case "ISO8601ColonSecondsTZ":
      case "numTZ":
      case "numSecondsTz":
      case "numShortTZ":
      case "numColonTZ":
      case "numColonSecondsTZ": {
        const s = ch.std;
        if (s.startsWith("ISO") && v[0] === "Z") {
          v = v.slice(1);
          offset = 0;
          break;
        }
        const colon = s.includes("Colon");
        const re = s.includes("Short")
          ? /^([+-])(\d\d)/
          : s.includes("Seconds")
            ? colon
              ? /^([+-])(\d\d):(\d\d):(\d\d)/
              : /^([+-])(\d\d)(\d\d)(\d\d)/
            : colon
              ? /^([+-])(\d\d):(\d\d)/
              : /^([+-])(\d\d)(\d\d)/;
        const m = re.exec(v);
        if (!m) fail(hold, elem);
        const o = Number(m![2]) * 3600 + Number(m![3] ?? 0) * 60 + Number(m![4] ?? 0);
        offset = m![1] === "-" ? -o : o;
        v = v.slice(m![0].length);
        break;
      }
      case "fracSecond0": {
        const m = new RegExp(`^[.,](\\d{${ch.n}})`).exec(v);
        if (!m) fail(hold, elem);
        nsec = Number(m![1]!.slice(0, 9).padEnd(9, "0"));
        v = v.slice(m![0].length);
        break;
      }
      case "fracSecond9": {
        const m = /^[.,](\d+)/.exec(v);
        if (!m) break;
        nsec = Number(m[1]!.slice(0, 9).padEnd(9, "0"));
        v = v.slice(m[0].length);
        break;
      }
    }
  }
  if (v !== "") throw new ParseError(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(v)}`);
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    if (month < 0) {
      let m = 1,
        d = yday;
      while (m <= 12 && d > daysIn(m, year)) {
        d -= daysIn(m, year);
        m++;
      }
      if (m > 12) range("day-of-year");
      month = m;
      day = d;
    }
  }
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day < 1 || day > daysIn(month, year)) range("day");
  const secs = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + min * 60 + sec) - BigInt(offset ?? 0);
  return secs * NS + BigInt(nsec);
}

// ---------------------------------------------------------------------------
// Builtins

const RFC3339 = "2006-01-02T15:04:05Z07:00";
const RFC3339Nano = "2006-01-02T15:04:05.999999999Z07:00";
/** OPA's acceptedTimeFormats: the only layout names time.format and time.parse_ns replace */
const ACCEPTED_LAYOUTS: Record<string, string> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339,
  RFC3339Nano,
};

function toNumber(ns: bigint): number {
  return Number(ns);
}

/**
 * Reads `x` as ns or [ns, tz] or [ns, tz, layout], as OPA's tzTime: elements past the third
 * are ignored; "" and "UTC" are UTC; element errors name operand 1 (the array); a timestamp
 * that is not an exact int64 is "timestamp too big".
 */
function tzTime(name: string, x: Value): { ns: bigint; zone: Zone; layout: string } {
  const expected = "either number (ns) or [number (ns), string (tz)]";
  if (typeof x === "number") return { ns: toBigNs(x), zone: UTC, layout: "" };
  if (!Array.isArray(x) || x.length === 0) {
    throw new BuiltinError(name, `operand 1 must be ${expected} but got ${typeName(x)}`, "eval_type_error", true);
  }
  const n = x[0]!;
  if (typeof n !== "number") throw typeErr(name, 1, n, "number");
  let zone = UTC;
  if (x.length > 1) {
    const tz = x[1]!;
    if (typeof tz !== "string") throw typeErr(name, 1, tz, "string");
    const z = loadZone(tz);
    if (!z) throw builtinErr(name, `unknown time zone ${tz}`);
    zone = z;
  }
  let layout = "";
  if (x.length > 2) {
    const l = x[2]!;
    if (typeof l !== "string") throw typeErr(name, 1, l, "string");
    layout = l;
  }
  return { ns: toBigNs(n), zone, layout };
}

function parseNs(name: string, layout: string, value: string): number {
  try {
    const ns = parseLayoutValue(layout, value);
    // OPA (topdown/time.go) refuses instants whose UnixNano would overflow an int64
    if (ns > INT64_MAX || ns < INT64_MIN) throw builtinErr(name, "time outside of valid range");
    return toNumber(ns);
  } catch (e) {
    if (e instanceof ParseError) throw builtinErr(name, e.message);
    throw e;
  }
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: NS,
  m: 60n * NS,
  h: 3600n * NS,
};

/** Go's time.ParseDuration, in ns. */
function parseDuration(s: string): bigint | string {
  const orig = s;
  const invalid = `time: invalid duration ${JSON.stringify(orig)}`;
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return invalid;
  // total in units of 1e-9 ns to keep fractions exact
  let total = 0n;
  const SCALE = 1_000_000_000n;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === "" || m[0] === "." || (m[1] === "" && (m[2] ?? "") === "")) return invalid;
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) return `time: missing unit in duration ${JSON.stringify(orig)}`;
    const unit = DURATION_UNITS[u[0]];
    if (unit === undefined) return `time: unknown unit ${JSON.stringify(u[0])} in duration ${JSON.stringify(orig)}`;
    s = s.slice(u[0].length);
    const frac = (m[2] ?? "").slice(0, 18);
    const whole = BigInt(m[1] || "0") * unit * SCALE;
    const f = frac === "" ? 0n : (BigInt(frac) * unit * SCALE) / 10n ** BigInt(frac.length);
    total += whole + f;
  }
  const ns = total / SCALE;
  if (ns > (1n << 63n) - 1n) return invalid;
  return neg ? -ns : ns;
}

function nowNs(_a: Value[], ctx: BuiltinContext): Value {
  const n = ctx.nowNs();
  return typeof n === "bigint" ? Number(n) : n;
}

function date(a: Value[]): Value {
  const t = tzTime("time.date", a[0]!);
  const f = fieldsAt(t.ns, t.zone);
  return [f.year, f.month, f.day];
}

function clock(a: Value[]): Value {
  const t = tzTime("time.clock", a[0]!);
  const f = fieldsAt(t.ns, t.zone);
  return [f.hour, f.min, f.sec];
}

function weekday(a: Value[]): Value {
  const t = tzTime("time.weekday", a[0]!);
  return DAYS[fieldsAt(t.ns, t.zone).wday]!;
}

function format(a: Value[]): Value {
  const t = tzTime("time.format", a[0]!);
  // an empty layout is RFC3339Nano; Go's layout names (RFC822, ...) stand for their layouts
  const layout = t.layout === "" ? RFC3339Nano : (ACCEPTED_LAYOUTS[t.layout] ?? t.layout);
  return formatLayout(fieldsAt(t.ns, t.zone), layout);
}

function addDate(a: Value[]): Value {
  // OPA reads the instant with tzTime (so 1.5 is "timestamp too big"), then adds in UTC
  if (typeof a[0] !== "number") throw typeErr("time.add_date", 1, a[0]!, "number");
  const ns = tzTime("time.add_date", a[0]).ns;
  const y = int("time.add_date", a, 1),
    m = int("time.add_date", a, 2),
    d = int("time.add_date", a, 3);
  const f = fieldsAt(ns, UTC);
  // Go's AddDate normalizes month and day overflow the same way as Date.UTC
  let month0 = f.month - 1 + m;
  const year = f.year + y + Math.floor(month0 / 12);
  month0 = ((month0 % 12) + 12) % 12;
  const days = daysFromCivil(year, month0 + 1, 1) + (f.day - 1) + d;
  if (!Number.isSafeInteger(days)) throw builtinErr("time.add_date", "time outside of valid range");
  const secs = BigInt(days) * 86400n + BigInt(f.hour * 3600 + f.min * 60 + f.sec);
  const out = secs * NS + BigInt(f.nsec);
  if (out > INT64_MAX || out < INT64_MIN) throw builtinErr("time.add_date", "time outside of valid range");
  return toNumber(out);
}

function diff(a: Value[]): Value {
  const t1 = tzTime("time.diff", a[0]!);
  const t2 = tzTime("time.diff", a[1]!);
  let n1 = t1.ns,
    n2 = t2.ns;
  const zone = t1.zone;
  if (n1 > n2) [n1, n2] = [n2, n1];
  const f1 = fieldsAt(n1, zone),
    f2 = fieldsAt(n2, zone);
  let year = f2.year - f1.year,
    month = f2.month - f1.month,
    day = f2.day - f1.day;
  let hour = f2.hour - f1.hour,
    min = f2.min - f1.min,
    sec = f2.sec - f1.sec;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    // days in f1's month: Go computes time.Date(y1, M1, 32).Day()
    day += daysIn(f1.month, f1.year);
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

/** Turns int64 overflows into OPA's errors. */
function guarded(name: string, fn: (a: Value[], ctx: BuiltinContext) => Value): (a: Value[], ctx: BuiltinContext) => Value {
  return (a, ctx) => {
    try {
      return fn(a, ctx);
    } catch (e) {
      if (e instanceof TooBig) throw builtinErr(name, e.message);
      throw e;
    }
  };
}

export const timeBuiltins: readonly Builtin[] = [
  def("time.now_ns", 0, nowNs, true),
  def("time.parse_rfc3339_ns", 1, (a) => parseNs("time.parse_rfc3339_ns", RFC3339, str("time.parse_rfc3339_ns", a, 0))),
  def("time.parse_ns", 2, (a) => {
    const layout = str("time.parse_ns", a, 0);
    return parseNs("time.parse_ns", ACCEPTED_LAYOUTS[layout] ?? layout, str("time.parse_ns", a, 1));
  }),
  def("time.parse_duration_ns", 1, (a) => {
    const r = parseDuration(str("time.parse_duration_ns", a, 0));
    if (typeof r === "string") throw builtinErr("time.parse_duration_ns", r);
    return toNumber(r);
  }),
  def("time.format", 1, guarded("time.format", format)),
  def("time.date", 1, guarded("time.date", date)),
  def("time.clock", 1, guarded("time.clock", clock)),
  def("time.weekday", 1, guarded("time.weekday", weekday)),
  def("time.add_date", 4, guarded("time.add_date", addDate)),
  def("time.diff", 2, guarded("time.diff", diff)),
];
