/** Network builtins (filled in below). */
import type { Builtin } from "./index.ts";

export const netBuiltins: readonly Builtin[] = [];
