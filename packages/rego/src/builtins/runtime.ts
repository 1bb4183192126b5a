/**
 * Runtime and network builtins. The engine does no I/O, but OPA declares these, so policies
 * that call them compile and can be tested with `with http.send as mock` as in OPA.
 */
import { BuiltinError } from "../value.ts";
import type { Builtin } from "./index.ts";
import { def } from "./util.ts";

export const runtimeBuiltins: readonly Builtin[] = [
  // OPA returns the runtime's config, env and version; this engine has none of them
  def("opa.runtime", 0, () => ({})),
  def(
    "http.send",
    1,
    () => {
      throw new BuiltinError("http.send", "network access is not available in this engine (mock it with `with http.send as ...`)");
    },
    true,
  ),
];
