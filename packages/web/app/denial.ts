// Why a join was refused, in words for a student, with what to do about it (issue 16 defect 17).
// The refusal's catalogue code decides where it says enough (class-full, not-enrolled); a policy
// denial or a removal lists the policy's or the room's reasons, short lowercase phrases (joined by
// "; "), each known one mapped to a denial code the catalogue translates. Unknown reasons are shown
// as they come, with a generic piece of advice.
import type { ErrorCode } from "@edgeclass/client/codes";
import { t } from "./i18n.ts";

export interface Explained {
  /** One sentence per reason. */
  reasons: string[];
  advice: string;
}

type DenialCode = "full" | "inactive" | "not-enrolled" | "archived" | "removed" | "wrong-role" | "ended";

const KNOWN: [RegExp, DenialCode][] = [
  [/\bclass is full\b/i, "full"],
  [/course is not active/i, "inactive"],
  [/no longer enrolled|not enrolled/i, "not-enrolled"],
  [/course was archived/i, "archived"],
  [/removed by the teacher/i, "removed"],
  [/only students may join|only the course's teacher/i, "wrong-role"],
  [/class has ended/i, "ended"],
];

/** The stable code of one policy or room reason, or null when it is not one we know. */
const denialCode = (reason: string): DenialCode | null => KNOWN.find(([re]) => re.test(reason))?.[1] ?? null;

const sentence = (s: string) => {
  const x = s.trim().replace(/^removed:\s*/i, "");
  return x ? x[0].toUpperCase() + x.slice(1) + (/[.!?]$/.test(x) ? "" : ".") : "";
};

export function explainDenial(reason: string, code?: ErrorCode): Explained {
  if (code === "class-full") return { reasons: [t("denial.full")], advice: t("denial.full.advice") };
  if (code === "not-enrolled") return { reasons: [t("denial.not-enrolled")], advice: t("denial.not-enrolled.advice") };
  const reasons: string[] = [];
  let advice = "";
  for (const r of reason.split(/;\s*/).filter((x) => x.trim())) {
    const code = denialCode(r);
    reasons.push(code ? t(`denial.${code}`) : sentence(r));
    advice ||= code ? t(`denial.${code}.advice`) : "";
  }
  return { reasons: reasons.length ? reasons : [t("denial.generic")], advice: advice || t("denial.generic.advice") };
}
