// School sign-in over HTTP: registering a school's OpenID provider, the sign-in redirect and
// callback, the browser session (who am I, CSRF token) and logout.
import * as v from "valibot";
import type { OidcSignIn } from "../../auth/oidc/sign-in.ts";
import { TOKEN_AUTH_METHODS, type IdentityProvider, type IdentityProviders } from "../../auth/oidc/registry.ts";
import type { Sessions } from "../../auth/session.ts";
import { AppError } from "../../domain/errors.ts";
import { ROLES, type Principal } from "../../domain/model.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";
import { httpsUrl, id, text } from "../validate.ts";

const RegisterBody = v.strictObject({
  issuer: httpsUrl(500),
  clientId: text(255),
  clientSecret: v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(1000)),
  tokenAuthMethod: v.optional(v.picklist(TOKEN_AUTH_METHODS, `must be one of ${TOKEN_AUTH_METHODS.join(", ")}`)),
  scopes: v.optional(
    v.pipe(
      text(500),
      v.check((s) => s.split(/\s+/).includes("openid"), "must include openid"),
    ),
  ),
  roleClaim: v.optional(v.nullable(v.pipe(text(100), v.regex(/^[\w.:/-]+$/, "must be a claim name")))),
  teacherValues: v.optional(v.pipe(v.array(text(200)), v.maxLength(50))),
  schoolAdminValues: v.optional(v.pipe(v.array(text(200)), v.maxLength(50))),
});
const SchoolParams = v.strictObject({ school: id });
const LoginQuery = v.strictObject({ next: v.optional(v.pipe(v.string(), v.maxLength(512))) });

export interface AuthRouteDeps {
  sessions: Sessions;
  providers: IdentityProviders;
  oidc: OidcSignIn;
  counted<T>(via: "oidc", run: () => Promise<T>): Promise<T>;
  maxBodyBytes: number;
  now: () => number;
  schoolExists(id: string): boolean;
}

/** The platform admin, or the school's own admin. Anyone else, or another school's admin: the school is not there for them. */
export function assertManages(p: Principal, school: string, exists: (id: string) => boolean): void {
  const role: string = p.role;
  if (role !== "admin" && role !== "school-admin")
    throw new AppError("forbidden", `managing a school's sign-in needs the role admin or school-admin; you are ${p.role}`);
  if ((role === "school-admin" && p.school !== school) || !exists(school))
    throw new AppError("not-found", `school ${school} does not exist`);
}

const view = (p: IdentityProvider, redirectUri: string) => ({
  schoolId: p.schoolId,
  issuer: p.issuer,
  clientId: p.clientId,
  clientSecret: "(set)",
  tokenAuthMethod: p.tokenAuthMethod,
  scopes: p.scopes,
  roleClaim: p.roleClaim,
  teacherValues: p.teacherValues,
  schoolAdminValues: p.schoolAdminValues ?? [],
  redirectUri,
  createdAt: new Date(p.createdAt).toISOString(),
  updatedAt: new Date(p.updatedAt).toISOString(),
});

