// What an LTI launch does once it is valid: the LMS user becomes an EdgeClass user of the
// platform's school, the LMS course an EdgeClass course (made by the first instructor who
// launches), learners are enrolled, the resource link points at a class (chosen by Deep
// Linking), and a session is handed to the page. Also the roster sync (NRPS) and the scores
// queued when a class ends (AGS).
import type { OneTimeKeys } from "../auth/keys.ts";
import { userIdFor } from "../auth/oidc/sign-in.ts";
import type { Sessions } from "../auth/session.ts";
import { assertCanManageCourse } from "../domain/courses.ts";
import { AppError, notFound } from "../domain/errors.ts";
import { publicQuestion } from "../domain/live/quiz.ts";
import type { Course, Principal } from "../domain/model.ts";
import type { Logger } from "../obs/logger.ts";
import type { CoursesService } from "../services/courses-service.ts";
import type { LiveService } from "../services/live-service.ts";
import type { Store } from "../store/types.ts";
import type { PageLocale } from "../http/page-locale.ts";
import { autoPostPage, deepLinkingResponse, PAGE_HEADERS, pickerPage, type DeepLinkRequest } from "./deep-linking.ts";
import type { GradeOutbox } from "./grades.ts";
import { refused, roleOf, type Launch, type LtiLaunches } from "./launch.ts";
import { PlatformError, SCOPES, type PlatformClient } from "./platform-client.ts";
import type { LtiRegistry, Platform } from "./registry.ts";
import type { ToolKeys } from "./tool-key.ts";

const DEEP_LINK_TTL_MS = 60 * 60_000;

export interface LtiServiceDeps {
  registry: LtiRegistry;
  launches: LtiLaunches;
  keys: OneTimeKeys;
  toolKeys: ToolKeys;
  client: PlatformClient;
  grades: GradeOutbox;
  sessions: Sessions;
  courses: CoursesService;
  live: LiveService;
  store: Store;
  logger: Logger;
  now: () => number;
}

/** Acts for the school in what the LMS decides (enrolments from the roster, scores). */
const schoolSystem = (school: string): Principal => ({ id: "lti", role: "school-admin", name: "LTI", school });

const ltiUserId = (p: Platform, sub: string) => userIdFor(p.schoolId, `lti.${p.id}.${sub}`);

export interface RosterResult {
  members: number;
  enrolled: number;
  alreadyEnrolled: number;
  removed: number;
}

export class LtiService {
  constructor(private readonly d: LtiServiceDeps) {}

  /** The launch POST: validated, then acted on; the answer sends the browser to its page. */
  async launch(idToken: string, state: string, origin: string): Promise<Response> {
    const l = await this.d.launches.validate(idToken, state);
    if (l.context === null) throw refused("no-context", "the launch names no LMS course (context)");
    const principal: Principal = { id: ltiUserId(l.platform, l.sub), role: l.role, name: l.name, school: l.platform.schoolId };
    // Every check that can refuse runs before the first write.
    const known = this.d.registry.context(l.platform.id, l.context.id);
    const course = known === undefined ? undefined : this.d.store.courses.get(known.courseId);
    if (course === undefined && l.role !== "teacher")
      throw new AppError("invalid-state", "your teacher has not opened EdgeClass in this LMS course yet: try again after they have", {
        reason: "course-not-set-up",
      });
    if (course !== undefined && l.role === "teacher" && course.teacherId !== principal.id) {
      throw new AppError(
        "forbidden",
        `this LMS course is taught in EdgeClass by ${course.teacherId}; only they (or a school admin) manage it`,
        { reason: "another-teacher" },
      );
    }
    if (l.messageType === "LtiDeepLinkingRequest" && l.role !== "teacher")
      throw refused("not-instructor", "only instructors choose EdgeClass classes for a course");
    const classId = l.messageType === "LtiResourceLinkRequest" ? this.classOf(l, course) : null;

    this.d.courses.rememberUser(principal);
    this.d.registry.putUser(principal.id, l.platform.id, l.sub);
    const c = course ?? (await this.d.courses.createCourse(principal, { title: l.context.title, status: "active" }));
    this.d.registry.putContext({ platformId: l.platform.id, contextId: l.context.id, courseId: c.id, membershipsUrl: l.membershipsUrl });
    if (l.role === "student" && !this.d.store.enrollments.isEnrolled(c.id, principal.id))
      await this.d.courses.enroll(schoolSystem(principal.school), c.id, [principal.id]);
    if (l.role === "teacher" && l.membershipsUrl !== null) {
      this.rosterSync(principal, c.id).catch((e: unknown) =>
        this.d.logger.warn({ courseId: c.id, err: e }, "LTI roster sync at launch failed"),
      );
    }

    if (l.messageType === "LtiDeepLinkingRequest") {
      const id = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
      const req: DeepLinkRequest = {
        platformId: l.platform.id,
        deploymentId: l.deploymentId,
        returnUrl: l.deepLinking!.returnUrl,
        data: l.deepLinking!.data,
        courseId: c.id,
        user: { id: principal.id, name: principal.name, school: principal.school },
      };
      await this.d.keys.claim(`lti-dl:${id}`, JSON.stringify(req), DEEP_LINK_TTL_MS);
      return new Response(null, { status: 303, headers: { location: `${origin}/api/lti/deep-link/${id}`, "cache-control": "no-store" } });
    }
    if (classId !== null)
      this.d.registry.putLink({
        platformId: l.platform.id,
        resourceLinkId: l.resourceLinkId!,
        classId,
        lineitemUrl: l.lineitem ?? (await this.lineItemFor(l, classId)),
      });
    const { cookies, accessToken } = await this.d.sessions.issue(principal, "lti");
    // The page takes the token from the fragment (never sent to a server, never logged); the cookie serves a top-level window.
    const target = classId !== null ? `/class/${encodeURIComponent(classId)}` : `/courses/${encodeURIComponent(c.id)}`;
    const headers = new Headers({ location: `${origin}${target}#token=${accessToken}`, "cache-control": "no-store" });
    for (const cookie of cookies) headers.append("set-cookie", cookie);
    this.d.logger.info({ platform: l.platform.id, user: principal.id, role: principal.role, courseId: c.id, classId }, "LTI launch");
    return new Response(null, { status: 303, headers });
  }

