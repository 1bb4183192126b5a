// Why a join was refused, in words for a student, with what to do about it (issue 16 defect 17).
// The server's reasons are short lowercase phrases from the policy or the room; several are
// joined by "; ". Unknown reasons are shown as they come, with a generic piece of advice.

export interface Explained {
  /** One sentence per reason. */
  reasons: string[];
  advice: string;
}

const KNOWN: [RegExp, string, string][] = [
  [/\bclass is full\b/i, "Every seat in this class is taken.", "A seat may free up when someone leaves: this page tries again by itself."],
  [/course is not active/i, "This course is not open for classes right now.", "Ask your teacher when the course opens."],
  [/no longer enrolled|not enrolled/i, "You are not on this course's list of students.", "Check that you signed in with your own account, or ask your teacher to add you to the course."],
  [/course was archived/i, "This course has been archived: its classes are closed.", "Ask your teacher where the course continues."],
  [/removed by the teacher/i, "The teacher took you out of this class.", "Ask your teacher if you think this is a mistake."],
  [/only students may join|only the course's teacher/i, "This account cannot join this class.", "Sign in with the account your school gave you."],
  [/class has ended/i, "This class has ended.", "Go back to your classes to find the next one."],
];

const sentence = (s: string) => {
  const t = s.trim().replace(/^removed:\s*/i, "");
  return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "";
};

export function explainDenial(reason: string): Explained {
  const reasons: string[] = [];
  let advice = "";
  for (const r of reason.split(/;\s*/).filter((x) => x.trim())) {
    const k = KNOWN.find(([re]) => re.test(r));
    reasons.push(k ? k[1] : sentence(r));
    advice ||= k?.[2] ?? "";
  }
  return { reasons: reasons.length ? reasons : ["The class did not let you in."], advice: advice || "Ask your teacher if you think this is a mistake." };
}
