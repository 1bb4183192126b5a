// LTI 1.3 over HTTP: a school's platforms (registered by its admin), the tool's endpoints the
// LMS calls (login initiation, launch, JWKS, Deep Linking), the roster sync and the grades.
import * as v from "valibot";
import { assertCanManageCourse } from "../../domain/courses.ts";
import { AppError, notFound } from "../../domain/errors.ts";
import { ROLES } from "../../domain/model.ts";
import type { GradeOutbox } from "../../lti/grades.ts";
import type { LoginParams, LtiLaunches } from "../../lti/launch.ts";
import type { LtiRegistry, Platform } from "../../lti/registry.ts";
import type { LtiService } from "../../lti/service.ts";
import type { ToolKeys } from "../../lti/tool-key.ts";
import type { CoursesService } from "../../services/courses-service.ts";
import type { Store } from "../../store/types.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { pageLocale } from "../page-locale.ts";
import { json } from "../problem.ts";
import { check, httpsUrl, id, text } from "../validate.ts";
import { assertManages } from "./auth.ts";

const endpoint = httpsUrl(1000);
const deploymentIds = v.pipe(v.array(text(255)), v.minLength(1, "list at least one deployment id"), v.maxLength(100));
const PlatformBody = v.strictObject({
  name: v.optional(text(200)),
  issuer: endpoint,
  clientId: text(255),
  authLoginUrl: endpoint,
  authTokenUrl: endpoint,
  jwksUrl: endpoint,
  deploymentIds,
});
const DeploymentsBody = v.strictObject({ deploymentIds });
const SchoolParams = v.strictObject({ school: id });
const PlatformParams = v.strictObject({ school: id, id });
const IdParams = v.strictObject({ id });
const DeepLinkParams = v.strictObject({ id: v.pipe(v.string(), v.regex(/^[\w-]{16,64}$/, "not a deep linking id")) });
const LoginForm = v.object({
  iss: text(500),
  login_hint: text(1000),
  target_link_uri: text(2000),
  lti_message_hint: v.optional(v.pipe(v.string(), v.maxLength(4000))),
  client_id: v.optional(text(255)),
  lti_deployment_id: v.optional(text(255)),
});
const LaunchForm = v.object({ id_token: v.pipe(v.string(), v.minLength(1), v.maxLength(64 * 1024)), state: text(200) });

export interface LtiRouteDeps {
  registry: LtiRegistry;
  launches: LtiLaunches;
  service: LtiService;
  toolKeys: ToolKeys;
  grades: GradeOutbox;
  counted<T>(via: "lti", run: () => Promise<T>): Promise<T>;
  courses: CoursesService;
  store: Store;
  maxBodyBytes: number;
  publicUrl: string | undefined;
  now: () => number;
  newId: () => string;
  schoolExists(id: string): boolean;
}

/** A form body (application/x-www-form-urlencoded), as LMSs post launches and as the tool's pages post. */
async function readForm(req: Request, maxBytes: number): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers.get("content-type") ?? ""))
    throw new AppError("unsupported-media-type", "send the form as application/x-www-form-urlencoded");
  const body = await req.text();
  if (body.length > maxBytes) throw new AppError("payload-too-large", `body is larger than the limit of ${maxBytes} bytes`);
  return new URLSearchParams(body);
}

const fields = (q: URLSearchParams) => {
  const out: Record<string, string> = {};
  for (const [k, val] of q) out[k] = val;
  return out;
};

