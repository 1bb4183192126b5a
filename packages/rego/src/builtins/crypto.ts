/** Crypto builtins (filled in below). */
import type { Builtin } from "./index.ts";

export const cryptoBuiltins: readonly Builtin[] = [];
