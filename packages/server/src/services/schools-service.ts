// Schools (tenants): the platform admin creates, lists and renames them; a school's own
// users may read it. Another school answers 404, like an unknown id.
import { AppError, forbidden, notFound } from "../domain/errors.ts";
import type { Page, PageRequest, Principal, School } from "../domain/model.ts";
import { assertInSchool, buildSchool } from "../domain/schools.ts";
import type { Store } from "../store/types.ts";

export class SchoolsService {
  constructor(private readonly deps: { store: Store; now(): number }) {}

  private platformAdmin(p: Principal, what: string): void {
    if (p.role !== "admin") throw forbidden(`only the platform admin ${what}`);
  }

  list(p: Principal, page: PageRequest): Page<School> {
    this.platformAdmin(p, "lists schools");
    return this.deps.store.schools.list(page);
  }

  get(p: Principal, id: string): School {
    const school = this.deps.store.schools.get(id);
    if (!school) throw notFound("school", id);
    assertInSchool(p, { schoolId: school.id }, "school", id);
    return school;
  }

  create(p: Principal, input: { id: string; name: string }): School {
    this.platformAdmin(p, "creates schools");
    const { store, now } = this.deps;
    const school = buildSchool(input, now());
    store.transaction(() => {
      if (store.schools.get(school.id)) throw new AppError("conflict", `school ${school.id} already exists`);
      store.schools.insert(school);
    });
    return school;
  }

  rename(p: Principal, id: string, patch: { name: string }): School {
    this.platformAdmin(p, "renames schools");
    const { store, now } = this.deps;
    return store.transaction(() => {
      const before = store.schools.get(id);
      if (!before) throw notFound("school", id);
      const after = { ...before, name: patch.name, updatedAt: now() };
      store.schools.update(after);
      return after;
    });
  }
}
