// A verified token is accepted only for a school this server has, and only for a user of that
// school: a token of school B cannot act as the user of school A who has the same id.
import { AppError } from "../domain/errors.ts";
import type { Principal } from "../domain/model.ts";
import type { SchoolStore, UserStore } from "../store/types.ts";
import type { TokenVerifier } from "./tokens.ts";

const CACHE_LIMIT = 50_000;

export function schoolCheckedVerifier(inner: TokenVerifier, store: { schools: SchoolStore; users: UserStore }): TokenVerifier {
  // Schools are never deleted and a user's school never changes: what was found stays true.
  const knownSchools = new Set<string>();
  const userSchool = new Map<string, string>();
  return {
    async verify(token: string): Promise<Principal> {
      const p = await inner.verify(token);
      if (!knownSchools.has(p.school)) {
        if (store.schools.get(p.school) === undefined)
          throw new AppError("invalid-token", `the token's school ${p.school} does not exist on this server`);
        knownSchools.add(p.school);
      }
      // The platform admin is everyone's: their token's school is not theirs to prove.
      if (p.role === "admin") return p;
      let school = userSchool.get(p.id);
      if (school === undefined) {
        school = store.users.get(p.id)?.schoolId;
        if (school === undefined) return p; // first seen: recorded in the token's school
        if (userSchool.size >= CACHE_LIMIT) userSchool.clear();
        userSchool.set(p.id, school);
      }
      if (school !== p.school) throw new AppError("invalid-token", `user ${p.id} belongs to another school than the token's (${p.school})`);
      return p;
    },
  };
}
