// The nats-server files in deploy/ (the central overlay's hub, the edge-city overlay's leaf), rendered
// by the same functions the tests run, with secrets as environment references. A test checks the
// files in deploy/ are what this renders now.
//   bun packages/server/src/central/deploy-config.ts leaf <city>        > deploy/k3s/overlays/edge-city/nats-leaf.conf
//   bun packages/server/src/central/deploy-config.ts hub <city,city,..> > deploy/k3s/overlays/central/nats-hub.conf
import { hubConfig, leafConfig } from "./nats-config.ts";
import { assertCityName } from "./subjects.ts";

const STORE = "/data/jetstream";
/** The hub's pods (a StatefulSet of three behind the headless Service edgeclass-hub). */
const HUB_PODS = 3;

/** The environment variable holding a city's leaf password at the hub. */
export const leafPasswordVar = (city: string) => `LEAF_${assertCityName(city).replaceAll("-", "_").toUpperCase()}_PASSWORD`;

export function deployLeafConfig(city: string): string {
  return leafConfig({
    host: "0.0.0.0",
    port: 4222,
    monitorPort: 8222,
    storeDir: STORE,
    hubLeafUrl: { env: "NATS_HUB_LEAF_URL" },
    // the leaf password travels inside the URL
    creds: { city, user: "edgeclass", pass: { env: "NATS_PASSWORD" }, leafUser: `leaf-${city}`, leafPass: { env: "NATS_HUB_LEAF_URL" } },
  });
}

export function deployHubConfig(cities: string[]): string {
  return hubConfig({
    host: "0.0.0.0",
    port: 4222,
    leafPort: 7422,
    monitorPort: 8222,
    storeDir: STORE,
    central: { user: "central", pass: { env: "CENTRAL_NATS_PASSWORD" } },
    cities: cities.map((city) => ({
      city,
      user: "edgeclass",
      pass: "",
      leafUser: `leaf-${city}`,
      leafPass: { env: leafPasswordVar(city) },
    })),
    cluster: {
      serverName: { env: "POD_NAME" },
      port: 6222,
      routes: Array.from({ length: HUB_PODS }, (_, i) => `nats-route://edgeclass-hub-${i}.edgeclass-hub:6222`),
    },
  });
}

if (import.meta.main) {
  const [what, arg] = process.argv.slice(2);
  if (what === "leaf" && arg) process.stdout.write(deployLeafConfig(arg));
  else if (what === "hub" && arg) process.stdout.write(deployHubConfig(arg.split(",")));
  else {
    console.error("usage: deploy-config.ts leaf <city> | hub <city,city,...>");
    process.exit(64);
  }
}
