// Routes a request by hand as Bun.serve's `routes` would: for the few requests that reach the
// server while it is still being built (server.ts), before Bun's router has the built routes.
// Exact paths before paths with parameters before wildcards; the longest pattern first within
// each; parameters URL-decoded; HEAD served by GET; a method the path lacks goes to `fallback`.
import type { BunRequest, Server } from "bun";

type Answer = Response | undefined | Promise<Response | undefined>;
// biome-ignore lint/suspicious/noExplicitAny: Bun's route handlers take its own server type; any handler of a route table fits here
type AnyHandler = (req: BunRequest, server: Server<any>) => Answer;
type RouteValue = AnyHandler | Partial<Record<string, AnyHandler>>;

export function dispatcher<S>(
  routes: Record<string, RouteValue>,
  fallback: (req: Request) => Response,
): (req: BunRequest, server: Server<S>) => Answer {
  // Built on first use: most starts see no request before the routes are in.
  let table: { path: string; re: RegExp; keys: string[]; value: RouteValue; rank: number }[] | null = null;
  const build = () =>
    Object.entries(routes)
      .map(([path, value]) => {
        const keys: string[] = [];
        const pattern = path
          .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
          .replace(/\/\*$/, "/.*")
          .replace(/:([^/]+)/g, (_, key: string) => {
            keys.push(key);
            return "([^/]+)";
          });
        const rank = path.endsWith("/*") ? 2 : keys.length > 0 ? 1 : 0;
        return { path, re: new RegExp(`^${pattern}$`), keys, value, rank };
      })
      .sort((a, b) => a.rank - b.rank || b.path.length - a.path.length);
  return (req, server) => {
    const path = new URL(req.url).pathname;
    table ??= build();
    for (const r of table) {
      const m = r.re.exec(path);
      if (m === null) continue;
      Object.assign(req, { params: Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])])) });
      const handler = typeof r.value === "function" ? r.value : (r.value[req.method] ?? (req.method === "HEAD" ? r.value.GET : undefined));
      return handler === undefined ? fallback(req) : handler(req, server);
    }
    return fallback(req);
  };
}
