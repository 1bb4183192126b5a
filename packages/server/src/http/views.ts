// How domain records leave the API: times as RFC 3339 strings.
// The shapes are @edgeclass/client/api's, which the web client reads.
import type { ClassView, CourseView } from "@edgeclass/client/api";
import type { ClassSession, Course } from "../domain/model.ts";

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
export const courseView = (c: Course & { enrolled?: number }): CourseView => ({
  ...c,
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
});
export const classView = (c: ClassSession): ClassView => ({
  ...c,
  startsAt: iso(c.startsAt),
  startedAt: iso(c.startedAt),
  endedAt: iso(c.endedAt),
  createdAt: iso(c.createdAt),
});
