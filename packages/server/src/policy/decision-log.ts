// The most recent join decisions, kept in memory for the admin page (logs keep them all).
export interface DecisionRecord {
  at: number;
  classId: string;
  courseId: string;
  /** The course's school (a school admin sees their school's decisions only). */
  schoolId: string;
  userId: string;
  role: string;
  decision: "allow" | "deny";
  reasons: string[];
}

export class DecisionLog {
  private readonly ring: DecisionRecord[] = [];
  private next = 0;

  constructor(private readonly size = 500) {}

  record(r: DecisionRecord): void {
    if (this.ring.length < this.size) this.ring.push(r);
    else this.ring[this.next] = r;
    this.next = (this.next + 1) % this.size;
  }

  /** Newest first. */
  recent(filter: { decision?: "allow" | "deny"; schoolId?: string; limit: number }): DecisionRecord[] {
    const ordered = [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].reverse();
    return ordered
      .filter(
        (r) =>
          (filter.decision === undefined || r.decision === filter.decision) &&
          (filter.schoolId === undefined || r.schoolId === filter.schoolId),
      )
      .slice(0, filter.limit);
  }
}
