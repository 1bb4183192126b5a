// Reaction counts that fade (issue 16, teacher awareness): the console shows how much the class
// is reacting now, not since the start. Each kind's value halves every HALF_LIFE_MS.

export const HALF_LIFE_MS = 20_000;

export interface Fading {
  value: number;
  /** When `value` was last brought up to date (ms). */
  at: number;
}

/** The value at `now`, faded since `f.at`. */
export const faded = (f: Fading, now: number, halfLife = HALF_LIFE_MS): number => f.value * 2 ** (-Math.max(0, now - f.at) / halfLife);

/** Adds `n` at `now` to a fading value. */
export const bump = (f: Fading | undefined, n: number, now: number, halfLife = HALF_LIFE_MS): Fading => ({
  value: (f ? faded(f, now, halfLife) : 0) + n,
  at: now,
});
