// A real OpenID provider (the npm package oidc-provider) on a free port, for sign-in tests.
// Its login step is answered by the test: `provider.nextAccount` is who "types their password".
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

interface Account {
  sub: string;
  name?: string;
  email?: string;
  /** Put in the `edgeclass_role` claim. */
  role?: string;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in at the next login prompt. */
  nextAccount: Account;
  close(): Promise<void>;
}

export async function startOidcProvider(redirectUris: string[]): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "edgeclass";
  const clientSecret = "a-client-secret-for-the-test-provider-0123456789";
  const accounts = new Map<string, Account>();
  const state: TestProvider = {
    issuer,
    clientId,
    clientSecret,
    nextAccount: { sub: "alice", name: "Alice Teacher", role: "teacher" },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const ttl = (s: number) => () => s;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    pkce: { required: () => true },
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "test-1", alg: "RS256", use: "sig" }] },
    claims: { openid: ["sub"], profile: ["name", "edgeclass_role"], email: ["email"] },
    findAccount: (_ctx, id) => {
      const a = accounts.get(id) ?? { sub: id };
      return { accountId: id, claims: () => ({ sub: a.sub, name: a.name, email: a.email, edgeclass_role: a.role }) };
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Consent is given: every client gets the scopes it asks for.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope("openid profile email");
      await grant.save();
      return grant;
    },
    ttl: {
      AccessToken: ttl(600),
      AuthorizationCode: ttl(60),
      IdToken: ttl(600),
      Interaction: ttl(600),
      Session: ttl(600),
      Grant: ttl(600),
    },
  });
  const callback = provider.callback();
  // A token request on a connection that served an earlier request is reset unanswered: what a
  // provider closing an idle connection as the request arrives does. The tool's own requests go on
  // a connection each (fetch-unpooled.ts), so none is ever reset.
  const served = new WeakSet<object>();
  server.on("request", (req, res) => {
    const reused = served.has(req.socket);
    served.add(req.socket);
    if (reused && req.method === "POST" && req.url?.startsWith("/token")) return void req.socket.destroy();
    if (req.url?.startsWith("/interaction/")) {
      const a = state.nextAccount;
      accounts.set(a.sub, a);
      provider.interactionFinished(req, res, { login: { accountId: a.sub } }, { mergeWithLastSubmission: false }).catch(() => {
        res.statusCode = 500;
        res.end();
      });
      return;
    }
    callback(req, res);
  });
  return state;
}
