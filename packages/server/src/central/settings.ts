// The central service's settings, from the environment. Bad values stop it with a clear message.
import { assertCityName } from "./subjects.ts";

export interface CentralSettings {
  natsUrl: string;
  natsUser: string | undefined;
  natsPassword: string | undefined;
  cities: string[];
  databaseUrl: string;
  host: string;
  port: number;
}

export class CentralConfigError extends Error {}

export function centralSettings(env: Record<string, string | undefined>): CentralSettings {
  const natsUrl = env.CENTRAL_NATS_URL || "nats://127.0.0.1:4222";
  if (!/^(nats|tls):\/\/\S+$/.test(natsUrl))
    throw new CentralConfigError(`CENTRAL_NATS_URL: expected nats://host:port, got ${JSON.stringify(natsUrl)}`);
  const cities = (env.CENTRAL_CITIES ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (cities.length === 0)
    throw new CentralConfigError("CENTRAL_CITIES: the cities whose streams the centre sources, comma-separated (e.g. north,south)");
  try {
    cities.forEach(assertCityName);
  } catch (e) {
    throw new CentralConfigError(`CENTRAL_CITIES: ${(e as Error).message}`);
  }
  const databaseUrl = env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/edgeclass";
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new CentralConfigError("DATABASE_URL: expected postgres://user@host:port/database");
  const port = Number(env.CENTRAL_PORT ?? "8090");
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CentralConfigError(`CENTRAL_PORT: expected a port number, got ${JSON.stringify(env.CENTRAL_PORT)}`);
  return {
    natsUrl,
    natsUser: env.CENTRAL_NATS_USER || undefined,
    natsPassword: env.CENTRAL_NATS_PASSWORD || undefined,
    cities,
    databaseUrl,
    host: env.CENTRAL_HOST || "127.0.0.1",
    port,
  };
}
