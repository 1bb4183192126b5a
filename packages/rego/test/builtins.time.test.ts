import { describe, expect, test } from "bun:test";
import { call, err } from "./builtins.helpers.ts";

describe("time", () => {
  test("now_ns comes from the context", () => {
    expect(call("time.now_ns")).toBe(1_700_000_000_000_000_000);
  });
  test("parse_rfc3339_ns", () => {
    expect(call("time.parse_rfc3339_ns", "1970-01-01T00:00:00Z")).toBe(0);
    expect(call("time.parse_rfc3339_ns", "2017-06-02T19:00:00-07:00")).toBe(1496455200000000000);
    expect(call("time.parse_rfc3339_ns", "2017-06-02T19:00:00.5+00:00")).toBe(1496430000500000000);
    expect(call("time.parse_rfc3339_ns", "1969-12-31T23:59:59Z")).toBe(-1e9);
    expect(err("time.parse_rfc3339_ns", "2017-06-02")).toContain('parsing time "2017-06-02"');
    expect(err("time.parse_rfc3339_ns", "2017-02-30T00:00:00Z")).toContain("day out of range");
    expect(err("time.parse_rfc3339_ns", 1)).toBe("time.parse_rfc3339_ns: operand 1 must be string but got number");
    // OPA: instants whose UnixNano does not fit an int64 are refused (1677-09-21 .. 2262-04-11)
    expect(err("time.parse_rfc3339_ns", "2262-04-11T23:47:16.854775808Z")).toBe("time.parse_rfc3339_ns: time outside of valid range");
    expect(err("time.parse_rfc3339_ns", "1677-09-21T00:12:43.145224191Z")).toBe("time.parse_rfc3339_ns: time outside of valid range");
    expect(err("time.parse_ns", "2006-01-02", "9999-01-01")).toBe("time.parse_ns: time outside of valid range");
    // biome-ignore lint/correctness/noPrecisionLoss: the int64 maximum as OPA writes it; JSON numbers are doubles here
    expect(call("time.parse_rfc3339_ns", "2262-04-11T23:47:16.854775807Z")).toBe(9223372036854775807);
  });
  test("parse_ns with Go layouts", () => {
    expect(call("time.parse_ns", "2006-01-02", "2020-02-02")).toBe(1580601600000000000);
    expect(call("time.parse_ns", "Jan 2 2006 3:04PM", "Mar 5 2021 1:30PM")).toBe(Date.UTC(2021, 2, 5, 13, 30) * 1e6);
    expect(call("time.parse_ns", "02/01/2006 15:04 -0700", "10/11/2009 23:00 +0100")).toBe(Date.UTC(2009, 10, 10, 22) * 1e6);
    expect(call("time.parse_ns", "2006-01-02 15:04:05.000", "2020-01-01 00:00:01.250")).toBe(1577836801250000000);
  });
  test("parse_duration_ns", () => {
    expect(call("time.parse_duration_ns", "1h2m3.5s")).toBe(3723500000000);
    expect(call("time.parse_duration_ns", "-1.5h")).toBe(-5400e9);
    expect(call("time.parse_duration_ns", "100ms")).toBe(1e8);
    expect(call("time.parse_duration_ns", "1µs")).toBe(1000);
    expect(call("time.parse_duration_ns", "0")).toBe(0);
    expect(err("time.parse_duration_ns", "1")).toBe('time.parse_duration_ns: time: missing unit in duration "1"');
    expect(err("time.parse_duration_ns", "1x")).toBe('time.parse_duration_ns: time: unknown unit "x" in duration "1x"');
  });
  test("format", () => {
    expect(call("time.format", 1703444325734390000)).toBe("2023-12-24T18:58:45.73439Z");
    expect(call("time.format", 1257894000000000000)).toBe("2009-11-10T23:00:00Z");
    expect(call("time.format", [1703444325734390000, "UTC", "2006-01-02T15:04:05"])).toBe("2023-12-24T18:58:45");
    expect(call("time.format", [1257894000000000000, "", "02/01/2006 15:04"])).toBe("10/11/2009 23:00");
    expect(call("time.format", [1257894000000000000, "UTC", "RFC1123"])).toBe("Tue, 10 Nov 2009 23:00:00 UTC");
    expect(call("time.format", [1257894000000000000, "UTC", "Monday January _2 3:04:05.000 pm 002"])).toBe(
      "Tuesday November 10 11:00:00.000 pm 314",
    );
    expect(call("time.format", [1257894000000000000, "America/New_York", "2006-01-02 15:04 Z07:00 MST"])).toBe(
      "2009-11-10 18:00 -05:00 EST",
    );
    expect(err("time.format", [1, "Mars/Olympus"])).toBe("time.format: unknown time zone Mars/Olympus");
  });
  test("date clock weekday", () => {
    expect(call("time.date", 1703444325734390000)).toEqual([2023, 12, 24]);
    expect(call("time.clock", 1703444325734390000)).toEqual([18, 58, 45]);
    expect(call("time.weekday", 1703444325734390000)).toBe("Sunday");
    expect(call("time.date", [1703444325734390000, "Asia/Tokyo"])).toEqual([2023, 12, 25]);
    expect(call("time.date", -1)).toEqual([1969, 12, 31]);
    expect(err("time.date", "1703444325734390000")).toContain(
      "time.date: operand 1 must be either number (ns) or [number (ns), string (tz)] but got string",
    );
  });
  test("add_date normalizes like Go", () => {
    const jan31 = Date.UTC(2021, 0, 31) * 1e6;
    expect(call("time.add_date", jan31, 0, 1, 0)).toBe(Date.UTC(2021, 2, 3) * 1e6);
    expect(call("time.add_date", jan31, 1, 0, 1)).toBe(Date.UTC(2022, 1, 1) * 1e6);
    expect(call("time.add_date", 0, 0, 0, -1)).toBe(-86400e9);
  });
  test("diff", () => {
    expect(call("time.diff", 1703444325734390000, 1257894000000000000)).toEqual([14, 1, 13, 19, 58, 45]);
    expect(call("time.diff", 1257894000000000000, 1703444325734390000)).toEqual([14, 1, 13, 19, 58, 45]);
    const a = call("time.parse_ns", "2006-01-02", "2020-02-02")!;
    const b = call("time.parse_ns", "2006-01-02", "2020-03-01")!;
    expect(call("time.diff", a, b)).toEqual([0, 0, 28, 0, 0, 0]);
  });
});