export function authRoutes(d: AuthRouteDeps, publicUrl: string | undefined): RouteDef[] {
  const callbackFor = (req: Request) => `${publicUrl ?? new URL(req.url).origin}/api/auth/oidc/callback`;
  return [
    route({
      method: "GET",
      path: "/api/auth/oidc/:school/login",
      auth: "public",
      schema: { params: SchoolParams, query: LoginQuery },
      handle: ({ req, params, query }) => d.oidc.begin(req, params.school, query.next ?? null),
    }),
    { method: "GET", path: "/api/auth/oidc/callback", auth: "public", handle: ({ req }) => d.counted("oidc", () => d.oidc.finish(req)) },
    {
      method: "GET",
      path: "/api/auth/session",
      auth: "public",
      async handle({ req }) {
        const s = await d.sessions.authenticate(req);
        if (s === null) throw new AppError("unauthorized", "no browser session: sign in with your school");
        return json(
          {
            user: s.principal,
            school: s.principal.school,
            via: s.via,
            csrfToken: d.sessions.csrfToken(s.sid),
            expiresAt: new Date(s.expiresAt).toISOString(),
          },
          200,
          { "cache-control": "no-store" },
        );
      },
    },
    {
      // POST (with the CSRF token): a page of another site cannot get one.
      method: "POST",
      path: "/api/auth/live-token",
      auth: "public",
      async handle({ req }) {
        const s = await d.sessions.authenticate(req);
        if (s === null) throw new AppError("unauthorized", "no browser session: sign in with your school");
        const t = await d.sessions.shortAccessToken(s, 120);
        return json({ token: t.token, expiresAt: new Date(t.expiresAt).toISOString() }, 200, { "cache-control": "no-store" });
      },
    },
    {
      method: "POST",
      path: "/api/auth/logout",
      auth: "public",
      async handle({ req }) {
        // A forged or already-ended session has nothing to revoke; a live one needs its CSRF token,
        // or comes as its bearer form (a page an LMS launched holds the session that way).
        const bearer = /^Bearer +(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
        const s = await (bearer !== undefined ? d.sessions.accessSession(bearer) : d.sessions.authenticate(req)).catch((e: unknown) => {
          if (e instanceof AppError && e.code === "invalid-token") return null;
          throw e;
        });
        if (s !== null) await d.sessions.revoke(s);
        const headers = new Headers({ "cache-control": "no-store" });
        for (const c of d.sessions.clearCookies()) headers.append("set-cookie", c);
        return new Response(null, { status: 204, headers });
      },
    },
    route({
      method: "PUT",
      path: "/api/schools/:school/identity-provider",
      auth: ROLES,
      schema: { params: SchoolParams, body: RegisterBody },
      bodyLimit: d.maxBodyBytes,
      async handle({ req, params: { school }, body, principal }) {
        assertManages(principal, school, d.schoolExists);
        const candidate = {
          schoolId: school,
          issuer: body.issuer,
          clientId: body.clientId,
          clientSecret: body.clientSecret,
          tokenAuthMethod: body.tokenAuthMethod ?? "client_secret_basic",
          scopes: body.scopes ?? "openid profile email",
          roleClaim: body.roleClaim ?? null,
          teacherValues: body.teacherValues ?? [],
          schoolAdminValues: body.schoolAdminValues ?? [],
        } as const;
        // A provider that does not answer discovery is refused now, not at a student's first sign-in.
        try {
          await d.oidc.configuration(
            { ...candidate, teacherValues: [...candidate.teacherValues], schoolAdminValues: [...candidate.schoolAdminValues] },
            true,
          );
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          throw new AppError(
            "validation",
            `invalid body: issuer: discovery at ${body.issuer}/.well-known/openid-configuration failed: ${message.slice(0, 200)}`,
            {
              issues: [{ path: "issuer", message: `discovery failed: ${message.slice(0, 200)}` }],
            },
          );
        }
        const existed = d.providers.get(school) !== undefined;
        const saved = d.providers.put(
          { ...candidate, teacherValues: [...candidate.teacherValues], schoolAdminValues: [...candidate.schoolAdminValues] },
          d.now(),
        );
        return json(view(saved, callbackFor(req)), existed ? 200 : 201);
      },
    }),
    route({
      method: "GET",
      path: "/api/schools/:school/identity-provider",
      auth: ROLES,
      schema: { params: SchoolParams },
      handle({ req, params: { school }, principal }) {
        assertManages(principal, school, d.schoolExists);
        const p = d.providers.get(school);
        if (p === undefined) throw new AppError("not-found", `school ${school} has no identity provider registered`);
        return json(view(p, callbackFor(req)));
      },
    }),
    route({
      method: "DELETE",
      path: "/api/schools/:school/identity-provider",
      auth: ROLES,
      schema: { params: SchoolParams },
      handle({ params: { school }, principal }) {
        assertManages(principal, school, d.schoolExists);
        if (!d.providers.remove(school)) throw new AppError("not-found", `school ${school} has no identity provider registered`);
        return new Response(null, { status: 204 });
      },
    }),
  ];
}