  /**
   * A link made without Deep Linking has no gradebook column: the tool adds one (AGS lineitem
   * scope), once per link on any instance. Failing that, the launch goes on without grades (logged).
   */
  private async lineItemFor(l: Launch, classId: string): Promise<string | null> {
    const known = this.d.registry.link(l.platform.id, l.resourceLinkId!)?.lineitemUrl ?? null;
    if (known !== null || l.lineitems === null || !l.agsScopes.includes(SCOPES.lineitem)) return known;
    if (!(await this.d.keys.claim(`lti-lineitem:${l.platform.id}:${l.resourceLinkId}`, "1", 60_000))) return null;
    try {
      const title = this.d.store.classes.get(classId)?.title ?? classId;
      return await this.d.client.createLineItem(l.platform, l.lineitems, {
        label: title,
        scoreMaximum: 100,
        resourceId: classId,
        resourceLinkId: l.resourceLinkId!,
      });
    } catch (e) {
      this.d.logger.warn(
        { platform: l.platform.id, classId, err: e },
        "LTI line item could not be made; this link's scores will not reach the gradebook",
      );
      return null;
    }
  }

  /** The class a resource link launches: linked before, or named by Deep Linking's custom parameter. */
  private classOf(l: Launch, course: Course | undefined): string | null {
    const linked = this.d.registry.link(l.platform.id, l.resourceLinkId!)?.classId ?? l.custom.edgeclass_class_id ?? null;
    if (linked === null) {
      if (l.role === "teacher") return null; // the teacher lands on the course and can add a class
      throw refused("no-class", "this LMS link does not point at an EdgeClass class (the teacher adds one with Deep Linking)");
    }
    const cls = this.d.store.classes.get(linked);
    if (cls === undefined || course === undefined || cls.courseId !== course.id)
      throw refused("class-elsewhere", `class ${linked.slice(0, 100)} is not a class of this LMS course`);
    return linked;
  }

  private async deepLinkRequest(id: string, take: boolean): Promise<DeepLinkRequest> {
    const raw = take ? await this.d.keys.take(`lti-dl:${id}`) : await this.d.keys.get(`lti-dl:${id}`);
    if (raw === null)
      throw new AppError("not-found", "this choice of class is unknown, done already, or older than an hour: start it again from the LMS");
    return JSON.parse(raw) as DeepLinkRequest;
  }

  async deepLinkPage(id: string, loc: PageLocale = "en"): Promise<Response> {
    const r = await this.deepLinkRequest(id, false);
    const course = this.d.store.courses.get(r.courseId);
    if (course === undefined) throw notFound("course", r.courseId);
    const classes = this.d.store.classes
      .listByCourse(course.id, { limit: 200, after: undefined })
      .items.filter((c) => c.status === "scheduled" || c.status === "live");
    return new Response(pickerPage(id, course, classes, loc), { headers: { ...PAGE_HEADERS, vary: "accept-language" } });
  }

