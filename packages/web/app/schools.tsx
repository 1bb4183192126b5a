// Schools (issue 17), a lazy chunk: the platform admin lists, creates and renames schools; a
// platform or school admin connects their school's identity provider (OpenID Connect) and
// registers its LMS platforms (LTI 1.3). The server decides who may see what; a refusal shows as
// its problem, translated by code.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, navigate, session } from "./api.ts";
import { apiErrorText } from "./errors.ts";
import { errorsOf, Field, type Errors } from "./form.tsx";
import { dateTime, t } from "./i18n.ts";
import { Header } from "./ui.tsx";

interface School {
  id: string;
  name: string;
  createdAt: string;
}
interface Provider {
  issuer: string;
  clientId: string;
  tokenAuthMethod: "client_secret_basic" | "client_secret_post";
  scopes: string;
  roleClaim: string | null;
  teacherValues: string[];
  schoolAdminValues?: string[];
  redirectUri: string;
  updatedAt: string;
}
interface Tool {
  loginUrl: string;
  launchUrl: string;
  deepLinkingUrl: string;
  jwksUrl: string;
}
interface Platform {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  deploymentIds: string[];
}

const schoolPath = (id: string) => `/api/schools/${encodeURIComponent(id)}`;
/** A list typed as "a, b c": its items. */
const listOf = (s: string) => s.split(/[\s,]+/).filter(Boolean);

export function SchoolsPage() {
  const s = session()!;
  const platform = s.role === "admin";
  // A school admin's own school unless the address names one (the server refuses another's).
  const [picked, setPicked] = useState(
    () => new URLSearchParams(location.search).get("school") ?? (platform ? "" : (s.school ?? "default")),
  );
  const pick = (id: string) => {
    history.replaceState(null, "", `/schools?school=${encodeURIComponent(id)}`);
    setPicked(id);
  };
  return (
    <div class="page schools" data-view="schools">
      <Header title={t("schools.title")}>
        <a href="/admin" onClick={(e) => (e.preventDefault(), navigate("/admin"))}>
          {t("admin.title")}
        </a>
      </Header>
      <main class="grid">
        {platform && (
          <div class="col-side">
            <SchoolList picked={picked} onPick={pick} />
          </div>
        )}
        <div class="col-main">
          {picked ? <SchoolDetail key={picked} id={picked} platform={platform} /> : <p class="muted">{t("schools.pick")}</p>}
        </div>
      </main>
    </div>
  );
}

/** The platform admin's list of schools and the form that adds one. */
function SchoolList({ picked, onPick }: { picked: string; onPick(id: string): void }) {
  const [schools, setSchools] = useState<School[] | null>(null);
  const [error, setError] = useState("");
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const load = () =>
    api<{ items: School[] }>("GET", "/api/schools?limit=500").then(
      (r) => setSchools(r.items),
      (e) => setError(apiErrorText(e)),
    );
  useEffect(() => void load(), []);
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const made = await api<School>("POST", "/api/schools", { id: id.trim(), name });
      setId("");
      setName("");
      setErrors({});
      await load();
      onPick(made.id);
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <section class="card" aria-labelledby="schools-h">
      <h2 id="schools-h">{t("schools.list")}</h2>
      {schools?.length === 0 && <p class="muted">{t("schools.none")}</p>}
      <ul class="school-list">
        {schools?.map((k) => (
          <li key={k.id} data-school={k.id}>
            <button type="button" class="link" aria-current={picked === k.id ? "true" : undefined} onClick={() => onPick(k.id)}>
              {k.name}
            </button>{" "}
            <span class="muted">{k.id}</span>
          </li>
        ))}
      </ul>
      <p class="error" role="alert">
        {error}
      </p>
      <h3>{t("schools.add")}</h3>
      <form class="stack" onSubmit={create} noValidate>
        <Field id="school-id" label={t("schools.id")} error={errors.id}>
          {(a) => <input {...a} name="id" value={id} autocomplete="off" spellcheck={false} onInput={(e) => setId(e.currentTarget.value)} />}
        </Field>
        <Field id="school-name" label={t("schools.name")} error={errors.name}>
          {(a) => <input {...a} name="name" value={name} autocomplete="organization" onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="primary">
          {t("schools.create")}
        </button>
        <p class="error" role="alert">
          {errors[""]}
        </p>
      </form>
    </section>
  );
}

