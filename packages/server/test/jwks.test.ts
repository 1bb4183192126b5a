// Production auth: tokens from a central identity provider, verified offline against its JWKS.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from "jose";
import { mintToken } from "../src/auth/tokens.ts";
import { startTestServer, tempDir, type TestServer } from "./support/server.ts";

let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
let jwks: { keys: object[] };

function sign(key: CryptoKey, alg: string, kid: string, claims: Record<string, unknown> = { role: "teacher" }) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid })
    .setSubject("idp-teacher")
    .setIssuer("https://idp.example")
    .setAudience("edgeclass")
    .setExpirationTime("5m")
    .sign(key);
}

beforeAll(async () => {
  rsa = await generateKeyPair("RS256");
  ec = await generateKeyPair("ES256");
  jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
      { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
    ],
  };
});

async function checkServer(t: TestServer) {
  for (const token of [await sign(rsa.privateKey, "RS256", "rsa-1"), await sign(ec.privateKey, "ES256", "ec-1")]) {
    const r = await t.call("POST", "/api/courses", { token, body: { title: "From the IdP" } });
    expect(r.status).toBe(201);
    expect(r.body.teacherId).toBe("idp-teacher");
  }
  // A token signed with the local secret is not accepted in JWKS mode.
  const local = await mintToken(t.server.secret, { sub: "x", role: "admin", ttlSeconds: 60 });
  expect((await t.call("GET", "/api/config", { token: local })).status).toBe(401);
  // Wrong audience.
  const wrongAud = await new SignJWT({ role: "teacher" })
    .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
    .setSubject("x")
    .setIssuer("https://idp.example")
    .setAudience("other")
    .setExpirationTime("5m")
    .sign(rsa.privateKey);
  expect((await t.call("GET", "/api/me", { token: wrongAud })).status).toBe(401);
}

describe("JWKS verification", () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  test("from a file", async () => {
    const dir = tempDir();
    const file = join(dir, "jwks.json");
    writeFileSync(file, JSON.stringify(jwks));
    const t = await startTestServer({ JWT_JWKS_FILE: file, JWT_ISSUER: "https://idp.example", JWT_AUDIENCE: "edgeclass", DEMO: "false" });
    servers.push(t);
    await checkServer(t);
  });

  test("from a URL", async () => {
    const idp = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json(jwks) });
    try {
      const t = await startTestServer({
        JWT_JWKS_URL: `http://127.0.0.1:${idp.port}/.well-known/jwks.json`,
        JWT_ISSUER: "https://idp.example",
        JWT_AUDIENCE: "edgeclass",
      });
      servers.push(t);
      await checkServer(t);
    } finally {
      idp.stop(true);
    }
  });
});
