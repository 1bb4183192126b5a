// Live errors are the catalogue's errors (domain/errors.ts): one class, so REST renders a live
// failure (e.g. "unavailable" while ending a class) with its own status, not a 500. The name
// stays for the cluster files that import it.
export { AppError as LiveError } from "../domain/errors.ts";
