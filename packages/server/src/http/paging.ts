// Keyset paging: `limit` and an opaque `cursor` in, `nextCursor` out.
import type { Page as PageBody } from "@edgeclass/client/api";
import * as v from "valibot";
import type { Page, PageRequest } from "../domain/model.ts";
import { AppError } from "../domain/errors.ts";
import { intParam } from "./validate.ts";

export const pageQuery = {
  limit: v.optional(intParam(1, 500)),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(400))),
};

export function pageRequest(q: { limit?: number; cursor?: string }): PageRequest {
  let after: string | undefined;
  if (q.cursor !== undefined) {
    // Node's decoder skips characters outside the alphabet, so a cursor is taken only when it
    // is base64url and encodes back to itself.
    after = /^[A-Za-z0-9_-]+$/.test(q.cursor) ? Buffer.from(q.cursor, "base64url").toString("utf8") : undefined;
    if (!after || Buffer.from(after, "utf8").toString("base64url") !== q.cursor)
      throw new AppError("validation", "cursor is not one this server issued", { issues: [{ path: "cursor", message: "invalid" }] });
  }
  return { limit: q.limit ?? 50, after };
}

export function pageBody<T>(p: Page<T>): PageBody<T> {
  return { items: p.items, nextCursor: p.nextCursor === null ? null : Buffer.from(p.nextCursor, "utf8").toString("base64url") };
}
