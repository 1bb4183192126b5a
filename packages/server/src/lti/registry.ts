// What EdgeClass knows of each LMS (LTI 1.3 platform) a school registered: its endpoints and
// deployments, which LMS course is which EdgeClass course, which resource link is which
// class (and its gradebook column), and which EdgeClass user is which LMS user. Replicated
// records (auth/records.ts): a launch may reach any instance.
import type { Records } from "../auth/records.ts";

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

// Platform ids have no space: "<platform> <LMS id>" names a row of that platform.
const pair = (platformId: string, id: string) => `${platformId} ${id}`;

export class LtiRegistry {
  constructor(private readonly records: Records) {}

  get(id: string): Platform | undefined {
    return this.records.get<Platform>("lti-platform", id);
  }

  /** Platforms with this issuer (one LMS may register the tool more than once, with other client ids). */
  byIssuer(issuer: string): Platform[] {
    return this.records.where<Platform>("lti-platform", "issuer", issuer);
  }

  bySchool(schoolId: string): Platform[] {
    return this.records.where<Platform>("lti-platform", "schoolId", schoolId);
  }

  insert(p: Omit<Platform, "createdAt" | "updatedAt">, now: number): Platform {
    const doc: Platform = { ...p, createdAt: now, updatedAt: now };
    this.records.put("lti-platform", p.id, doc);
    return doc;
  }

  setDeployments(platformId: string, ids: readonly string[], now = Date.now()): void {
    const p = this.get(platformId);
    if (p !== undefined) this.records.put("lti-platform", platformId, { ...p, deploymentIds: [...ids], updatedAt: now });
  }

  remove(id: string): boolean {
    return this.records.remove("lti-platform", id);
  }

  context(platformId: string, contextId: string): LtiContext | undefined {
    return this.records.get<LtiContext>("lti-context", pair(platformId, contextId));
  }

  contextOfCourse(courseId: string): LtiContext | undefined {
    return this.records.where<LtiContext>("lti-context", "courseId", courseId)[0];
  }

  /** Keeps the known memberships URL when a launch brings none. */
  putContext(c: LtiContext): void {
    const before = this.context(c.platformId, c.contextId);
    const next = { ...c, courseId: before?.courseId ?? c.courseId, membershipsUrl: c.membershipsUrl ?? before?.membershipsUrl ?? null };
    if (before === undefined || before.membershipsUrl !== next.membershipsUrl)
      this.records.put("lti-context", pair(c.platformId, c.contextId), next);
  }

  link(platformId: string, resourceLinkId: string): LtiLink | undefined {
    return this.records.get<LtiLink>("lti-link", pair(platformId, resourceLinkId));
  }

  linksOfClass(classId: string): LtiLink[] {
    return this.records.where<LtiLink>("lti-link", "classId", classId);
  }

  /** Keeps the known line item when a launch brings none. */
  putLink(l: LtiLink): void {
    const before = this.link(l.platformId, l.resourceLinkId);
    const next = { ...l, lineitemUrl: l.lineitemUrl ?? before?.lineitemUrl ?? null };
    if (before === undefined || before.classId !== next.classId || before.lineitemUrl !== next.lineitemUrl)
      this.records.put("lti-link", pair(l.platformId, l.resourceLinkId), next);
  }

  putUser(userId: string, platformId: string, sub: string): void {
    if (this.user(userId) === undefined) this.records.put("lti-user", userId, { platformId, sub });
  }

  /** The LMS's id for one of its users (AGS scores name users by it). */
  user(userId: string): { platformId: string; sub: string } | undefined {
    return this.records.get<{ platformId: string; sub: string }>("lti-user", userId);
  }
}
