// Participants removed from a live class by staff, shared between owners in Redis so a new
// owner refuses them too: a hash <prefix>{<classId>}:removed, user id -> JSON Removal, written
// under the owner's fence (like mutes) and kept as long as the class's other keys.
import type { Removal } from "../store/live-types.ts";
import type { CatalogueChange } from "../store/catalogue.ts";
import type { LiveHub } from "../live/ports.ts";
import type { ClassKeys } from "./keys.ts";
import type { RedisLink } from "./redis.ts";

export async function readRemovals(link: RedisLink, keys: ClassKeys): Promise<Removal[]> {
  const raw = await link.cmd.hgetall(keys.removed);
  return Object.values(raw).map((j) => JSON.parse(j) as Removal);
}

/** Shares the owner's removals again (Redis may have restarted empty); -1 from a script means fenced. */
export async function reshareRemovals(link: RedisLink, keys: ClassKeys, lease: string, removals: readonly Removal[]): Promise<void> {
  await Promise.all(removals.map((r) => link.scripts.fenced("hset", keys.owner, keys.removed, lease, r.userId, JSON.stringify(r))));
}

/**
 * Catalogue changes from other instances that take access away: an enrolment removed, or a
 * course archived. The owner of each affected live class takes the students out; the store
 * (already changed) decides, so a stale change that lost to a newer one removes nobody.
 */
export function revokeFromCatalogue(hub: LiveHub, changes: readonly CatalogueChange[]): void {
  for (const c of changes) {
    if (c.kind === "enrollment" && c.row === null) {
      const at = c.key.lastIndexOf("/");
      if (at > 0) hub.revoke(c.key.slice(0, at), c.key.slice(at + 1));
    } else if (c.kind === "course" && c.row.status === "archived") {
      hub.revoke(c.row.id, null);
    }
  }
}