  /** The teacher's choice: `classId`, or `title`, `startsAt` and `durationMinutes` for a new class. */
  async deepLinkChoose(
    id: string,
    form: URLSearchParams,
    launchUrl: string,
    wantsJson: boolean,
    loc: PageLocale = "en",
  ): Promise<Response> {
    const r = await this.deepLinkRequest(id, false);
    const teacher: Principal = { id: r.user.id, role: "teacher", name: r.user.name, school: r.user.school };
    const platform = this.d.registry.get(r.platformId);
    if (platform === undefined) throw notFound("LTI platform", r.platformId);
    let cls;
    const chosen = form.get("classId");
    if (chosen !== null) {
      cls = this.d.courses.getClass(teacher, chosen);
      if (cls.courseId !== r.courseId)
        throw new AppError("validation", `class ${chosen} is not a class of this course`, {
          issues: [{ path: "classId", message: "not in this course" }],
        });
    } else {
      const title = (form.get("title") ?? "").trim();
      const startsAt = Date.parse(
        /Z|[+-]\d\d:\d\d$/.test(form.get("startsAt") ?? "") ? (form.get("startsAt") as string) : `${form.get("startsAt")}Z`,
      );
      const durationMinutes = Number(form.get("durationMinutes") ?? "");
      const issues = [
        ...(title === "" || title.length > 200 ? [{ path: "title", message: "1-200 characters" }] : []),
        ...(!Number.isFinite(startsAt) ? [{ path: "startsAt", message: "a date and time" }] : []),
        ...(!Number.isInteger(durationMinutes) || durationMinutes < 5 || durationMinutes > 600
          ? [{ path: "durationMinutes", message: "an integer from 5 to 600" }]
          : []),
      ];
      if (issues.length > 0)
        throw new AppError("validation", `invalid form: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
      cls = await this.d.courses.scheduleClass(teacher, r.courseId, { title, startsAt, durationMinutes });
    }
    await this.deepLinkRequest(id, true); // spent only once the choice is good
    const jwt = await deepLinkingResponse(this.d.toolKeys, platform, r, [{ id: cls.id, title: cls.title }], launchUrl, this.d.now());
    if (wantsJson) return Response.json({ returnUrl: r.returnUrl, jwt, classId: cls.id }, { headers: { "cache-control": "no-store" } });
    return new Response(autoPostPage(r.returnUrl, jwt, loc), { headers: { ...PAGE_HEADERS, vary: "accept-language" } });
  }

  /** NRPS: the LMS course's active learners enrolled, inactive ones unenrolled. */
  async rosterSync(p: Principal, courseId: string): Promise<RosterResult> {
    const course = this.d.store.courses.get(courseId);
    if (course === undefined) throw notFound("course", courseId);
    assertCanManageCourse(p, course);
    const ctx = this.d.registry.contextOfCourse(courseId);
    if (ctx === undefined || ctx.membershipsUrl === null)
      throw new AppError(
        "invalid-state",
        "this course has no LMS roster: launch it from the LMS (with Names and Role Provisioning Services on) first",
      );
    const platform = this.d.registry.get(ctx.platformId);
    if (platform === undefined) throw new AppError("invalid-state", "the course's LMS is no longer registered");
    let members;
    try {
      members = await this.d.client.members(platform, ctx.membershipsUrl);
    } catch (e) {
      if (e instanceof PlatformError) throw new AppError("unavailable", `the LMS roster could not be read: ${e.message}`);
      throw e;
    }
    const now = this.d.now();
    const active: { id: string; name: string }[] = [];
    const gone: string[] = [];
    for (const m of members) {
      if (roleOf(m.roles) !== "student") continue;
      const id = ltiUserId(platform, m.user_id);
      if (m.status !== undefined && m.status !== "Active") {
        gone.push(id);
        continue;
      }
      const name = (m.name ?? ([m.given_name, m.family_name].filter(Boolean).join(" ") || m.email || m.user_id)).slice(0, 100);
      active.push({ id, name });
      if (this.d.store.users.get(id) === undefined)
        this.d.store.users.upsert({ id, name, role: "student", createdAt: now, schoolId: platform.schoolId });
      this.d.registry.putUser(id, platform.id, m.user_id);
    }
    const system = schoolSystem(platform.schoolId);
    let enrolled = 0;
    let alreadyEnrolled = 0;
    for (let i = 0; i < active.length; i += 1000) {
      const r = await this.d.courses.enroll(
        system,
        courseId,
        active.slice(i, i + 1000).map((a) => a.id),
      );
      enrolled += r.enrolled;
      alreadyEnrolled += r.alreadyEnrolled;
    }
    let removed = 0;
    for (const id of gone)
      if (this.d.store.enrollments.isEnrolled(courseId, id) && (await this.d.courses.unenroll(system, courseId, id))) removed++;
    this.d.logger.info({ courseId, members: members.length, enrolled, removed }, "LTI roster synced");
    return { members: members.length, enrolled, alreadyEnrolled, removed };
  }

  /** AGS: a class ended; its scores go to the outbox for every LMS link of the class. */
  async classEnded(classId: string): Promise<number> {
    if (this.d.registry.linksOfClass(classId).every((l) => l.lineitemUrl === null)) return 0;
    const cls = this.d.store.classes.get(classId);
    const course = cls && this.d.store.courses.get(cls.courseId);
    if (!cls || !course) return 0;
    const results = await this.d.live.results(schoolSystem(course.schoolId), classId);
    const maximum = this.d.store.live.launchedQuestions(classId).reduce((sum, q) => sum + publicQuestion(q).points, 0);
    if (maximum === 0) return 0; // no quiz, no grade
    // Every instance that held the class hears it end: one of them (any: results come from the shared records) queues the scores.
    if (!(await this.d.keys.claim(`lti-grades:${classId}`, "1", 7 * 24 * 3600_000))) return 0;
    return this.d.grades.enqueue(
      classId,
      results.students.map((s) => ({ userId: s.userId, scoreGiven: s.score, scoreMaximum: maximum })),
    );
  }
}
