// Form pieces the set-up and schools pages share: a problem's `issues` shown beside their fields.
import type { ComponentChild } from "preact";
import { ApiError, type FieldIssue } from "./api.ts";
import { apiErrorText } from "./errors.ts";

export type Errors = Record<string, string>;

/** Splits an API error into messages per field (`issues[].path`) and one for the form. */
export function errorsOf(e: unknown): Errors {
  if (!(e instanceof ApiError) || e.issues.length === 0) return { "": apiErrorText(e) };
  const out: Errors = {};
  for (const i of e.issues as FieldIssue[]) out[i.path] = out[i.path] ? `${out[i.path]}; ${i.message}` : i.message;
  return out;
}

/** A labelled input with its error beside it (aria-describedby, aria-invalid). */
export function Field({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  children: (a: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ComponentChild;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({ id, "aria-invalid": !!error, "aria-describedby": error ? `${id}-err` : undefined })}
      {error && (
        <span id={`${id}-err`} class="field-error">
          {error}
        </span>
      )}
    </div>
  );
}
