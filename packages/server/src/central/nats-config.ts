// nats-server configuration for the hub (central region) and a city's leaf node. Tests, the
// fleet demo and deploy/ render the same text, so the permissions tested are the ones run
// (deploy/ renders secrets as environment references: nats-server reads $NAME from its environment).
import { assertCityName, CATALOGUE_STREAM, cityDomain, citySubjects, HUB_DOMAIN } from "./subjects.ts";

/** A literal, or a variable nats-server takes from its environment (a Secret in deploy/). */
export type Value = string | { env: string };

export interface CityCredentials {
  city: string;
  /** The city's EdgeClass instances at their leaf node. */
  user: string;
  pass: Value;
  /** The leaf node's connection to the hub. */
  leafUser: string;
  leafPass: Value;
}

/** Credentials a test or the demo made up, in the clear. */
export type LiteralCityCredentials = CityCredentials & { pass: string; leafPass: string };

const q = (s: Value) => (typeof s === "string" ? JSON.stringify(s) : `$${s.env}`);
const list = (xs: string[]) => `[${xs.map(q).join(", ")}]`;

export interface HubOptions {
  port: number;
  leafPort: number;
  storeDir: string;
  central: { user: string; pass: Value };
  cities: CityCredentials[];
  host?: string;
  /** A JetStream cluster of hub servers (deploy/: three pods); each needs its own server name. */
  cluster?: { serverName: Value; port: number; routes: string[] };
  /** The monitoring port (/healthz for probes). */
  monitorPort?: number;
}

export function hubConfig(o: HubOptions): string {
  const host = o.host ?? "127.0.0.1";
  const leafUsers = o.cities.map((c) => {
    assertCityName(c.city);
    // Seen from the hub, a leaf connection "publishes" what it sends in and "subscribes" to what it may
    // receive. A city may send only its own records and the replies and flow of stream sourcing, and
    // ask the hub's API for one thing: a consumer of the catalogue for its mirror. It may receive only
    // the requests for its own domain's JetStream API, and the mirror's deliveries ($JS.M.>).
    const catalogueConsumer = `$JS.${HUB_DOMAIN}.API.CONSUMER.CREATE.${CATALOGUE_STREAM}`;
    const publish = ["$JSC.R.>", "$JS.S.>", "$JS.FC.>", "_INBOX.>", catalogueConsumer, `${catalogueConsumer}.>`];
    const subscribe = [`$JS.${cityDomain(c.city)}.API.>`, citySubjects(c.city), "$JSC.R.>", "$JS.S.>", "$JS.M.>", "$JS.FC.>", "_INBOX.>"];
    return (
      `      { user: ${q(c.leafUser)}, password: ${q(c.leafPass)}, permissions: { publish: { allow: ${list(publish)} }, ` +
      `subscribe: { allow: ${list(subscribe)} } } }`
    );
  });
  const cluster = o.cluster ? `cluster { name: hub, listen: ${q(`${host}:${o.cluster.port}`)}, routes: ${list(o.cluster.routes)} }\n` : "";
  const monitor = o.monitorPort === undefined ? "" : `http: ${q(`${host}:${o.monitorPort}`)}\n`;
  return `server_name: ${o.cluster ? q(o.cluster.serverName) : "hub"}
listen: ${q(`${host}:${o.port}`)}
${monitor}${cluster}jetstream { store_dir: ${q(o.storeDir)}, domain: ${HUB_DOMAIN} }
accounts {
  EDGE {
    jetstream: enabled
    users: [
      { user: ${q(o.central.user)}, password: ${q(o.central.pass)} }
${leafUsers.join("\n")}
    ]
  }
}
# Leaf connections sign in as users of EDGE (nats-server 2.9 takes permissions only there).
leafnodes { listen: ${q(`${host}:${o.leafPort}`)} }
`;
}

/**
 * `hubLeafUrl`: the hub's leaf port; the leaf's credentials go into it, unless it is an environment
 * reference (deploy/: the whole URL, credentials included, comes from a Secret).
 * `localPublish`: what the city's instances may publish at their leaf (its own records by default).
 */
export function leafConfig(o: {
  port: number;
  hubLeafUrl: Value;
  storeDir: string;
  creds: CityCredentials;
  host?: string;
  domain?: string;
  localPublish?: string[];
  monitorPort?: number;
}): string {
  const c = o.creds;
  assertCityName(c.city);
  const host = o.host ?? "127.0.0.1";
  let remote: Value = o.hubLeafUrl;
  if (typeof remote === "string") {
    if (typeof c.leafPass !== "string") throw new Error("a literal hub URL needs a literal leaf password");
    const url = new URL(remote);
    url.username = encodeURIComponent(c.leafUser);
    url.password = encodeURIComponent(c.leafPass);
    remote = url.toString();
  }
  const monitor = o.monitorPort === undefined ? "" : `http: ${q(`${host}:${o.monitorPort}`)}\n`;
  // The city's instances may write their own records, run their own domain's JetStream API and
  // acknowledge what they took from the catalogue mirror.
  const publish = o.localPublish ?? [citySubjects(c.city), "$JS.API.>", `$JS.ACK.${CATALOGUE_STREAM}.>`];
  return (
    `server_name: ${q(`leaf-${o.domain ?? c.city}`)}
listen: ${q(`${host}:${o.port}`)}
${monitor}jetstream { store_dir: ${q(o.storeDir)}, domain: ${q(o.domain ?? cityDomain(c.city))} }
accounts {
  EDGE {
    jetstream: enabled
    users: [ { user: ${q(c.user)}, password: ${q(c.pass)}, permissions: { publish: { allow: ${list(publish)} }, ` +
    `subscribe: { allow: ["_INBOX.>"] } } } ]
  }
}
leafnodes {
  reconnect: 1
  remotes: [ { url: ${q(remote)}, account: EDGE } ]
}
`
  );
}
