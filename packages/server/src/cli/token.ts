// `npm run token -- --role teacher --sub t1 [--name "Ada"] [--school s1] [--ttl 3600]`: mints a local HS256 token.
import { parseArgs } from "node:util";
import { loadOrCreateSecret } from "../auth/secret.ts";
import { mintToken } from "../auth/tokens.ts";
import { loadConfig } from "../config/load.ts";
import { ROLES, type Role } from "../domain/model.ts";
import { SCHOOL_ID_PATTERN } from "../domain/schools.ts";

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    sub: { type: "string" },
    name: { type: "string" },
    school: { type: "string" },
    ttl: { type: "string" },
  },
});
const role = values.role as Role | undefined;
if (!role || !(ROLES as readonly string[]).includes(role) || !values.sub) {
  console.error(
    `usage: npm run token -- --role ${ROLES.join("|")} --sub <user id> [--name <display name>] [--school <school id>] [--ttl <seconds>]`,
  );
  process.exit(2);
}
if (values.school !== undefined && !SCHOOL_ID_PATTERN.test(values.school)) {
  console.error("--school must be a school id: 1-128 letters, digits or _ . : @ - (without it the token is the default school's)");
  process.exit(2);
}
const config = await loadConfig();
if (config.jwt.jwksFile || config.jwt.jwksUrl) {
  console.error("this server verifies tokens against a JWKS; mint tokens with your identity provider");
  process.exit(2);
}
const ttl = values.ttl ? Number(values.ttl) : config.jwt.ttlSeconds;
if (!Number.isInteger(ttl) || ttl <= 0 || ttl > config.jwt.maxTtlSeconds) {
  console.error(
    `--ttl must be a whole number of seconds from 1 to ${config.jwt.maxTtlSeconds} (JWT_MAX_TTL_SECONDS): the server refuses longer tokens`,
  );
  process.exit(2);
}
const secret = loadOrCreateSecret(config.dataDir, config.jwt.secret);
console.log(
  await mintToken(secret, {
    sub: values.sub,
    role,
    name: values.name,
    school: values.school,
    ttlSeconds: ttl,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
  }),
);