describe("time limits (int64 nanoseconds, as Go)", () => {
  test("out-of-range timestamps are errors, not garbage", () => {
    expect(err("time.format", 1e300)).toBe("time.format: timestamp too big");
    expect(err("time.date", -1e300)).toBe("time.date: timestamp too big");
    expect(err("time.add_date", 0, 1e300, 0, 0)).toBe("time.add_date: time outside of valid range");
    expect(err("time.add_date", 0, 300, 0, 0)).toBe("time.add_date: time outside of valid range");
    expect(call("numbers.range", 1e300, 1e300)).toEqual([1e300]);
  });
});

// OPA v1/topdown/time.go: tzTime reads ns | [ns, tz, layout]; layout names are acceptedTimeFormats
describe("time operands as OPA's tzTime reads them", () => {
  test("a timestamp that is not an exact int64 is 'timestamp too big' (add_date included)", () => {
    expect(err("time.date", 1.5)).toBe("time.date: timestamp too big");
    expect(err("time.add_date", 1.5, 0, 0, 0)).toBe("time.add_date: timestamp too big");
    expect(err("time.add_date", 0, 1.5, 0, 0)).toContain("time.add_date: operand 2 must be integer number");
  });
  test("array elements are checked as operand 1; extra elements are ignored", () => {
    expect(err("time.date", [])).toBe("time.date: operand 1 must be either number (ns) or [number (ns), string (tz)] but got array");
    expect(err("time.date", ["x"])).toBe("time.date: operand 1 must be number but got string");
    expect(err("time.clock", [0, 1])).toBe("time.clock: operand 1 must be string but got number");
    expect(err("time.format", [0, "UTC", 42])).toBe("time.format: operand 1 must be string but got number");
    expect(call("time.date", [0, "UTC", "ignored"])).toEqual([1970, 1, 1]);
    expect(call("time.date", [0, ""])).toEqual([1970, 1, 1]);
  });
  test("time.format: an empty layout is RFC3339Nano; Go's layout names are accepted", () => {
    expect(call("time.format", [1500000000123000000, "UTC", ""])).toBe("2017-07-14T02:40:00.123Z");
    expect(call("time.format", [0, "UTC", "RFC822Z"])).toBe("01 Jan 70 00:00 +0000");
    expect(call("time.format", [0, "UTC", "Kitchen"])).toBe("Kitchen");
  });
  test("time.parse_ns accepts the same layout names", () => {
    expect(call("time.parse_ns", "RFC3339", "2020-01-01T00:00:00Z")).toBe(1577836800000000000);
    expect(call("time.parse_ns", "RFC1123Z", "Wed, 01 Jan 2020 01:00:00 +0100")).toBe(1577836800000000000);
  });
});
