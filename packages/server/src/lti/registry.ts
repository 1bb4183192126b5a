// What EdgeClass knows of each LMS (LTI 1.3 platform) a school registered: its endpoints and
// deployments, which LMS course is which EdgeClass course, which resource link is which
// class (and its gradebook column), and which EdgeClass user is which LMS user.
import type { Database, Statement } from "bun:sqlite";

export interface Platform {
  id: string;
  schoolId: string;
  name: string;
  issuer: string;
  clientId: string;
  authLoginUrl: string;
  authTokenUrl: string;
  jwksUrl: string;
  deploymentIds: string[];
  createdAt: number;
  updatedAt: number;
}

export interface LtiContext {
  platformId: string;
  contextId: string;
  courseId: string;
  membershipsUrl: string | null;
}

export interface LtiLink {
  platformId: string;
  resourceLinkId: string;
  classId: string;
  lineitemUrl: string | null;
}

interface PlatformRow {
  id: string;
  school_id: string;
  name: string;
  issuer: string;
  client_id: string;
  auth_login_url: string;
  auth_token_url: string;
  jwks_url: string;
  created_at: number;
  updated_at: number;
}

type Q = Statement<Record<string, string | number | null>, (string | number | null)[]>;

export class LtiRegistry {
  private readonly s: Record<string, Q>;

  constructor(private readonly db: Database) {
    const q = (sql: string) => db.query(sql) as Q;
    this.s = {
      byId: q("SELECT * FROM lti_platforms WHERE id = ?"),
      byIssuer: q("SELECT * FROM lti_platforms WHERE issuer = ? ORDER BY id"),
      bySchool: q("SELECT * FROM lti_platforms WHERE school_id = ? ORDER BY id"),
      deployments: q("SELECT deployment_id FROM lti_deployments WHERE platform_id = ? ORDER BY deployment_id"),
      insert: q(
        "INSERT INTO lti_platforms (id, school_id, name, issuer, client_id, auth_login_url, auth_token_url, jwks_url, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
      ),
      clearDeployments: q("DELETE FROM lti_deployments WHERE platform_id = ?"),
      addDeployment: q("INSERT OR IGNORE INTO lti_deployments (platform_id, deployment_id) VALUES (?, ?)"),
      remove: q("DELETE FROM lti_platforms WHERE id = ?"),
      context: q("SELECT platform_id, context_id, course_id, memberships_url FROM lti_contexts WHERE platform_id = ? AND context_id = ?"),
      contextOfCourse: q("SELECT platform_id, context_id, course_id, memberships_url FROM lti_contexts WHERE course_id = ? ORDER BY platform_id, context_id LIMIT 1"),
      putContext: q(
        "INSERT INTO lti_contexts (platform_id, context_id, course_id, memberships_url) VALUES (?, ?, ?, ?) ON CONFLICT (platform_id, context_id) DO UPDATE SET memberships_url = coalesce(excluded.memberships_url, lti_contexts.memberships_url)",
      ),
      link: q("SELECT platform_id, resource_link_id, class_id, lineitem_url FROM lti_links WHERE platform_id = ? AND resource_link_id = ?"),
      linksOfClass: q("SELECT platform_id, resource_link_id, class_id, lineitem_url FROM lti_links WHERE class_id = ? ORDER BY platform_id, resource_link_id"),
      putLink: q(
        "INSERT INTO lti_links (platform_id, resource_link_id, class_id, lineitem_url) VALUES (?, ?, ?, ?) ON CONFLICT (platform_id, resource_link_id) DO UPDATE SET class_id = excluded.class_id, lineitem_url = coalesce(excluded.lineitem_url, lti_links.lineitem_url)",
      ),
      putUser: q("INSERT INTO lti_users (user_id, platform_id, sub) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING"),
      user: q("SELECT platform_id, sub FROM lti_users WHERE user_id = ?"),
    };
  }

  private platform(r: PlatformRow | null): Platform | undefined {
    if (r === null) return undefined;
    return {
      id: r.id,
      schoolId: r.school_id,
      name: r.name,
      issuer: r.issuer,
      clientId: r.client_id,
      authLoginUrl: r.auth_login_url,
      authTokenUrl: r.auth_token_url,
      jwksUrl: r.jwks_url,
      deploymentIds: this.s.deployments.all(r.id).map((d) => String(d.deployment_id)),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  get(id: string): Platform | undefined {
    return this.platform(this.s.byId.get(id) as PlatformRow | null);
  }

  /** Platforms with this issuer (one LMS may register the tool more than once, with other client ids). */
  byIssuer(issuer: string): Platform[] {
    return (this.s.byIssuer.all(issuer) as unknown as PlatformRow[]).map((r) => this.platform(r) as Platform);
  }

  bySchool(schoolId: string): Platform[] {
    return (this.s.bySchool.all(schoolId) as unknown as PlatformRow[]).map((r) => this.platform(r) as Platform);
  }

  /** Throws on an issuer and client id already registered (SQLite's UNIQUE). */
  insert(p: Omit<Platform, "createdAt" | "updatedAt">, now: number): Platform {
    this.db.transaction(() => {
      this.s.insert.run(p.id, p.schoolId, p.name, p.issuer, p.clientId, p.authLoginUrl, p.authTokenUrl, p.jwksUrl, now);
      for (const d of p.deploymentIds) this.s.addDeployment.run(p.id, d);
    })();
    return this.get(p.id) as Platform;
  }

  setDeployments(platformId: string, ids: readonly string[]): void {
    this.db.transaction(() => {
      this.s.clearDeployments.run(platformId);
      for (const d of ids) this.s.addDeployment.run(platformId, d);
    })();
  }

  remove(id: string): boolean {
    return this.s.remove.run(id).changes > 0;
  }

  context(platformId: string, contextId: string): LtiContext | undefined {
    return ctx(this.s.context.get(platformId, contextId));
  }

  contextOfCourse(courseId: string): LtiContext | undefined {
    return ctx(this.s.contextOfCourse.get(courseId));
  }

  putContext(c: LtiContext): void {
    this.s.putContext.run(c.platformId, c.contextId, c.courseId, c.membershipsUrl);
  }

  link(platformId: string, resourceLinkId: string): LtiLink | undefined {
    return lnk(this.s.link.get(platformId, resourceLinkId));
  }

  linksOfClass(classId: string): LtiLink[] {
    return this.s.linksOfClass.all(classId).map((r) => lnk(r) as LtiLink);
  }

  putLink(l: LtiLink): void {
    this.s.putLink.run(l.platformId, l.resourceLinkId, l.classId, l.lineitemUrl);
  }

  putUser(userId: string, platformId: string, sub: string): void {
    this.s.putUser.run(userId, platformId, sub);
  }

  /** The LMS's id for one of its users (AGS scores name users by it). */
  user(userId: string): { platformId: string; sub: string } | undefined {
    const r = this.s.user.get(userId);
    return r === null ? undefined : { platformId: String(r.platform_id), sub: String(r.sub) };
  }
}

function ctx(r: Record<string, string | number | null> | null): LtiContext | undefined {
  return r === null ? undefined : { platformId: String(r.platform_id), contextId: String(r.context_id), courseId: String(r.course_id), membershipsUrl: r.memberships_url === null ? null : String(r.memberships_url) };
}

function lnk(r: Record<string, string | number | null> | null): LtiLink | undefined {
  return r === null ? undefined : { platformId: String(r.platform_id), resourceLinkId: String(r.resource_link_id), classId: String(r.class_id), lineitemUrl: r.lineitem_url === null ? null : String(r.lineitem_url) };
}