export function ltiRoutes(d: LtiRouteDeps): RouteDef[] {
  const origin = (req: Request) => d.publicUrl ?? new URL(req.url).origin;
  const tool = (req: Request) => ({
    loginUrl: `${origin(req)}/api/lti/login`,
    launchUrl: `${origin(req)}/api/lti/launch`,
    deepLinkingUrl: `${origin(req)}/api/lti/launch`,
    jwksUrl: `${origin(req)}/api/lti/jwks`,
  });
  const view = (p: Platform, req: Request) => ({
    ...p,
    createdAt: new Date(p.createdAt).toISOString(),
    updatedAt: new Date(p.updatedAt).toISOString(),
    tool: tool(req),
  });
  const platformOf = (school: string, pid: string) => {
    const p = d.registry.get(pid);
    if (p === undefined || p.schoolId !== school) throw notFound("LTI platform", pid);
    return p;
  };
  const login = async (req: Request, params: Record<string, string>) => {
    const p = check(LoginForm, params, "login initiation") as LoginParams;
    return new Response(null, {
      status: 302,
      headers: { location: await d.launches.login(p, `${origin(req)}/api/lti/launch`), "cache-control": "no-store" },
    });
  };
  const managedClass = (principal: Parameters<CoursesService["getClass"]>[0], classId: string) => {
    const cls = d.courses.getClass(principal, classId);
    assertCanManageCourse(principal, d.store.courses.get(cls.courseId)!);
    return cls;
  };
  return [
    route({
      method: "POST",
      path: "/api/schools/:school/lti/platforms",
      auth: ROLES,
      schema: { params: SchoolParams, body: PlatformBody },
      bodyLimit: d.maxBodyBytes,
      async handle({ req, params: { school }, body: b, principal }) {
        assertManages(principal, school, d.schoolExists);
        if (d.registry.byIssuer(b.issuer).some((p) => p.clientId === b.clientId))
          throw new AppError("conflict", `a platform with issuer ${b.issuer} and client id ${b.clientId} is registered already`);
        const p = d.registry.insert(
          {
            id: d.newId(),
            schoolId: school,
            name: b.name ?? new URL(b.issuer).host,
            issuer: b.issuer,
            clientId: b.clientId,
            authLoginUrl: b.authLoginUrl,
            authTokenUrl: b.authTokenUrl,
            jwksUrl: b.jwksUrl,
            deploymentIds: [...new Set(b.deploymentIds)],
          },
          d.now(),
        );
        return json(view(p, req), 201, { location: `/api/schools/${school}/lti/platforms/${p.id}` });
      },
    }),
    route({
      method: "GET",
      path: "/api/schools/:school/lti/platforms",
      auth: ROLES,
      schema: { params: SchoolParams },
      handle({ req, params: { school }, principal }) {
        assertManages(principal, school, d.schoolExists);
        return json({ items: d.registry.bySchool(school).map((p) => view(p, req)), tool: tool(req) });
      },
    }),
    route({
      method: "GET",
      path: "/api/schools/:school/lti/platforms/:id",
      auth: ROLES,
      schema: { params: PlatformParams },
      handle({ req, params: p, principal }) {
        assertManages(principal, p.school, d.schoolExists);
        return json(view(platformOf(p.school, p.id), req));
      },
    }),
    route({
      method: "PUT",
      path: "/api/schools/:school/lti/platforms/:id/deployments",
      auth: ROLES,
      schema: { params: PlatformParams, body: DeploymentsBody },
      bodyLimit: d.maxBodyBytes,
      async handle({ req, params: p, body: b, principal }) {
        assertManages(principal, p.school, d.schoolExists);
        const platform = platformOf(p.school, p.id);
        d.registry.setDeployments(platform.id, [...new Set(b.deploymentIds)]);
        return json(view(platformOf(p.school, p.id), req));
      },
    }),
    route({
      method: "DELETE",
      path: "/api/schools/:school/lti/platforms/:id",
      auth: ROLES,
      schema: { params: PlatformParams },
      handle({ params: p, principal }) {
        assertManages(principal, p.school, d.schoolExists);
        d.registry.remove(platformOf(p.school, p.id).id);
        return new Response(null, { status: 204 });
      },
    }),
    { method: "GET", path: "/api/lti/tool", auth: "public", handle: ({ req }) => json(tool(req)) },
    {
      method: "GET",
      path: "/api/lti/jwks",
      auth: "public",
      handle: async () => json(await d.toolKeys.jwks(), 200, { "cache-control": "public, max-age=300" }),
    },
    { method: "GET", path: "/api/lti/login", auth: "public", handle: ({ req }) => login(req, fields(new URL(req.url).searchParams)) },
    {
      method: "POST",
      path: "/api/lti/login",
      auth: "public",
      handle: async ({ req }) => login(req, fields(await readForm(req, d.maxBodyBytes))),
    },
    route({
      method: "POST",
      path: "/api/lti/launch",
      auth: "public",
      async handle({ req }) {
        return d.counted("lti", async () => {
          const f = check(LaunchForm, fields(await readForm(req, d.maxBodyBytes)), "launch");
          return d.service.launch(f.id_token, f.state, origin(req));
        });
      },
    }),
    route({
      method: "GET",
      path: "/api/lti/deep-link/:id",
      auth: "public",
      schema: { params: DeepLinkParams },
      handle: ({ req, params }) => d.service.deepLinkPage(params.id, pageLocale(req)),
    }),
    route({
      method: "POST",
      path: "/api/lti/deep-link/:id",
      auth: "public",
      schema: { params: DeepLinkParams },
      async handle({ req, params: { id: dl } }) {
        const wantsJson = /application\/json/.test(req.headers.get("accept") ?? "");
        const launchUrl = `${origin(req)}/api/lti/launch`;
        return d.service.deepLinkChoose(dl, await readForm(req, d.maxBodyBytes), launchUrl, wantsJson, pageLocale(req));
      },
    }),
    route({
      method: "POST",
      path: "/api/courses/:id/lti/roster-sync",
      auth: ["teacher", "school-admin", "admin"],
      schema: { params: IdParams },
      async handle({ params, principal }) {
        return json(await d.service.rosterSync(principal, params.id));
      },
    }),
    route({
      method: "GET",
      path: "/api/classes/:id/lti/grades",
      auth: ["teacher", "school-admin", "admin"],
      schema: { params: IdParams },
      handle({ params, principal }) {
        const cls = managedClass(principal, params.id);
        const rows = d.grades.rows(cls.id).map((r) => ({
          ...r,
          nextAttemptAt: r.status === "pending" ? new Date(r.nextAttemptAt).toISOString() : null,
          sentAt: r.sentAt === null ? null : new Date(r.sentAt).toISOString(),
        }));
        const count = (s: string) => rows.filter((r) => r.status === s).length;
        return json({ classId: cls.id, sent: count("sent"), pending: count("pending"), failed: count("failed"), items: rows });
      },
    }),
    route({
      method: "POST",
      path: "/api/classes/:id/lti/grades/retry",
      auth: ["teacher", "school-admin", "admin"],
      schema: { params: IdParams },
      handle({ params, principal }) {
        const cls = managedClass(principal, params.id);
        return json({ requeued: d.grades.retryFailed(cls.id) });
      },
    }),
  ];
}
