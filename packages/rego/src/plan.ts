// Plans (how a term is evaluated) and the combinators that chain compiled
// expressions into bodies.

import type { Ctx, Ev, Frame, Gen, JsGen, Plan, Step, Unifier } from "./runtime.ts";
import type { Value } from "./value.ts";

/** a compiled expression: a plain test when it binds nothing, else a step */
export interface CExpr {
  test: ((c: Ctx, f: Frame) => boolean) | null;
  step: Step;
  /** generated-code form of `test` (a boolean JS expression) */
  js?: JsGen;
}

export function evPlan(ev: Ev): Plan {
  return {
    ev,
    gen: (c, f, k) => {
      const v = ev(c, f);
      return v === undefined ? false : k(v);
    },
  };
}

export function constPlan(v: Value): Plan {
  return { ...evPlan(() => v), js: (e) => e.k(v) };
}

/** combines plans of parts into a plan of the whole */
export function combine(
  plans: Plan[],
  build: (vals: Value[]) => Value | undefined,
  call?: (c: Ctx, args: Value[]) => Value | undefined,
): Plan {
  const n = plans.length;
  const mk = call ? (c: Ctx, vals: Value[]) => call(c, vals) : (_c: Ctx, vals: Value[]) => build(vals);
  if (plans.every((p) => p.ev)) {
    const evs = plans.map((p) => p.ev!);
    return evPlan((c, f) => {
      const vals = new Array<Value>(n);
      for (let i = 0; i < n; i++) {
        const v = evs[i](c, f);
        if (v === undefined) return undefined;
        vals[i] = v;
      }
      return mk(c, vals);
    });
  }
  const gen: Gen = (c, f, k) => {
    const vals = new Array<Value>(n);
    const rec = (i: number): boolean => {
      if (i === n) {
        const r = mk(c, vals.slice());
        return r === undefined ? false : k(r);
      }
      return plans[i].gen(c, f, (v) => {
        vals[i] = v;
        return rec(i + 1);
      });
    };
    return rec(0);
  };
  return { ev: null, gen };
}

export function genThenUnify(p: Plan, u: Unifier): Step {
  if (p.ev) {
    const ev = p.ev;
    return (c, f, k) => {
      const v = ev(c, f);
      return v === undefined ? false : u(c, f, v, k);
    };
  }
  const gen = p.gen;
  return (c, f, k) => gen(c, f, (v) => u(c, f, v, k));
}

export function testStep(test: (c: Ctx, f: Frame) => boolean): Step {
  return (c, f, k) => (test(c, f) ? k() : false);
}

export function andTests(tests: ((c: Ctx, f: Frame) => boolean)[]): (c: Ctx, f: Frame) => boolean {
  switch (tests.length) {
    case 1:
      return tests[0];
    case 2: {
      const [a, b] = tests;
      return (c, f) => a(c, f) && b(c, f);
    }
    case 3: {
      const [a, b, d] = tests;
      return (c, f) => a(c, f) && b(c, f) && d(c, f);
    }
    case 4: {
      const [a, b, d, e] = tests;
      return (c, f) => a(c, f) && b(c, f) && d(c, f) && e(c, f);
    }
    default:
      return (c, f) => {
        for (const t of tests) if (!t(c, f)) return false;
        return true;
      };
  }
}

export function chainExprs(exprs: CExpr[]): Step {
  const build = (i: number): Step | null => {
    if (i >= exprs.length) return null;
    if (exprs[i].test) {
      const tests: ((c: Ctx, f: Frame) => boolean)[] = [];
      let j = i;
      while (j < exprs.length && exprs[j].test) tests.push(exprs[j++].test!);
      const t = andTests(tests);
      const rest = build(j);
      if (!rest) return (c, f, k) => (t(c, f) ? k() : false);
      return (c, f, k) => (t(c, f) ? rest(c, f, k) : false);
    }
    const s = exprs[i].step;
    const rest = build(i + 1);
    if (!rest) return s;
    return (c, f, k) => s(c, f, () => rest(c, f, k));
  };
  return build(0) ?? ((_c, _f, k) => k());
}
