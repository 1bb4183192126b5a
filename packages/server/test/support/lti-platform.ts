// An LTI 1.3 platform (an LMS) written with jose for the tests: its keys and JWKS, signed
// launches, an OAuth token endpoint that checks the tool's signed assertion against the
// tool's JWKS, NRPS memberships (paged), AGS score intake (that can be told to fail), and a
// Deep Linking return URL that verifies what the tool sends back.
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from "jose";

export const LTI = "https://purl.imsglobal.org/spec/lti/claim/";
export const ROLE = {
  instructor: "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
  learner: "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
};

interface MemberSpec {
  user_id: string;
  name: string;
  roles: string[];
  status?: "Active" | "Inactive" | "Deleted";
}

interface ReceivedScore {
  lineitem: string;
  body: { userId: string; scoreGiven: number; scoreMaximum: number; activityProgress: string; gradingProgress: string; timestamp: string };
}

export interface TestPlatform {
  base: string;
  issuer: string;
  clientId: string;
  deploymentId: string;
  registration: { issuer: string; clientId: string; authLoginUrl: string; authTokenUrl: string; jwksUrl: string; deploymentIds: string[] };
  /** The tool's JWKS URL (set once the tool runs): the token endpoint and Deep Linking return check against it. */
  toolJwksUrl: string;
  members: MemberSpec[];
  scores: ReceivedScore[];
  /** The next N score posts are answered with this status (then it succeeds again). */
  failScores: { status: number; times: number };
  tokensIssued: { scope: string }[];
  /** The client port of each POST the tool sent (token, line items, scores): one per connection. */
  toolPostPorts: number[];
  /** Line items the tool made (AGS lineitem scope), as posted. */
  lineItems: { id: string; label: string; scoreMaximum: number; resourceId: string; resourceLinkId: string }[];
  lineitemsUrl(context: string): string;
  /** Content items received at the Deep Linking return URL, verified. */
  deepLinks: { claims: JWTPayload }[];
  lineitem(id: string): string;
  memberships(context: string): string;
  /** A launch id_token signed with the platform's key (or `other`, a key not in its JWKS). */
  idToken(claims: Record<string, unknown>, o?: { key?: "platform" | "other"; expiresIn?: number; iat?: number }): Promise<string>;
  close(): void;
}

