// Rules about schools (tenants): who sees which school's data. Pure functions.
import { AppError, notFound } from "./errors.ts";
import type { Principal, School } from "./model.ts";

/** School ids: like every other id in the API (they appear in paths and token claims). */
export const SCHOOL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/** The platform admin sees every school; everyone else only their own. */
export function inSchool(p: Principal, schoolId: string): boolean {
  return p.role === "admin" || p.school === schoolId;
}

/** Administers this school: the platform admin, or this school's school admin. */
export function isAdminOf(p: Principal, schoolId: string): boolean {
  return p.role === "admin" || (p.role === "school-admin" && p.school === schoolId);
}

/**
 * Another school's row answers as missing: a caller learns nothing about another school's data,
 * not even that it exists (the same answer an unknown id gets).
 */
export function assertInSchool(p: Principal, row: { schoolId: string }, kind: string, id: string): void {
  if (!inSchool(p, row.schoolId)) throw notFound(kind, id);
}

export function buildSchool(input: { id: string; name: string }, now: number): School {
  if (!SCHOOL_ID_PATTERN.test(input.id))
    throw new AppError("validation", "school id must be 1-128 letters, digits or _ . : @ -", {
      issues: [{ path: "id", message: "not a valid id" }],
    });
  return { id: input.id, name: input.name, createdAt: now, updatedAt: now };
}
