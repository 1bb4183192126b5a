// The floor for bench:startup: the smallest Bun.serve that answers /healthz.
Bun.serve({ port: Number(process.env.PORT), hostname: "127.0.0.1", fetch: () => Response.json({ status: "ok" }) });