export async function startLtiPlatform(): Promise<TestPlatform> {
  const own = await generateKeyPair("RS256", { extractable: true });
  const other = await generateKeyPair("RS256", { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(own.publicKey)), kid: "platform-1", alg: "RS256", use: "sig" }] };
  let toolKeys: ReturnType<typeof createRemoteJWKSet> | null = null;
  const toolJwks = () => (toolKeys ??= createRemoteJWKSet(new URL(state.toolJwksUrl)));
  const issued = new Map<string, string>();
  const PAGE = 2;

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req, srv): Promise<Response> {
      const url = new URL(req.url);
      if (req.method === "POST" && (url.pathname === "/token" || url.pathname.includes("lineitems")))
        state.toolPostPorts.push(srv.requestIP(req)?.port ?? 0);
      const bearerScope = () => issued.get(/^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? "") ?? "";
      if (url.pathname === "/jwks") return Response.json(jwks);
      if (url.pathname === "/token" && req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        if (
          form.get("grant_type") !== "client_credentials" ||
          form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ) {
          return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
        }
        try {
          await jwtVerify(form.get("client_assertion") ?? "", toolJwks(), {
            issuer: state.clientId,
            subject: state.clientId,
            audience: `${base}/token`,
            algorithms: ["RS256"],
          });
        } catch (e) {
          return Response.json({ error: "invalid_client", error_description: String(e) }, { status: 401 });
        }
        const token = crypto.randomUUID();
        const scope = form.get("scope") ?? "";
        issued.set(token, scope);
        state.tokensIssued.push({ scope });
        return Response.json({ access_token: token, token_type: "Bearer", expires_in: 3600, scope });
      }
      const nrps = /^\/nrps\/([^/]+)$/.exec(url.pathname);
      if (nrps !== null) {
        if (!bearerScope().includes("contextmembership.readonly")) return new Response("no roster scope", { status: 403 });
        if (!(req.headers.get("accept") ?? "").includes("application/vnd.ims.lti-nrps.v2.membershipcontainer+json"))
          return new Response("bad accept", { status: 406 });
        const page = Number(url.searchParams.get("page") ?? "1");
        const slice = state.members.slice((page - 1) * PAGE, page * PAGE);
        const headers: Record<string, string> = { "content-type": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json" };
        if (page * PAGE < state.members.length) headers.link = `<${base}/nrps/${nrps[1]}?page=${page + 1}>; rel="next"`;
        return new Response(JSON.stringify({ id: url.href, context: { id: nrps[1] }, members: slice }), { headers });
      }
      const container = /^\/courses\/([^/]+)\/lineitems$/.exec(url.pathname);
      if (container !== null && req.method === "POST") {
        if (!bearerScope().includes("lti-ags/scope/lineitem")) return new Response("no lineitem scope", { status: 403 });
        if (req.headers.get("content-type") !== "application/vnd.ims.lis.v2.lineitem+json")
          return new Response("bad content type", { status: 415 });
        const posted = (await req.json()) as Omit<TestPlatform["lineItems"][number], "id">;
        const item: TestPlatform["lineItems"][number] = { ...posted, id: `${base}/lineitems/auto-${state.lineItems.length + 1}` };
        state.lineItems.push(item);
        return Response.json(item, { status: 201, headers: { "content-type": "application/vnd.ims.lis.v2.lineitem+json" } });
      }
      const score = /^\/lineitems\/([^/]+)\/scores$/.exec(url.pathname);
      if (score !== null && req.method === "POST") {
        if (!bearerScope().includes("lti-ags/scope/score")) return new Response("no score scope", { status: 403 });
        if (req.headers.get("content-type") !== "application/vnd.ims.lis.v1.score+json")
          return new Response("bad content type", { status: 415 });
        if (state.failScores.times > 0) {
          state.failScores.times--;
          return new Response(JSON.stringify({ error: "score refused by the test" }), { status: state.failScores.status });
        }
        state.scores.push({ lineitem: `${base}/lineitems/${score[1]}`, body: (await req.json()) as ReceivedScore["body"] });
        return new Response(null, { status: 204 });
      }
      if (url.pathname === "/deep-link-return" && req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        try {
          const { payload } = await jwtVerify(form.get("JWT") ?? "", toolJwks(), {
            issuer: state.clientId,
            audience: state.issuer,
            algorithms: ["RS256"],
          });
          if (payload[`${LTI}message_type`] !== "LtiDeepLinkingResponse" || payload[`${LTI}deployment_id`] !== state.deploymentId)
            return new Response("wrong message", { status: 400 });
          state.deepLinks.push({ claims: payload });
          return new Response("ok");
        } catch (e) {
          return new Response(`refused: ${String(e)}`, { status: 400 });
        }
      }
      return new Response("not found", { status: 404 });
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  const state: TestPlatform = {
    base,
    issuer: base,
    clientId: "edgeclass-tool",
    deploymentId: "dep-1",
    registration: {
      issuer: base,
      clientId: "edgeclass-tool",
      authLoginUrl: `${base}/auth`,
      authTokenUrl: `${base}/token`,
      jwksUrl: `${base}/jwks`,
      deploymentIds: ["dep-1"],
    },
    toolJwksUrl: "",
    members: [],
    scores: [],
    failScores: { status: 500, times: 0 },
    tokensIssued: [],
    toolPostPorts: [],
    deepLinks: [],
    lineItems: [],
    lineitemsUrl: (context) => `${base}/courses/${context}/lineitems`,
    lineitem: (id) => `${base}/lineitems/${id}`,
    memberships: (context) => `${base}/nrps/${context}`,
    async idToken(claims, o = {}) {
      const key: CryptoKey = o.key === "other" ? other.privateKey : own.privateKey;
      const iat = o.iat ?? Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "platform-1", typ: "JWT" })
        .setIssuedAt(iat)
        .setExpirationTime(iat + (o.expiresIn ?? 300))
        .sign(key);
    },
    close: () => void server.stop(true),
  };
  return state;
}
