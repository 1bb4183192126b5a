// Mutated policies must fail with a RegoError (or evaluate), never crash or hang.
import { expect, test } from "bun:test";
import { compile, RegoError } from "../src/index.ts";

const SOURCES = [
  `package t\ndefault allow = false\nallow { input.action == "join"; input.user.role == "student"; count(input.xs) < 3 }`,
  `package t\nimport rego.v1\ndeny contains msg if { some x in input.xs; x > 1; msg := sprintf("bad %v", [x]) }`,
  `package t\nf(x) = y { y := x * 2 } else = 0\np := [f(v) | v := input.xs[_]]\nq[k] = v { some k, v in input.obj }`,
  `package t\nimport future.keywords\nok if { every x in input.xs { x != 0 } }\ns := {x | x := input.xs[_]} - {1}\nw := v { ` +
    `v := ok with input.xs as [1] }`,
  `package t\na.b.c := 1\nviolation[{"msg": m}] { not input.obj.k; m := concat(",", [k | input.obj[k]]) }`,
];

test("4,000 random mutations of policies never crash the engine", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const chars = '{}[]()=:.,;|&+-*/% \n"`abcxyz019_ifnotsomeeveryin';
  const crashes: string[] = [];
  for (let i = 0; i < 4_000; i++) {
    let s = SOURCES[i % SOURCES.length];
    for (let j = 0, k = 1 + Math.floor(rnd() * 3); j < k; j++) {
      const pos = Math.floor(rnd() * s.length);
      const op = rnd();
      if (op < 0.4) s = s.slice(0, pos) + s.slice(pos + 1);
      else if (op < 0.8) s = s.slice(0, pos) + chars[Math.floor(rnd() * chars.length)] + s.slice(pos);
      else s = s.slice(0, pos) + s.slice(pos + Math.floor(rnd() * 10));
    }
    try {
      const p = compile([{ path: "f.rego", source: s }], { limits: { maxSteps: 10_000 } });
      p.query("data", { input: { action: "join", xs: [1, 2, 0], obj: { k: 1 }, user: { role: "student" } } });
    } catch (e) {
      if (!(e instanceof RegoError)) crashes.push(`${String(e)} for ${JSON.stringify(s)}`);
    }
  }
  expect(crashes.slice(0, 5)).toEqual([]);
}, 60_000);
