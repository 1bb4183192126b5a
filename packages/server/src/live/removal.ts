// Taking someone out of a live class: the reasons they are given and the shape of the
// close reason (a WebSocket close reason is at most 123 bytes, and travels between
// instances in a tab-separated event, so it is one line of at most 120 bytes).

/** Why a student was taken out; each is also the close reason of a refused rejoin. */
export const REMOVED_UNENROLLED = "removed: no longer enrolled in this course";
export const REMOVED_ARCHIVED = "removed: the course was archived";

/** The label of edgeclass_participants_removed_total. */
export type RemovalCause = "staff" | "unenrolled" | "archived";

export function causeOf(reason: string): RemovalCause {
  return reason === REMOVED_UNENROLLED ? "unenrolled" : reason === REMOVED_ARCHIVED ? "archived" : "staff";
}

const MAX_REASON_BYTES = 120;
const encoder = new TextEncoder();

/** One line, cut on a character boundary to fit a close reason. */
export function closeReason(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ");
  if (line.length * 3 <= MAX_REASON_BYTES) return line;
  let out = "";
  let bytes = 0;
  for (const ch of line) {
    const n = encoder.encode(ch).length;
    if (bytes + n > MAX_REASON_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The close reason of a participant removed by staff, with the staff member's reason if any. */
export function staffRemovalReason(byRole: string, reason: string | undefined): string {
  const who = byRole === "admin" || byRole === "school-admin" ? "an admin" : "the teacher";
  return closeReason(reason ? `removed by ${who}: ${reason}` : `removed from the class by ${who}`);
}