/** One school: its name (renamed by the platform admin), sign-in and LMS platforms. */
function SchoolDetail({ id, platform }: { id: string; platform: boolean }) {
  const [school, setSchool] = useState<School | null>(null);
  const [error, setError] = useState("");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [note, setNote] = useState("");
  useEffect(() => {
    api<School>("GET", schoolPath(id)).then(
      (k) => (setSchool(k), setName(k.name)),
      (e) => setError(apiErrorText(e)),
    );
  }, [id]);
  const rename = async (e: Event) => {
    e.preventDefault();
    setNote("");
    try {
      const k = await api<School>("PATCH", schoolPath(id), { name });
      setSchool(k);
      setErrors({});
      setNote(t("schools.renamed"));
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  if (!school)
    return (
      <section class="card" aria-labelledby="school-h">
        <h2 id="school-h">{t("schools.school", { id })}</h2>
        {!error && <p class="muted">{t("nav.loading")}</p>}
        <p class="error" role="alert" data-problem>
          {error}
        </p>
      </section>
    );
  return (
    <>
      <section class="card" aria-labelledby="school-h" data-school-detail={school.id}>
        <h2 id="school-h">{school.name}</h2>
        <p class="muted">{t("schools.since", { id: school.id, date: dateTime(school.createdAt) })}</p>
        {platform && (
          <form class="row" onSubmit={rename} noValidate>
            <Field id="school-rename" label={t("schools.name")} error={errors.name}>
              {(a) => <input {...a} name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />}
            </Field>
            <button type="submit">{t("schools.rename")}</button>
            <p class="muted" role="status">
              {note}
            </p>
            <p class="error" role="alert">
              {errors[""]}
            </p>
          </form>
        )}
      </section>
      <IdentityProvider school={school.id} />
      <LtiPlatforms school={school.id} />
    </>
  );
}

/** The school's OpenID provider: shown, replaced (PUT checks discovery first) or removed. */
function IdentityProvider({ school }: { school: string }) {
  const path = `${schoolPath(school)}/identity-provider`;
  const [saved, setSaved] = useState<Provider | null | undefined>(undefined);
  const [f, setF] = useState({
    issuer: "",
    clientId: "",
    clientSecret: "",
    tokenAuthMethod: "client_secret_basic",
    scopes: "openid profile email",
    roleClaim: "",
    teacherValues: "",
    schoolAdminValues: "",
  });
  const [errors, setErrors] = useState<Errors>({});
  const [note, setNote] = useState("");
  const [confirm, setConfirm] = useState(false);
  const show = (p: Provider | null) => {
    setSaved(p);
    if (p)
      setF({
        issuer: p.issuer,
        clientId: p.clientId,
        clientSecret: "",
        tokenAuthMethod: p.tokenAuthMethod,
        scopes: p.scopes,
        roleClaim: p.roleClaim ?? "",
        teacherValues: p.teacherValues.join(", "),
        schoolAdminValues: (p.schoolAdminValues ?? []).join(", "),
      });
  };
  useEffect(() => {
    api<Provider>("GET", path).then(show, (e) =>
      e instanceof ApiError && e.status === 404 ? show(null) : setErrors({ "": apiErrorText(e) }),
    );
  }, [path]);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setNote("");
    const body: Record<string, unknown> = {
      issuer: f.issuer.trim(),
      clientId: f.clientId,
      clientSecret: f.clientSecret,
      tokenAuthMethod: f.tokenAuthMethod,
      scopes: f.scopes,
      teacherValues: listOf(f.teacherValues),
      schoolAdminValues: listOf(f.schoolAdminValues),
    };
    body.roleClaim = f.roleClaim.trim() ? f.roleClaim.trim() : null;
    try {
      show(await api<Provider>("PUT", path, body));
      setErrors({});
      setNote(t("schools.idpSaved"));
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  const remove = async () => {
    setConfirm(false);
    try {
      await api("DELETE", path);
      setSaved(null);
      setNote(t("schools.idpRemoved"));
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <section class="card" aria-labelledby="idp-h" data-idp={saved ? "set" : "none"}>
      <h2 id="idp-h">{t("schools.idp")}</h2>
      {saved === null && <p class="muted">{t("schools.idpNone")}</p>}
      {saved && (
        <dl class="facts">
          <dt>{t("schools.redirectUri")}</dt>
          <dd>
            <code>{saved.redirectUri}</code>
          </dd>
          <dt>{t("schools.signInLink")}</dt>
          <dd>
            <code>{`${location.origin}/login?school=${encodeURIComponent(school)}`}</code>
          </dd>
          <dt>{t("schools.updated")}</dt>
          <dd>{dateTime(saved.updatedAt)}</dd>
        </dl>
      )}
      {saved !== undefined && (
        <form class="stack" onSubmit={submit} noValidate>
          <Field id="idp-issuer" label={t("schools.issuer")} error={errors.issuer}>
            {(a) => <input {...a} type="url" value={f.issuer} spellcheck={false} onInput={set("issuer")} />}
          </Field>
          <Field id="idp-client" label={t("schools.clientId")} error={errors.clientId}>
            {(a) => <input {...a} value={f.clientId} spellcheck={false} onInput={set("clientId")} />}
          </Field>
          <Field id="idp-secret" label={saved ? t("schools.clientSecretAgain") : t("schools.clientSecret")} error={errors.clientSecret}>
            {(a) => <input {...a} type="password" autocomplete="new-password" value={f.clientSecret} onInput={set("clientSecret")} />}
          </Field>
          <Field id="idp-method" label={t("schools.tokenAuthMethod")} error={errors.tokenAuthMethod}>
            {(a) => (
              <select {...a} value={f.tokenAuthMethod} onChange={set("tokenAuthMethod")}>
                <option value="client_secret_basic">{t("schools.authBasic")}</option>
                <option value="client_secret_post">{t("schools.authPost")}</option>
              </select>
            )}
          </Field>
          <Field id="idp-scopes" label={t("schools.scopes")} error={errors.scopes}>
            {(a) => <input {...a} value={f.scopes} spellcheck={false} onInput={set("scopes")} />}
          </Field>
          <Field id="idp-role-claim" label={t("schools.roleClaim")} error={errors.roleClaim}>
            {(a) => <input {...a} value={f.roleClaim} spellcheck={false} onInput={set("roleClaim")} />}
          </Field>
          <Field id="idp-teachers" label={t("schools.teacherValues")} error={errors.teacherValues}>
            {(a) => <input {...a} value={f.teacherValues} spellcheck={false} onInput={set("teacherValues")} />}
          </Field>
          <Field id="idp-admins" label={t("schools.schoolAdminValues")} error={errors.schoolAdminValues}>
            {(a) => <input {...a} value={f.schoolAdminValues} spellcheck={false} onInput={set("schoolAdminValues")} />}
          </Field>
          <div class="row">
            <button type="submit" class="primary">
              {t("schools.idpSave")}
            </button>
            {saved && !confirm && (
              <button type="button" onClick={() => setConfirm(true)}>
                {t("schools.idpRemove")}
              </button>
            )}
            {confirm && (
              <>
                <button type="button" class="danger" onClick={remove}>
                  {t("schools.idpRemoveSure")}
                </button>
                <button type="button" onClick={() => setConfirm(false)}>
                  {t("schools.cancel")}
                </button>
              </>
            )}
          </div>
        </form>
      )}
      <p class="muted" role="status">
        {note}
      </p>
      <p class="error" role="alert">
        {errors[""]}
      </p>
    </section>
  );
}

const EMPTY_PLATFORM = { name: "", issuer: "", clientId: "", authLoginUrl: "", authTokenUrl: "", jwksUrl: "", deploymentIds: "" };

/** The school's LMS platforms (LTI 1.3): the tool's addresses to give the LMS, the list, and a new one's form. */
function LtiPlatforms({ school }: { school: string }) {
  const path = `${schoolPath(school)}/lti/platforms`;
  const [items, setItems] = useState<Platform[] | null>(null);
  const [tool, setTool] = useState<Tool | null>(null);
  const [f, setF] = useState(EMPTY_PLATFORM);
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  const load = () =>
    api<{ items: Platform[]; tool: Tool }>("GET", path).then(
      (r) => (setItems(r.items), setTool(r.tool)),
      (e) => setError(apiErrorText(e)),
    );
  useEffect(() => void load(), [path]);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setNote("");
    const body: Record<string, unknown> = {
      issuer: f.issuer.trim(),
      clientId: f.clientId,
      authLoginUrl: f.authLoginUrl.trim(),
      authTokenUrl: f.authTokenUrl.trim(),
      jwksUrl: f.jwksUrl.trim(),
      deploymentIds: listOf(f.deploymentIds),
    };
    if (f.name.trim()) body.name = f.name;
    try {
      const p = await api<Platform>("POST", path, body);
      setF(EMPTY_PLATFORM);
      setErrors({});
      setNote(t("schools.ltiAdded", { name: p.name }));
      await load();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  const remove = async (p: Platform) => {
    setNote("");
    try {
      await api("DELETE", `${path}/${encodeURIComponent(p.id)}`);
      setNote(t("schools.ltiRemoved", { name: p.name }));
      await load();
    } catch (err) {
      setError(apiErrorText(err));
    }
  };
  const field = (k: keyof typeof f, label: string, url = false) => (
    <Field id={`lti-${k}`} label={label} error={errors[k]}>
      {(a) =>
        url ? (
          <input {...a} type="url" value={f[k]} spellcheck={false} onInput={set(k)} />
        ) : (
          <input {...a} value={f[k]} spellcheck={false} onInput={set(k)} />
        )
      }
    </Field>
  );
  return (
    <section class="card" aria-labelledby="lti-h">
      <h2 id="lti-h">{t("schools.lti")}</h2>
      {tool && (
        <>
          <h3>{t("schools.ltiTool")}</h3>
          <dl class="facts">
            <dt>{t("schools.toolLogin")}</dt>
            <dd>
              <code>{tool.loginUrl}</code>
            </dd>
            <dt>{t("schools.toolLaunch")}</dt>
            <dd>
              <code>{tool.launchUrl}</code>
            </dd>
            <dt>{t("schools.toolJwks")}</dt>
            <dd>
              <code>{tool.jwksUrl}</code>
            </dd>
          </dl>
        </>
      )}
      {items?.length === 0 && <p class="muted">{t("schools.ltiNone")}</p>}
      {items && items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("schools.ltiName")}</th>
                <th scope="col">{t("schools.issuer")}</th>
                <th scope="col">{t("schools.clientId")}</th>
                <th scope="col">{t("schools.deployments")}</th>
                <th scope="col">
                  <span class="sr-only">{t("schools.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-platform={p.id}>
                  <td>{p.name}</td>
                  <td>{p.issuer}</td>
                  <td>{p.clientId}</td>
                  <td>{p.deploymentIds.join(", ")}</td>
                  <td>
                    <button type="button" class="small" onClick={() => remove(p)} aria-label={t("schools.ltiRemoveName", { name: p.name })}>
                      {t("schools.ltiRemove")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>{t("schools.ltiAdd")}</h3>
      <form class="stack" onSubmit={submit} noValidate>
        {field("name", t("schools.ltiName"))}
        {field("issuer", t("schools.issuer"), true)}
        {field("clientId", t("schools.clientId"))}
        {field("authLoginUrl", t("schools.authLoginUrl"), true)}
        {field("authTokenUrl", t("schools.authTokenUrl"), true)}
        {field("jwksUrl", t("schools.jwksUrl"), true)}
        {field("deploymentIds", t("schools.deploymentIds"))}
        <button type="submit" class="primary">
          {t("schools.ltiRegister")}
        </button>
      </form>
      <p class="muted" role="status">
        {note}
      </p>
      <p class="error" role="alert">
        {errors[""] || error}
      </p>
    </section>
  );
}
