// How domain records leave the API: times as RFC 3339 strings.
import type { ClassSession, Course } from "../domain/model.ts";

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const courseView = <C extends Course>(c: C) => ({ ...c, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) });
export const classView = (c: ClassSession) => ({ ...c, startsAt: iso(c.startsAt), startedAt: iso(c.startedAt), endedAt: iso(c.endedAt), createdAt: iso(c.createdAt) });
