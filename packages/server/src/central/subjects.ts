// Names shared by the cities and the centre: subjects, streams, JetStream domains.
// A city's records live in its own domain; the centre sources each city's stream, keeping
// only that city's subjects, so one city cannot put records in another's name.

/** City names go into subjects, stream names and domains: keep them to one safe token. */
export const CITY_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function assertCityName(city: string): string {
  if (!CITY_NAME.test(city))
    throw new Error(`city name ${JSON.stringify(city)} must match ${CITY_NAME} (lower-case letters, digits, dashes)`);
  return city;
}

/** The JetStream domain of a city's leaf node, and of the hub. */
export const cityDomain = (city: string) => `city-${city}`;
export const HUB_DOMAIN = "hub";

/** Records from a city: edgeclass.records.<city>.<kind>. */
export const recordSubject = (city: string, kind: string) => `edgeclass.records.${city}.${kind}`;
export const citySubjects = (city: string) => `edgeclass.records.${city}.>`;
export const cityStream = (city: string) => `RECORDS_${city.replaceAll("-", "_").toUpperCase()}`;

/** The centre's stream: every city's records, sourced across domains. */
export const CENTRAL_STREAM = "CENTRAL_RECORDS";
export const CENTRAL_CONSUMER = "central-postgres";
/** Records the centre could not take, with the reason: kept for people, never retried. */
export const DEAD_STREAM = "CENTRAL_DEAD";
export const deadSubject = (city: string) => `edgeclass.dead.${city}`;

/** The city a record subject names, or null when it is not a record subject. */
export function cityOfSubject(subject: string): string | null {
  const parts = subject.split(".");
  return parts.length === 4 && parts[0] === "edgeclass" && parts[1] === "records" && CITY_NAME.test(parts[2]) ? parts[2] : null;
}

/** The catalogue authored at the centre: one subject per row (kind and key), the stream keeping the newest of each. */
export const CATALOGUE_STREAM = "CATALOGUE";
export const CATALOGUE_SUBJECTS = "edgeclass.catalogue.>";
/** Keys hold characters a subject token cannot ("/", "."): base64url keeps them one token. */
export const catalogueSubject = (kind: string, key: string) => `edgeclass.catalogue.${kind}.${Buffer.from(key).toString("base64url")}`;
/** The city's durable consumer of its mirror, shared by the city's instances (one applies, Redis spreads). */
export const CATALOGUE_CONSUMER = "catalogue-apply";
